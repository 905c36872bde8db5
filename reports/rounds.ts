// The rounds of an interleaved matrix as a table: each variant's p50 / p99 latency round by
// round — what the findings pair (reports/paired.ts). A column is one round: the machine in one
// state for every variant in it, so a row that moves with the others is drift, not the setting.
import type { RunResult } from '../lib/result.js';
import { ms } from './format.js';

export const ROUNDS_CAPTION = 'p50 / p99 latency (ms) of each variant in each round; the findings compare variants round by round.';

export function roundsTable(r: RunResult): { head: string[]; rows: string[][] } | null {
  if (!r.interleaved) return null;
  const n = Math.max(0, ...r.variants.map((v) => v.rounds?.length ?? 0));
  if (n === 0) return null;
  const head = ['Variant', ...Array.from({ length: n }, (_x, i) => `round ${i + 1}`)];
  const rows = r.variants.map((v) => [v.name, ...Array.from({ length: n }, (_x, i) => {
    const f = v.rounds?.[i];
    return f ? `${ms(f.latency_p50_ms)} / ${ms(f.latency_p99_ms)}` : '–';
  })]);
  return { head, rows };
}
