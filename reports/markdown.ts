// report.md: the same content as the console report, as GitHub-flavoured Markdown.
import type { RunResult } from '../lib/result.js';
import { COMPARE_HEAD, SEED_HEAD, comparisonRows, machineLine, notes, seedRows } from './tables.js';
import { findings } from './findings.js';
import { ROUNDS_CAPTION, roundsTable } from './rounds.js';
import { renderGatewayMarkdown } from './gateways/index.js';
import { whereCpuWent } from './rig.js';
import { renderFrontierMarkdown } from './capacity/table.js';
import { renderCurveMarkdown } from './capacity/curve.js';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

export function mdTable(head: string[], rows: string[][], alignRightFrom: number): string {
  const lines = [`| ${head.map(cell).join(' | ')} |`, `| ${head.map((_h, i) => (i >= alignRightFrom ? '---:' : '---')).join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

export function renderMarkdown(r: RunResult): string {
  const out: string[] = [];
  out.push(`# gatebench: ${r.scenario}${r.partial ? ' (partial)' : ''}`);
  out.push('');
  out.push(`Run \`${r.run_id}\`, ${r.start_time} → ${r.end_time}. Machine: ${machineLine(r)}.`);
  if (r.capacity_search) {
    out.push('', renderFrontierMarkdown(r), '', renderCurveMarkdown(r));
  }
  if (r.comparison) {
    out.push('');
    out.push(renderGatewayMarkdown(r));
    return out.join('\n');
  }
  for (const v of r.variants) {
    out.push('');
    out.push(`## ${v.name}`);
    out.push('');
    out.push(`${v.duration_s.toFixed(0)} s measured, ${v.requests.toLocaleString('en-US')} requests.`);
    out.push('');
    out.push(mdTable(SEED_HEAD, seedRows(v), 2));
    if (v.rig) out.push('', `${whereCpuWent(v.rig)}.`);
  }
  out.push('');
  out.push('## Comparison');
  out.push('');
  out.push('Latency and overhead in ms.');
  out.push('');
  out.push(mdTable(COMPARE_HEAD, comparisonRows(r), 1));
  const rounds = roundsTable(r);
  if (rounds) out.push('', '## Rounds', '', ROUNDS_CAPTION, '', mdTable(rounds.head, rounds.rows, 1));
  const f = findings(r);
  if (f.length > 0) {
    out.push('');
    out.push('## Findings');
    out.push('');
    for (const line of f) out.push(`- ${line}`);
  }
  const n = notes(r);
  if (n.length > 0) {
    out.push('');
    out.push('## Notes');
    out.push('');
    for (const line of n) out.push(`- ${line}`);
  }
  return out.join('\n') + '\n';
}
