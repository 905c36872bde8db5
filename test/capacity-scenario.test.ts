// The scenario's `capacity:` section: every bad setting reported with its path, the pairing
// with `targets:`, the defaults it resolves to, and upstream.concurrency reaching the
// fake upstream's command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../runner/scenario-load.js';
import { upstreamArgs } from '../runner/services/upstream.js';

const TARGETS = 'targets:\n  - type: direct\n';

test('capacity: every bad setting is reported with its path, all at once', () => {
  const yaml = `${TARGETS}capacity:\n  slos_ms: [0, 5]\n  growth: 1\n  resolution: 2\n  step: soon\n  max_steps: 0\n  bogus: 1\n`;
  const r = parseScenario(yaml, 'x.yaml', {});
  assert.equal(r.scenario, null);
  const p = r.problems.join('\n');
  for (const path of ['capacity.growth', 'capacity.resolution', 'capacity.step', 'capacity.max_steps']) assert.match(p, new RegExp(`^${path.replace(/\./g, '\\.')}: `, 'm'), `${path} in:\n${p}`);
  assert.match(p, /^capacity\.slos_ms\[0\]: expected a p99 SLO/m);
  assert.match(p, /^capacity\.bogus: unknown key/m);
});

test('capacity: needs targets, and start_rate may not exceed max_rate', () => {
  const r = parseScenario('capacity:\n  start_rate: 10\n', 'x.yaml', {});
  assert.equal(r.scenario, null);
  assert.match(r.problems.join('\n'), /^capacity: a capacity search needs targets:/m);
  const r2 = parseScenario(`${TARGETS}capacity:\n  start_rate: 500\n  max_rate: 100\n`, 'x.yaml', {});
  assert.equal(r2.scenario, null);
  assert.match(r2.problems.join('\n'), /^capacity\.start_rate: expected at most max_rate \(100\)/m);
});

test('capacity: defaults, and upstream.concurrency becomes --concurrency', () => {
  const r = parseScenario(`upstream:\n  latency: fixed:20\n  concurrency: 2\n${TARGETS}capacity:\n  slos_ms: [100, 10]\n  step: 2s\n`, 'x.yaml', {});
  assert.deepEqual(r.problems, []);
  const c = r.scenario!.capacity!;
  assert.deepEqual(c.search.slosMs, [10, 100]);
  assert.equal(c.stepMs, 2000);
  assert.equal(c.stepWarmupMs, 1000);
  assert.equal(c.search.growth, 2);
  const args = upstreamArgs(r.scenario!.upstream, 'fixed:20');
  assert.deepEqual(args.slice(args.indexOf('--concurrency'), args.indexOf('--concurrency') + 2), ['--concurrency', '2']);
  // no section, no search; no concurrency, no flag
  const plain = parseScenario(TARGETS, 'x.yaml', {}).scenario!;
  assert.equal(plain.capacity, null);
  assert.ok(!upstreamArgs(plain.upstream, 'fixed:1').includes('--concurrency'));
  assert.match(parseScenario('upstream:\n  concurrency: -1\n', 'x.yaml', {}).problems.join('\n'), /^upstream\.concurrency: expected an integer >= 0/m);
});

test('capacity: the repeatability settings — their defaults, null to switch confirmation off, bad values with their paths', () => {
  const d = parseScenario(`${TARGETS}capacity: {}\n`, 'x.yaml', {}).scenario!.capacity!;
  assert.equal(d.minSamples, 1500);
  assert.equal(d.maxStepMs, 10_000);
  assert.equal(d.search.confirmMargin, 0.25);
  assert.equal(d.maxDurationMs, null);
  const set = parseScenario(`${TARGETS}capacity:\n  min_samples: 800\n  max_step: 4s\n  confirm_margin: null\n  max_duration: 330s\n`, 'x.yaml', {}).scenario!.capacity!;
  assert.equal(set.minSamples, 800);
  assert.equal(set.maxStepMs, 4000);
  assert.equal(set.search.confirmMargin, null);
  assert.equal(set.maxDurationMs, 330_000);
  const bad = parseScenario(`${TARGETS}capacity:\n  min_samples: 0\n  max_step: later\n  confirm_margin: -1\n  max_duration: x\n`, 'x.yaml', {});
  const p = bad.problems.join('\n');
  for (const path of ['capacity.min_samples', 'capacity.max_step', 'capacity.confirm_margin', 'capacity.max_duration']) assert.match(p, new RegExp(`^${path.replace(/\./g, '\\.')}: `, 'm'), `${path} in:\n${p}`);
});
