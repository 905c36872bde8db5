// A noisy synthetic gateway for the capacity search (no sockets, no clock): a true p99 curve
// with VM stalls on top, seeded. Used by test/capacity-noise.test.ts and by the experiment in
// docs/experiments/capacity-repeatability.md.
//
// The gateway: requests take base + an exponential tail whose p99 is the true curve
// p99(r) = base + k·ρ/(1 − ρ), ρ = r / capacity (an M/M/1-like knee; beyond capacity the queue
// grows without end). The noise: stalls (a VM's steal, a GC pause elsewhere) arrive as a
// Poisson process in wall time; a stall of D ms delays the r·D/1000 requests that arrive
// during it by D down to 0 — so a stall puts r·(D − x)/1000 requests above x whatever the rate,
// and the share of a step it spoils shrinks only with the step's length. The quantile's own
// sampling noise is one normal draw per measurement. A measurement's p99 is solved from its
// counts.
import { createRng, type Rng } from '../fake-upstream/random.js';
import { newSearch, nextRate, recordStep, type SearchOptions, type SearchState } from '../runner/capacity/search.js';
import { stepLengthMs } from '../runner/capacity/capacity-schema.js';
import { frontierOf } from '../runner/capacity/frontier.js';

export interface NoisyGateway {
  name: string;
  /** p99 over direct at a vanishing rate, ms */
  baseMs: number;
  /** the knee's scale, ms */
  k: number;
  /** req/s where the queue grows without end */
  capacity: number;
}

export interface Noise {
  /** stalls a second of wall time */
  stallsPerS: number;
  /** mean stall length, ms (exponential) */
  stallMeanMs: number;
}

export interface Plan {
  search: SearchOptions;
  stepMs: number;
  minSamples: number;
  maxStepMs: number;
  warmupMs: number;
}

/** The true curve's p99 at `rate` (ms). */
export function trueP99(g: NoisyGateway, rate: number): number {
  const rho = rate / g.capacity;
  return rho >= 1 ? Infinity : g.baseMs + (g.k * rho) / (1 - rho);
}

/** The highest rate whose true p99 is within `slo`; null when even a vanishing rate breaks it. */
export function trueFrontier(g: NoisyGateway, slo: number): number | null {
  if (slo <= g.baseMs) return null;
  const y = (slo - g.baseMs) / g.k;
  return (g.capacity * y) / (1 + y);
}

interface Sample {
  n: number;
  z: number;
  stallsMs: number[];
}

function normal(rng: Rng): number {
  const u = Math.max(1e-12, rng());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function poisson(rng: Rng, mean: number): number {
  let k = 0;
  for (let p = Math.exp(-mean), s = rng(); s > p; s *= rng()) k++;
  return k;
}

function measure(rate: number, seconds: number, noise: Noise, rng: Rng): Sample {
  const stalls = poisson(rng, noise.stallsPerS * seconds);
  const stallsMs: number[] = [];
  for (let i = 0; i < stalls; i++) stallsMs.push(-noise.stallMeanMs * Math.log(Math.max(1e-12, rng())));
  return { n: rate * seconds, z: normal(rng), stallsMs };
}

/** p99 (ms) of one measurement at `rate`: the x with 1 % of its requests above. */
export function sampleP99(g: NoisyGateway, rate: number, sample: Sample): number {
  const samples = [sample];
  const p = trueP99(g, rate);
  if (!Number.isFinite(p)) return 5_000;
  const tail = (p - g.baseMs) / Math.log(100);
  const total = samples.reduce((a, s) => a + s.n, 0);
  const above = (x: number): number => {
    const q = x <= g.baseMs ? 1 : Math.exp(-(x - g.baseMs) / tail);
    let c = 0;
    for (const s of samples) {
      c += s.n * q + s.z * Math.sqrt(s.n * q * (1 - q));
      for (const d of s.stallsMs) if (d > x) c += (rate * (d - x)) / 1000;
    }
    return c;
  };
  let lo = 0;
  let hi = 10_000;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (above(mid) > total / 100) lo = mid;
    else hi = mid;
  }
  return hi;
}

export interface SearchRun {
  state: SearchState;
  /** wall time of the search's steps, warm-ups included */
  seconds: number;
}

/** One search of `g` under `plan`, its noise drawn from `seed`. */
export function searchNoisy(g: NoisyGateway, plan: Plan, noise: Noise, seed: number): SearchRun {
  const rng = createRng(seed);
  const state = newSearch(plan.search);
  let seconds = 0;
  for (let rate = nextRate(state); rate !== null; rate = nextRate(state)) {
    const s = stepLengthMs(plan, rate) / 1000;
    seconds += s + plan.warmupMs / 1000;
    const sample = measure(rate, s, noise, rng);
    // each run on its own: the search takes the median run of a re-measured step
    recordStep(state, { rate, achievedRps: rate, p99Ms: sampleP99(g, rate, sample), failureRatio: 0, generatorBehind: false, rigSaturated: false });
  }
  return { state, seconds };
}

/** The found frontier (offered rate) of each SLO. */
export function foundFrontiers(r: SearchRun): (number | null)[] {
  return frontierOf(r.state.steps, r.state.options, r.state.done ?? 'max-steps').map((p) => p.offered_rate);
}

/** Two frontiers agree within `tol` (a ratio); two "none" agree, one "none" does not. */
export function agree(a: number | null, b: number | null, tol: number): boolean {
  if (a === null || b === null) return a === b;
  return Math.max(a, b) / Math.min(a, b) <= 1 + tol;
}

export interface NoiseStats {
  /** share of (gateway, SLO, seed) frontiers within `tol` of the true curve's */
  nearTruth: number;
  /** share of (gateway, SLO, seed pair) frontiers of two runs that agree within `tol` */
  pairsAgree: number;
  /** share of (gateway, seed pair) where every SLO's frontier agrees — what the repeatability rule asks */
  targetsAgree: number;
  /** mean and largest wall time of one search of one target, s */
  meanSeconds: number;
  maxSeconds: number;
}

/** Over `seeds` (used in consecutive pairs), every gateway searched under `plan`. */
export function noiseStats(gateways: readonly NoisyGateway[], plan: Plan, noise: Noise, seeds: readonly number[], tol = 0.15): NoiseStats {
  let near = 0;
  let nearN = 0;
  let pairs = 0;
  let pairsN = 0;
  let targets = 0;
  let targetsN = 0;
  let secs = 0;
  let maxSecs = 0;
  let runs = 0;
  for (const g of gateways) {
    const found = seeds.map((seed) => {
      const r = searchNoisy(g, plan, noise, seed);
      secs += r.seconds;
      maxSecs = Math.max(maxSecs, r.seconds);
      runs++;
      return foundFrontiers(r);
    });
    const truth = plan.search.slosMs.map((slo) => trueFrontier(g, slo));
    for (const f of found)
      f.forEach((x, i) => {
        nearN++;
        if (agree(x, truth[i]!, tol)) near++;
      });
    for (let k = 0; k + 1 < found.length; k += 2) {
      let all = true;
      found[k]!.forEach((x, i) => {
        pairsN++;
        const ok = agree(x, found[k + 1]![i]!, tol);
        if (ok) pairs++;
        else all = false;
      });
      targetsN++;
      if (all) targets++;
    }
  }
  return { nearTruth: near / nearN, pairsAgree: pairs / pairsN, targetsAgree: targets / targetsN, meanSeconds: secs / runs, maxSeconds: maxSecs };
}
