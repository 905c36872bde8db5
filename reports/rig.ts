// The rig in words and chart data: where the CPU went during a variant, whether the machine
// was saturated, and what to change when it was. Pure: a variant in, strings out.
import type { VariantResult } from '../lib/result.js';
import type { RigComponentKind, RigSection } from '../lib/rig/types.js';
import { ms } from './format.js';

const LABEL: Record<RigComponentKind, string> = {
  proxy: 'proxy',
  gateway: 'gateway',
  generator: 'generator',
  upstream: 'upstream',
  postgres: 'PostgreSQL',
  redis: 'Redis',
};

const pct = (x: number | null | undefined) => (x == null ? '–' : `${Math.round(x)} %`);

/** CPU % of one core by component kind (the proxy's instances added up), largest first. */
export function cpuByKind(rig: RigSection): { kind: RigComponentKind; label: string; cpu_pct: number; us_per_req: number | null; count: number }[] {
  const by = new Map<RigComponentKind, { cpu: number; us: number | null; n: number }>();
  for (const c of rig.components) {
    if (c.cpu_pct === null) continue;
    const e = by.get(c.kind) ?? { cpu: 0, us: null, n: 0 };
    e.cpu += c.cpu_pct;
    if (c.us_per_req !== null) e.us = (e.us ?? 0) + c.us_per_req;
    e.n++;
    by.set(c.kind, e);
  }
  return [...by.entries()].map(([kind, e]) => ({ kind, label: LABEL[kind], cpu_pct: e.cpu, us_per_req: e.us, count: e.n })).sort((a, b) => b.cpu_pct - a.cpu_pct);
}

/** "where the CPU went: proxy 81 %, generator 26 %, upstream 12 % of one core (other processes 20 %); machine 96 % busy, CPU pressure 55 %" */
export function whereCpuWent(rig: RigSection): string {
  const parts = cpuByKind(rig).map((k) => `${k.label} ${pct(k.cpu_pct)}`);
  const m = rig.machine;
  const other = m.other_pct !== null && m.other_pct >= 5 ? ` (other processes ${pct(m.other_pct)})` : '';
  const press = m.pressure_p50_pct !== null ? `, CPU pressure ${pct(m.pressure_p50_pct)}` : '';
  return `where the CPU went: ${parts.join(', ')} of one core${other}; machine ${pct(m.busy_p50_pct)} busy (p50 of ${m.cores} cores, max ${pct(m.busy_max_pct)})${press}`;
}

/** What to change when the machine set the figures, in plain words. */
export function rigAdvice(v: VariantResult): string | null {
  const rig = v.rig;
  if (!rig || !rig.saturation.saturated) return null;
  const m = rig.machine;
  const kinds = cpuByKind(rig);
  const proxy = kinds.find((k) => k.kind === 'proxy');
  const gen = kinds.find((k) => k.kind === 'generator');
  const todo: string[] = [];
  if (m.other_pct !== null && m.other_pct >= 25) todo.push(`other processes used ${pct(m.other_pct)} of a core: run on a quiet machine`);
  const instances = rig.components.filter((c) => c.kind === 'proxy' && c.name !== 'proxy primary').length;
  if (proxy && instances > m.cores) todo.push(`run fewer proxy instances (${instances} on ${m.cores} cores)`);
  todo.push('give the gateway its own cores (taskset/cpuset, or a second machine for the load generator and upstream)');
  if (gen && gen.cpu_pct >= 50) todo.push(`the generator alone used ${pct(gen.cpu_pct)} of a core`);
  const top = kinds[0];
  const others = m.other_pct ?? 0;
  const largest = others > (top?.cpu_pct ?? 0) ? `other processes on the machine, ${pct(others)} of a core` : top ? `${top.label}, ${pct(top.cpu_pct)} of a core` : null;
  return (
    `${v.name}: the machine was ${pct(m.busy_p50_pct)} busy and tasks waited for a CPU ${pct(m.pressure_p50_pct)} of the time` +
    `${largest ? ` (the largest user: ${largest})` : ''}, so p99 includes CPU contention, not only the gateway; ` +
    `${todo.join('; ')}.`
  );
}

export interface RigChart {
  t: number[];
  /** cumulative stacks, largest kind at the bottom: stacks[k][i] = sum of kinds 0..k at t[i] */
  labels: string[];
  stacks: (number | null)[][];
  /** the machine's busy share as % of one core (busy % × cores), to read the stack against */
  machine: (number | null)[];
  warmup_s: number;
}

/** The per-second stacked chart of one variant's rig (HTML). */
export function rigChart(rig: RigSection): RigChart {
  const order = cpuByKind(rig).map((k) => k.kind);
  const t = rig.series.map((s) => s.t);
  const stacks: (number | null)[][] = [];
  let acc = rig.series.map(() => 0);
  for (const kind of order) {
    acc = rig.series.map((s, i) => {
      let sum = 0;
      rig.components.forEach((c, j) => {
        if (c.kind === kind) sum += s.cpu_pct[j] ?? 0;
      });
      return acc[i] + sum;
    });
    stacks.push(acc.map((x) => Math.round(x * 10) / 10));
  }
  return {
    t,
    labels: order.map((k) => LABEL[k]),
    stacks,
    machine: rig.series.map((s) => (s.busy_pct === null ? null : Math.round(s.busy_pct * rig.machine.cores * 10) / 10)),
    warmup_s: rig.warmup_s,
  };
}

/** "the gateway added 0.4 ms at p50 and 9.1 ms at p99 over going direct (…)" */
export function directFinding(v: VariantResult): string | null {
  const od = v.overhead_over_direct_ms;
  const d = v.direct;
  if (!od || !d?.overhead_ledger_ms) return null;
  const h = v.overhead_ms;
  const header = h ? `; its own header says ${ms(h.p50)} ms and ${ms(h.p99)} ms` : '';
  if (od.p99 < 0 || od.p50 < 0) {
    // the floor measured worse than the gateway's run: the difference reads noise, not overhead
    return `${v.name}: no overhead over going direct can be read — going direct measured ${ms(d.overhead_ledger_ms.p50)} / ${ms(d.overhead_ledger_ms.p99)} ms at p50 / p99, the gateway's ledger overhead ${ms(v.overhead_ledger_ms?.p50)} / ${ms(v.overhead_ledger_ms?.p99)} ms: the rig's noise exceeds the gateway's cost at this length${header}.`;
  }
  return (
    `${v.name}: the gateway added ${ms(od.p50)} ms at p50 and ${ms(od.p99)} ms at p99 over going direct` +
    ` (ledger overhead ${ms(v.overhead_ledger_ms?.p50)} / ${ms(v.overhead_ledger_ms?.p99)} ms minus the rig's floor going direct, ${ms(d.overhead_ledger_ms.p50)} / ${ms(d.overhead_ledger_ms.p99)} ms, measured ${v.rounds ? 'in every round beside it' : 'right before and after it'})${header}.`
  );
}

/** A window whose p99 was not flat, in words (null when it was, or too short to tell). */
export function steadyFinding(v: VariantResult): string | null {
  const w = v.steady_window;
  if (!w || w.steady) return null;
  const how = w.ratio < 1 ? 'the first half was still settling: lengthen the warm-up (--warmup)' : 'it got worse as the run went on (a queue or memory growing)';
  return `${v.name}: p99 was not steady across the window — ${ms(w.p99_first_half_ms)} ms in the first half, ${ms(w.p99_second_half_ms)} ms in the second (×${w.ratio}); ${how}.`;
}
