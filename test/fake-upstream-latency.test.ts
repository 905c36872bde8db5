// Latency models: the samplers' distributions (values, not timing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLatency } from '../fake-upstream/latency.js';
import { createRng } from '../fake-upstream/random.js';

function draw(n: number, f: () => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(f());
  return out.sort((a, b) => a - b);
}
const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

test('fixed, uniform, normal and lognormal samplers match their parameters', () => {
  const rng = createRng(7);
  assert.deepEqual(draw(5, compileLatency({ kind: 'fixed', ms: 50 }, rng)), [50, 50, 50, 50, 50]);

  const u = draw(20_000, compileLatency({ kind: 'uniform', min: 10, max: 50 }, rng));
  assert.ok(u[0] >= 10 && u.at(-1)! <= 50);
  assert.ok(Math.abs(q(u, 0.5) - 30) < 1.5);

  const n = draw(20_000, compileLatency({ kind: 'normal', mean: 50, stddev: 10 }, rng));
  const mean = n.reduce((a, b) => a + b, 0) / n.length;
  assert.ok(Math.abs(mean - 50) < 0.5, `mean ${mean}`);
  assert.ok(Math.abs(q(n, 0.8413) - 60) < 1, `p84 ${q(n, 0.8413)}`);
  // never negative, even with a wide spread
  assert.ok(draw(5000, compileLatency({ kind: 'normal', mean: 5, stddev: 50 }, rng))[0] >= 0);

  const l = draw(50_000, compileLatency({ kind: 'lognormal', median: 50, p99: 200 }, rng));
  assert.ok(Math.abs(q(l, 0.5) - 50) < 2.5, `median ${q(l, 0.5)}`);
  assert.ok(Math.abs(q(l, 0.99) - 200) < 20, `p99 ${q(l, 0.99)}`);
  assert.ok(l[0] > 0);
});

test('the same seed gives the same delays', () => {
  const a = draw(100, compileLatency({ kind: 'lognormal', median: 10, p99: 100 }, createRng(3)));
  const b = draw(100, compileLatency({ kind: 'lognormal', median: 10, p99: 100 }, createRng(3)));
  assert.deepEqual(a, b);
});
