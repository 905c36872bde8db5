// The capacity search as a pure function, driven by synthetic gateways: one that queues beyond
// a service capacity, one that fails beyond it, and rigs that give out before the gateway does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endSearch, newSearch, nextRate, recordStep, stepOf, DEFAULT_SLOS_MS, type SearchOptions, type SearchState, type StepMeasure } from '../runner/capacity/search.js';
import { stepLengthMs } from '../runner/capacity/capacity-schema.js';
import { coresPer1kRps, frontierOf, rigLimited } from '../runner/capacity/frontier.js';

const OPTIONS: SearchOptions = {
  slosMs: DEFAULT_SLOS_MS,
  startRate: 50,
  growth: 2,
  maxRate: 100_000,
  resolution: 0.05,
  maxFailureRatio: 0.01,
  maxSteps: 60,
};

type Model = (rate: number) => Partial<StepMeasure>;

function drive(model: Model, options: Partial<SearchOptions> = {}): SearchState {
  const state = newSearch({ ...OPTIONS, ...options });
  for (let rate = nextRate(state); rate !== null; rate = nextRate(state)) {
    recordStep(state, { rate, achievedRps: rate, p99Ms: 0.2, failureRatio: 0, generatorBehind: false, rigSaturated: false, ...model(rate) });
  }
  return state;
}

/** Within the search's resolution below the true capacity: never above it, never far below. */
function nearBelow(found: number | null, capacity: number, resolution = OPTIONS.resolution): void {
  assert.ok(found !== null, 'a frontier was found');
  assert.ok(found < capacity, `${found} must stay below the capacity ${capacity}`);
  assert.ok(found >= capacity / (1 + resolution) - 1, `${found} must be within ${resolution * 100} % of ${capacity}`);
}

// An M/D/1-like server of capacity N: p99 grows as the utilisation nears 1, then the queue grows without end.
const queueing = (capacity: number): Model => (rate) => ({ p99Ms: rate < capacity ? 0.5 + 2 * (rate / capacity) : 5_000 });

test('a gateway that queues beyond N req/s is found at N for the highest SLO, and each lower SLO where its p99 crosses it', () => {
  for (const capacity of [237, 1_000, 4_321, 20_000]) {
    const s = drive(queueing(capacity));
    assert.equal(s.done, 'slo');
    const f = frontierOf(s.steps, s.options, s.done!);
    const at = (slo: number) => f.find((p) => p.slo_ms === slo)!;
    // p99 = 0.5 + 2 r/N crosses 1 ms at N/4; every higher SLO holds until the queue explodes at N
    nearBelow(at(1).offered_rate, capacity / 4);
    for (const slo of [5, 10, 50, 100]) {
      nearBelow(at(slo).offered_rate, capacity);
      assert.equal(at(slo).kind, 'exact');
      assert.equal(at(slo).limited_by, 'slo');
    }
    const rates = s.steps.map((x) => x.rate);
    assert.equal(new Set(rates).size, rates.length, 'no rate is measured twice');
    assert.ok(s.steps.length <= 25, `${s.steps.length} steps for capacity ${capacity}`);
  }
});

test('a gateway that fails beyond N is found at N, limited by failures, whatever its latency', () => {
  const s = drive((rate) => ({ failureRatio: rate > 800 ? 0.2 : 0, p99Ms: 0.3 }));
  assert.equal(s.done, 'failures');
  for (const p of frontierOf(s.steps, s.options, s.done!)) {
    nearBelow(p.offered_rate, 800.5);
    assert.equal(p.limited_by, 'failures');
    assert.equal(p.kind, 'exact');
  }
});

test('a rig that saturates first ends the search with that reason; the frontier is a lower bound below it', () => {
  const s = drive((rate) => ({ rigSaturated: rate > 1_500, p99Ms: 0.8 }));
  assert.equal(s.done, 'rig');
  assert.ok(rigLimited(s.done!));
  const f = frontierOf(s.steps, s.options, s.done!);
  for (const p of f) {
    assert.equal(p.kind, 'lower-bound');
    assert.equal(p.limited_by, 'rig');
    assert.ok(p.offered_rate! <= 1_500 && p.offered_rate! >= 800, `lower bound ${p.offered_rate}`);
  }
  // nothing is trusted at or above the first saturated rate
  const firstBad = Math.min(...s.steps.filter((x) => x.verdict === 'rig').map((x) => x.rate));
  assert.ok(s.steps.every((x) => x.rate <= firstBad));
});

