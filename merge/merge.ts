// N shard results in, one result out — the result one generator running the whole load would
// have written. Pure (no I/O, no clock): counts are summed; every HDR histogram is decoded and
// added, which is lossless (same bucket layout everywhere), and the figures are then computed
// by the load generator's own aggregate(), so a merged p99 is the p99 of the union of samples,
// not an average of p99s. Per-second series are aligned on the common start (each shard's
// seconds shifted by its start offset, rounded to a whole second) and their per-second
// histograms added; current RPS is computed over the merged series. Every shard's generator
// self-check is kept: the merged result is unreliable if any shard was.
import type { Histogram } from 'hdr-histogram-js';
import { addLoadResults } from '../loadgen/add-results.js';
import { decode, encode, newHistogram } from '../lib/measure.js';
import { RESULT_SCHEMA, type RunResult, type SecondSample, type VariantResult } from '../lib/result.js';
import type { CheckedShards } from './check.js';


interface Part {
  v: VariantResult;
  /** whole seconds this shard's window started after the earliest shard's */
  offsetS: number;
  label: string;
}

/** Per-second samples summed on the common clock; p50/p99 from the added per-second histograms. */
export function mergeSeries(parts: readonly Part[]): { series: SecondSample[]; seconds: string[] | undefined } {
  const byT = new Map<number, { s: SecondSample; h: Histogram; exact: boolean }>();
  for (const { v, offsetS } of parts) {
    const hists = v.histograms.seconds?.length === v.timeseries.length ? v.histograms.seconds : undefined;
    v.timeseries.forEach((s, i) => {
      const t = s.t + offsetS;
      let m = byT.get(t);
      if (!m) byT.set(t, (m = { s: { t, requests: 0, failures: 0, p50_ms: null, p99_ms: null, users: 0, in_flight: 0 }, h: newHistogram(), exact: true }));
      m.s.requests += s.requests;
      m.s.failures += s.failures;
      m.s.users += s.users;
      m.s.in_flight += s.in_flight;
      if (hists) m.h.add(decode(hists[i]));
      else m.exact = false;
    });
  }
  const merged = [...byT.values()].sort((a, b) => a.s.t - b.s.t);
  const series = merged.map(({ s, h, exact }) => {
    // a second without every shard's histogram has no exact percentile: null, not a guess
    const has = exact && h.totalCount > 0;
    return { ...s, p50_ms: has ? h.getValueAtPercentile(50) / 1000 : null, p99_ms: has ? h.getValueAtPercentile(99) / 1000 : null };
  });
  const seconds = merged.every((m) => m.exact) ? merged.map((m) => encode(m.h)) : undefined;
  return { series, seconds };
}

/** What the runner adds when every shard brought its own gateway (bench run --shard). */
function mergeGateway(parts: readonly Part[], notes: string[]): Partial<VariantResult> {
  const out: Partial<VariantResult> = {};
  const cpu = parts.filter((p) => typeof p.v.gateway_cpu_us_per_req === 'number');
  if (cpu.length === parts.length) {
    // weighted by requests: total gateway CPU over total requests
    const reqs = cpu.reduce((a, p) => a + p.v.requests, 0);
    out.gateway_cpu_us_per_req = reqs > 0 ? Math.round((cpu.reduce((a, p) => a + p.v.gateway_cpu_us_per_req! * p.v.requests, 0) / reqs) * 10) / 10 : null;
  }
  const rss = parts.filter((p) => typeof p.v.gateway_rss_mb === 'number');
  if (rss.length > 0) out.gateway_rss_mb = Math.max(...rss.map((p) => p.v.gateway_rss_mb!));
  if (parts.some((p) => p.v.integrity)) {
    const checks = new Map<string, { name: string; expected: number; actual: number; ok: boolean }>();
    for (const p of parts)
      for (const c of p.v.integrity?.checks ?? []) {
        const m = checks.get(c.name) ?? { name: c.name, expected: 0, actual: 0, ok: true };
        m.expected += c.expected;
        m.actual += c.actual;
        m.ok = m.expected === m.actual;
        checks.set(c.name, m);
      }
    const list = [...checks.values()];
    out.integrity = { ok: list.every((c) => c.ok) && parts.every((p) => p.v.integrity?.ok !== false), checks: list };
  }
  if (parts.some((p) => p.v.overhead_ledger_ms)) {
    out.overhead_ledger_ms = null;
    notes.push('overhead_ledger_ms is not merged: shard results keep its percentiles, not its histogram');
  }
  return out;
}

function mergeVariant(name: string, parts: readonly Part[], runNotes: readonly string[]): VariantResult {
  const v0 = parts[0].v;
  const { series, seconds } = mergeSeries(parts);
  const notes: string[] = [];
  // the merged window runs from the earliest shard's start to the latest shard's end
  const result = addLoadResults(parts, Math.max(...parts.map((p) => p.offsetS + p.v.duration_s)), series);
  if (!seconds) notes.push('per-second p50/p99 are null where a shard kept no per-second histogram');
  const reasons = parts.flatMap((p) => p.v.unreliable_reasons.map((r) => `${p.label}: ${r}`));
  const shardNotes = [...new Set(parts.flatMap((p) => p.v.notes ?? []))];
  const gateway = mergeGateway(parts, notes);
  return {
    ...result,
    ...gateway,
    name,
    settings: { ...v0.settings, shards: parts.length },
    reliable: parts.every((p) => p.v.reliable),
    unreliable_reasons: reasons,
    histograms: { ...result.histograms, ...(seconds ? { seconds } : {}) },
    notes: [`merged from ${parts.length} shard(s); loadgen figures are the worst shard's (cpu_us the sum)`, ...runNotes, ...shardNotes, ...notes],
  };
}

/** One result from checked shards (merge/check.ts): the figures one generator would have recorded. */
export function mergeShards(checked: CheckedShards): RunResult {
  const { shards, missing } = checked;
  const starts = shards.map((s) => Date.parse(s.shard.started_at));
  const t0 = Math.min(...starts);
  const first = shards[0].result;
  // late shards (beyond a timer's millisecond or two) are named in every variant's notes
  const late = shards.filter((s) => s.shard.skew_ms > 50).map((s) => `shard ${s.shard.index}/${s.shard.total} started ${s.shard.skew_ms} ms after --start-at`);
  const variants = first.variants.map((v, vi) =>
    mergeVariant(
      v.name,
      shards.map((s, i) => ({ v: s.result.variants[vi], offsetS: Math.round((starts[i] - t0) / 1000), label: `shard ${s.shard.index}/${s.shard.total}` })),
      late,
    ),
  );
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    schema: RESULT_SCHEMA,
    scenario: first.scenario,
    run_id: `${first.run_id.replace(/-shard-\d+-of-\d+$/, '')}-merged`,
    machine: first.machine,
    start_time: iso(Math.min(...shards.map((s) => Date.parse(s.result.start_time)))),
    end_time: iso(Math.max(...shards.map((s) => Date.parse(s.result.end_time)))),
    ...(missing.length > 0 || shards.some((s) => s.result.partial) ? { partial: true } : {}),
    variants,
    shards: shards.map((s) => ({ ...s.shard, reliable: s.result.variants.every((v) => v.reliable) })),
    ...(missing.length > 0 ? { missing_shards: missing } : {}),
    ...(first.thresholds !== undefined ? { thresholds: first.thresholds } : {}),
  };
}
