// The seed's "LiteLLM vs Portkey" table for any number of gateways: Metric | each target |
// Comment (which is better and by how much). One data function, two renderings (terminal
// via cli-table3, Markdown). The baselines (`direct`, the zero floor, and `nginx`, the floor
// of a proxy hop) are shown but left out of the comment when there are at least two
// gateways to compare: they are yardsticks, not competitors.
import { whereCpuWent } from '../rig.js';
import Table from 'cli-table3';
import { OVERHEAD_HEADER } from '../../lib/measure.js';
import { failureCount, type Percentiles, type RunResult, type VariantResult } from '../../lib/result.js';

/** A target of a gateway comparison: a variant of its result (`gateway` holds its extras). */
type TargetResult = VariantResult;
/** The target's type (reference, portkey, …): from its extras, else its settings. */
const kindOf = (t: TargetResult): string => t.gateway?.kind ?? String(t.settings?.target ?? t.name);

type Better = 'lower' | 'higher';

const BASELINES = new Set<string>(['direct', 'nginx']);

interface MetricDef {
  label: string;
  better: Better;
  unit: string;
  digits: number;
  value(t: TargetResult): number | null;
  /** a second figure shown beside the value (the gateway's own header) */
  extra?(t: TargetResult): string | null;
}

const pct = (get: (t: TargetResult) => Percentiles | null, k: keyof Percentiles) => (t: TargetResult) => {
  const p = get(t);
  return p && p.count > 0 ? p[k] : null;
};
const headerExtra = (k: keyof Percentiles) => (t: TargetResult) => (t.overhead_ms ? `header ${fmt(t.overhead_ms[k], 2)}` : null);

export const METRICS: MetricDef[] = [
  { label: 'Total requests', better: 'higher', unit: '', digits: 0, value: (t) => t.requests },
  { label: 'Failed requests', better: 'lower', unit: '', digits: 0, value: (t) => failureCount(t.failures) },
  { label: 'Median latency', better: 'lower', unit: 'ms', digits: 2, value: pct((t) => t.latency_ms, 'p50') },
  { label: 'p95 latency', better: 'lower', unit: 'ms', digits: 2, value: pct((t) => t.latency_ms, 'p95') },
  { label: 'p99 latency', better: 'lower', unit: 'ms', digits: 2, value: pct((t) => t.latency_ms, 'p99') },
  { label: 'Average latency', better: 'lower', unit: 'ms', digits: 2, value: pct((t) => t.latency_ms, 'mean') },
  { label: 'Overhead p50', better: 'lower', unit: 'ms', digits: 2, value: pct((t) => t.overhead_ledger_ms ?? null, 'p50'), extra: headerExtra('p50') },
  { label: 'Overhead p95', better: 'lower', unit: 'ms', digits: 2, value: pct((t) => t.overhead_ledger_ms ?? null, 'p95'), extra: headerExtra('p95') },
  { label: 'Overhead p99', better: 'lower', unit: 'ms', digits: 2, value: pct((t) => t.overhead_ledger_ms ?? null, 'p99'), extra: headerExtra('p99') },
  { label: 'RPS', better: 'higher', unit: '', digits: 1, value: (t) => t.rps },
  { label: 'CPU µs per request', better: 'lower', unit: 'µs', digits: 0, value: (t) => t.gateway_cpu_us_per_req ?? null },
  { label: 'RSS', better: 'lower', unit: 'MB', digits: 1, value: (t) => t.gateway_rss_mb ?? null },
];

export function fmt(x: number | null | undefined, digits: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return digits === 0 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits);
}

