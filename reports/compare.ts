// `bench compare a.json b.json`: the two runs side by side with the change of each figure.
// Variants are paired by name; when neither run's names match (different scenarios, one
// variant each), they are paired by position.
import Table from 'cli-table3';
import type { RunResult, VariantResult } from '../lib/result.js';
import { change, int, ms, rps } from './format.js';
import { integrityLabel, totalFailures } from './tables.js';
import { COMPACT } from './console.js';

interface Metric {
  label: string;
  get: (v: VariantResult) => number | null | undefined;
  fmt: (n: number | null | undefined) => string;
}

const METRICS: Metric[] = [
  { label: 'requests', get: (v) => v.requests, fmt: int },
  { label: 'failures', get: (v) => totalFailures(v), fmt: int },
  { label: 'RPS', get: (v) => v.rps, fmt: rps },
  { label: 'latency p50 (ms)', get: (v) => v.latency_ms.p50, fmt: ms },
  { label: 'latency p95 (ms)', get: (v) => v.latency_ms.p95, fmt: ms },
  { label: 'latency p99 (ms)', get: (v) => v.latency_ms.p99, fmt: ms },
  { label: 'latency avg (ms)', get: (v) => v.latency_ms.mean, fmt: ms },
  { label: 'overhead p50 (ms)', get: (v) => v.overhead_ms?.p50, fmt: ms },
  { label: 'overhead p95 (ms)', get: (v) => v.overhead_ms?.p95, fmt: ms },
  { label: 'overhead p99 (ms)', get: (v) => v.overhead_ms?.p99, fmt: ms },
  { label: 'CPU µs/request', get: (v) => v.gateway_cpu_us_per_req, fmt: int },
  { label: 'RSS MB', get: (v) => v.gateway_rss_mb, fmt: int },
];

export interface ComparedPair {
  name: string;
  a: VariantResult | null;
  b: VariantResult | null;
}

export function pairVariants(a: RunResult, b: RunResult): ComparedPair[] {
  const bByName = new Map(b.variants.map((v) => [v.name, v]));
  const matched = a.variants.some((v) => bByName.has(v.name));
  if (!matched) {
    const n = Math.max(a.variants.length, b.variants.length);
    return Array.from({ length: n }, (_x, i) => {
      const va = a.variants[i] ?? null;
      const vb = b.variants[i] ?? null;
      return { name: va && vb && va.name !== vb.name ? `${va.name} ↔ ${vb.name}` : (va ?? vb)!.name, a: va, b: vb };
    });
  }
  const out: ComparedPair[] = a.variants.map((v) => ({ name: v.name, a: v, b: bByName.get(v.name) ?? null }));
  for (const v of b.variants) if (!a.variants.some((x) => x.name === v.name)) out.push({ name: v.name, a: null, b: v });
  return out;
}

/** Rows [metric, a, b, change] for one pair. */
export function compareRows(p: ComparedPair): string[][] {
  const rows = METRICS.map((m) => {
    const x = p.a ? m.get(p.a) : null;
    const y = p.b ? m.get(p.b) : null;
    return [m.label, m.fmt(x), m.fmt(y), change(x, y)];
  });
  rows.push(['integrity', p.a ? integrityLabel(p.a) : '–', p.b ? integrityLabel(p.b) : '–', '']);
  return rows;
}

export function renderCompare(a: RunResult, b: RunResult, labels: [string, string] = ['A', 'B']): string {
  const out: string[] = [`A: ${labels[0]} (${a.scenario}, run ${a.run_id}, ${a.machine.cpus} CPU)`, `B: ${labels[1]} (${b.scenario}, run ${b.run_id}, ${b.machine.cpus} CPU)`];
  for (const p of pairVariants(a, b)) {
    out.push('');
    out.push(`── ${p.name}${!p.a ? ' (only in B)' : !p.b ? ' (only in A)' : ''}`);
    const t = new Table({ head: ['', 'A', 'B', 'change'], style: { head: [], border: [] }, chars: COMPACT, colAligns: ['left', 'right', 'right', 'right'] });
    for (const r of compareRows(p)) t.push(r);
    out.push(t.toString());
  }
  return out.join('\n') + '\n';
}
