// Logging callbacks against the fake upstream's sinks (GCS media upload, LangSmith runs batch,
// generic webhook): after a clean close, events received = requests recorded; a sink that is
// down at first gets everything once it is up (retries); a full queue drops — counted.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startUpstream, type StartedUpstream } from '../fake-upstream/index.js';
import type { RequestRecord } from '../proxy/hooks.js';
import { freePort } from '../lib/process.js';
import { createStateHooks } from '../proxy/state/index.js';
import { testDatabase, type TestDatabase } from './helpers/services.js';

let db: TestDatabase;
let spill: string;
const ups: StartedUpstream[] = [];
before(async () => {
  db = await testDatabase();
  spill = await mkdtemp(join(tmpdir(), 'gb-state-cb-'));
});
after(async () => {
  for (const u of ups) await u.close();
  await db?.drop();
  await rm(spill, { recursive: true, force: true });
});

let n = 0;
function record(status = 200): RequestRecord {
  const now = Date.now();
  return { requestId: `cb-${process.pid}-${++n}`, keyHash: null, modelGroup: 'gpt-a', deploymentId: 'd1', apiBase: null, status, errorKind: status >= 400 ? 'upstream_error' : null, stream: false, promptTokens: 3, completionTokens: 2, spend: 0, startTimeMs: now - 1, endTimeMs: now, durationMs: 1, overheadMs: 0.1, cacheHit: false, user: null };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function env(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
}

test('gcs_bucket, langsmith and webhook each receive every recorded event (successes and failures)', async (t) => {
  const up = await startUpstream();
  ups.push(up);
  t.after(env({ GCS_BUCKET_NAME: 'gb-logs', STORAGE_EMULATOR_HOST: up.url, LANGSMITH_API_KEY: 'ls-test', LANGSMITH_BASE_URL: up.url, GATEBENCH_WEBHOOK_URL: `${up.url}/webhook` }));
  const state = await createStateHooks({
    config: { litellm_settings: { callbacks: ['gcs_bucket', 'langsmith', 'webhook'] } },
    databaseUrl: db.url,
    spillDir: spill,
    callbackBatchSize: 100,
    callbackIntervalMs: 50,
    log: () => {},
  });
  const N = 1234;
  for (let i = 0; i < N; i++) {
    state.hooks.onRequestDone!(record(i % 10 === 0 ? 500 : 200));
    if (i % 300 === 0) await sleep(5);
  }
  await state.close();
  const s = up.stats().sinks;
  assert.equal(s.gcs.items, N, 'GCS NDJSON lines');
  assert.equal(s.langsmith.items, N, 'LangSmith runs');
  assert.equal(s.webhook.items, N, 'webhook array items');
  assert.ok(s.gcs.requests >= Math.ceil(N / 100) && s.gcs.requests < N, 'batched');
  const m = state.metrics();
  for (const name of ['gcs_bucket', 'langsmith', 'webhook']) {
    assert.equal(m[`callback_${name}_sent`], N);
    assert.equal(m[`callback_${name}_dropped`], 0);
  }
});

test('a sink that is down at first receives everything once it is up (retried with backoff)', async (t) => {
  const port = await freePort();
  t.after(env({ GATEBENCH_WEBHOOK_URL: `http://127.0.0.1:${port}/webhook` }));
  const state = await createStateHooks({ config: { litellm_settings: { success_callback: ['webhook'] } }, databaseUrl: db.url, spillDir: spill, callbackBatchSize: 50, callbackIntervalMs: 50, log: () => {} });
  for (let i = 0; i < 300; i++) state.hooks.onRequestDone!(record());
  await sleep(400);
  assert.ok(state.metrics().callback_webhook_retried > 0, 'sends were retried while the sink was down');
  const up = await startUpstream({ port });
  ups.push(up);
  for (let i = 0; i < 200; i++) state.hooks.onRequestDone!(record());
  state.hooks.onRequestDone!(record(500)); // failure: not a success_callback event
  await state.close();
  assert.equal(up.stats().sinks.webhook.items, 500);
  assert.equal(state.metrics().callback_webhook_sent, 500);
});

test('past the queue bound events are dropped and counted, never silently', async (t) => {
  const port = await freePort(); // nothing listens there
  t.after(env({ GATEBENCH_WEBHOOK_URL: `http://127.0.0.1:${port}/webhook` }));
  const logs: string[] = [];
  const state = await createStateHooks({ config: { litellm_settings: { callbacks: ['webhook'] } }, databaseUrl: db.url, spillDir: spill, callbackMaxQueue: 100, callbackIntervalMs: 50, closeTimeoutMs: 200, log: (m) => logs.push(m) });
  for (let i = 0; i < 150; i++) state.hooks.onRequestDone!(record());
  assert.equal(state.metrics().callback_webhook_dropped, 50);
  await state.close();
  const m = state.metrics();
  assert.equal(m.callback_webhook_dropped, 150, 'what close() could not deliver is counted too');
  assert.equal(m.callback_webhook_sent, 0);
  assert.ok(logs.some((l) => l.includes('queue full')) && logs.some((l) => l.includes('not delivered at close')));
});
