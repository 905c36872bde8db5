// Findings that survive the noise: the console keeps the few largest differences between
// variants and says how many it left to the Markdown; a difference with an unreliable side says
// it is not the setting's effect; interleaved variants are judged round by round (a paired
// interval that must exclude no change), whatever the machine's drift.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readResult } from '../lib/result-file.js';
import { renderConsole } from '../reports/console.js';
import { renderMarkdown } from '../reports/markdown.js';
import { findings } from '../reports/findings.js';
import { directFinding } from '../reports/rig.js';
import { mulberry32 } from '../gate/stats.js';
import { pairedRatioT99, t995 } from '../lib/paired-t.js';
import { describePaired, pairedChange } from '../reports/paired.js';
import type { RoundFigures, VariantResult } from '../lib/result.js';
import { interleavePlan, interleaves, roundOrder } from '../runner/interleave/plan.js';

const B = new URL('../../test/fixtures/results/run-b.json', import.meta.url).pathname;

test('a 12-variant matrix: the console keeps the 5 largest p99 changes, report.md all of them', () => {
  const b = readResult(B);
  const v = b.variants[0];
  const names: string[] = [];
  for (const i of ['2', '4']) for (const r of ['off', 'on']) for (const c of ['none', 'gcs_bucket', 'langsmith']) names.push(`instances=${i},redis=${r},callbacks=${c}`);
  const variants = names.map((name, k) => ({ ...v, name, integrity: null, reliable: true, unreliable_reasons: [], latency_ms: { ...v.latency_ms, p99: 100 + k * k } }));
  const run = { ...b, variants };
  const all = findings(run).filter((x) => / vs /.test(x));
  assert.ok(all.length > 5, `${all.length} pairs`);
  const omitted = { pairs: 0 };
  const few = findings(run, { maxPairs: 5, omitted }).filter((x) => / vs /.test(x));
  assert.equal(few.length, 5);
  assert.equal(omitted.pairs, all.length - 5);
  // the kept ones are the largest |p99 change|
  const size = (line: string) => Math.abs(Number(/p99 [\d.,]+ → [\d.,]+ ms \(([−+±][\d.]+)%\)/.exec(line)![1].replace('−', '-').replace('±', '')));
  const cut = Math.min(...few.map(size));
  for (const x of all.filter((y) => !few.includes(y))) assert.ok(size(x) <= cut, `${x} left out but larger than ${cut}%`);
  const text = renderConsole(run);
  assert.match(text, new RegExp(`\\(${all.length - 5} more pair\\(s\\) of variants, smaller or with no measurable difference, in report\\.md`));
  assert.equal(renderMarkdown(run).split('\n').filter((l) => / vs /.test(l)).length, all.length);
});

