// The capacity search as a pure state machine: which open-model arrival rate to measure next
// for one target, given the steps measured so far. It grows the rate geometrically until a
// step breaks the highest SLO (or fails, or the rig gives out), then bisects the bracket of
// every SLO (geometric midpoints) until each is narrower than the resolution.
//
// It is a state machine, not a loop that calls the measurement, so that the driver can let
// targets take turns between steps (target A's step 3, B's step 3, …) and the machine's drift
// falls on all of them alike, and so that tests can drive it with a synthetic gateway.
//
// One noisy step must not decide a frontier for good: on a VM a single stall (steal) of a few
// tens of ms puts ~1 % of a short step's requests over a 5 or 10 ms SLO. So a break that bounds
// an SLO's frontier and is doubtful — a higher rate kept that SLO (non-monotone), or its p99 is
// within `confirmMargin` above the SLO — is measured again at the same rate, and a third time if
// the two disagree: the step's figure is then the median of the three, so it takes two unlucky
// measurements of three to hold a frontier down. Pooling the measurements (adding histograms)
// was tried and lost: one long stall still spoils twice the requests' p99
// (docs/experiments/capacity-repeatability.md; test/capacity-noise.test.ts keeps the figure).

/** What one measured step at one offered rate says; the driver fills it from a load run. */
export interface StepMeasure {
  /** offered (intended) arrival rate, req/s */
  rate: number;
  /** requests a second actually answered over the step's measured window */
  achievedRps: number;
  /** the latency figure the SLOs are about (ms; p99 of the header overhead or latency − direct) */
  p99Ms: number;
  /** failed / sent over the step */
  failureRatio: number;
  /** the generator fell behind (dropped or late sends) or measured itself as the bottleneck */
  generatorBehind: boolean;
  /** the machine was saturated by the rig's rule during the step */
  rigSaturated: boolean;
}

export type StepVerdict = 'ok' | 'slo' | 'failures' | 'generator' | 'rig';

/** Why the search ended. `rig` and `generator` mean the frontier is a lower bound. */
export type StopReason = 'slo' | 'failures' | 'generator' | 'rig' | 'max-rate' | 'max-steps' | 'max-duration';

export interface SearchOptions {
  /** SLOs on p99, ms, ascending (default 1, 5, 10, 50, 100) */
  slosMs: readonly number[];
  /** first rate measured, req/s */
  startRate: number;
  /** factor between growth steps (e.g. 2) */
  growth: number;
  /** never offer more than this */
  maxRate: number;
  /** a bracket narrower than this (hi/lo − 1) is not split further, e.g. 0.1 */
  resolution: number;
  /** a step whose failure ratio exceeds this broke every SLO */
  maxFailureRatio: number;
  /** hard bound on the number of measurements (a re-measured step counts twice) */
  maxSteps: number;
  /**
   * Re-measure a once-measured break that bounds an SLO's frontier when a higher rate kept that
   * SLO, or when its p99 ≤ SLO × (1 + confirmMargin); a third time when the two disagree on it.
   * null or absent: never (every step measured once).
   */
  confirmMargin?: number | null;
}

export const DEFAULT_SLOS_MS = [1, 5, 10, 50, 100] as const;

/** A step: its figures are those of its median measurement (the upper one of two). */
export interface MeasuredStep extends StepMeasure {
  verdict: StepVerdict;
  /** every measurement of this rate, in order (1 to 3) */
  runs: StepMeasure[];
  /** index into runs of the measurement whose figures the step carries */
  pick: number;
}

export interface SearchState {
  readonly options: SearchOptions;
  /** one per distinct offered rate, in the order first measured */
  readonly steps: MeasuredStep[];
  /** measurements taken (re-measurements included): what maxSteps bounds */
  measurements: number;
  /** index into steps of the step the last nextRate() asked to measure again; null: a new rate */
  repeat: number | null;
  /** index into steps of the climb's highest step (the last one the growth measured) */
  climbTop: number | null;
  /** set when growth ended; the search may still bisect brackets below it */
  growthStop: StopReason | null;
  /** set when nothing more is measured */
  done: StopReason | null;
}

