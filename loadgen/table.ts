// The seed's console table (Locust's columns), exact values instead of Locust's rounding.
// One row per request name, one `Custom` row per recorded header, and an `Aggregated` row
// of REQUESTS ONLY: the seed's Aggregated row mixes the overhead samples in and so doubles
// its RPS and drags its percentiles down. Reused by the runner for each variant.
import Table from 'cli-table3';
import { failureCount, type Percentiles, type VariantResult } from '../lib/result.js';

const HEAD = ['Type', 'Name', '# reqs', '# fails', 'Median (ms)', '95%ile (ms)', '99%ile (ms)', 'Average (ms)', 'Current RPS'];

/** Display names of well-known headers (the seed's Locust script calls it so). */
const HEADER_LABELS: Record<string, string> = { 'x-litellm-overhead-duration-ms': 'LiteLLM Overhead Duration (ms)' };

export function fmt(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

function cells(p: Percentiles | null | undefined): string[] {
  if (!p || p.count === 0) return ['-', '-', '-', '-'];
  return [fmt(p.p50), fmt(p.p95), fmt(p.p99), fmt(p.mean)];
}

type TableInput = Pick<VariantResult, 'requests' | 'failures' | 'latency_ms' | 'current_rps' | 'reliable' | 'unreliable_reasons' | 'by_name' | 'headers_ms'>;

export function renderTable(r: TableInput, opts: { color?: boolean } = {}): string {
  const t = new Table({ head: HEAD, style: opts.color ? {} : { head: [], border: [] } });
  const byName = r.by_name ?? [];
  const totalReqs = r.requests || 1;
  for (const n of byName) {
    // current RPS of a name: its share of the requests times the run's current RPS
    t.push([n.type, n.name, String(n.requests), String(n.failures), ...cells(n.latency_ms), fmt((r.current_rps * n.requests) / totalReqs, 1)]);
  }
  for (const [name, p] of Object.entries(r.headers_ms ?? {})) {
    t.push(['Custom', HEADER_LABELS[name] ?? name, String(p.count), '0', ...cells(p), '-']);
  }
  const fails = failureCount(r.failures);
  t.push(['', 'Aggregated', String(r.requests), String(fails), ...cells(r.latency_ms), fmt(r.current_rps, 1)]);
  let out = t.toString();
  if (fails > 0) out += `\nFailures: ${Object.entries(r.failures).map(([k, v]) => `${k} ×${v}`).join(', ')}`;
  if (!r.reliable) out += `\nUNRELIABLE: ${r.unreliable_reasons.join('; ')}`;
  return out;
}
