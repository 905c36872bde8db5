// The rows of the report tables as plain strings, built once from a result and laid out by
// console.ts (cli-table3), markdown.ts and html.ts.
import { failureCount, type RunResult, type VariantResult } from '../lib/result.js';
import { int, ms, rps } from './format.js';

export { SEED_HEAD, seedRows } from './seed-table.js';

const failCount = (v: VariantResult): number => failureCount(v.failures);

export const COMPARE_HEAD = ['Variant', 'p50', 'p95', 'p99', 'avg', 'ovh p50', 'ovh p95', 'ovh p99', 'RPS', 'fails', 'CPU µs/req', 'RSS MB', 'integrity'];

export function integrityLabel(v: VariantResult): string {
  if (!v.integrity) return '–';
  if (v.integrity.ok) return 'ok';
  const bad = v.integrity.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.actual}/${c.expected}`);
  return `LOST DATA (${bad.join('; ')})`;
}

/** The comparison table: one row per variant (latencies in ms). */
export function comparisonRows(r: RunResult): string[][] {
  return r.variants.map((v) => [
    v.name + (v.reliable ? '' : ' (unreliable)'),
    ms(v.latency_ms.p50),
    ms(v.latency_ms.p95),
    ms(v.latency_ms.p99),
    ms(v.latency_ms.mean),
    ms(v.overhead_ms?.p50),
    ms(v.overhead_ms?.p95),
    ms(v.overhead_ms?.p99),
    rps(v.rps),
    int(failCount(v)),
    int(v.gateway_cpu_us_per_req),
    int(v.gateway_rss_mb),
    integrityLabel(v),
  ]);
}

export function totalFailures(v: VariantResult): number {
  return failCount(v);
}

/** Notes worth printing under the tables: per-variant notes and unreliability. */
export function notes(r: RunResult): string[] {
  const out: string[] = [];
  if (r.partial) out.push('This run was interrupted: the result is partial.');
  for (const v of r.variants) {
    for (const n of v.notes ?? []) out.push(`${v.name}: ${n}`);
    if (!v.reliable) out.push(`${v.name}: unreliable — ${v.unreliable_reasons.join('; ')}`);
    const f = Object.entries(v.failures);
    if (f.length > 0) out.push(`${v.name}: failures ${f.map(([k, n]) => `${k}×${n}`).join(', ')}`);
  }
  return out;
}

export function machineLine(r: RunResult): string {
  const m = r.machine;
  return `${m.cpus} CPU (${m.model}), ${int(m.memory_mb)} MB, Node ${m.node}, ${m.os}`;
}
