import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bootstrapPairedRatioCI,
  bootstrapRatioCI,
  decide,
  hodgesLehmann,
  mannWhitneyU,
  mean,
  median,
  mulberry32,
  normalSf,
  quantile,
  wilcoxonSignedRank,
} from '../gate/stats.js';

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);

/** n trials of a figure around `centre`, each off by a uniform ±noise (seeded). */
function trials(seed: number, n: number, centre: number, noise = 0.1): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => centre * (1 + (r() * 2 - 1) * noise));
}

describe('basic statistics', () => {
  it('mulberry32 is deterministic per seed and uniform-ish in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    assert.deepEqual(xs.slice(0, 5), Array.from({ length: 5 }, () => b()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    close(mean(xs), 0.5, 0.01, 'mean of 10k uniforms');
    assert.notEqual(mulberry32(43)(), mulberry32(42)());
  });

  it('median, mean, quantile, Hodges–Lehmann', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(mean([1, 2, 3, 6]), 3);
    assert.equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
    assert.equal(quantile([10, 20], 0.5), 15);
    // Walsh averages of [1, 2, 9]: 1, 1.5, 5, 2, 5.5, 9 → median (2 + 5) / 2
    assert.equal(hodgesLehmann([1, 2, 9]), 3.5);
    assert.equal(hodgesLehmann([5]), 5);
    assert.ok(Number.isNaN(median([])));
  });

  it('normalSf matches the standard normal table', () => {
    close(normalSf(0), 0.5, 1e-7, 'sf(0)');
    close(normalSf(1.959964), 0.025, 1e-6, 'sf(1.96)');
    close(normalSf(-1), 0.8413447, 1e-6, 'sf(-1)');
  });
});

describe('Mann-Whitney U (two-sided), against scipy.stats.mannwhitneyu', () => {
  it('normal approximation with ties (scipy docs example): U = 58, p = 0.1329', () => {
    const males = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
    const females = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
    const r = mannWhitneyU(males, females);
    assert.equal(r.u, 58);
    assert.equal(r.method, 'normal');
    close(r.p, 0.13291945818531892, 1e-6, 'p');
  });

  it('normal approximation without ties (n = 10 + 10): U = 22, p = 0.0376', () => {
    const x = [1.1, 2.3, 3.5, 4.2, 5.9, 6.1, 7.4, 8.8, 9.0, 10.5];
    const y = [3.3, 4.8, 6.6, 7.9, 9.7, 11.2, 12.4, 13.1, 14.6, 15.0];
    const r = mannWhitneyU(x, y);
    assert.equal(r.u, 22);
    close(r.p, 0.03763531378731424, 1e-6, 'p');
    assert.equal(mannWhitneyU(y, x).u, 78, 'U of the other sample is n1·n2 − U');
    close(mannWhitneyU(y, x).p, r.p, 1e-12, 'two-sided p is symmetric');
  });

  it('normal approximation with many ties: U = 8.5, p = 0.00907', () => {
    const r = mannWhitneyU([1, 2, 2, 3, 4, 5, 5, 6], [3, 4, 6, 7, 7, 8, 9, 9, 10]);
    assert.equal(r.u, 8.5);
    close(r.p, 0.009072974966142134, 1e-6, 'p');
  });

  it('exact distribution for small samples without ties', () => {
    const r = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    assert.equal(r.method, 'exact');
    assert.equal(r.u, 17);
    close(r.p, 1 / 9, 1e-12, 'p'); // scipy: 0.1111…
    // complete separation of 3 vs 3: 2 of the C(6,3) = 20 orderings are as extreme
    const sep = mannWhitneyU([10, 20, 30], [40, 50, 60]);
    assert.equal(sep.u, 0);
    close(sep.p, 0.1, 1e-12, 'p');
  });

  it('identical samples give p = 1', () => {
    assert.equal(mannWhitneyU([5, 5, 5], [5, 5, 5]).p, 1);
  });
});

