// The spend-log invariant: after a load and a clean shutdown, gb_spend_logs holds exactly one row
// per recorded request — also when PostgreSQL is stopped and restarted in the middle (rows are
// retried, spilled to NDJSON past the queue bound, and replayed), and when close() finds the
// database down (the rest spills and the next start replays it).
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import type { RequestRecord } from '../proxy/hooks.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../proxy/state/embedded-postgres.js';
import { freePort } from '../lib/process.js';
import { createStateHooks } from '../proxy/state/index.js';
import { testDatabase } from './helpers/services.js';

let n = 0;
const run = Math.random().toString(36).slice(2, 8);
function record(over: Partial<RequestRecord> = {}): RequestRecord {
  const now = Date.now();
  return { requestId: `${run}-${++n}`, keyHash: null, modelGroup: 'gpt-a', deploymentId: 'd1', apiBase: 'http://127.0.0.1:1/v1', status: 200, errorKind: null, stream: false, promptTokens: 11, completionTokens: 7, spend: 0.000123, startTimeMs: now - 3.5, endTimeMs: now, durationMs: 3.5, overheadMs: 0.25, cacheHit: false, user: 'u1', ...over };
}

async function count(url: string, sql = 'SELECT count(*)::int AS n FROM gb_spend_logs'): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<{ n: number }>(sql)).rows[0].n;
  } finally {
    await c.end();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('N records → N rows after close; replayed request ids are not duplicated; key spend adds up', async (t) => {
  const db = await testDatabase();
  const spill = await mkdtemp(join(tmpdir(), 'gb-spend-'));
  t.after(async () => {
    await db.drop();
    await rm(spill, { recursive: true, force: true });
  });
  const state = await createStateHooks({ config: { general_settings: { proxy_batch_write_at: 0.2 } }, databaseUrl: db.url, spillDir: spill, spendBatchSize: 700, log: () => {} });
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query("INSERT INTO gb_keys (key_hash) VALUES ('k1')");
  await c.end();
  const N = 5000;
  const recs: RequestRecord[] = [];
  for (let i = 0; i < N; i++) {
    const r = record({ keyHash: i % 2 ? 'k1' : null, spend: 0.001, cacheHit: i % 10 === 0 });
    recs.push(r);
    state.hooks.onRequestDone!(r);
    if (i % 1000 === 999) await sleep(10);
  }
  for (let i = 0; i < 300; i++) state.hooks.onRequestDone!(recs[i]); // replays of the same request ids
  await state.close();
  assert.equal(await count(db.url), N);
  assert.equal(await count(db.url, 'SELECT count(*)::int AS n FROM gb_spend_logs WHERE cache_hit'), N / 10);
  const spend = await count(db.url, "SELECT round(spend * 1000)::int AS n FROM gb_keys WHERE key_hash = 'k1'");
  assert.equal(spend, N / 2, 'each inserted row adds its spend once');
  const m = state.metrics();
  assert.equal(m.spend_logs_recorded, N + 300);
  assert.equal(m.spend_logs_written, N + 300);
  assert.equal(m.spend_logs_duplicates, 300);
  assert.equal(m.spend_logs_queued, 0);
  assert.equal(m.spend_logs_failed, 0);
});

test('PostgreSQL restarted mid-load: rows retried, spilled past the bound, replayed — N rows in the end', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'gb-pgrestart-'));
  await chmod(root, 0o755); // the embedded server runs as the postgres user
  const dataDir = join(root, 'data');
  const spill = join(root, 'spill');
  const port = await freePort();
  let pgServer: EmbeddedPostgres | null = await startEmbeddedPostgres({ port, dataDir });
  const logs: string[] = [];
  let state: Awaited<ReturnType<typeof createStateHooks>> | null = null;
  t.after(async () => {
    await state?.close();
    await pgServer?.stop();
    await rm(root, { recursive: true, force: true });
  });
  state = await createStateHooks({ config: { general_settings: { proxy_batch_write_at: 0.1 } }, databaseUrl: pgServer.url, spillDir: spill, spendBatchSize: 200, spendMaxQueue: 400, log: (m) => logs.push(m) });
  let recorded = 0;
  const push = async (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      for (let i = 0; i < 40; i++) (state!.hooks.onRequestDone!(record()), recorded++);
      await sleep(20);
    }
  };
  await push(600);
  await pgServer.stop(); // fast shutdown: every connection of the pool is cut
  pgServer = null;
  await push(1500); // ~3000 rows while down: kept, then spilled past 400
  pgServer = await startEmbeddedPostgres({ port, dataDir, reuse: true });
  await push(600);
  await state.close();
  const m = state.metrics();
  state = null;
  assert.equal(await count(pgServer.url), recorded, `rows = records (${recorded})`);
  assert.ok(m.spend_logs_retried > 0, 'rows were retried');
  assert.ok(m.spend_logs_spilled > 0, 'rows spilled past the bound');
  assert.equal(m.spend_logs_replayed, m.spend_logs_spilled, 'every spilled row was replayed');
  assert.equal(m.spend_logs_failed, 0);
  assert.deepEqual((await readdir(spill)).filter((f) => !f.startsWith('.')), [], 'spill files are removed once replayed');
  assert.equal(logs.filter((l) => l.includes('database unavailable')).length, 1, 'the outage is logged once');
});

