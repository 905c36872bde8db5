// The result contract (`gatebench/result@1`), shared by loadgen (which records), the runner
// (which adds gateway CPU, RSS and integrity) and reports (which render, compare and gate).
// Users' scripts read these files: change the schema string when a field changes meaning.
import type { DirectBaseline, OverheadOverDirect, RigSection } from './rig/types.js';
import type { SteadyWindow } from './rig/steady-window.js';

export const RESULT_SCHEMA = 'gatebench/result@1';

/** All failures of a `failures` record (by status or error kind) added up. */
export function failureCount(failures: Record<string, number> | null | undefined): number {
  let sum = 0;
  for (const k in failures ?? {}) sum += failures![k] ?? 0;
  return sum;
}

/** Percentiles in milliseconds (fractional; recorded at microsecond precision). */
export interface Percentiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  count: number;
}

export interface MachineInfo {
  cpus: number;
  model: string;
  memory_mb: number;
  node: string;
  os: string;
  hostname?: string;
}

export interface SecondSample {
  /** seconds since the start of the measured window */
  t: number;
  requests: number;
  failures: number;
  p50_ms: number | null;
  p99_ms: number | null;
  users: number;
  in_flight: number;
}

/** Encoded HDR histograms (hdr-histogram-js encodeIntoCompressedBase64), values in µs. */
export interface EncodedHistograms {
  latency: string;
  latency_uncorrected?: string;
  ttfb?: string;
  ttft?: string;
  /** inter-token gaps of streamed responses (optional, added by loadgen) */
  itl?: string;
  /** one per recorded response header, keyed by header name; values in µs (header ms × 1000) */
  headers: Record<string, string>;
}

/** Statistics for one request name (a template) — a row of the Locust-style table. */
export interface NamedStats {
  type: string; // 'POST'
  name: string; // '/chat/completions'
  requests: number;
  failures: number;
  latency_ms: Percentiles;
}

export interface LoadgenSelf {
  cpu_percent: number;
  /** the generator process's CPU µs over the measured window (user + system); the gate divides
   *  the gateway's CPU per request by the generator's, which drifts with the same machine */
  cpu_us?: number;
  event_loop_delay_p99_ms: number;
  rss_mb: number;
}

export interface VariantResult {
  name: string;
  settings: Record<string, unknown>;
  requests: number;
  failures: Record<string, number>; // by status ("500") or error kind ("ECONNRESET", "timeout")
  rps: number;
  current_rps: number;
  duration_s: number;
  latency_ms: Percentiles;
  /** latency without coordinated-omission correction (open model only) */
  latency_uncorrected_ms?: Percentiles | null;
  overhead_ms: Percentiles | null;
  /** overhead measured from the fake upstream's ledger (no help from the gateway) */
  overhead_ledger_ms?: Percentiles | null;
  ttfb_ms?: Percentiles | null;
  ttft_ms?: Percentiles | null;
  /** inter-token latency of streamed responses (optional, added by loadgen) */
  itl_ms?: Percentiles | null;
  /** usage tokens summed over streamed responses (optional, added by loadgen) */
  tokens?: { prompt: number; completion: number } | null;
  headers_ms?: Record<string, Percentiles>;
  by_name?: NamedStats[];
  open_model?: { intended: number; late: number; dropped: number } | null;
  gateway_cpu_us_per_req?: number | null;
  gateway_rss_mb?: number | null;
  integrity?: { ok: boolean; checks: { name: string; expected: number; actual: number; ok: boolean }[] } | null;
  loadgen: LoadgenSelf;
  /** false when the figures may describe the rig rather than the gateway: the generator fell
   *  behind, or the machine was saturated (lib/rig/saturation.ts); each reason in plain words */
  reliable: boolean;
  unreliable_reasons: string[];
  /** optional: where the CPU went while the variant ran — each component (proxy instances,
   *  generator, upstream, PostgreSQL, Redis) in % of one core and µs/request over the measured
   *  window, the machine's busy share and CPU pressure, the saturation verdict and the
   *  per-second series (warm-up seconds have t ≤ 0). See lib/rig/types.ts */
  rig?: RigSection;
  /** optional: the same load straight to the upstream, run right before this variant (the rig's floor) */
  direct?: DirectBaseline | null;
  /** optional: overhead_ledger_ms minus the direct baseline's, per percentile — what the gateway added over going direct */
  overhead_over_direct_ms?: OverheadOverDirect | null;
  /** optional: per-second p99, second half of the window against the first (steady within 1.5×) */
  steady_window?: SteadyWindow | null;
  timeseries: SecondSample[];
  histograms: EncodedHistograms;
  notes?: string[];
}

export interface RunResult {
  schema: typeof RESULT_SCHEMA;
  scenario: string;
  run_id: string;
  machine: MachineInfo;
  start_time: string;
  end_time: string;
  partial?: boolean;
  variants: VariantResult[];
}
