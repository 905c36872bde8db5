// Several load results over the same load, as one: histograms decoded and added (lossless: the
// same bucket layout everywhere), counts summed, the figures computed by aggregate() — so the
// p99 of the sum is the p99 of the union of samples, not an average of p99s. `bench merge`
// adds a run's shards with it, an interleaved matrix a variant's rounds. Pure.
import type { Histogram } from 'hdr-histogram-js';
import { decode, newHistogram, OVERHEAD_HEADER } from '../lib/measure.js';
import type { LoadgenSelf, SecondSample, VariantResult } from '../lib/result.js';
import { aggregate, type Recorded } from './aggregate.js';

function added(encs: ReadonlyArray<string | undefined>): Histogram {
  const h = newHistogram();
  for (const e of encs) if (e) h.add(decode(e));
  return h;
}

/** The worst part's figures (CPU %, event-loop delay, RSS) and the sum of their CPU time. */
function mergeSelf(parts: readonly { v: VariantResult }[]): LoadgenSelf {
  const selfs = parts.map((p) => p.v.loadgen);
  const cpuUs = selfs.every((s) => typeof s.cpu_us === 'number') ? selfs.reduce((a, s) => a + s.cpu_us!, 0) : undefined;
  return {
    cpu_percent: Math.max(...selfs.map((s) => s.cpu_percent)),
    ...(cpuUs !== undefined ? { cpu_us: cpuUs } : {}),
    event_loop_delay_p99_ms: Math.max(...selfs.map((s) => s.event_loop_delay_p99_ms)),
    rss_mb: Math.max(...selfs.map((s) => s.rss_mb)),
  };
}

/**
 * The figures of several load results over the same load, as one: histograms added, counts
 * summed, then the generator's own aggregate(). `durationS` and the per-second series are the
 * caller's (shards overlap in time; an interleaved variant's rounds follow one another).
 * Each part judged its own generator: the sum is not re-judged.
 */
export function addLoadResults(parts: readonly { v: VariantResult }[], durationS: number, series: SecondSample[]): VariantResult {
  const v0 = parts[0].v;
  const names = (v0.by_name ?? []).map((b) => b.name);
  const headerNames = [...new Set(parts.flatMap((p) => Object.keys(p.v.histograms.headers)))];
  const recorded: Recorded = {
    names,
    methods: (v0.by_name ?? []).map((b) => b.type),
    latency: added(parts.map((p) => p.v.histograms.latency)),
    latencyUncorrected: parts.every((p) => p.v.histograms.latency_uncorrected) ? added(parts.map((p) => p.v.histograms.latency_uncorrected)) : null,
    ttfb: added(parts.map((p) => p.v.histograms.ttfb)),
    ttft: added(parts.map((p) => p.v.histograms.ttft)),
    itl: added(parts.map((p) => p.v.histograms.itl)),
    headerNames,
    headers: headerNames.map((h) => added(parts.map((p) => p.v.histograms.headers[h]))),
    byName: names.map((n) => {
      const rows = parts.map((p) => p.v.by_name?.find((b) => b.name === n));
      // a result written before by_name histograms were kept: with one name it is the latency
      const encs = parts.map((p) => p.v.histograms.by_name?.[n] ?? (names.length === 1 ? p.v.histograms.latency : undefined));
      return { latency: added(encs), requests: rows.reduce((a, r) => a + (r?.requests ?? 0), 0), failures: rows.reduce((a, r) => a + (r?.failures ?? 0), 0) };
    }),
    requests: parts.reduce((a, p) => a + p.v.requests, 0),
    failures: {},
    failureCount: 0,
    promptTokens: parts.reduce((a, p) => a + (p.v.tokens?.prompt ?? 0), 0),
    completionTokens: parts.reduce((a, p) => a + (p.v.tokens?.completion ?? 0), 0),
    open: parts.every((p) => p.v.open_model) ? { intended: 0, late: 0, dropped: 0 } : null,
    durationS,
    timeseries: series,
    overheadHeader: typeof v0.settings.overhead_header === 'string' ? v0.settings.overhead_header : OVERHEAD_HEADER,
    self: mergeSelf(parts),
    limits: { cpuPercent: Infinity, eventLoopP99Ms: Infinity },
  };
  for (const p of parts) {
    for (const [k, n] of Object.entries(p.v.failures)) recorded.failures[k] = (recorded.failures[k] ?? 0) + n;
    recorded.failureCount += Object.values(p.v.failures).reduce((a, n) => a + n, 0);
    if (recorded.open && p.v.open_model) {
      recorded.open.intended += p.v.open_model.intended;
      recorded.open.late += p.v.open_model.late;
      recorded.open.dropped += p.v.open_model.dropped;
    }
  }
  return aggregate(recorded);
}