test('a generator that falls behind is a rig limit too, even when p99 looks broken at that step', () => {
  const s = drive((rate) => (rate > 3_000 ? { generatorBehind: true, p99Ms: 900 } : { p99Ms: 0.5 }));
  assert.equal(s.done, 'generator');
  const top = frontierOf(s.steps, s.options, s.done!).at(-1)!;
  assert.equal(top.kind, 'lower-bound');
  assert.equal(top.limited_by, 'generator');
  assert.equal(top.broken_at, null, 'an untrusted step breaks no SLO');
});

test('brackets found below a rig limit are still bisected', () => {
  // 1 ms breaks at 400; the rig gives out above 1,500
  const s = drive((rate) => ({ p99Ms: rate > 400 ? 3 : 0.4, rigSaturated: rate > 1_500 }));
  assert.equal(s.done, 'rig');
  const f = frontierOf(s.steps, s.options, s.done!);
  nearBelow(f[0]!.offered_rate, 400.5);
  assert.equal(f[0]!.kind, 'exact');
  assert.equal(f[4]!.kind, 'lower-bound');
});

test('an SLO broken at the start rate has no frontier; a target that never breaks stops at the rate limit', () => {
  const slow = drive(() => ({ p99Ms: 7 }));
  const f = frontierOf(slow.steps, slow.options, slow.done!);
  assert.equal(f[0]!.kind, 'none');
  assert.equal(f[0]!.max_rps, null);
  assert.equal(f[1]!.kind, 'none');
  assert.equal(f[2]!.kind, 'lower-bound');

  const fast = drive(() => ({ p99Ms: 0.1 }), { maxRate: 2_000 });
  assert.equal(fast.done, 'max-rate');
  assert.equal(fast.steps.at(-1)!.rate, 2_000);
  assert.ok(frontierOf(fast.steps, fast.options, fast.done!).every((p) => p.kind === 'lower-bound' && p.offered_rate === 2_000));
});

test('noise: a higher rate that passes after a lower one failed does not raise the frontier', () => {
  const s = drive((rate) => ({ p99Ms: rate === 400 ? 500 : rate < 1_000 ? 1 : 500 }));
  const top = frontierOf(s.steps, s.options, s.done!).at(-1)!;
  assert.ok(top.offered_rate! < 400, `the lowest breach (400) bounds the frontier, got ${top.offered_rate}`);
});

test('the step limit bounds the search', () => {
  const s = drive(queueing(10_000), { maxSteps: 5 });
  assert.equal(s.steps.length, 5);
  assert.equal(s.done, 'max-steps');
});

test('the search refuses options that cannot terminate', () => {
  assert.throws(() => newSearch({ ...OPTIONS, growth: 1 }), RangeError);
  assert.throws(() => newSearch({ ...OPTIONS, slosMs: [] }), RangeError);
});

test('cores per 1,000 RPS follow from CPU µs per request', () => {
  assert.equal(coresPer1kRps(250), 0.25);
  assert.equal(coresPer1kRps(null), null);
});

// A doubtful break is measured again: the model answers per measurement, so a spike can hit
// one run of a rate and not the next.
function driveRuns(model: (rate: number, run: number) => Partial<StepMeasure>, options: Partial<SearchOptions> = {}): SearchState {
  const state = newSearch({ ...OPTIONS, ...options });
  const seen = new Map<number, number>();
  for (let rate = nextRate(state); rate !== null; rate = nextRate(state)) {
    const run = (seen.get(rate) ?? 0) + 1;
    seen.set(rate, run);
    recordStep(state, { rate, achievedRps: rate, p99Ms: 0.2, failureRatio: 0, generatorBehind: false, rigSaturated: false, ...model(rate, run) });
  }
  return state;
}

// the true 5 ms frontier is 1,000 req/s (p99 3 ms below it, 7 ms above), the queue explodes at 4,000
const knee = (rate: number) => (rate >= 4_000 ? 5_000 : rate > 1_000 ? 7 : 3);
const at5 = (s: SearchState) => frontierOf(s.steps, s.options, s.done!).find((p) => p.slo_ms === 5)!;