describe('Wilcoxon signed-rank (two-sided), against scipy.stats.wilcoxon', () => {
  it('exact distribution without ties: W = 1, p = 0.015625 (n = 8); W = 5, p = 0.0390625 (n = 9)', () => {
    const r = wilcoxonSignedRank([0.05, 0.08, -0.02, 0.11, 0.07, 0.03, 0.09, 0.12]);
    assert.deepEqual([r.w, r.n, r.method], [1, 8, 'exact']);
    close(r.p, 0.015625, 1e-12, 'p');
    const s = wilcoxonSignedRank([0.952, -0.147, 1.022, 0.43, 0.62, 0.59, 0.49, -0.08, 0.01]);
    assert.equal(s.w, 5);
    close(s.p, 0.0390625, 1e-12, 'p');
    close(wilcoxonSignedRank([1, 2, 3, 4, 5, 6, 7, 8]).p, 2 / 256, 1e-15, 'all eight rounds one way: 2 of 256 sign patterns are as extreme');
  });

  it('exact p equals counting all 2^n sign patterns', () => {
    const d = [0.3, -0.1, 0.7, 0.2, -0.5, 0.9, 0.4, 0.6, -0.8, 1.0];
    const r = wilcoxonSignedRank(d);
    const ranks = d.map((x) => [...d].map(Math.abs).sort((a, b) => a - b).indexOf(Math.abs(x)) + 1);
    let asExtreme = 0;
    for (let mask = 0; mask < 1 << d.length; mask++) {
      let plus = 0;
      for (let i = 0; i < d.length; i++) if (mask & (1 << i)) plus += ranks[i];
      if (Math.min(plus, 55 - plus) <= r.w) asExtreme++;
    }
    close(r.p, asExtreme / 1024, 1e-15, 'p');
  });

  it('drops zeros; n = 30 still exact; ties or n > 50 → normal approximation', () => {
    const z = wilcoxonSignedRank([0, 0, 1, 2, 3, -4, 5, 6, 7, 8, 9]);
    assert.deepEqual([z.w, z.n, z.method], [4, 9, 'exact']);
    close(z.p, 0.02734375, 1e-12, 'zeros dropped');
    const x = [0.0373, 0.0611, 0.0365, -0.0452, 0.0653, 0.0423, -0.0068, 0.0491, 0.0382, 0.0347, 0.0214, 0.0473, -0.0168, 0.0119, -0.0041,
      0.0499, 0.022, 0.0054, -0.0191, 0.0071, 0.0204, 0.0062, 0.0847, 0.0703, -0.1156, -0.0745, 0.0113, -0.0011, 0.0307, 0.0309];
    const e = wilcoxonSignedRank(x);
    assert.deepEqual([e.w, e.method], [106, 'exact']);
    close(e.p, 0.008142979815602303, 1e-12, 'n = 30 exact');
    const big = wilcoxonSignedRank([...x, ...Array.from({ length: 25 }, (_, i) => 0.5 + i / 100)]);
    assert.equal(big.method, 'normal');
    close(big.p, 2.6463522375098404e-8, 1e-12, 'n = 55 normal');
    const t = wilcoxonSignedRank([1, 2, 2, 3, -1, 4, 5, -5, 6, 7, 7, 8]);
    assert.deepEqual([t.w, t.method], [9, 'normal']);
    close(t.p, 0.018422125454099002, 1e-8, 'tie-corrected (erfc to 1.2e-7 relative)');
  });

  it('all rounds equal → p = 1; no rounds → NaN', () => {
    assert.equal(wilcoxonSignedRank([0, 0, 0]).p, 1);
    assert.ok(Number.isNaN(wilcoxonSignedRank([]).p));
  });
});

