// Repeatability of the capacity search against a NOISY synthetic gateway: a true p99 curve with
// seeded VM stalls on top (test/capacity-noisy-gateway.ts). Over a fixed seed set, how often the
// frontier lands within 15 % of the true curve's, and how often two runs (two seeds) agree
// within 15 % — the rule scenarios/capacity.yaml must meet — with the settings it ships and with
// the ones it shipped before (start 100 req/s, 3 s steps, ≤ 9 steps, no confirmation).
// Deterministic: a seeded PRNG and no clock. The figures are those measured with this seed set;
// docs/experiments/capacity-repeatability.md has them over 200 seeds and how they were chosen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadScenario } from '../runner/scenario-load.js';
import { noiseStats, type Noise, type NoisyGateway, type Plan } from './capacity-noisy-gateway.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Shaped after the last measured frontiers on the 2-core VM (reference ~400–800 at 5–10 ms, nginx higher, Portkey ~435). */
const GATEWAYS: NoisyGateway[] = [
  { name: 'reference-like', baseMs: 1.0, k: 6, capacity: 1600 },
  { name: 'nginx-like', baseMs: 0.3, k: 2, capacity: 3000 },
  { name: 'portkey-like', baseMs: 2, k: 3, capacity: 600 },
];
/** ~1 stall a step of 3 s, 12 ms on average; and rarer, longer ones (25 ms on average). */
const MODERATE: Noise = { stallsPerS: 0.3, stallMeanMs: 12 };
const HEAVY: Noise = { stallsPerS: 0.15, stallMeanMs: 25 };
const SEEDS = Array.from({ length: 100 }, (_, i) => i + 1);

function shipped(): Plan {
  const c = loadScenario(join(ROOT, 'scenarios', 'capacity.yaml'), {}).capacity!;
  return { search: c.search, stepMs: c.stepMs, minSamples: c.minSamples, maxStepMs: c.maxStepMs, warmupMs: c.stepWarmupMs };
}

const BEFORE: Plan = {
  search: { slosMs: [1, 5, 10, 50, 100], startRate: 100, growth: 2, maxRate: 8000, resolution: 0.15, maxFailureRatio: 0.01, maxSteps: 9, confirmMargin: null },
  stepMs: 3000,
  minSamples: 0,
  maxStepMs: 3000,
  warmupMs: 1000,
};

test('without noise the shipped search finds every frontier within 15 % of the truth (the old one left brackets unsplit at 9 steps)', () => {
  const quiet: Noise = { stallsPerS: 0, stallMeanMs: 1 };
  const now = noiseStats(GATEWAYS, shipped(), quiet, SEEDS);
  const then = noiseStats(GATEWAYS, BEFORE, quiet, SEEDS);
  assert.ok(now.nearTruth >= 0.99, JSON.stringify(now));
  assert.ok(now.targetsAgree >= 0.99, JSON.stringify(now));
  assert.ok(then.nearTruth <= 0.8, JSON.stringify(then));
});

test('with VM stalls the shipped search lands near the truth and repeats far more often than the old one', () => {
  const now = noiseStats(GATEWAYS, shipped(), MODERATE, SEEDS);
  const then = noiseStats(GATEWAYS, BEFORE, MODERATE, SEEDS);
  // measured with these seeds: now 0.93 / 0.92 / 0.67, before 0.63 / 0.66 / 0.21 (heavy: now 0.88 pairs, before 0.58)
  assert.ok(now.nearTruth >= 0.92, `within 15 % of the truth: ${JSON.stringify(now)}`);
  assert.ok(now.pairsAgree >= 0.9, `two runs agree per SLO: ${JSON.stringify(now)}`);
  assert.ok(now.targetsAgree >= 0.65, `two runs agree on all 5 SLOs: ${JSON.stringify(now)}`);
  assert.ok(then.pairsAgree <= 0.7 && then.targetsAgree <= 0.25, JSON.stringify(then));

  const heavy = noiseStats(GATEWAYS, shipped(), HEAVY, SEEDS);
  const heavyThen = noiseStats(GATEWAYS, BEFORE, HEAVY, SEEDS);
  assert.ok(heavy.pairsAgree >= 0.83, JSON.stringify(heavy));
  assert.ok(heavy.pairsAgree - heavyThen.pairsAgree >= 0.2, `${JSON.stringify(heavy)} vs ${JSON.stringify(heavyThen)}`);
});

test('the shipped search fits its time budget: four targets of mean length within max_duration, less 30 s of start-up', () => {
  const c = loadScenario(join(ROOT, 'scenarios', 'capacity.yaml'), {}).capacity!;
  const s = noiseStats(GATEWAYS, shipped(), MODERATE, SEEDS);
  // the fourth target of the scenario is `direct`, no slower than these; measured: 70 s a target
  assert.ok(4 * s.meanSeconds <= c.maxDurationMs! / 1000 - 30, `mean ${s.meanSeconds.toFixed(0)} s a target`);
});
