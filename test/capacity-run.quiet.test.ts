// `bench run` of a capacity scenario end to end: a real fake upstream with a service capacity
// (2 servers × 20 ms = 100 req/s), the `direct` target, the open-model search. The 100 ms SLO's
// frontier must land at that capacity (within the step resolution) and the search must say
// the SLO ended it; the result must be one `bench report` reads, and its HTML must draw the
// frontier chart. Quiet: a generator starved by a neighbouring test file would end the search
// on itself (`generator`), honestly, and the test would say nothing about the search.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBench } from './helpers/bench-cli.js';
import { chromiumSkipReason, renderInChromium } from './helpers/chromium.js';
import type { RunResult } from '../lib/result.js';

// on_saturation: note — the suite runs on shared 2-core machines: a saturated step is kept
// (and noted) rather than ending the search, so the test checks the frontier, not the machine
const SCENARIO = `name: capacity-small
upstream:
  latency: fixed:20
  concurrency: 2
load:
  requests:
    - body: { model: fake-openai-endpoint, messages: [{ role: user, content: hi }] }
targets:
  - type: direct
capacity:
  slos_ms: [10, 100]
  start_rate: 25
  step: 2s
  max_step: 2s
  step_warmup: 500ms
  max_steps: 8
  connections: 20
  on_saturation: note
`;

/** `bench run` of a scenario given as text, in a temp dir removed after the test; exit 0 asserted. */
async function runCapacity(t: TestContext, yaml: string): Promise<{ out: Awaited<ReturnType<typeof runBench>>; dir: string; r: RunResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'gb-capacity-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'capacity.yaml');
  writeFileSync(file, yaml);
  const out = await runBench(['run', file, '--out', join(dir, 'out')]);
  assert.equal(out.code, 0, out.stderr);
  return { out, dir, r: JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as RunResult };
}

test('bench run finds the fake upstream’s service capacity as the 100 ms frontier, stopped by the SLO', { timeout: 120_000 }, async (t) => {
  const { out, dir, r } = await runCapacity(t, SCENARIO);
  assert.match(out.stdout, /Capacity frontier/);
  assert.match(out.stdout, /p99 ≤ 100 ms over direct/);
  assert.equal(r.schema, 'gatebench/result@1');
  assert.deepEqual(r.capacity_search?.order, ['direct']);
  const c = r.variants[0].capacity!;
  assert.ok(c, 'the variant carries its capacity extra');
  assert.equal(c.stop_reason, 'slo', JSON.stringify(c.curve));
  assert.equal(c.rig_limited, false);
  const p100 = c.frontier.over_direct.find((p) => p.slo_ms === 100)!;
  assert.equal(p100.kind, 'exact');
  // 100 req/s is the upstream's capacity: a constant arrival rate just under it does not queue,
  // one above it queues without end; the search's resolution is 10 %
  assert.ok(p100.offered_rate! > 50 && p100.offered_rate! <= 105, `frontier at ${p100.offered_rate} req/s`);
  assert.ok(p100.broken_at! > 100 && p100.broken_at! <= 200, `broken at ${p100.broken_at}`);
  assert.ok(p100.max_rps! <= 105);
  // the tighter SLO is no higher than the looser one; every step is on the curve
  const p10 = c.frontier.over_direct.find((p) => p.slo_ms === 10)!;
  assert.ok((p10.offered_rate ?? 0) <= p100.offered_rate!);
  // one row per rate; a doubtful break measured again is one row with its runs
  assert.ok(c.curve.length <= r.variants[0].gateway!.rounds);
  assert.ok(c.curve.some((s) => s.verdict === 'slo' && s.offered_rate > 100));
  assert.equal(c.frontier.header, null, 'direct sends no overhead header');

  // bench report reads it (Markdown with the frontier and the curve)
  const md = await runBench(['report', join(dir, 'out', 'result.json'), '--format', 'md']);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /## Capacity frontier/);
  assert.match(md.stdout, /## Curve/);

  const skip = chromiumSkipReason();
  if (skip) return t.skip(skip);
  const page = await renderInChromium(readFileSync(join(dir, 'out', 'report.html'), 'utf8'));
  assert.deepEqual(page.errors, []);
  const chart = page.canvases.find(([id]) => id === 'chart-capacity');
  assert.ok(chart && chart[1] > 0 && chart[2] > 0, `the capacity chart is drawn: ${JSON.stringify(page.canvases)}`);
});

// The reference at 2 instances under a capacity search (the load spread over both URLs): the
// same upstream capacity found through it, on the client latency and on its own header.
const INSTANCES = `name: capacity-instances-small
upstream:
  latency: fixed:20
  concurrency: 2
load:
  requests:
    - body: { model: fake-openai-endpoint, messages: [{ role: user, content: hi }] }
targets:
  - { type: reference, name: reference-x2, instances: 2 }
capacity:
  slos_ms: [100]
  start_rate: 25
  step: 1500ms
  max_step: 1500ms
  step_warmup: 500ms
  max_steps: 6
  connections: 20
  on_saturation: note
`;

test('bench run searches the reference at 2 instances: both serve, the upstream’s capacity is its 100 ms frontier', { timeout: 120_000 }, async (t) => {
  const { out, r } = await runCapacity(t, INSTANCES);
  const logged = out.stdout + out.stderr;
  assert.match(logged, /target reference-x2: http:\/\/127\.0\.0\.1:\d+, http:\/\/127\.0\.0\.1:\d+\//, 'two instances, two URLs');
  const v = r.variants.find((x) => x.name === 'reference-x2')!;
  assert.ok(v?.capacity, JSON.stringify(r.capacity_search));
  const c = v.capacity;
  assert.equal(c.stop_reason === 'slo' || c.stop_reason === 'max-steps', true, c.stop_reason);
  const p100 = c.frontier.over_direct[0]!;
  assert.ok(p100.offered_rate! >= 50 && p100.offered_rate! <= 105, `frontier at ${p100.offered_rate} req/s: ${JSON.stringify(c.curve)}`);
  assert.ok(c.frontier.header, 'the reference sends its overhead header: a header frontier');
  assert.ok(c.peak_rss_mb! > 0, 'the instances’ processes are sampled');
});
