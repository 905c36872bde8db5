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
  /** overhead measured from the upstream's ledger, and its request/response halves (gateway comparisons) */
  overhead_ledger?: string;
  request_path?: string;
  response_path?: string;
  /** latency of each request name (by_name rows), keyed by name; lets `bench merge` add the rows exactly */
  by_name?: Record<string, string>;
  /** per-second latency histograms aligned with `timeseries` (shard results only), so a merge's
   *  per-second p50/p99 are exact too */
  seconds?: string[];
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
  /** set on the variants of a gateway comparison: one variant per target */
  gateway?: GatewayExtras;
  /** set on the variants of a capacity search (a scenario with `capacity:`): the target's frontier and curve */
  capacity?: CapacityExtras;
  /** set when the variants ran interleaved in rounds (`interleaved` on the run): this variant's
   *  figures round by round, in round order, which the findings compare pairwise (a difference
   *  is stated only when its interval over the rounds excludes no change) */
  rounds?: RoundFigures[];
}

/** One variant's figures over one round of an interleaved run. */
export interface RoundFigures {
  requests: number;
  rps: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  /** the gateway's overhead header, when it sends one */
  overhead_p50_ms: number | null;
  overhead_p99_ms: number | null;
  /** the gateway's CPU over the round, per request answered */
  cpu_us_per_req: number | null;
}

/** How an interleaved run was laid out (runner/interleave): every variant's proxy up at once,
 *  then `rounds` rounds in which each variant in turn gets `round_ms` of measured load. */
export interface InterleavedExtras {
  rounds: number;
  round_ms: number;
  /** unmeasured ramp-up at the start of each round (the closed model's spawn time) */
  ramp_ms: number;
  /** one unmeasured load per variant before the first round */
  warmup_ms: number;
  order: string[];
}

/** One point of a capacity frontier: the highest offered rate whose p99 kept one SLO (runner/capacity/frontier.ts). */
export interface CapacityFrontierPoint {
  slo_ms: number;
  /** req/s answered at that rate; null when even the first rate broke the SLO */
  max_rps: number | null;
  offered_rate: number | null;
  /** `exact`: a higher rate broke it (within the resolution); `lower-bound`: the search ended first (≥); `none` */
  kind: 'exact' | 'lower-bound' | 'none';
  /** what ended the climb for this SLO: slo, failures, generator, rig, max-rate, max-steps, max-duration */
  limited_by: string;
  /** the lowest offered rate that broke it, when one did */
  broken_at: number | null;
}

/** One measured step of a capacity search, in the order measured. */
export interface CapacityStep {
  offered_rate: number;
  achieved_rps: number;
  /** client latency, corrected for coordinated omission */
  latency_p50_ms: number;
  latency_p99_ms: number;
  /** client p99 − the rig floor's p50 (the same load straight to the upstream): what the SLOs judge */
  over_direct_p99_ms: number;
  /** p99 of the target's own overhead header; null when it sends none */
  header_p99_ms: number | null;
  failure_ratio: number;
  /** the target's CPU µs per request over the step (null: not a local process) */
  cpu_us_per_req: number | null;
  rss_mb: number | null;
  /** ok, slo, failures, generator (it fell behind), rig (the machine saturated) */
  verdict: string;
  /** why a generator/rig verdict was given, in plain words */
  reasons?: string[];
  /** measured length of the step, ms (long enough for the scenario's min_samples at its rate) */
  step_ms?: number;
  /** a doubtful break measured again: every measurement's p99 over direct, in order; the row
   *  carries the median one's figures */
  runs_over_direct_p99_ms?: number[];
}

/**
 * What a capacity search adds to a target's variant. The variant's own figures are those of
 * its best trusted step at its highest frontier (`best_step`); the frontier is read off `curve`.
 */
export interface CapacityExtras {
  slos_ms: number[];
  /** per metric: `over_direct` (client p99 − the floor's p50, for every target) and `header` (the target's own overhead header, when it sends one) */
  frontier: { over_direct: CapacityFrontierPoint[]; header: CapacityFrontierPoint[] | null };
  curve: CapacityStep[];
  /** index into curve of the step whose figures the variant carries; null when no step was trusted */
  best_step: number | null;
  /** slo, failures, generator, rig, max-rate, max-steps, max-duration */
  stop_reason: string;
  /** the rig (generator or machine), not the target, ended the search: the top frontier is a lower bound */
  rig_limited: boolean;
  /** CPU cores the target needs per 1,000 req/s, at its highest frontier's step */
  cores_per_1k_rps: number | null;
  peak_rss_mb: number | null;
  /** the rig floor the SLO figures are taken over: the same load straight to the upstream */
  floor: { rate: number; latency_p50_ms: number; latency_p99_ms: number };
  /** the same floor measured again after the searches: how far the rig drifted meanwhile */
  floor_end?: { rate: number; latency_p50_ms: number; latency_p99_ms: number };
  step_ms: number;
  step_warmup_ms: number;
}

/**
 * What a gateway comparison (a scenario with `targets:`) adds to a variant. Its `overhead_ms`
 * is the gateway's own header (null when it sends none); `overhead_ledger_ms` is measured the
 * same way for every target (client latency − the upstream's holding time), so that is the
 * figure the comparison ranks by.
 */
export interface GatewayExtras {
  /** the target's type: reference, portkey, nginx, direct, url, litellm */
  kind: string;
  /** rounds this target ran (interleaved with the others) */
  rounds: number;
  overhead_request_path_ms: Percentiles | null;
  overhead_response_path_ms: Percentiles | null;
  /** client requests with no ledger entry (the gateway lost the id, or the ledger dropped it) */
  ledger_unmatched: number;
}

/** What a gateway comparison adds to the run: how the rounds went and which targets could not run. */
export interface ComparisonExtras {
  rounds: number;
  round_ms: number;
  /** target names in the order each round visits them */
  order: string[];
  skipped: { name: string; target: string; unavailable: string }[];
}

/** One shard of a sharded run (`bench load|run --shard I/N`): which share, and when it started. */
export interface ShardInfo {
  /** 0-based, as Kubernetes' JOB_COMPLETION_INDEX */
  index: number;
  total: number;
  /** the common instant every shard waited for (--start-at), ISO-8601; null when none was given */
  start_at: string | null;
  /** when this shard's load actually started, ISO-8601 (wall clock of its machine) */
  started_at: string;
  /** started_at − start_at in ms (> 0: it started late); 0 without start_at */
  skew_ms: number;
  /** sha256 of the scenario text (or of the load options) the shard ran: `bench merge` refuses a mix */
  load_digest: string;
  hostname?: string;
  /** set on a merged result's `shards` list: the shard's own generator self-check */
  reliable?: boolean;
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
  /** set when the run was a gateway comparison; its variants are the targets */
  comparison?: ComparisonExtras;
  /** set when the variants of a matrix ran interleaved in rounds (each variant has `rounds`) */
  interleaved?: InterleavedExtras;
  /** set when the run was a capacity search: its variants are the targets, each with `capacity` */
  capacity_search?: { order: string[]; skipped: { name: string; target: string; unavailable: string }[] };
  /** a shard's result: which share of the run it is */
  shard?: ShardInfo;
  /** a merged result (`bench merge`): every shard merged, in index order */
  shards?: ShardInfo[];
  /** a merged result: shard indexes absent (merged with --allow-missing) */
  missing_shards?: number[];
  /** the scenario's thresholds as written, carried by shard results so `bench merge` can judge
   *  the merged figures where the scenario file is not */
  thresholds?: unknown;
}
