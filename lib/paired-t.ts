// The paired interval the findings use for interleaved variants (reports/paired.ts): Student's t
// over a handful of rounds. Pure; in lib/ so that reports/ need not import the gate.
/** Student's t quantile t(0.995, df) for df 1–30 (standard tables); beyond, a Cornish–Fisher expansion. */
const T995 = [63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.25, 3.169, 3.106, 3.055, 3.012, 2.977, 2.947, 2.921, 2.898, 2.878, 2.861, 2.845, 2.831, 2.819, 2.807, 2.797, 2.787, 2.779, 2.771, 2.763, 2.756, 2.75];

export function t995(df: number): number {
  if (!(df >= 1)) return Infinity;
  if (df <= 30) return T995[Math.floor(df) - 1];
  const z = 2.5758293;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

/**
 * The paired t-interval (99 %) of candidate / baseline over rounds: per round d_i = ln(c_i / b_i),
 * mean ± t(0.995, n−1)·s/√n, back-transformed. Where the gate (gate/stats.ts) has tens of trials
 * and bootstraps them, a matrix has a handful of rounds: a percentile bootstrap over 3–6 values is far too
 * narrow (with 3 rounds of one sign it always excludes 1), while Student's t widens the interval
 * as it should for few rounds. 99 % per figure so that the ~6 figures of a pair together err
 * about once in 17 pairs when nothing changed.
 */
export function pairedRatioT99(baseline: readonly number[], candidate: readonly number[]): { ratio: number; low: number; high: number; n: number } {
  const n = Math.min(baseline.length, candidate.length);
  const d = new Array<number>(n);
  for (let i = 0; i < n; i++) d[i] = Math.log(candidate[i] / baseline[i]);
  if (n < 2) return { ratio: n === 1 ? Math.exp(d[0]) : NaN, low: NaN, high: NaN, n };
  let m = 0;
  for (const x of d) m += x / n;
  let ss = 0;
  for (const x of d) ss += (x - m) * (x - m);
  const half = (t995(n - 1) * Math.sqrt(ss / (n - 1))) / Math.sqrt(n);
  return { ratio: Math.exp(m), low: Math.exp(m - half), high: Math.exp(m + half), n };
}