export function newSearch(options: SearchOptions): SearchState {
  const slos = [...options.slosMs].sort((a, b) => a - b);
  if (slos.length === 0) throw new RangeError('capacity search: at least one SLO');
  if (!(options.startRate > 0) || !(options.growth > 1) || !(options.resolution > 0)) throw new RangeError('capacity search: startRate > 0, growth > 1, resolution > 0');
  return { options: { ...options, slosMs: slos }, steps: [], measurements: 0, repeat: null, climbTop: null, growthStop: null, done: null };
}

/** The verdict of a step against the highest SLO; untrusted steps say why they are untrusted. */
export function verdictOf(m: StepMeasure, o: SearchOptions): StepVerdict {
  // a step the rig could not drive says nothing about the gateway, whatever its p99
  if (m.generatorBehind) return 'generator';
  if (m.rigSaturated) return 'rig';
  if (m.failureRatio > o.maxFailureRatio) return 'failures';
  if (m.p99Ms > o.slosMs[o.slosMs.length - 1]!) return 'slo';
  return 'ok';
}

/** Whether a trusted step kept p99 within `slo` (failing steps keep no SLO). */
export function withinSlo(s: MeasuredStep, slo: number, o: SearchOptions): boolean {
  if (s.verdict === 'generator' || s.verdict === 'rig') return false;
  return s.failureRatio <= o.maxFailureRatio && s.p99Ms <= slo;
}

const trusted = (s: MeasuredStep): boolean => s.verdict !== 'generator' && s.verdict !== 'rig';

/**
 * One SLO's bracket over the trusted steps: `hi` the lowest rate that broke it, `lo` the highest
 * rate below `hi` that kept it (null when no step kept it). Noise can make a higher rate pass
 * after a lower one failed; the lowest failing rate wins, which errs on the safe side.
 */
export function bracketOf(steps: readonly MeasuredStep[], slo: number, o: SearchOptions): { lo: number | null; hi: number | null } {
  let hi: number | null = null;
  for (const s of steps) if (trusted(s) && !withinSlo(s, slo, o) && (hi === null || s.rate < hi)) hi = s.rate;
  let lo: number | null = null;
  for (const s of steps) if (withinSlo(s, slo, o) && (hi === null || s.rate < hi) && (lo === null || s.rate > lo)) lo = s.rate;
  return { lo, hi };
}

/**
 * The step to measure again before going on, or null. Only a trusted step that is the lowest
 * break of some SLO matters (it bounds that SLO's frontier); it is measured again when, measured
 * once, it is doubtful — a higher rate kept that SLO (a non-monotone curve: one of the two is
 * noise, and a stall only makes p99 worse), or its p99 lies within the margin above the SLO — and
 * a third time when its two measurements disagree on that SLO. The lowest such rate first.
 */
export function doubtfulStep(state: SearchState): number | null {
  const o = state.options;
  const margin = o.confirmMargin;
  if (margin === null || margin === undefined) return null;
  let best: number | null = null;
  for (const slo of o.slosMs) {
    const { hi } = bracketOf(state.steps, slo, o);
    if (hi === null) continue;
    const i = state.steps.findIndex((s) => s.rate === hi && trusted(s));
    const s = state.steps[i]!;
    let doubt = false;
    if (s.runs.length === 1) {
      const keptAbove = state.steps.some((x) => x.rate > hi && withinSlo(x, slo, o));
      const close = s.failureRatio <= o.maxFailureRatio && s.p99Ms <= slo * (1 + margin);
      doubt = keptAbove || close;
    } else if (s.runs.length === 2) {
      doubt = s.runs.some((r) => keeps(r, slo, o));
    }
    if (doubt && (best === null || s.rate < state.steps[best]!.rate)) best = i;
  }
  return best;
}

const keeps = (m: StepMeasure, slo: number, o: SearchOptions): boolean => m.failureRatio <= o.maxFailureRatio && m.p99Ms <= slo;

