// A gateway comparison in the result contract (lib/result.ts): one VariantResult per target,
// so result files, `bench compare`, the gate and the HTML report read it like any run.
// Fields the contract lacks (target, request/response path) are added alongside; the lead
// adds them to VariantResult as optional fields.
import type { Percentiles, VariantResult } from '../../lib/result.js';
import type { ComparisonResult, TargetKind, TargetResult } from './types.js';

export interface TargetVariant extends VariantResult {
  target: TargetKind;
  overhead_request_path_ms: Percentiles | null;
  overhead_response_path_ms: Percentiles | null;
  ledger_unmatched: number;
}

export function targetToVariant(t: TargetResult, result: Pick<ComparisonResult, 'rounds' | 'round_ms'>): TargetVariant {
  const headers: Record<string, string> = {};
  if (t.histograms.overhead_header) headers['x-litellm-overhead-duration-ms'] = t.histograms.overhead_header;
  const notes: string[] = [];
  if (t.ledger_unmatched > 0) notes.push(`${t.ledger_unmatched} requests had no ledger entry`);
  return {
    name: t.name,
    settings: { target: t.target, rounds: result.rounds, round_ms: result.round_ms },
    target: t.target,
    requests: t.requests,
    failures: { ...t.failures },
    rps: t.rps,
    // rounds are interleaved: there is no "last 10 seconds" of one target, so the mean
    current_rps: t.rps,
    duration_s: t.duration_s,
    latency_ms: t.latency_ms,
    overhead_ms: t.overhead_ms,
    overhead_ledger_ms: t.overhead_ledger_ms,
    overhead_request_path_ms: t.overhead_request_path_ms,
    overhead_response_path_ms: t.overhead_response_path_ms,
    ledger_unmatched: t.ledger_unmatched,
    gateway_cpu_us_per_req: t.gateway_cpu_us_per_req,
    gateway_rss_mb: t.gateway_rss_mb,
    loadgen: t.loadgen ?? { cpu_percent: 0, event_loop_delay_p99_ms: 0, rss_mb: 0 },
    reliable: t.reliable,
    unreliable_reasons: t.unreliable_reasons,
    ...(t.rig ? { rig: t.rig } : {}),
    // per-second samples of interleaved rounds do not form one time line
    timeseries: [],
    histograms: { latency: t.histograms.latency, headers },
    ...(notes.length ? { notes } : {}),
  };
}

export function comparisonToVariants(result: ComparisonResult): TargetVariant[] {
  return result.targets.map((t) => targetToVariant(t, result));
}
