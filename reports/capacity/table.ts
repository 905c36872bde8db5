// The capacity frontier table of a capacity search (runner/capacity): targets as columns,
// one row per SLO (the highest rate whose p99 kept it), then what ended each search and what
// the target costs at its frontier. One data function, two renderings (terminal, Markdown).
import Table from 'cli-table3';
import type { CapacityExtras, CapacityFrontierPoint, RunResult } from '../../lib/result.js';

export interface FrontierTable {
  head: string[];
  rows: string[][];
  notes: string[];
}

const RIG = new Set(['rig', 'generator']);
/** step verdicts the search did not trust: the rig, not the target, set their figures */
const UNTRUSTED = RIG;

/** One frontier cell: "850", "≥ 850 (rig-limited)", "≥ 850 (max-rate)", "< 50" (even the first rate broke it). */
export function frontierCell(p: CapacityFrontierPoint | undefined, startRate: number | null): string {
  if (!p) return '—';
  // no trusted step at all (the rig gave out at once) says nothing about the target
  if (p.kind === 'none') return RIG.has(p.limited_by) && p.broken_at === null ? '— (rig-limited)' : startRate === null ? '—' : `< ${fmtRate(startRate)}`;
  const v = fmtRate(p.max_rps ?? p.offered_rate ?? 0);
  if (p.kind === 'exact') return v;
  return `≥ ${v} (${RIG.has(p.limited_by) ? 'rig-limited' : p.limited_by})`;
}

/** A target's frontier at or above direct's exact one (within RIG_TOLERANCE): the rig's, not the target's. */
export const RIG_TOLERANCE = 0.15;
export function atRigFrontier(p: CapacityFrontierPoint | undefined, direct: CapacityFrontierPoint | undefined): boolean {
  if (!p || !direct || direct.kind !== 'exact' || direct.max_rps === null || p.max_rps === null || p.kind === 'none') return false;
  return p.max_rps >= direct.max_rps * (1 - RIG_TOLERANCE);
}

function fmtRate(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : String(Math.round(x * 10) / 10);
}

/** "3 s" or "3–6 s": a low rate's step lasts longer, for its minimum number of requests. */
function stepSpan(caps: readonly CapacityExtras[]): string {
  const ms = caps.flatMap((c) => c.curve.map((x) => x.step_ms ?? c.step_ms));
  const lo = Math.min(caps[0]!.step_ms, ...ms);
  const hi = Math.max(lo, ...ms);
  return lo === hi ? `${lo / 1000} s` : `${lo / 1000}–${hi / 1000} s (a low rate's step lasts for its minimum number of requests)`;
}

const num = (x: number | null, digits: number) => (x === null ? '—' : digits === 0 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits));

