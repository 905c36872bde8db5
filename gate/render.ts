// The gate's three outputs: a terminal table, a Markdown summary (GitHub step summary and PR
// comment) and JUnit XML (one testcase per figure, so CI dashboards show which figure failed).
import Table from 'cli-table3';
import type { FigureResult, GateReport } from './gate.js';

function num(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}
const ratio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(3)}×` : '–');
const ci = (f: FigureResult): string => (Number.isFinite(f.ci_low) ? `${f.ci_low.toFixed(3)} – ${f.ci_high.toFixed(3)}` : '–');
const pval = (p: number): string => (!Number.isFinite(p) ? '–' : p < 0.001 ? '<0.001' : p.toFixed(3));
/** `n=8/8`, or `8 rounds` when the interval is over paired rounds */
const count = (f: FigureResult): string => (f.paired ? `${f.n_baseline} rounds` : `n=${f.n_baseline}/${f.n_candidate}`);
const pct = (x: number): string => `${+(x * 100).toFixed(1)}%`;
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${pct(x)}`;

function verdictText(f: FigureResult): string {
  if (f.verdict === 'regression') return `✗ regression (${signed(f.ratio - 1)})`;
  if (f.verdict === 'improvement') return `✓ improvement (${signed(f.ratio - 1)})`;
  if (f.verdict === 'insufficient data') return `? insufficient data`;
  return '✓ no significant change';
}

/** How the statistic is named in headers. */
export function statLabel(r: GateReport): string {
  return r.statistic === 'hl' ? 'HL' : r.statistic;
}

export function summaryLine(r: GateReport): string {
  const bad = r.figures.filter((f) => f.verdict === 'regression');
  const unjudged = r.figures.filter((f) => f.verdict === 'insufficient data');
  const tail = unjudged.length > 0 ? ` (not judged, too few trials: ${unjudged.map((f) => f.figure).join(', ')})` : '';
  if (bad.length > 0) return `gate FAILED: ${bad.map((f) => `${f.figure} ${signed(f.ratio - 1)} (CI ${ci(f)}, tolerance ${pct(r.tolerance)})`).join('; ')}${tail}`;
  const better = r.figures.filter((f) => f.verdict === 'improvement');
  if (better.length > 0) return `gate passed: improvement in ${better.map((f) => f.figure).join(', ')}; no significant regression${tail}`;
  return `gate passed: no significant change${tail}`;
}

export function renderGateTable(r: GateReport): string {
  const t = new Table({
    head: ['figure', `baseline ${statLabel(r)}`, `candidate ${statLabel(r)}`, 'ratio', `${Math.round(r.confidence * 100)}% CI`, 'p-value', 'verdict'],
    style: { head: [], border: [] },
  });
  for (const f of r.figures) {
    t.push([`${f.figure} (${count(f)})`, num(f.baseline), num(f.candidate), ratio(f.ratio), ci(f), pval(f.p_value), verdictText(f)]);
  }
  return `${t.toString()}\n${summaryLine(r)}\n`;
}

/**
 * Whether the figures were judged as paired rounds. Not r.paired (what was asked): trials with
 * unequal sides fall back to unpaired, and the footnote must describe what was done.
 */
const judgedPaired = (r: GateReport): boolean => r.figures.some((f) => f.paired);

/** What the ratio column is, for the footnote: a quotient of estimates, or (paired) one estimate of the rounds' quotients. */
function ratioText(r: GateReport, paired: boolean): string {
  const est = r.statistic === 'hl' ? 'Hodges–Lehmann estimate (median of pairwise means)' : r.statistic;
  return paired
    ? `Ratio = exp of the ${est} of the rounds' ln(candidate / baseline); the ${statLabel(r)} columns are each side's own estimate`
    : `Ratio = candidate / baseline of the trials' ${est}`;
}

const mdCell = (s: string): string => s.replace(/\|/g, '\\|');

export function renderGateMarkdown(r: GateReport, title = 'gatebench performance gate'): string {
  const paired = judgedPaired(r);
  const lines = [
    `### ${r.passed ? '✅' : '❌'} ${title}`,
    '',
    `**${summaryLine(r)}**`,
    '',
    `| figure | baseline ${statLabel(r)} | candidate ${statLabel(r)} | ratio | ${Math.round(r.confidence * 100)}% CI | p-value | verdict |`,
    '|---|---:|---:|---:|---:|---:|---|',
    ...r.figures.map((f) =>
      `| \`${mdCell(f.figure)}\` (${count(f)}) | ${num(f.baseline)} | ${num(f.candidate)} | ${ratio(f.ratio)} | ${ci(f)} | ${pval(f.p_value)} | ${mdCell(verdictText(f))} |`),
    '',
    `<sub>${ratioText(r, paired)}; ` +
      `${Math.round(r.confidence * 100)}% CI by bootstrap over ${paired ? 'interleaved rounds, each round\'s candidate/baseline ratio (paired: cancels the runner\'s drift between rounds)' : 'trials'}; ` +
      `p-value by ${paired ? 'Wilcoxon signed-rank (of the rounds\' ratios)' : 'Mann-Whitney U (of the trials)'}; ` +
      `a figure fails only when the whole interval is more than ${pct(r.tolerance)} worse. ` +
      'CPU µs per request and latency relative to the same run\'s direct calibration cancel the runner\'s speed.</sub>',
    '',
  ];
  return lines.join('\n');
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function renderGateJUnit(r: GateReport, suite = 'gatebench.gate'): string {
  const failures = r.figures.filter((f) => f.verdict === 'regression').length;
  const skipped = r.figures.filter((f) => f.verdict === 'insufficient data').length;
  const cases = r.figures.map((f) => {
    const detail = `baseline ${num(f.baseline)}, candidate ${num(f.candidate)}, ratio ${ratio(f.ratio)}, CI ${ci(f)}, p ${pval(f.p_value)} (${f.test === 'wilcoxon' ? 'Wilcoxon signed-rank' : 'Mann-Whitney U'}), tolerance ${pct(r.tolerance)}`;
    const open = `    <testcase classname="${xml(suite)}" name="${xml(f.figure)}" time="0">`;
    if (f.verdict === 'regression') return `${open}\n      <failure message="${xml(`${f.figure} regressed ${pct(f.ratio - 1)}`)}" type="regression">${xml(detail)}</failure>\n    </testcase>`;
    if (f.verdict === 'insufficient data') return `${open}\n      <skipped message="${xml(f.note ?? 'insufficient data')}"/>\n    </testcase>`;
    return `${open}\n      <system-out>${xml(`${f.verdict}: ${detail}`)}</system-out>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="gatebench" tests="${r.figures.length}" failures="${failures}" skipped="${skipped}">`,
    `  <testsuite name="${xml(suite)}" tests="${r.figures.length}" failures="${failures}" skipped="${skipped}" errors="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