test('a one-off stall at a rate below the frontier holds it down for good without confirmation, not with it', () => {
  // the first run at 200 req/s is spoiled (p99 40 ms); a higher rate then keeps 5 ms
  const spiked = (rate: number, run: number) => ({ p99Ms: rate === 200 && run === 1 ? 40 : knee(rate) });
  const blind = driveRuns(spiked, { confirmMargin: null });
  assert.ok(at5(blind).offered_rate! <= 200, `without confirmation the spike bounds the frontier: ${at5(blind).offered_rate}`);
  const s = driveRuns(spiked, { confirmMargin: 0.5 });
  nearBelow(at5(s).offered_rate, 1_000.5);
  const step = s.steps.find((x) => x.rate === 200)!;
  assert.deepEqual(step.runs.map((r) => r.p99Ms), [40, 3, 3], 'the two runs disagreed on 5 ms: a third decided');
  assert.equal(step.p99Ms, 3, 'the median run');
  assert.equal(step.verdict, 'ok');
  assert.equal(s.measurements, s.steps.reduce((n, x) => n + x.runs.length, 0), 'every run counts');
});

test('a close break is confirmed by a second run that agrees (no third); a far break above every kept rate is not re-measured', () => {
  const s = driveRuns((rate) => ({ p99Ms: knee(rate) }), { confirmMargin: 0.5, slosMs: [5, 100] });
  // 8 ms is within 50 % of 5 ms: each new lowest break of 5 ms is measured twice
  for (const x of s.steps) {
    if (x.p99Ms === 7 && x.rate === at5(s).broken_at) assert.equal(x.runs.length, 2, `${x.rate}`);
    if (x.p99Ms === 5_000) assert.equal(x.runs.length, 1, 'a queue explosion is no close call');
    assert.ok(x.runs.length <= 2);
  }
  nearBelow(at5(s).offered_rate, 1_000.5);
});

test('a break that ended the climb and is overturned lets the climb go on', () => {
  // the first run at 800 req/s breaks 100 ms by a little (120 ms); the truth breaks it at 4,000
  const s = driveRuns((rate, run) => ({ p99Ms: rate === 800 && run === 1 ? 120 : knee(rate) }), { confirmMargin: 0.5 });
  assert.equal(s.done, 'slo');
  const top = frontierOf(s.steps, s.options, s.done!).at(-1)!;
  nearBelow(top.offered_rate, 4_000);
  assert.equal(s.steps.find((x) => x.rate === 800)!.verdict, 'ok');
});

test('re-measurements count against the step limit; a search ended from outside measures nothing more', () => {
  const s = driveRuns((rate, run) => ({ p99Ms: rate === 200 && run === 1 ? 40 : knee(rate) }), { confirmMargin: 0.5, maxSteps: 6 });
  assert.equal(s.measurements, 6);
  assert.ok(s.steps.length < 6);
  assert.equal(s.done, 'max-steps');
  const t = newSearch({ ...OPTIONS, confirmMargin: 0.5 });
  assert.equal(nextRate(t), OPTIONS.startRate);
  recordStep(t, { rate: OPTIONS.startRate, achievedRps: 50, p99Ms: 6, failureRatio: 0, generatorBehind: false, rigSaturated: false });
  assert.equal(nextRate(t), OPTIONS.startRate, 'a close break at the start rate is measured again');
  endSearch(t, 'max-duration');
  assert.equal(nextRate(t), null);
  assert.equal(t.done, 'max-duration');
  assert.equal(t.repeat, null);
});

test('a step is judged on its median run, failures counting as the worst, untrusted if any run was', () => {
  const base: StepMeasure = { rate: 100, achievedRps: 100, p99Ms: 1, failureRatio: 0, generatorBehind: false, rigSaturated: false };
  const o = newSearch({ ...OPTIONS }).options;
  assert.equal(stepOf([{ ...base, p99Ms: 9 }, { ...base, p99Ms: 2 }], o).p99Ms, 9, 'the upper of two');
  assert.equal(stepOf([{ ...base, p99Ms: 9 }, { ...base, p99Ms: 2 }, { ...base, p99Ms: 3 }], o).p99Ms, 3);
  const f = stepOf([{ ...base, p99Ms: 0.5, failureRatio: 0.5 }, { ...base, p99Ms: 2 }, { ...base, p99Ms: 3 }], o);
  assert.equal(f.p99Ms, 3);
  assert.equal(f.pick, 2);
  assert.equal(stepOf([{ ...base }, { ...base, rigSaturated: true }, { ...base }], o).verdict, 'rig');
});

test('a step lasts long enough for min_samples at its rate, between step and max_step', () => {
  const c = { stepMs: 3000, minSamples: 1500, maxStepMs: 6000 };
  assert.equal(stepLengthMs(c, 200), 6000, '7.5 s capped at 6 s');
  assert.equal(stepLengthMs(c, 400), 3750);
  assert.equal(stepLengthMs(c, 2000), 3000, 'never below step');
  assert.equal(stepLengthMs({ ...c, minSamples: 0 }, 200), 3000);
});