test('a difference with an unreliable side is not stated as the setting\'s effect', () => {
  const b = readResult(B);
  const v = b.variants[0];
  const variants = [
    { ...v, name: 'redis=off', integrity: null, reliable: true, unreliable_reasons: [] },
    { ...v, name: 'redis=on', integrity: null, reliable: false, unreliable_reasons: ['the machine was saturated'], latency_ms: { ...v.latency_ms, p99: v.latency_ms.p99 / 3 } },
  ];
  const f = findings({ ...b, variants }).find((x) => x.startsWith('redis=on vs redis=off'))!;
  assert.match(f, /not to be read as the setting's effect: redis=on unreliable/);
});

// ── interleaved variants: differences judged round by round (reports/paired.ts) ──


/** A variant whose rounds' p99 is `drift[i] × effect × noise`: the machine's drift is shared by the pair. */
function roundsOf(base: VariantResult, name: string, drift: number[], effect: number, rand: () => number, noise: number): VariantResult {
  const rounds: RoundFigures[] = drift.map((d) => {
    const n = () => 1 + (rand() * 2 - 1) * noise;
    return { requests: 1000, rps: 1000 * n(), latency_p50_ms: 50 * d * n(), latency_p99_ms: 100 * d * effect * n(), overhead_p50_ms: null, overhead_p99_ms: null, cpu_us_per_req: 400 * n() };
  });
  const mean = (k: keyof RoundFigures) => rounds.reduce((a, r) => a + (r[k] as number), 0) / rounds.length;
  return { ...base, name, integrity: null, reliable: true, unreliable_reasons: [], overhead_ms: null, rounds, rps: mean('rps'), latency_ms: { ...base.latency_ms, p50: mean('latency_p50_ms'), p99: mean('latency_p99_ms') }, gateway_cpu_us_per_req: mean('cpu_us_per_req') };
}

test('a setting with no effect reads "no measurable difference" however the machine drifted; a real one is stated with its interval', () => {
  const base = readResult(B).variants[0];
  // a VM that slowed 3× during the run: sequential variants would have read this as the setting's effect
  const drift = [1, 1.5, 3, 2.5, 1.2, 1];
  let falseAlarms = 0;
  let found = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const rand = mulberry32(seed);
    const off = roundsOf(base, 'redis=off', drift, 1, rand, 0.1);
    const on = roundsOf(base, 'redis=on', drift, 1, rand, 0.1);
    const p = pairedChange(off, on)!;
    if (p.size > 0) falseAlarms++;
    const slower = roundsOf(base, 'redis=on', drift, 1.3, rand, 0.1);
    const q = pairedChange(off, slower)!;
    if (q.figures.find((f) => f.label === 'p99')!.measurable) found++;
  }
  // 99 % per figure, 4 figures: about 4 % of pairs by chance
  assert.ok(falseAlarms <= 16, `${falseAlarms}/200 null pairs stated a difference`);
  assert.ok(found >= 190, `a +30 % p99 found in ${found}/200`);

  const rand = mulberry32(7);
  const off = roundsOf(base, 'redis=off', drift, 1, rand, 0.1);
  const on = roundsOf(base, 'redis=on', drift, 1, rand, 0.1);
  const text = describePaired(pairedChange(off, on)!);
  assert.match(text, /^no measurable difference at this length \(6 paired rounds; p99 .*99% CI/);
  const slow = describePaired(pairedChange(off, roundsOf(base, 'redis=on', drift, 1.5, rand, 0.05))!);
  assert.match(slow, /^p99 [\d.]+ ms → [\d.]+ ms \(\+\d+% paired, 99% CI \+\d+%…\+\d+%\)/);
});

test('findings of an interleaved matrix: pairs judged round by round; the console keeps only real effects', () => {
  const b = readResult(B);
  const base = b.variants[0];
  const drift = [1, 2, 1.2, 3, 1.1];
  const rand = mulberry32(3);
  const variants = [
    roundsOf(base, 'redis=off,callbacks=none', drift, 1, rand, 0.05),
    roundsOf(base, 'redis=on,callbacks=none', drift, 1, rand, 0.05),
    roundsOf(base, 'redis=off,callbacks=langsmith', drift, 1.4, rand, 0.05),
  ];
  const run = { ...b, variants };
  const all = findings(run).filter((x) => / vs /.test(x));
  assert.ok(all.some((x) => /^redis=on vs redis=off \(callbacks=none\): no measurable difference/.test(x)), all.join('\n'));
  assert.ok(all.some((x) => /^callbacks=langsmith vs callbacks=none \(redis=off\): p99 .*paired/.test(x)), all.join('\n'));
  const omitted = { pairs: 0 };
  const console = findings(run, { maxPairs: 5, omitted }).filter((x) => / vs /.test(x));
  assert.equal(console.length, 1, console.join('\n'));
  assert.equal(omitted.pairs, all.length - 1);
  // fewer than 3 rounds: not judged pairwise (the whole-run figures, as for sequential variants)
  const two = variants.map((v) => ({ ...v, rounds: v.rounds!.slice(0, 2) }));
  assert.equal(pairedChange(two[0], two[1]), null);
});

test('the paired t-interval widens with few rounds (Student t), and t quantiles match the tables', () => {
  assert.equal(t995(1), 63.657);
  assert.equal(t995(10), 3.169);
  assert.ok(Math.abs(t995(120) - 2.617) < 0.002, String(t995(120)));
  // three rounds of the same sign: a bootstrap would exclude 1; t(0.995, 2) = 9.9 does not
  const ci = pairedRatioT99([100, 100, 100], [90, 95, 85]);
  assert.ok(ci.low < 1 && ci.high > 1, JSON.stringify(ci));
  const sure = pairedRatioT99([100, 110, 90, 105, 95, 100], [150, 166, 134, 158, 143, 151]);
  assert.ok(sure.low > 1.4 && sure.high < 1.6, JSON.stringify(sure));
});

test('the interleaved layout: ~10 s rounds, at least 5, none under a second; compare: overrides; rotated order', () => {
  assert.deepEqual(interleavePlan(60_000), { rounds: 6, roundMs: 10_000 });
  assert.deepEqual(interleavePlan(8_000), { rounds: 5, roundMs: 1_600 });
  assert.deepEqual(interleavePlan(3_000), { rounds: 3, roundMs: 1_000 });
  assert.deepEqual(interleavePlan(300_000), { rounds: 30, roundMs: 10_000 });
  assert.deepEqual(interleavePlan(60_000, { rounds: 4 }), { rounds: 4, roundMs: 15_000 });
  assert.deepEqual(interleavePlan(60_000, { round: '20s' }), { rounds: 3, roundMs: 20_000 });
  assert.equal(interleaves(12, {}, false), true);
  assert.equal(interleaves(1, {}, false), false);
  assert.equal(interleaves(12, { interleave: false }, false), false);
  assert.equal(interleaves(12, {}, true), false);
  assert.deepEqual(roundOrder(3, 0), [0, 1, 2]);
  assert.deepEqual(roundOrder(3, 1), [1, 2, 0]);
  assert.deepEqual(roundOrder(3, 4), [1, 2, 0]);
});

test('the overhead over going direct is stated when positive; a floor noisier than the gateway says no reading', () => {
  const base = readResult(B).variants[0];
  const pct = (p50: number, p99: number) => ({ p50, p95: p99, p99, mean: p50 });
  const v = { ...base, name: 'v', direct: { duration_s: 5, requests: 100, failures: 0, latency_ms: pct(50, 60), overhead_ledger_ms: pct(0.2, 3) }, overhead_ledger_ms: { ...base.latency_ms, ...pct(1.2, 10) } };
  const ok = directFinding({ ...v, overhead_over_direct_ms: pct(1, 7) })!;
  assert.match(ok, /^v: the gateway added 1\.00 ms at p50 and 7\.00 ms at p99 over going direct/);
  assert.match(directFinding({ ...v, rounds: [] , overhead_over_direct_ms: pct(1, 7) })!, /measured in every round beside it/);
  const noisy = directFinding({ ...v, overhead_over_direct_ms: pct(1, -105) })!;
  assert.match(noisy, /^v: no overhead over going direct can be read — going direct measured 0\.200 \/ 3\.00 ms/);
  assert.doesNotMatch(noisy, /added/);
});
