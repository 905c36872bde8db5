// Against the project's fake upstream at a fixed 50 ms: the generator adds (almost) nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLoad } from '../loadgen/index.js';
import { startUpstream } from '../fake-upstream/index.js';

test('fake upstream at a fixed 50 ms: p50 in [50, 52] ms', async (t) => {
  const up = await startUpstream({ latency: { kind: 'fixed', ms: 50 } });
  t.after(() => up.close());
  const r = await startLoad({
    targets: [up.url],
    // few users: the generator and the upstream share 2 cores with everything else here
    model: { kind: 'closed', users: 2, spawnRate: 1000 },
    durationMs: 2000,
    warmupMs: 300,
    // a small chat request: the time measured is the upstream's 50 ms plus our own cost
    templates: [{ path: '/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: '{{uuid}} hello' }] } }],
  }).result;
  assert.deepEqual(r.failures, {});
  assert.ok(r.requests > 50, String(r.requests));
  assert.ok(r.latency_ms.p50 >= 50 && r.latency_ms.p50 <= 52, `p50 ${r.latency_ms.p50}`);
});