describe('bootstrap CI of the ratio and the decision rule', () => {
  it('is reproducible for a seed and brackets the true ratio', () => {
    const b = trials(1, 10, 100);
    const c = trials(2, 10, 120);
    const one = bootstrapRatioCI(b, c, { seed: 7 });
    assert.deepEqual(bootstrapRatioCI(b, c, { seed: 7 }), one);
    assert.ok(one.low < one.ratio && one.ratio < one.high, JSON.stringify(one));
    assert.ok(one.low < 1.2 && 1.2 < one.high, `the CI ${one.low}–${one.high} misses the true ratio 1.2`);
    assert.equal(one.resamples, 10_000);
    const wider = bootstrapRatioCI(b, c, { seed: 7, confidence: 0.99 });
    assert.ok(wider.low <= one.low && wider.high >= one.high, '99% interval contains the 95% one');
  });

  it('supports median, mean and Hodges–Lehmann', () => {
    const b = [100, 100, 100, 100];
    const c = [110, 110, 110, 150];
    assert.equal(bootstrapRatioCI(b, c, { statistic: 'median' }).ratio, 1.1);
    assert.equal(bootstrapRatioCI(b, c, { statistic: 'mean' }).ratio, 1.2);
    assert.equal(bootstrapRatioCI(b, c, { statistic: 'hl' }).ratio, hodgesLehmann(c) / 100);
  });

  it('decides: regression only when the whole interval is beyond the tolerance', () => {
    assert.equal(decide({ low: 1.11, high: 1.3 }, 0.1), 'regression');
    assert.equal(decide({ low: 1.09, high: 1.3 }, 0.1), 'no significant change');
    assert.equal(decide({ low: 0.7, high: 0.89 }, 0.1), 'improvement');
    assert.equal(decide({ low: 0.95, high: 1.05 }, 0.1), 'no significant change');
    assert.equal(decide({ low: 0.7, high: 0.89 }, 0.1, 'higher'), 'regression', 'for throughput lower is worse');
    assert.equal(decide({ low: NaN, high: NaN }, 0.1), 'no significant change');
  });

  // Synthetic trials: 10 a side, each off by a uniform ±10%, over 20 seeds. These are the
  // gate's operating characteristics; the bounds are what the rule promises, with margin.
  const verdicts = (shift: number, tolerance = 0.1) => {
    const out = { regression: 0, improvement: 0, 'no significant change': 0 };
    for (let s = 1; s <= 20; s++) {
      const ci = bootstrapRatioCI(trials(s * 2, 10, 100), trials(s * 2 + 1, 10, 100 * shift), { seed: s, resamples: 2000 });
      out[decide(ci, tolerance)]++;
    }
    return out;
  };

  it('identical distributions → pass (no false alarm in 20 seeds)', () => {
    assert.deepEqual(verdicts(1), { regression: 0, improvement: 0, 'no significant change': 20 });
  });

  it('a 20% slowdown → fail in most seeds (power)', () => {
    const v = verdicts(1.2);
    assert.ok(v.regression >= 15, `only ${v.regression}/20 detected`);
    assert.equal(v.improvement, 0);
  });

  it('a 3% slowdown with a 10% tolerance → pass', () => {
    assert.equal(verdicts(1.03).regression, 0);
  });

  it('a 20% speed-up → improvement, which passes', () => {
    const v = verdicts(0.8);
    assert.equal(v.regression, 0);
    assert.ok(v.improvement >= 15, `only ${v.improvement}/20 seen as improvements`);
  });
});

describe('the paired interval (interleaved rounds)', () => {
  // The machine's speed drifts by ±20% from round to round; inside a round both sides see the
  // same speed, and the candidate costs 8% more with ±1% noise of its own.
  const drifting = (seed: number, rounds: number, shift: number): [number[], number[]] => {
    const r = mulberry32(seed);
    const b: number[] = [];
    const c: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const speed = 1 + (r() * 2 - 1) * 0.2;
      b.push(100 * speed * (1 + (r() * 2 - 1) * 0.01));
      c.push(100 * shift * speed * (1 + (r() * 2 - 1) * 0.01));
    }
    return [b, c];
  };

  it('cancels the drift between rounds that an unpaired interval must carry', () => {
    const [b, c] = drifting(5, 8, 1.08);
    const paired = bootstrapPairedRatioCI(b, c, { seed: 3 });
    const unpaired = bootstrapRatioCI(b, c, { seed: 3 });
    assert.ok(paired.low > 1.05 && paired.high < 1.11, `paired CI ${paired.low}–${paired.high} should sit tightly around 1.08`);
    assert.equal(decide(paired, 0.03), 'regression');
    assert.ok(unpaired.low < 1.03, `unpaired CI ${unpaired.low}–${unpaired.high} should be too wide to see 8% under ±20% drift`);
    assert.equal(decide(unpaired, 0.03), 'no significant change');
  });

  it('identical sides under drift → no false alarm in 20 seeds; 8% slower → caught in all', () => {
    let alarms = 0;
    let caught = 0;
    for (let s = 1; s <= 20; s++) {
      const [b, c] = drifting(100 + s, 8, 1);
      if (decide(bootstrapPairedRatioCI(b, c, { seed: s, resamples: 2000 }), 0.03) === 'regression') alarms++;
      const [b2, c2] = drifting(200 + s, 8, 1.08);
      if (decide(bootstrapPairedRatioCI(b2, c2, { seed: s, resamples: 2000 }), 0.03) === 'regression') caught++;
    }
    assert.equal(alarms, 0);
    assert.equal(caught, 20);
  });

  it('is exp(HL of the log ratios), reproducible per seed, and needs as many rounds a side', () => {
    const b = [100, 200, 50, 400];
    const c = [110, 220, 55, 440];
    const ci = bootstrapPairedRatioCI(b, c, { seed: 9 });
    close(ci.ratio, 1.1, 1e-12, 'ratio of rounds that are all +10%');
    close(ci.low, 1.1, 1e-12, 'low');
    close(ci.high, 1.1, 1e-12, 'high');
    assert.deepEqual(bootstrapPairedRatioCI(b, c, { seed: 9 }), ci);
    assert.throws(() => bootstrapPairedRatioCI([1, 2, 3], [1, 2]), /as many rounds a side \(3 vs 2\)/);
    assert.ok(Number.isNaN(bootstrapPairedRatioCI([], []).ratio));
  });
});
