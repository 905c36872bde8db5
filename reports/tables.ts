// The rows of the report tables as plain strings, built once from a result and laid out by
// console.ts (cli-table3), markdown.ts and html.ts.
import type { RunResult, VariantResult } from '../lib/result.js';
import { int, ms, rps } from './format.js';

export const OVERHEAD_HEADER = 'x-litellm-overhead-duration-ms';
export const SEED_HEAD = ['Type', 'Name', '# reqs', '# fails', 'Median (ms)', '95%ile (ms)', '99%ile (ms)', 'Average (ms)', 'Current RPS'];

function failCount(v: VariantResult): number {
  let n = 0;
  for (const k in v.failures) n += v.failures[k];
  return n;
}

/** The seed page's per-variant table: one row per request name, then Custom rows (overhead, TTFT). */
export function seedRows(v: VariantResult): string[][] {
  const rows: string[][] = [];
  const byName = v.by_name && v.by_name.length > 0 ? v.by_name : [{ type: 'POST', name: '/chat/completions', requests: v.requests, failures: failCount(v), latency_ms: v.latency_ms }];
  for (const n of byName) {
    const share = v.requests > 0 ? n.requests / v.requests : 0;
    rows.push([n.type, n.name, int(n.requests), int(n.failures), ms(n.latency_ms.p50), ms(n.latency_ms.p95), ms(n.latency_ms.p99), ms(n.latency_ms.mean), rps(v.current_rps * share)]);
  }
  const o = v.overhead_ms;
  if (o) rows.push(['Custom', 'LiteLLM Overhead Duration (ms)', int(o.count), '', ms(o.p50), ms(o.p95), ms(o.p99), ms(o.mean), rps(v.current_rps)]);
  const t = v.ttft_ms;
  if (t) rows.push(['Custom', 'Time to first token (ms)', int(t.count), '', ms(t.p50), ms(t.p95), ms(t.p99), ms(t.mean), rps(v.current_rps)]);
  const l = v.overhead_ledger_ms;
  if (l) rows.push(['Custom', 'Overhead from upstream ledger (ms)', int(l.count), '', ms(l.p50), ms(l.p95), ms(l.p99), ms(l.mean), rps(v.current_rps)]);
  // the ledger row read against the rig's floor: the same load sent straight to the upstream
  const d = v.direct;
  if (d?.overhead_ledger_ms) rows.push(['Direct', 'Ledger overhead going direct (ms)', int(d.requests), int(d.failures), ms(d.overhead_ledger_ms.p50), ms(d.overhead_ledger_ms.p95), ms(d.overhead_ledger_ms.p99), ms(d.overhead_ledger_ms.mean), rps(d.duration_s > 0 ? d.requests / d.duration_s : null)]);
  const od = v.overhead_over_direct_ms;
  if (od) rows.push(['Custom', 'Ledger overhead over direct (ms)', '', '', ms(od.p50), ms(od.p95), ms(od.p99), ms(od.mean), '']);
  return rows;
}

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
