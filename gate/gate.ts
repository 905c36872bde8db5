// The gate: for each figure, compare the candidate's trials with the baseline's — a location
// estimate of each side, a bootstrap CI of the ratio candidate/baseline, a rank test's p-value
// (Mann-Whitney; Wilcoxon signed-rank for paired rounds) — and decide. Pure: trials in, a
// report out; reading files and exit codes live in command.ts.
import { ERR_INVALID_ARG } from '../lib/errors.js';
import type { TrialRecord } from './records.js';
import { bootstrapPairedRatioCI, bootstrapRatioCI, decide, logRatios, mannWhitneyU, statisticFn, wilcoxonSignedRank, type Direction, type Statistic, type Verdict } from './stats.js';

/**
 * What the gate compares when --figures is not given (those both sides measured).
 * cpu_rel_loadgen first: on a drifting VM its trials spread about a third as much as raw
 * cpu_us_per_req's (docs/gate.md, measured), so it is the one that catches a 10% slowdown.
 */
export const DEFAULT_FIGURES = ['cpu_rel_loadgen', 'cpu_us_per_req', 'latency_p50_rel', 'latency_p99_rel'];
/** Fewer trials than this on a side and the interval means nothing: the figure is not judged. */
export const MIN_TRIALS = 3;

export interface GateOptions {
  /** 0.10 = fail when the candidate is surely more than 10% worse */
  tolerance?: number;
  /** figure names (or base names matching `name[variant]`); default DEFAULT_FIGURES */
  figures?: string[];
  statistic?: Statistic;
  confidence?: number;
  resamples?: number;
  seed?: number;
  /**
   * The trials are rounds of an interleaved run (runInterleaved): baseline[i] and candidate[i]
   * ran back to back. Then each figure's interval is the paired one (bootstrapPairedRatioCI),
   * which cancels the machine's drift between rounds. Off for a committed baseline.
   */
  paired?: boolean;
}

export interface FigureResult {
  figure: string;
  direction: Direction;
  n_baseline: number;
  n_candidate: number;
  /** the statistic (report.statistic) of each side's trials */
  baseline: number;
  candidate: number;
  ratio: number;
  ci_low: number;
  ci_high: number;
  p_value: number;
  /** the rank test behind p_value: Wilcoxon signed-rank of the rounds' ln(candidate / baseline) when paired */
  test: 'mann-whitney' | 'wilcoxon';
  /** the interval is over rounds (paired), not over each side's trials independently */
  paired: boolean;
  verdict: Verdict | 'insufficient data';
  note?: string;
}

export interface GateReport {
  passed: boolean;
  tolerance: number;
  confidence: number;
  statistic: Statistic;
  /** whether paired intervals were asked for (GateOptions.paired); each figure says if it got one */
  paired: boolean;
  figures: FigureResult[];
}

/** Higher-is-better figures; everything else (CPU, latency, overhead) is lower-is-better. */
function directionOf(figure: string): Direction {
  return /^(rps|current_rps|throughput)/.test(figure) ? 'higher' : 'lower';
}

const baseName = (f: string): string => f.replace(/\[.*\]$/, '');

const measured = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

function values(trials: TrialRecord[], figure: string): number[] {
  const out: number[] = [];
  for (const t of trials) {
    const v = t.figures[figure];
    if (measured(v)) out.push(v);
  }
  return out;
}

/**
 * Round i of both sides, where both measured the figure: the pairs of a paired interval.
 * null when the sides have different numbers of trials (no rounds to pair).
 */
function pairs(baseline: TrialRecord[], candidate: TrialRecord[], figure: string): [number[], number[]] | null {
  if (baseline.length !== candidate.length) return null;
  const b: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < baseline.length; i++) {
    const x = baseline[i].figures[figure];
    const y = candidate[i].figures[figure];
    // > 0 as well: a round's ratio (its log, in the paired interval) needs both sides positive
    if (measured(x) && x > 0 && measured(y) && y > 0) {
      b.push(x);
      c.push(y);
    }
  }
  return [b, c];
}