function ratioText(best: number, worst: number, better: Better): string {
  if (best === worst) return 'Same';
  const word = better === 'lower' ? 'lower' : 'higher';
  const r = better === 'lower' ? worst / best : best / worst;
  if (!Number.isFinite(r)) return word;
  if (r >= 1.5) return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}× ${word}`;
  return `${(Math.abs(r - 1) * 100).toFixed(0)}% ${word}`;
}

/** "reference 24× lower than portkey": best and worst of the compared targets. */
export function comment(m: MetricDef, targets: readonly TargetResult[]): string {
  const gateways = targets.filter((t) => !BASELINES.has(kindOf(t)));
  const pool = (gateways.length >= 2 ? gateways : targets).map((t) => ({ t, v: m.value(t) })).filter((x): x is { t: TargetResult; v: number } => x.v !== null);
  if (pool.length < 2) return '';
  const sorted = pool.slice().sort((a, b) => (m.better === 'lower' ? a.v - b.v : b.v - a.v));
  const best = sorted[0];
  const worst = sorted[sorted.length - 1];
  const rounded = (v: number) => Number(fmt(v, m.digits).replace(/,/g, ''));
  if (rounded(best.v) === rounded(worst.v)) return 'Same';
  if (m.better === 'lower' && best.v === 0) return `${best.t.name} none, ${worst.t.name} ${fmt(worst.v, m.digits)}`;
  const text = ratioText(best.v, worst.v, m.better);
  return `${best.t.name} ${text} than ${worst.t.name}`;
}

export interface GatewayTable {
  head: string[];
  rows: string[][];
  notes: string[];
}

/** The comparison table of a gateway comparison's result (`result.comparison` set). */
export function gatewayTable(result: RunResult): GatewayTable {
  const ts = result.variants;
  const c = result.comparison ?? { rounds: 0, round_ms: 0, order: ts.map((t) => t.name), skipped: [] };
  const head = ['Metric', ...ts.map((t) => t.name), 'Comment'];
  const rows = METRICS.map((m) => {
    const label = m.unit ? `${m.label} (${m.unit})` : m.label;
    const cells = ts.map((t) => {
      const v = fmt(m.value(t), m.digits);
      const extra = m.extra?.(t);
      return extra ? `${v} (${extra})` : v;
    });
    return [label, ...cells, comment(m, ts)];
  });
  const notes = [
    'Lower is better for latency, overhead, CPU and RSS; higher is better for requests and RPS.',
    `Overhead = client latency − the time the fake upstream held the request (its ledger, joined on the request id): measured the same way for every target; "header" is the gateway’s own ${OVERHEAD_HEADER}.`,
    `Targets ran interleaved on one upstream and load: ${c.rounds} round${c.rounds === 1 ? '' : 's'} of ${(c.round_ms / 1000).toFixed(1)} s each (${c.order.join(' → ')}).`,
  ];
  for (const t of ts) {
    const unmatched = t.gateway?.ledger_unmatched ?? 0;
    if (unmatched > 0) notes.push(`${t.name}: ${unmatched} requests had no ledger entry (the gateway dropped the id, or it never reached the upstream).`);
  }
  for (const t of ts) if ((t.gateway_cpu_us_per_req ?? null) === null && kindOf(t) !== 'direct') notes.push(`${t.name}: not a local process — no CPU or RSS.`);
  for (const t of ts) if (t.rig) notes.push(`${t.name}: ${whereCpuWent(t.rig)}`);
  for (const t of ts) if (!t.reliable) notes.push(`${t.name}: UNRELIABLE — ${t.unreliable_reasons.join('; ')}`);
  for (const s of c.skipped) notes.push(`${s.name} (${s.target}): skipped — ${s.unavailable}`);
  return { head, rows, notes };
}

export function renderGatewayTable(result: RunResult, opts: { color?: boolean } = {}): string {
  const g = gatewayTable(result);
  const t = new Table({ head: g.head, style: opts.color ? {} : { head: [], border: [] } });
  for (const r of g.rows) t.push(r);
  return `${t.toString()}\n${g.notes.map((n) => `* ${n}`).join('\n')}`;
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|');

export function renderGatewayMarkdown(result: RunResult): string {
  const g = gatewayTable(result);
  const bold = (s: string) => `**${s}**`;
  const lines = [
    `| ${g.head.map(mdCell).join(' | ')} |`,
    `|${g.head.map((_, i) => (i === 0 || i === g.head.length - 1 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...g.rows.map((r) => `| ${r.map((c, i) => (i === 0 ? bold(mdCell(c)) : mdCell(c))).join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n\n${g.notes.map((n) => `*${n}*`).join('\n\n')}\n`;
}
