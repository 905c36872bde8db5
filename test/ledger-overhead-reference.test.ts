// The test of the method: for the reference proxy, which reports its own overhead in
// x-litellm-overhead-duration-ms, the overhead measured from the outside (client times
// joined with the upstream's ledger) must agree with the header — p50 within 0.2 ms.
//
// The ledger also sees what no header can: the wake-ups of the processes on the way (client
// → proxy → upstream and back). Back to back, one request at a time, they cost tens of µs
// each; after idle gaps, or on a machine busy with other work (a 2-core box running other
// test files), up to milliseconds. The `direct` target (upstream in this process, so no
// cross-process hop), interleaved in the same run, gauges that: when even its floor shows
// the machine is busy, the test says so and skips rather than report noise as a verdict.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startUpstream, type StartedUpstream } from '../fake-upstream/index.js';
import { SEED_TEMPLATE } from '../loadgen/index.js';
import { runComparison } from '../runner/targets/compare-run.js';
import { startTarget } from '../runner/targets/index.js';
import { loadgenRound } from '../runner/targets/loadgen-round.js';
import { isUnavailable, type StartedTarget } from '../runner/targets/types.js';

const TOLERANCE_MS = 0.2;
/** the direct floor beyond which the machine is too busy to resolve TOLERANCE_MS */
const NOISE_FLOOR_MS = 0.05;

let up: StartedUpstream;
let tmpDir: string;
let ref: StartedTarget | null = null;

before(async () => {
  up = await startUpstream({ port: 0 });
  tmpDir = await mkdtemp(join(tmpdir(), 'gatebench-ledger-ref-'));
});
after(async () => {
  await ref?.stop();
  await up.close();
  await rm(tmpDir, { recursive: true, force: true });
});

test('reference proxy: ledger overhead agrees with its header (p50 within 0.2 ms)', async (t) => {
  const ctx = { upstreamUrl: up.url, tmpDir, model: 'db-openai-endpoint' };
  const o = await startTarget({ type: 'reference' }, ctx);
  assert.ok(!isUnavailable(o), isUnavailable(o) ? o.unavailable : '');
  ref = o as StartedTarget;
  assert.equal(ref.overheadHeader, 'x-litellm-overhead-duration-ms');
  const direct = (await startTarget({ type: 'direct' }, ctx)) as StartedTarget;
  // one request at a time, back to back: nothing waits in the proxy's queue, nobody sleeps
  const result = await runComparison({
    targets: [ref, direct],
    upstreamUrl: up.url,
    runRound: loadgenRound({ template: SEED_TEMPLATE, model: { kind: 'closed', users: 1, spawnRate: 100, wait: { constant: 0 } }, roundWarmupMs: 300 }),
    rounds: 2,
    roundMs: 1500,
    warmupMs: 500,
  });
  const [r, d] = result.targets;
  assert.equal(r.failed, 0, JSON.stringify(r.failures));
  assert.ok(r.requests > 30, `requests ${r.requests}`);
  assert.equal(r.ledger_unmatched, 0);
  assert.ok(r.overhead_ms && r.overhead_ledger_ms && d.overhead_ledger_ms, 'the header and the ledger both measured');
  assert.ok(r.gateway_cpu_us_per_req !== null && r.gateway_cpu_us_per_req > 0, 'CPU charged to the proxy');
  assert.ok(r.gateway_rss_mb !== null && r.gateway_rss_mb > 10, 'RSS of the proxy');
  // the extra hop can only add: the outside view is never below the gateway's own figure
  assert.ok(r.overhead_ledger_ms.p50 >= r.overhead_ms.p50 - 0.05, 'ledger below header: clocks disagree');
  const header = r.overhead_ms.p50;
  const ledger = r.overhead_ledger_ms.p50;
  const floor = d.overhead_ledger_ms.p50;
  const diag = `header p50 ${header} ms, ledger p50 ${ledger} ms (request path ${r.overhead_request_path_ms?.p50}, response path ${r.overhead_response_path_ms?.p50}); direct floor p50 ${floor} ms`;
  t.diagnostic(diag);
  if (floor > NOISE_FLOOR_MS && Math.abs(header - ledger) > TOLERANCE_MS) {
    t.skip(`machine too busy to resolve ${TOLERANCE_MS} ms: ${diag}`);
    return;
  }
  assert.ok(Math.abs(header - ledger) <= TOLERANCE_MS, diag);
});
