// The fake upstream's service capacity (--concurrency): N servers, a line behind them. The
// queue's arithmetic as a pure function, then a real upstream whose line makes requests wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { ServiceCapacity } from '../fake-upstream/capacity.js';
import { startUpstream } from '../fake-upstream/index.js';
import { optionsFromFlags } from '../fake-upstream/command.js';
import { isGbError } from '../lib/errors.js';

test('two servers of 50 ms: requests arriving together are served two at a time, in order of arrival', () => {
  const c = new ServiceCapacity(2);
  assert.deepEqual([0, 0, 0, 0, 0].map(() => c.admit(50, 1000)), [50, 50, 100, 100, 150]);
  // a server that freed up before the next arrival serves it at once
  assert.equal(c.admit(50, 2000), 50);
  // arrivals spaced wider than the service time never wait; closer than it, the line grows
  const d = new ServiceCapacity(1);
  assert.deepEqual([0, 60, 120].map((t) => d.admit(50, t)), [50, 50, 50]);
  const e = new ServiceCapacity(1);
  assert.deepEqual([0, 40, 80].map((t) => e.admit(50, t)), [50, 60, 70]);
  c.reset();
  assert.equal(c.admit(50, 0), 50);
});

test('a real upstream with --concurrency 1 and 40 ms answers four simultaneous requests one after another', async () => {
  const up = await startUpstream({ latency: { kind: 'fixed', ms: 40 }, concurrency: 1 });
  try {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    const t0 = performance.now();
    const done = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const res = await request(`${up.url}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
        await res.body.json();
        assert.equal(res.statusCode, 200);
        return performance.now() - t0;
      }),
    );
    done.sort((a, b) => a - b);
    // one server: the k-th answer cannot come before k × 40 ms (timers never fire early)
    for (let k = 0; k < 4; k++) assert.ok(done[k] >= (k + 1) * 40 - 1, `answer ${k + 1} after ${done[k].toFixed(1)} ms, before ${(k + 1) * 40} ms`);
  } finally {
    await up.close();
  }
});

test('--concurrency takes a whole number; a bad one is refused with its flag', () => {
  assert.equal(optionsFromFlags({ concurrency: '8' }).concurrency, 8);
  assert.equal(optionsFromFlags({}).concurrency, 0);
  assert.throws(() => optionsFromFlags({ concurrency: 'many' }), (e: unknown) => isGbError(e) && /--concurrency/.test(e.message));
});
