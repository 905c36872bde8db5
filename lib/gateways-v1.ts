// Reading the files gateway comparisons wrote before they became ordinary results: a
// `gatebench/gateways@1` file is converted on load into a `gatebench/result@1` whose variants
// are the targets (what `bench run` writes now), so `bench report`, `compare` and `gate` read
// old and new files alike. Only the fields those files had are filled: no machine, no run id.
import { RESULT_SCHEMA, type LoadgenSelf, type Percentiles, type RunResult, type VariantResult } from './result.js';
import { OVERHEAD_HEADER } from './measure.js';

export const GATEWAYS_V1_SCHEMA = 'gatebench/gateways@1';

/** One target of a `gatebench/gateways@1` file. */
export interface TargetResultV1 {
  name: string;
  target: string;
  requests: number;
  failures: Record<string, number>;
  failed: number;
  duration_s: number;
  rps: number;
  latency_ms: Percentiles;
  overhead_ms: Percentiles | null;
  overhead_ledger_ms: Percentiles | null;
  overhead_request_path_ms: Percentiles | null;
  overhead_response_path_ms: Percentiles | null;
  ledger_unmatched: number;
  gateway_cpu_us_per_req: number | null;
  gateway_rss_mb: number | null;
  rounds: number;
  reliable: boolean;
  unreliable_reasons: string[];
  loadgen: LoadgenSelf | null;
  histograms: { latency: string; overhead_header?: string; overhead_ledger?: string; request_path?: string; response_path?: string };
}

export interface GatewaysV1 {
  schema: typeof GATEWAYS_V1_SCHEMA;
  round_ms: number;
  rounds: number;
  order: string[];
  targets: TargetResultV1[];
  skipped: { name: string; target: string; unavailable: string }[];
}

export function targetToVariant(t: TargetResultV1, result: Pick<GatewaysV1, 'rounds' | 'round_ms'>): VariantResult {
  const notes: string[] = [];
  if (t.ledger_unmatched > 0) notes.push(`${t.ledger_unmatched} requests had no ledger entry (the gateway dropped the id, or it never reached the upstream)`);
  const h = t.histograms;
  return {
    name: t.name,
    settings: { target: t.target, rounds: result.rounds, round_ms: result.round_ms },
    requests: t.requests,
    failures: { ...t.failures },
    rps: t.rps,
    // rounds are interleaved: there is no "last 10 seconds" of one target, so the mean
    current_rps: t.rps,
    duration_s: t.duration_s,
    latency_ms: t.latency_ms,
    overhead_ms: t.overhead_ms,
    overhead_ledger_ms: t.overhead_ledger_ms,
    ...(t.overhead_ms ? { headers_ms: { [OVERHEAD_HEADER]: t.overhead_ms } } : {}),
    gateway_cpu_us_per_req: t.gateway_cpu_us_per_req,
    gateway_rss_mb: t.gateway_rss_mb,
    loadgen: t.loadgen ?? { cpu_percent: 0, event_loop_delay_p99_ms: 0, rss_mb: 0 },
    reliable: t.reliable,
    unreliable_reasons: t.unreliable_reasons,
    // per-second samples of interleaved rounds do not form one time line
    timeseries: [],
    histograms: {
      latency: h.latency,
      headers: h.overhead_header ? { [OVERHEAD_HEADER]: h.overhead_header } : {},
      ...(h.overhead_ledger ? { overhead_ledger: h.overhead_ledger } : {}),
      ...(h.request_path ? { request_path: h.request_path } : {}),
      ...(h.response_path ? { response_path: h.response_path } : {}),
    },
    ...(notes.length ? { notes } : {}),
    gateway: {
      kind: t.target,
      rounds: t.rounds,
      overhead_request_path_ms: t.overhead_request_path_ms,
      overhead_response_path_ms: t.overhead_response_path_ms,
      ledger_unmatched: t.ledger_unmatched,
    },
  };
}

/** Problems of a `gatebench/gateways@1` document, each with its path; empty when it converts. */
export function gatewaysV1Problems(d: Partial<GatewaysV1>): string[] {
  const problems: string[] = [];
  if (!Array.isArray(d.targets)) return ['targets: expected a list'];
  if (typeof d.rounds !== 'number') problems.push('rounds: expected a number');
  if (typeof d.round_ms !== 'number') problems.push('round_ms: expected a number');
  d.targets.forEach((t, i) => {
    if (typeof t?.name !== 'string') problems.push(`targets[${i}].name: expected a string`);
    if (typeof t?.latency_ms?.p50 !== 'number') problems.push(`targets[${i}].latency_ms: expected percentiles`);
    if (typeof t?.histograms?.latency !== 'string') problems.push(`targets[${i}].histograms.latency: expected an encoded histogram`);
  });
  return problems;
}

/** A `gatebench/gateways@1` document as a `gatebench/result@1` (check gatewaysV1Problems first). */
export function fromGatewaysV1(d: GatewaysV1, file: string): RunResult {
  return {
    schema: RESULT_SCHEMA,
    scenario: file,
    run_id: `${file} (${GATEWAYS_V1_SCHEMA})`,
    // not recorded by that format
    machine: { cpus: 0, model: 'unknown (gatebench/gateways@1 file)', memory_mb: 0, node: '', os: '' },
    start_time: '',
    end_time: '',
    variants: d.targets.map((t) => targetToVariant(t, d)),
    comparison: { rounds: d.rounds, round_ms: d.round_ms, order: [...(d.order ?? d.targets.map((t) => t.name))], skipped: [...(d.skipped ?? [])] },
  };
}
