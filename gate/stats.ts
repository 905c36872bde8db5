// The gate's statistics, as pure functions: Mann-Whitney U and Wilcoxon signed-rank, seeded
// bootstrap confidence intervals of a ratio, and the decision rule. Inputs are per-TRIAL
// figures (one number per short run), never per-request samples: requests inside one run
// share the machine's mood at that moment, so treating them as independent would make every
// CI absurdly narrow.

/** mulberry32: a tiny, fast, well-mixed 32-bit PRNG; seeded so a gate's verdict is reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/**
 * Hodges–Lehmann location estimate: the median of all pairwise means (Walsh averages, i <= j).
 * The estimator that goes with rank tests like Mann-Whitney: nearly as efficient as the mean
 * on well-behaved trials, yet one trial slowed by a noisy neighbour moves it little (the
 * median wastes half the data; the mean follows the outlier).
 */
export function hodgesLehmann(xs: readonly number[]): number {
  const n = xs.length;
  if (n === 0) return NaN;
  const w = new Float64Array((n * (n + 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) w[k++] = (xs[i] + xs[j]) / 2;
  w.sort();
  const m = w.length >> 1;
  return w.length % 2 === 1 ? w[m] : (w[m - 1] + w[m]) / 2;
}

/** Linear-interpolated quantile (numpy's default), q in [0, 1]. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Complementary error function (Numerical Recipes' erfcc: fractional error < 1.2e-7, plenty for a p-value). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** P(Z > z) for a standard normal Z. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

export interface MannWhitneyResult {
  /** U of the first sample (scipy's `statistic`) */
  u: number;
  /** two-sided p-value */
  p: number;
  method: 'exact' | 'normal';
}

/** Average ranks (1-based) of the pooled samples, plus the tie groups' sizes. */
function rank(pooled: readonly number[]): { ranks: number[]; ties: number[] } {
  const idx = pooled.map((_, i) => i).sort((a, b) => pooled[a] - pooled[b]);
  const ranks = new Array<number>(pooled.length);
  const ties: number[] = [];
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && pooled[idx[j + 1]] === pooled[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k]] = r;
    if (j > i) ties.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, ties };
}

/** Number of arrangements giving each U for sizes (n1, n2): counts[u], by the classic recurrence. */
function exactUCounts(n1: number, n2: number): number[] {
  // f(m, n)[u] = f(m-1, n)[u-n] + f(m, n-1)[u]; built up over m with a rolling table over n.
  const max = n1 * n2;
  let prev: number[][] = [];
  for (let n = 0; n <= n2; n++) prev.push([1]); // m = 0: one arrangement, U = 0
  for (let m = 1; m <= n1; m++) {
    const cur: number[][] = [[1]]; // n = 0
    for (let n = 1; n <= n2; n++) {
      const a = prev[n];
      const b = cur[n - 1];
      const row = new Array<number>(m * n + 1).fill(0);
      for (let u = 0; u < a.length; u++) row[u + n] += a[u];
      for (let u = 0; u < b.length; u++) row[u] += b[u];
      cur.push(row);
    }
    prev = cur;
  }
  const counts = prev[n2];
  while (counts.length < max + 1) counts.push(0);
  return counts;
}

/**
 * Two-sided Mann-Whitney U test. Exact distribution when there are no ties and both samples
 * are small (scipy's `method='auto'` rule: n < 8 each); otherwise the normal approximation with
 * tie correction and continuity correction (scipy's defaults).
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u: NaN, p: NaN, method: 'normal' };
  const { ranks, ties } = rank([...x, ...y]);
  let r1 = 0;
  for (let i = 0; i < n1; i++) r1 += ranks[i];
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const uMax = Math.max(u1, u2);
  if (ties.length === 0 && n1 < 8 && n2 < 8) {
    const counts = exactUCounts(n1, n2);
    let total = 0;
    for (const c of counts) total += c;
    let tail = 0; // P(U >= uMax)
    for (let u = Math.ceil(uMax); u < counts.length; u++) tail += counts[u];
    return { u: u1, p: Math.min(1, (2 * tail) / total), method: 'exact' };
  }
  const n = n1 + n2;
  let tieTerm = 0;
  for (const t of ties) tieTerm += t * t * t - t;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return { u: u1, p: 1, method: 'normal' }; // every value identical
  const z = (uMax - (n1 * n2) / 2 - 0.5) / Math.sqrt(variance);
  return { u: u1, p: Math.min(1, Math.max(0, 2 * normalSf(z))), method: 'normal' };
}

export interface WilcoxonResult {
  /** min(R+, R−), scipy's `statistic` for the two-sided test */
  w: number;
  /** two-sided p-value */
  p: number;
  /** non-zero differences ranked (zeros are dropped: scipy's zero_method='wilcox') */
  n: number;
  method: 'exact' | 'normal';
}

