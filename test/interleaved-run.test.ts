// A matrix run interleaved end to end: four variants (1 and 2 instances × no callback and a
// webhook) up side by side on one fake upstream, three rounds each, the direct baseline in
// every round. Each variant's rounds are kept for the paired findings, and its spend rows and
// webhook events are checked against the requests it answered — told apart at the shared
// upstream's sinks by the variant's tenant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../lib/result.js';
import { runBench } from './helpers/bench-cli.js';
import { chromiumSkipReason, renderInChromium } from './helpers/chromium.js';

const SCENARIO = `name: interleaved-small
upstream:
  latency: fixed:5
load:
  users: 20
  spawn_rate: 40
  wait: { between: [0.02, 0.05] }
  duration: 3s
matrix:
  instances: [1, 2]
  callbacks: [none, webhook]
compare:
  rounds: 3
warmup: 1s
`;

test('a matrix runs interleaved: rounds per variant, integrity per variant at a shared upstream, paired findings', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-interleaved-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'm.yaml');
  writeFileSync(file, SCENARIO);
  const out = join(dir, 'out');
  const r = await runBench(['run', file, '--out', out]);
  assert.equal(r.code, 0, r.stderr.slice(-3000));
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult;
  assert.equal(result.interleaved?.rounds, 3);
  assert.deepEqual(result.interleaved?.order, ['instances=1,callbacks=none', 'instances=1,callbacks=webhook', 'instances=2,callbacks=none', 'instances=2,callbacks=webhook']);
  // round 2 starts with the second variant: the order rotates
  assert.match(r.stderr, /round 1\/3 instances=1,callbacks=none\n/);
  assert.match(r.stderr, /round 2\/3 instances=1,callbacks=webhook\nround 2\/3 instances=2,callbacks=none/);
  const expected = new Set<number>();
  for (const v of result.variants) {
    assert.equal(v.rounds?.length, 3, v.name);
    for (const f of v.rounds!) assert.ok(f.requests > 0 && f.latency_p99_ms > 0, `${v.name}: ${JSON.stringify(f)}`);
    assert.equal(v.rounds!.reduce((a, f) => a + f.requests, 0), v.requests, `${v.name}: the rounds add up to the variant`);
    assert.ok(v.integrity?.ok, `${v.name}: ${JSON.stringify(v.integrity)}`);
    const spend = v.integrity!.checks.find((c) => c.name.startsWith('spend log rows'))!;
    // the warm-up's requests are answered (and logged) too
    assert.ok(spend.expected >= v.requests, `${v.name}: ${spend.expected} answered, ${v.requests} measured`);
    const hook = v.integrity!.checks.find((c) => c.name.startsWith('webhook events'));
    assert.equal(hook !== undefined, v.name.endsWith('webhook'), v.name);
    if (hook) {
      assert.equal(hook.expected, spend.expected, `${v.name}: its own requests, not the other variants'`);
      expected.add(hook.expected);
    }
    assert.ok((v.direct?.requests ?? 0) > 0, `${v.name}: the direct baseline ran in the rounds`);
    assert.equal(v.timeseries.length, 0);
  }
  assert.equal(expected.size, 2, 'each webhook variant counted apart');
  assert.match(r.stdout, /Findings/);
  assert.match(r.stdout, /paired rounds|no measurable difference/);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(md, /3 paired rounds/);
  assert.match(md, /## Rounds\n\n.*\n\n\| Variant \| round 1 \| round 2 \| round 3 \|/);
  const skip = chromiumSkipReason();
  if (skip) {
    t.diagnostic(`HTML not rendered: ${skip}`);
    return;
  }
  const html = await renderInChromium(readFileSync(join(out, 'report.html'), 'utf8'));
  assert.deepEqual(html.errors, []);
  assert.ok(html.chartsDrawn >= 2, `the distributions drew: ${html.chartsDrawn}`);
  for (const [id, , ink] of html.canvases) assert.ok(ink > 20, `${id} drew`);
});