export function frontierTable(r: RunResult): FrontierTable {
  const ts = r.variants.filter((v) => v.capacity);
  const caps = ts.map((v) => v.capacity!) as CapacityExtras[];
  const slos = [...new Set(caps.flatMap((c) => c.slos_ms))].sort((a, b) => a - b);
  const start = (c: CapacityExtras) => (c.curve.length ? c.curve[0].offered_rate : null);
  const rows: string[][] = [];
  // direct (no gateway) has a frontier of its own at low SLOs: the rig's. A target that reaches
  // it carries at least the rig's rate there — a figure about the rig, not the target
  const direct = ts.find((v) => v.settings.target === 'direct')?.capacity;
  let onRig = 0;
  for (const slo of slos) {
    const d = direct?.frontier.over_direct.find((p) => p.slo_ms === slo);
    rows.push([
      `p99 ≤ ${slo} ms over direct (req/s)`,
      ...caps.map((c) => {
        const p = c.frontier.over_direct.find((x) => x.slo_ms === slo);
        const cell = frontierCell(p, start(c));
        if (c === direct || !atRigFrontier(p, d)) return cell;
        onRig++;
        return `${cell} (≈ direct)`;
      }),
    ]);
  }
  if (caps.some((c) => c.frontier.header)) {
    for (const slo of slos) rows.push([`own header p99 ≤ ${slo} ms (req/s)`, ...caps.map((c) => (c.frontier.header ? frontierCell(c.frontier.header.find((p) => p.slo_ms === slo), start(c)) : '—'))]);
  }
  rows.push(['search ended by', ...caps.map((c) => `${c.stop_reason}${c.rig_limited ? ' (rig-limited)' : ''}`)]);
  rows.push(['cores per 1,000 RPS', ...caps.map((c) => num(c.cores_per_1k_rps, 3))]);
  rows.push(['CPU µs/req at the frontier', ...ts.map((v) => num(v.capacity!.best_step === null ? null : (v.capacity!.curve[v.capacity!.best_step].cpu_us_per_req ?? null), 0))]);
  rows.push(['peak RSS (MB)', ...caps.map((c) => num(c.peak_rss_mb, 1))]);
  rows.push(['steps measured', ...caps.map((c) => String(c.curve.length))]);
  const notes: string[] = [];
  const c0 = caps[0];
  if (c0) {
    notes.push(
      `each cell: the most requests a second the target answered while p99 stayed within the SLO, in steps of ${stepSpan(caps)} (+${c0.step_warmup_ms / 1000} s warm-up), open model, coordinated omission corrected; ` +
        `"over direct" = client p99 − the rig floor's p50 (${c0.floor.latency_p50_ms} ms: the same load at ${c0.floor.rate} req/s straight to the upstream)`,
    );
    notes.push('"≥ N (rig-limited)": the generator or the machine ran out before the target did — the frontier is at least N; "< N": even the first rate broke the SLO');
    if (onRig > 0) {
      notes.push(`"(≈ direct)": going direct, with no gateway, broke that SLO at about the same rate (within ${Math.round(RIG_TOLERANCE * 100)} %): the cell is the rig's own frontier (generator, loopback, upstream), which the target reached — its own is at least that; it moves between runs with the machine, not with the target`);
    }
    if (c0.floor_end) notes.push(`the floor's p50 was ${c0.floor.latency_p50_ms} ms before the searches and ${c0.floor_end.latency_p50_ms} ms after (p99 ${c0.floor.latency_p99_ms} → ${c0.floor_end.latency_p99_ms} ms): a drift shifts every "over direct" figure by as much`);
    const again = caps.reduce((n, c) => n + c.curve.filter((x) => x.runs_over_direct_p99_ms).length, 0);
    if (again > 0) notes.push(`${again} doubtful break(s) measured again (a higher rate kept the SLO, or p99 just above it): the step's figure is the median of its runs (the curve lists them)`);
  }
  for (const s of r.capacity_search?.skipped ?? []) notes.push(`${s.name} skipped: ${s.unavailable}`);
  return { head: ['Frontier', ...ts.map((v) => v.name)], rows, notes };
}

export function renderFrontierTable(r: RunResult): string {
  const f = frontierTable(r);
  const t = new Table({ head: f.head, style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' }, colAligns: f.head.map((_h, i) => (i === 0 ? 'left' : 'right')) });
  for (const row of f.rows) t.push(row);
  const out = ['', 'Capacity frontier', t.toString()];
  if (f.notes.length) out.push('', ...f.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

export function renderFrontierMarkdown(r: RunResult): string {
  const f = frontierTable(r);
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['## Capacity frontier', '', `| ${f.head.map(cell).join(' | ')} |`, `| ${f.head.map((_h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const row of f.rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  if (f.notes.length) lines.push('', ...f.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

/** The chart's data: p99 over direct against offered rate, one line per target, the SLOs, the frontier points. */
export interface CapacityChart {
  targets: string[];
  /** per target, its steps sorted by offered rate */
  rate: number[][];
  /** p99 of the trusted steps (null where the step was not trusted) */
  p99: (number | null)[][];
  /** p99 of the steps the rig could not drive (generator or machine verdict), null elsewhere: drawn apart */
  untrusted: (number | null)[][];
  slos: number[];
  /** per target, [offered rate, p99] of each SLO's frontier point */
  frontier: [number, number][][];
}

export function capacityChart(r: RunResult): CapacityChart {
  const ts = r.variants.filter((v) => v.capacity);
  const sorted = ts.map((v) => [...v.capacity!.curve].sort((a, b) => a.offered_rate - b.offered_rate));
  return {
    targets: ts.map((v) => v.name),
    rate: sorted.map((c) => c.map((s) => s.offered_rate)),
    // a log scale has no 0: the floor of the chart is a microsecond
    p99: sorted.map((c) => c.map((s) => (UNTRUSTED.has(s.verdict) ? null : Math.max(0.001, s.over_direct_p99_ms)))),
    untrusted: sorted.map((c) => c.map((s) => (UNTRUSTED.has(s.verdict) ? Math.max(0.001, s.over_direct_p99_ms) : null))),
    slos: [...new Set(ts.flatMap((v) => v.capacity!.slos_ms))].sort((a, b) => a - b),
    frontier: ts.map((v) =>
      v.capacity!.frontier.over_direct
        .filter((p) => p.offered_rate !== null)
        .map((p): [number, number] => [p.offered_rate!, Math.max(0.001, v.capacity!.curve.find((s) => s.offered_rate === p.offered_rate)?.over_direct_p99_ms ?? p.slo_ms)]),
    ),
  };
}