/** Number of subsets of {1..n} with each rank sum w: counts[w], by the knapsack recurrence. */
function exactSignedRankCounts(n: number): number[] {
  const counts = new Array<number>((n * (n + 1)) / 2 + 1).fill(0);
  counts[0] = 1;
  let top = 0;
  for (let r = 1; r <= n; r++) {
    top += r;
    for (let w = top; w >= r; w--) counts[w] += counts[w - r];
  }
  return counts;
}

/**
 * Two-sided Wilcoxon signed-rank test of differences d (the paired test: the rank test that goes
 * with the one-sample Hodges–Lehmann estimate, as Mann-Whitney goes with the two-sample one).
 * Zeros dropped; exact distribution when no |d| ties and n ≤ 50 (2^50 subsets still count
 * exactly in a double), else the normal approximation with tie correction and no continuity
 * correction (scipy.stats.wilcoxon's defaults).
 */
export function wilcoxonSignedRank(d: readonly number[]): WilcoxonResult {
  const nz = d.filter((x) => x !== 0 && Number.isFinite(x));
  const n = nz.length;
  if (n === 0) {
    // every round equal: no evidence of a change (as Mann-Whitney's p = 1 for identical samples)
    return d.length > 0 && d.every((x) => x === 0) ? { w: 0, p: 1, n, method: 'exact' } : { w: NaN, p: NaN, n, method: 'normal' };
  }
  const { ranks, ties } = rank(nz.map(Math.abs));
  let plus = 0;
  for (let i = 0; i < n; i++) if (nz[i] > 0) plus += ranks[i];
  const total = (n * (n + 1)) / 2;
  const w = Math.min(plus, total - plus);
  if (ties.length === 0 && n <= 50) {
    const counts = exactSignedRankCounts(n);
    let tail = 0; // P(W <= w)
    for (let k = 0; k <= w; k++) tail += counts[k];
    return { w, p: Math.min(1, (2 * tail) / 2 ** n), n, method: 'exact' };
  }
  let tieTerm = 0;
  for (const t of ties) tieTerm += t * t * t - t;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  if (!(variance > 0)) return { w, p: 1, n, method: 'normal' };
  const z = (total / 2 - w) / Math.sqrt(variance);
  return { w, p: Math.min(1, Math.max(0, 2 * normalSf(z))), n, method: 'normal' };
}

/** Per round, ln(candidate_i / baseline_i): what the paired interval and the signed-rank test are of. */
export function logRatios(baseline: readonly number[], candidate: readonly number[]): number[] {
  const d = new Array<number>(baseline.length);
  for (let i = 0; i < baseline.length; i++) d[i] = Math.log(candidate[i] / baseline[i]);
  return d;
}

export type Statistic = 'median' | 'mean' | 'hl';
export const STATISTICS: readonly Statistic[] = ['median', 'mean', 'hl'];

export function statisticFn(s: Statistic): (xs: readonly number[]) => number {
  return s === 'median' ? median : s === 'mean' ? mean : hodgesLehmann;
}

export interface RatioCI {
  /** stat(candidate) / stat(baseline) on the samples as measured */
  ratio: number;
  low: number;
  high: number;
  confidence: number;
  resamples: number;
}

export interface BootstrapOptions {
  statistic?: Statistic;
  resamples?: number;
  confidence?: number;
  seed?: number;
}

