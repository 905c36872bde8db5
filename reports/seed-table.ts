// The seed page's table (Locust's columns), with exact values instead of Locust's rounding —
// the one seed table: `bench load` prints it, and every report shows it per variant.
// One row per request name, one `Custom` row per recorded header (and TTFT, and the overhead
// from the upstream's ledger), and an `Aggregated` row of REQUESTS ONLY: the seed's Aggregated
// row mixes the overhead samples in and so doubles its RPS and drags its percentiles down.
import Table from 'cli-table3';
import { HEADER_LABELS, OVERHEAD_LABEL } from '../lib/measure.js';
import { failureCount, type Percentiles, type VariantResult } from '../lib/result.js';
import { int, rps } from './format.js';

export const SEED_HEAD = ['Type', 'Name', '# reqs', '# fails', 'Median (ms)', '95%ile (ms)', '99%ile (ms)', 'Average (ms)', 'Current RPS'];

/** Milliseconds as the seed's table shows them, with two decimals (three below 1 ms, where overhead lives). */
export function seedMs(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3);
}

function cells(p: Pick<Percentiles, 'p50' | 'p95' | 'p99' | 'mean'> & { count?: number } | null | undefined): string[] {
  if (!p || p.count === 0) return ['–', '–', '–', '–'];
  return [seedMs(p.p50), seedMs(p.p95), seedMs(p.p99), seedMs(p.mean)];
}

export type SeedTableInput = Pick<VariantResult, 'requests' | 'failures' | 'latency_ms' | 'current_rps' | 'by_name' | 'headers_ms' | 'overhead_ms'> &
  Partial<Pick<VariantResult, 'ttft_ms' | 'overhead_ledger_ms' | 'direct' | 'overhead_over_direct_ms'>>;

/** The rows, as strings; console, Markdown and HTML lay them out. */
export function seedRows(v: SeedTableInput): string[][] {
  const rows: string[][] = [];
  const total = v.requests || 1;
  for (const n of v.by_name ?? []) {
    // current RPS of a name: its share of the requests times the run's current RPS
    rows.push([n.type, n.name, int(n.requests), int(n.failures), ...cells(n.latency_ms), rps((v.current_rps * n.requests) / total)]);
  }
  const custom = (label: string, p: Percentiles | null | undefined) => {
    if (p) rows.push(['Custom', label, int(p.count), '', ...cells(p), rps(v.current_rps)]);
  };
  const headers = Object.entries(v.headers_ms ?? {});
  for (const [name, p] of headers) custom(HEADER_LABELS[name] ?? name, p);
  // a result without recorded headers (a gateway comparison) still has the overhead header's figures
  if (headers.length === 0) custom(OVERHEAD_LABEL, v.overhead_ms);
  custom('Time to first token (ms)', v.ttft_ms);
  custom('Overhead from upstream ledger (ms)', v.overhead_ledger_ms);
  // the ledger row read against the rig's floor: the same load sent straight to the upstream
  const d = v.direct;
  if (d?.overhead_ledger_ms) rows.push(['Direct', 'Ledger overhead going direct (ms)', int(d.requests), int(d.failures), ...cells(d.overhead_ledger_ms), rps(d.duration_s > 0 ? d.requests / d.duration_s : null)]);
  const od = v.overhead_over_direct_ms;
  if (od) rows.push(['Custom', 'Ledger overhead over direct (ms)', '', '', ...cells(od), '']);
  rows.push(['', 'Aggregated', int(v.requests), int(failureCount(v.failures)), ...cells(v.latency_ms), rps(v.current_rps)]);
  return rows;
}

const PLAIN = { head: [] as string[], border: [] as string[] };

export function renderSeedTable(v: SeedTableInput & Pick<VariantResult, 'reliable' | 'unreliable_reasons'>, opts: { color?: boolean } = {}): string {
  const t = new Table({ head: SEED_HEAD, style: opts.color ? {} : PLAIN });
  for (const r of seedRows(v)) t.push(r);
  let out = t.toString();
  const fails = failureCount(v.failures);
  if (fails > 0) out += `\nFailures: ${Object.entries(v.failures).map(([k, n]) => `${k} ×${n}`).join(', ')}`;
  if (!v.reliable) out += `\nUNRELIABLE: ${v.unreliable_reasons.join('; ')}`;
  return out;
}