test('close() with the database down spills the rest; the next start replays it', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'gb-pgdown-'));
  await chmod(root, 0o755);
  const dataDir = join(root, 'data');
  const spill = join(root, 'spill');
  const port = await freePort();
  let pgServer: EmbeddedPostgres | null = await startEmbeddedPostgres({ port, dataDir });
  t.after(async () => {
    await pgServer?.stop();
    await rm(root, { recursive: true, force: true });
  });
  const opts = { config: {}, databaseUrl: pgServer.url, spillDir: spill, closeTimeoutMs: 300, log: () => {} };
  const a = await createStateHooks(opts);
  for (let i = 0; i < 1000; i++) a.hooks.onRequestDone!(record());
  await pgServer.stop();
  pgServer = null;
  await a.close();
  assert.equal(a.metrics().spend_logs_spilled, 1000);
  assert.equal((await readdir(spill)).filter((f) => f.startsWith('spend-')).length, 1);
  pgServer = await startEmbeddedPostgres({ port, dataDir, reuse: true });
  const b = await createStateHooks(opts);
  for (let i = 0; i < 10 && (await readdir(spill)).some((f) => f.startsWith('spend-')); i++) await sleep(100);
  await b.close();
  assert.equal(b.metrics().spend_logs_replayed, 1000);
  assert.equal(await count(pgServer.url), 1000);
});

test('disable_spend_logs: no rows, key spend still adds up', async (t) => {
  const db = await testDatabase();
  const spill = await mkdtemp(join(tmpdir(), 'gb-spend-off-'));
  t.after(async () => {
    await db.drop();
    await rm(spill, { recursive: true, force: true });
  });
  const state = await createStateHooks({ config: { general_settings: { disable_spend_logs: true } }, databaseUrl: db.url, spillDir: spill, log: () => {} });
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query("INSERT INTO gb_keys (key_hash) VALUES ('k2')");
  await c.end();
  for (let i = 0; i < 100; i++) state.hooks.onRequestDone!(record({ keyHash: 'k2', spend: 0.01 }));
  for (let i = 0; i < 100; i++) state.hooks.onRequestDone!(record());
  await state.close();
  assert.equal(await count(db.url), 0);
  assert.equal(await count(db.url, "SELECT round(spend * 100)::int AS n FROM gb_keys WHERE key_hash = 'k2'"), 100);
});

test('N instances starting at once migrate the schema exactly once', async (t) => {
  const db = await testDatabase();
  const spill = await mkdtemp(join(tmpdir(), 'gb-spend-mig-'));
  t.after(async () => {
    await db.drop();
    await rm(spill, { recursive: true, force: true });
  });
  const states = await Promise.all(Array.from({ length: 6 }, () => createStateHooks({ config: {}, databaseUrl: db.url, spillDir: spill, log: () => {} })));
  await Promise.all(states.map((s) => s.close()));
  assert.equal(await count(db.url, 'SELECT count(*)::int AS n FROM schema_migrations'), 1);
  assert.equal(await count(db.url, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'gb\\_%'"), 3);
});
