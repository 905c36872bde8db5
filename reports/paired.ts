// Differences between two variants that ran interleaved, judged round by round: for each
// figure, round i's ln(b_i / a_i) (the two ran seconds apart, on the machine in one state) and
// its paired t-interval over the rounds (lib/paired-t.ts, 99 %). A difference is stated
// only when its interval excludes "no change"; otherwise the pair reads "no measurable
// difference at this length" — a cache that is never hit cannot make requests faster, and on
// a shared machine sequential variants differ by drift alone. Pure.
import type { RoundFigures, VariantResult } from '../lib/result.js';
import { pairedRatioT99 } from '../lib/paired-t.js';
import { change, int, ms, rps } from './format.js';

export const PAIRED_CONFIDENCE = 0.99;
/** a paired interval needs a few rounds; with fewer the pair is not judged */
export const MIN_PAIRED_ROUNDS = 3;

export interface PairedFigure {
  /** e.g. "p99" */
  label: string;
  /** the two variants' whole-run figures, for the sentence */
  from: number;
  to: number;
  /** b / a, the paired estimate, and its interval */
  ratio: number;
  low: number;
  high: number;
  /** the interval excludes 1 */
  measurable: boolean;
}

export interface PairedChange {
  rounds: number;
  figures: PairedFigure[];
  /** the largest measurable change, |ln ratio| (0 when none): what ranks the findings */
  size: number;
}

interface FigureSpec {
  label: string;
  round: (f: RoundFigures) => number | null;
  whole: (v: VariantResult) => number | null | undefined;
  fmt: (x: number) => string;
}

const FIGURES: readonly FigureSpec[] = [
  { label: 'median latency', round: (f) => f.latency_p50_ms, whole: (v) => v.latency_ms.p50, fmt: (x) => `${ms(x)} ms` },
  { label: 'p99', round: (f) => f.latency_p99_ms, whole: (v) => v.latency_ms.p99, fmt: (x) => `${ms(x)} ms` },
  { label: 'overhead p50', round: (f) => f.overhead_p50_ms, whole: (v) => v.overhead_ms?.p50, fmt: (x) => `${ms(x)} ms` },
  { label: 'overhead p99', round: (f) => f.overhead_p99_ms, whole: (v) => v.overhead_ms?.p99, fmt: (x) => `${ms(x)} ms` },
  { label: 'RPS', round: (f) => f.rps, whole: (v) => v.rps, fmt: (x) => rps(x) },
  { label: 'CPU', round: (f) => f.cpu_us_per_req, whole: (v) => v.gateway_cpu_us_per_req, fmt: (x) => `${int(x)} µs/request` },
];

function series(rounds: readonly RoundFigures[], pick: (f: RoundFigures) => number | null): number[] | null {
  const out: number[] = [];
  for (const f of rounds) {
    const x = pick(f);
    // a ratio needs positive figures in every round
    if (x === null || !(x > 0) || !Number.isFinite(x)) return null;
    out.push(x);
  }
  return out;
}

/** Every figure both variants have in every round, judged by its paired interval; null when not paired. */
export function pairedChange(a: VariantResult, b: VariantResult): PairedChange | null {
  const ra = a.rounds;
  const rb = b.rounds;
  if (!ra || !rb || ra.length !== rb.length || ra.length < MIN_PAIRED_ROUNDS) return null;
  const figures: PairedFigure[] = [];
  let size = 0;
  for (const spec of FIGURES) {
    const xa = series(ra, spec.round);
    const xb = series(rb, spec.round);
    const from = spec.whole(a);
    const to = spec.whole(b);
    if (!xa || !xb || from == null || to == null) continue;
    const ci = pairedRatioT99(xa, xb);
    const measurable = ci.low > 1 || ci.high < 1;
    if (measurable) size = Math.max(size, Math.abs(Math.log(ci.ratio)));
    figures.push({ label: spec.label, from, to, ratio: ci.ratio, low: ci.low, high: ci.high, measurable });
  }
  return { rounds: ra.length, figures, size };
}

const pctOf = (r: number) => change(1, r);

/** "p99 371 → 109 ms (−71% paired, 99% CI −80%…−60%); no measurable difference in RPS, CPU (6 paired rounds)". */
export function describePaired(p: PairedChange): string {
  const real = p.figures.filter((f) => f.measurable);
  const none = p.figures.filter((f) => !f.measurable).map((f) => f.label);
  const conf = Math.round(PAIRED_CONFIDENCE * 100);
  if (real.length === 0) {
    const p99 = p.figures.find((f) => f.label === 'p99');
    const hint = p99 ? `; p99 ${pctOf(p99.ratio)}, ${conf}% CI ${pctOf(p99.low)}…${pctOf(p99.high)}` : '';
    return `no measurable difference at this length (${p.rounds} paired rounds${hint})`;
  }
  const parts = real.map((f) => {
    const show = FIGURES.find((x) => x.label === f.label)!.fmt;
    return `${f.label} ${show(f.from)} → ${show(f.to)} (${pctOf(f.ratio)} paired, ${conf}% CI ${pctOf(f.low)}…${pctOf(f.high)})`;
  });
  const rest = none.length ? `; no measurable difference in ${none.join(', ')}` : '';
  return `${parts.join(', ')}${rest} (${p.rounds} paired rounds)`;
}
