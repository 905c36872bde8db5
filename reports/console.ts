// The console report: for each variant the seed page's table, then one comparison table
// (variants as rows), the findings and the notes. Pure: a result in, a string out.
import Table from 'cli-table3';
import type { RunResult, VariantResult } from '../lib/result.js';
import { COMPARE_HEAD, SEED_HEAD, comparisonRows, machineLine, notes, seedRows } from './tables.js';
import { findings } from './findings.js';
import { renderGatewayTable } from './gateways/index.js';
import { whereCpuWent } from './rig.js';
import { renderFrontierTable } from './capacity/table.js';

const CONSOLE_PAIRS = 5;
const PLAIN = { head: [] as string[], border: [] as string[] };
/** No rule between body rows: the tables stay as compact as the seed's. */
export const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function table(head: string[], rows: string[][], alignRightFrom: number): string {
  const t = new Table({
    head,
    style: PLAIN,
    chars: COMPACT,
    colAligns: head.map((_h, i) => (i >= alignRightFrom ? 'right' : 'left')),
  });
  for (const r of rows) t.push(r);
  return t.toString();
}

export function renderVariantTable(v: VariantResult): string {
  return table(SEED_HEAD, seedRows(v), 2);
}

export function renderComparison(r: RunResult): string {
  return table(COMPARE_HEAD, comparisonRows(r), 1);
}

export function renderConsole(r: RunResult): string {
  const out: string[] = [];
  out.push(`gatebench · ${r.scenario} · run ${r.run_id}${r.partial ? ' · PARTIAL' : ''}`);
  out.push(`machine: ${machineLine(r)}`);
  if (r.capacity_search) {
    // a capacity search: the frontier, targets as columns (report.md has every step)
    out.push(renderFrontierTable(r));
    const n = notes(r);
    if (n.length > 0) out.push('', 'Notes', ...n.map((line) => `- ${line}`));
    return out.join('\n') + '\n';
  }
  if (r.comparison) {
    // a gateway comparison: targets side by side, as the seed's "LiteLLM vs Portkey" table
    out.push(renderGatewayTable(r));
    return out.join('\n') + '\n';
  }
  for (const v of r.variants) {
    out.push('');
    out.push(`── ${v.name} ── ${v.duration_s.toFixed(0)} s measured, ${v.requests.toLocaleString('en-US')} requests`);
    out.push(renderVariantTable(v));
    if (v.rig) out.push(whereCpuWent(v.rig));
    out.push(`reliable: ${v.reliable ? 'yes' : `NO — ${v.unreliable_reasons.join('; ')}`}`);
  }
  out.push('');
  out.push('Comparison (latency and overhead in ms)');
  out.push(renderComparison(r));
  // the console keeps the few largest differences between variants; report.md has them all
  const omitted = { pairs: 0 };
  const f = findings(r, { maxPairs: CONSOLE_PAIRS, omitted });
  if (f.length > 0) {
    out.push('');
    out.push('Findings');
    for (const line of f) out.push(`- ${line}`);
    if (omitted.pairs > 0) out.push(`- (${omitted.pairs} more pair(s) of variants, smaller or with no measurable difference, in report.md and report.html)`);
  }
  const n = notes(r);
  if (n.length > 0) {
    out.push('');
    out.push('Notes');
    for (const line of n) out.push(`- ${line}`);
  }
  return out.join('\n') + '\n';
}