/** The rate to measure next, or null when the search is over (then `state.done` says why). */
export function nextRate(state: SearchState): number | null {
  const o = state.options;
  state.repeat = null;
  if (state.done) return null;
  if (state.measurements >= o.maxSteps) return finish(state, state.growthStop ?? 'max-steps');
  const again = doubtfulStep(state);
  if (again !== null) {
    state.repeat = again;
    return state.steps[again]!.rate;
  }
  const last = state.climbTop === null ? undefined : state.steps[state.climbTop];
  if (state.growthStop === null) {
    if (!last) return o.startRate;
    if (last.verdict === 'ok') {
      if (last.rate >= o.maxRate) state.growthStop = 'max-rate';
      else return Math.min(o.maxRate, last.rate * o.growth);
    } else {
      state.growthStop = last.verdict;
    }
  }
  // bisection: the widest bracket first, below any rate the rig could not drive
  const ceiling = lowestUntrusted(state.steps);
  let best: { mid: number; width: number } | null = null;
  for (const slo of o.slosMs) {
    const { lo, hi } = bracketOf(state.steps, slo, o);
    // no upper end: not broken yet; no lower end: broken even at the start rate, which is
    // reported as "below the start rate" rather than searched downwards without end
    if (hi === null || lo === null || hi / lo - 1 <= o.resolution) continue;
    const mid = roundRate(Math.sqrt(lo * hi));
    if (mid <= lo || mid >= hi || (ceiling !== null && mid >= ceiling)) continue;
    const width = hi / lo;
    if (best === null || width > best.width) best = { mid, width };
  }
  if (best) return best.mid;
  return finish(state, state.growthStop ?? 'max-steps');
}

/**
 * Records the measurement of the rate nextRate() returned: a new step, or, when nextRate() asked
 * for a re-measurement (`state.repeat`), one more run of that step, which is judged again on its
 * median run.
 */
export function recordStep(state: SearchState, m: StepMeasure): MeasuredStep {
  state.measurements++;
  const i = state.repeat;
  state.repeat = null;
  if (i !== null) {
    const step = stepOf([...state.steps[i]!.runs, m], state.options);
    state.steps[i] = step;
    // the climb stopped on this step: judged again, it may go on
    if (i === state.climbTop && state.growthStop !== 'max-rate') state.growthStop = null;
    return step;
  }
  const step = stepOf([m], state.options);
  state.steps.push(step);
  if (state.growthStop === null) state.climbTop = state.steps.length - 1;
  return step;
}

/**
 * A step from its runs: the figures of the median run by p99 (the upper of two: the safe side),
 * a run over the failure bound counting as the worst; untrusted if any run was (the rig's rule).
 */
export function stepOf(runs: StepMeasure[], o: SearchOptions): MeasuredStep {
  const badness = (r: StepMeasure) => (r.failureRatio > o.maxFailureRatio ? Infinity : r.p99Ms);
  const order = runs.map((_r, k) => k).sort((a, b) => badness(runs[a]!) - badness(runs[b]!) || a - b);
  const pick = order[Math.floor(order.length / 2)]!;
  const m: StepMeasure = { ...runs[pick]!, generatorBehind: runs.some((r) => r.generatorBehind), rigSaturated: runs.some((r) => r.rigSaturated) };
  return { ...m, verdict: verdictOf(m, o), runs, pick };
}

/** Ends a search from outside (the run's time budget is spent): nothing more is measured. */
export function endSearch(state: SearchState, why: StopReason): void {
  // the climb's own end, if its top step already broke (nextRate would have read it next)
  const top = state.climbTop === null ? undefined : state.steps[state.climbTop];
  if (state.growthStop === null && top && top.verdict !== 'ok') state.growthStop = top.verdict;
  if (!state.done) state.done = why;
  state.repeat = null;
}

function finish(state: SearchState, why: StopReason): null {
  state.done = why;
  return null;
}

function lowestUntrusted(steps: readonly MeasuredStep[]): number | null {
  let r: number | null = null;
  for (const s of steps) if (!trusted(s) && (r === null || s.rate < r)) r = s.rate;
  return r;
}

/** Rates are offered as whole requests a second above 10, tenths below (a rate of 0 sends nothing). */
function roundRate(r: number): number {
  return r >= 10 ? Math.round(r) : Math.max(0.1, Math.round(r * 10) / 10);
}