/** The figures to judge: requested ones (errors if a side never measured one) or the defaults present. */
function selectFigures(baseline: TrialRecord[], candidate: TrialRecord[], requested: string[] | undefined): string[] {
  const names = (ts: TrialRecord[]) => new Set(ts.flatMap((t) => Object.keys(t.figures).filter((k) => t.figures[k] !== null)));
  const inBase = names(baseline);
  const inCand = names(candidate);
  const both = [...inCand].filter((f) => inBase.has(f)).sort();
  const wanted = requested ?? DEFAULT_FIGURES;
  const chosen = both.filter((f) => wanted.includes(f) || wanted.includes(baseName(f)));
  if (requested) {
    const problems = requested
      .filter((r) => !chosen.some((f) => f === r || baseName(f) === r))
      .map((r) => `${r}: ${inBase.has(r) || [...inBase].some((f) => baseName(f) === r) ? 'the candidate' : 'the baseline'} has no value for it (both sides have: ${both.join(', ') || 'nothing'})`);
    if (problems.length > 0) throw ERR_INVALID_ARG(['--figures', 'not measured on both sides'], problems);
  }
  if (chosen.length === 0) {
    throw ERR_INVALID_ARG(['input', 'no figure to compare'], [
      `baseline figures: ${[...inBase].join(', ') || 'none'}`,
      `candidate figures: ${[...inCand].join(', ') || 'none'}`,
      `default figures: ${DEFAULT_FIGURES.join(', ')} (choose others with --figures)`,
    ]);
  }
  return chosen;
}

export function runGate(baseline: TrialRecord[], candidate: TrialRecord[], opts: GateOptions = {}): GateReport {
  const tolerance = opts.tolerance ?? 0.1;
  const confidence = opts.confidence ?? 0.95;
  const statistic = opts.statistic ?? 'hl';
  const stat = statisticFn(statistic);
  const figures: FigureResult[] = [];
  for (const figure of selectFigures(baseline, candidate, opts.figures)) {
    const paired = opts.paired === true ? pairs(baseline, candidate, figure) : null;
    const [b, c] = paired ?? [values(baseline, figure), values(candidate, figure)];
    const direction = directionOf(baseName(figure));
    const test = paired !== null ? ('wilcoxon' as const) : ('mann-whitney' as const);
    const row = { figure, direction, n_baseline: b.length, n_candidate: c.length, baseline: stat(b), candidate: stat(c), test, paired: paired !== null };
    const pairNote = opts.paired === true && paired === null ? { note: `not paired: ${baseline.length} vs ${candidate.length} trials` } : {};
    if (b.length < MIN_TRIALS || c.length < MIN_TRIALS) {
      figures.push({ ...row, ratio: row.candidate / row.baseline, ci_low: NaN, ci_high: NaN, p_value: NaN,
        verdict: 'insufficient data', note: `needs at least ${MIN_TRIALS} trials a side` });
      continue;
    }
    const ciOpts = { statistic, confidence, resamples: opts.resamples, seed: opts.seed };
    const ci = paired ? bootstrapPairedRatioCI(b, c, ciOpts) : bootstrapRatioCI(b, c, ciOpts);
    // the p-value is informational (the interval decides); its test matches the interval's pairing
    const p = paired ? wilcoxonSignedRank(logRatios(b, c)).p : mannWhitneyU(c, b).p;
    figures.push({ ...row, ...pairNote, ratio: ci.ratio, ci_low: ci.low, ci_high: ci.high, p_value: p, verdict: decide(ci, tolerance, direction) });
  }
  return { passed: figures.every((f) => f.verdict !== 'regression'), tolerance, confidence, statistic, paired: opts.paired === true, figures };
}

/** `10%`, `0.1`, `10` (taken as percent when > 1) → 0.1. */
export function parseTolerance(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!m) throw ERR_INVALID_ARG(['--tolerance', `expected a percentage like 10% or a fraction like 0.1, found ${JSON.stringify(text)}`]);
  const v = Number(m[1]);
  const frac = m[2] === '%' || v > 1 ? v / 100 : v;
  if (frac >= 1) throw ERR_INVALID_ARG(['--tolerance', `must be below 100%, found ${JSON.stringify(text)}`]);
  return frac;
}
