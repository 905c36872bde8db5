// Pure functions from recorded histograms and counters to the result contract
// (lib/result.ts), in the style of autocannon's aggregateResult: no I/O, no clocks, so the
// runner and reports can re-aggregate, merge and re-analyse stored results.
import type { Histogram } from 'hdr-histogram-js';
import { decode, encode, mergeEncoded, percentilesOf, percentilesOrNull } from '../lib/measure.js';
import type { LoadgenSelf, NamedStats, Percentiles, SecondSample, VariantResult } from '../lib/result.js';

// the histogram vocabulary lives in lib/measure.ts; re-exported as the load generator's API
export { decode, encode, mergeEncoded, percentilesOf, percentilesOrNull };

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Locust's current_rps: the mean of the last 10 complete seconds. */
export function currentRps(series: readonly SecondSample[]): number {
  const last = series.slice(-10);
  if (last.length === 0) return 0;
  let sum = 0;
  for (const s of last) sum += s.requests;
  return sum / last.length;
}

export interface Recorded {
  names: string[];
  methods: string[];
  latency: Histogram;
  latencyUncorrected: Histogram | null;
  ttfb: Histogram;
  ttft: Histogram;
  itl: Histogram;
  headerNames: string[];
  headers: Histogram[];
  byName: Array<{ latency: Histogram; requests: number; failures: number }>;
  requests: number;
  failures: Record<string, number>;
  failureCount: number;
  promptTokens: number;
  completionTokens: number;
  open: { intended: number; late: number; dropped: number } | null;
  durationS: number;
  timeseries: SecondSample[];
  overheadHeader: string;
  self: LoadgenSelf;
  /** share of the measured window the event loop was busy (0–1), when measured */
  utilization?: number;
  /** thresholds for calling the generator the bottleneck */
  limits?: { cpuPercent: number; eventLoopP99Ms: number };
}

export type LoadResult = VariantResult;

export function aggregate(r: Recorded): LoadResult {
  const limits = r.limits ?? { cpuPercent: 80, eventLoopP99Ms: 10 };
  const reasons: string[] = [];
  if (r.self.cpu_percent > limits.cpuPercent)
    reasons.push(`load generator CPU at ${r.self.cpu_percent.toFixed(1)}% of a core (over ${limits.cpuPercent}%): it may have been the bottleneck`);
  if (r.self.event_loop_delay_p99_ms > limits.eventLoopP99Ms)
    reasons.push(`load generator event-loop delay p99 ${r.self.event_loop_delay_p99_ms.toFixed(1)} ms (over ${limits.eventLoopP99Ms} ms): its timings are inflated`);
  if (r.open && r.open.dropped > 0) reasons.push(`${r.open.dropped} sends dropped at maxInFlight: the target could not keep up with the rate`);

  const headersMs: Record<string, Percentiles> = {};
  const headersEnc: Record<string, string> = {};
  let overhead: Percentiles | null = null;
  r.headerNames.forEach((name, i) => {
    const h = r.headers[i];
    headersEnc[name] = encode(h);
    if (h.totalCount === 0) return;
    headersMs[name] = percentilesOf(h);
    if (name === r.overheadHeader.toLowerCase()) overhead = headersMs[name];
  });

  const byName: NamedStats[] = r.names.map((name, i) => ({
    type: r.methods[i],
    name,
    requests: r.byName[i].requests,
    failures: r.byName[i].failures,
    latency_ms: percentilesOf(r.byName[i].latency),
  }));

  const result: LoadResult = {
    name: '',
    settings: {},
    requests: r.requests,
    failures: { ...r.failures },
    rps: r.durationS > 0 ? round3(r.requests / r.durationS) : 0,
    current_rps: round3(currentRps(r.timeseries)),
    duration_s: round3(r.durationS),
    latency_ms: percentilesOf(r.latency),
    latency_uncorrected_ms: r.latencyUncorrected ? percentilesOf(r.latencyUncorrected) : null,
    overhead_ms: overhead,
    ttfb_ms: percentilesOrNull(r.ttfb),
    ttft_ms: percentilesOrNull(r.ttft),
    itl_ms: percentilesOrNull(r.itl),
    tokens: r.promptTokens || r.completionTokens ? { prompt: r.promptTokens, completion: r.completionTokens } : null,
    headers_ms: headersMs,
    by_name: byName,
    open_model: r.open ? { ...r.open } : null,
    loadgen: r.self,
    reliable: reasons.length === 0,
    unreliable_reasons: reasons,
    timeseries: r.timeseries,
    histograms: {
      latency: encode(r.latency),
      ...(r.latencyUncorrected ? { latency_uncorrected: encode(r.latencyUncorrected) } : {}),
      ...(r.ttfb.totalCount ? { ttfb: encode(r.ttfb) } : {}),
      ...(r.ttft.totalCount ? { ttft: encode(r.ttft) } : {}),
      ...(r.itl.totalCount ? { itl: encode(r.itl) } : {}),
      headers: headersEnc,
      by_name: Object.fromEntries(r.names.map((name, i) => [name, encode(r.byName[i].latency)])),
    },
  };
  return result;
}