/** The percentile interval of bootstrap replicates (sorted in place). */
function percentileInterval(replicates: Float64Array, confidence: number): { low: number; high: number } {
  replicates.sort();
  const sorted = Array.from(replicates);
  const alpha = (1 - confidence) / 2;
  return { low: quantile(sorted, alpha), high: quantile(sorted, 1 - alpha) };
}

/**
 * Percentile-bootstrap CI of stat(candidate) / stat(baseline), resampling trials (with
 * replacement) independently on each side. Seeded: same inputs, same interval.
 */
export function bootstrapRatioCI(
  baseline: readonly number[],
  candidate: readonly number[],
  opts: BootstrapOptions = {},
): RatioCI {
  const statistic = opts.statistic ?? 'hl';
  const resamples = opts.resamples ?? 10_000;
  const confidence = opts.confidence ?? 0.95;
  const rand = mulberry32(opts.seed ?? 0x9e3779b9);
  const stat = statisticFn(statistic);
  const ratio = stat(candidate) / stat(baseline);
  if (baseline.length === 0 || candidate.length === 0) return { ratio: NaN, low: NaN, high: NaN, confidence, resamples };
  const ratios = new Float64Array(resamples);
  const bs = new Array<number>(baseline.length);
  const cs = new Array<number>(candidate.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < bs.length; i++) bs[i] = baseline[Math.floor(rand() * baseline.length)];
    for (let i = 0; i < cs.length; i++) cs[i] = candidate[Math.floor(rand() * candidate.length)];
    ratios[r] = stat(cs) / stat(bs);
  }
  return { ratio, ...percentileInterval(ratios, confidence), confidence, resamples };
}

/**
 * The paired interval, for trials run in interleaved rounds (A B, B A …): round i's baseline
 * and candidate ran seconds apart on the machine in the same state, so the ratio of the two
 * cancels what drifts between rounds (the VM's speed, the host's load) — the noise that an
 * unpaired interval has to carry twice. Per round d_i = ln(candidate_i / baseline_i); the
 * ratio is exp(stat(d)) and the interval a percentile bootstrap over rounds (resampled whole,
 * with replacement). Rounds are taken by index and must be as many on both sides.
 */
export function bootstrapPairedRatioCI(
  baseline: readonly number[],
  candidate: readonly number[],
  opts: BootstrapOptions = {},
): RatioCI {
  const resamples = opts.resamples ?? 10_000;
  const confidence = opts.confidence ?? 0.95;
  if (baseline.length !== candidate.length) throw new RangeError(`paired trials need as many rounds a side (${baseline.length} vs ${candidate.length})`);
  const n = baseline.length;
  if (n === 0) return { ratio: NaN, low: NaN, high: NaN, confidence, resamples };
  const rand = mulberry32(opts.seed ?? 0x9e3779b9);
  const stat = statisticFn(opts.statistic ?? 'hl');
  const d = logRatios(baseline, candidate);
  const ratios = new Float64Array(resamples);
  const ds = new Array<number>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) ds[i] = d[Math.floor(rand() * n)];
    ratios[r] = Math.exp(stat(ds));
  }
  return { ratio: Math.exp(stat(d)), ...percentileInterval(ratios, confidence), confidence, resamples };
}

export type Verdict = 'regression' | 'improvement' | 'no significant change';
export type Direction = 'lower' | 'higher';

/**
 * The rule: a regression only when the whole interval lies beyond the tolerance on the bad
 * side (for a lower-is-better figure: CI low > 1 + tolerance); an improvement symmetrically
 * (CI high < 1 - tolerance); anything else is no significant change. Noise widens the
 * interval, so a noisy runner makes the gate quieter, never redder.
 */
export function decide(ci: Pick<RatioCI, 'low' | 'high'>, tolerance: number, direction: Direction = 'lower'): Verdict {
  if (!Number.isFinite(ci.low) || !Number.isFinite(ci.high)) return 'no significant change';
  const worse = direction === 'lower' ? ci.low > 1 + tolerance : ci.high < 1 - tolerance;
  if (worse) return 'regression';
  const better = direction === 'lower' ? ci.high < 1 - tolerance : ci.low > 1 + tolerance;
  return better ? 'improvement' : 'no significant change';
}
