// Micro-benchmark of the state hooks' request-path cost, each against a reference measured in
// the same run: authenticate (cached key) vs a Map.get, onRequestDone vs an Array.push,
// the cache key of an 11 KB body vs sha256 of the same bytes, cacheGet (miss) vs a bare
// ioredis GET. Needs PostgreSQL (DATABASE_URL's server, a temporary database; else embedded)
// and Redis (REDIS_URL, default redis://127.0.0.1:6379; the cache rows are skipped without).
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { RequestRecord } from '../proxy/hooks.js';
import { createStateHooks, startEmbeddedPostgres } from '../proxy/state/index.js';
import { cacheKeyOf } from '../proxy/state/response-cache.js';
import { BodyScan, scanBody } from '../proxy/body-scan.js';

function timeSync(n: number, fn: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(n, 10_000); i++) fn(i); // warm-up
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t) / 1000 / n;
}

async function timeAsync(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: 200 }, (_, i) => fn(i))); // warm-up
  const t = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Number(process.hrtime.bigint() - t) / 1000 / n;
}

const rows: [string, number, string, number][] = [];
let closeNote = '';
const row = (what: string, us: number, ref: string, refUs: number) => rows.push([what, us, ref, refUs]);

async function main(): Promise<void> {
  let dropDb: () => Promise<void>;
  let url: string;
  if (process.env.DATABASE_URL) {
    const name = `gb_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${name}`;
    url = u.toString();
    dropDb = async () => {
      const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  } else {
    const e = await startEmbeddedPostgres();
    url = e.url;
    dropDb = () => e.stop();
  }
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  probe.on('error', () => {});
  const haveRedis = await probe.connect().then(() => true, () => false);
  const spill = await mkdtemp(join(tmpdir(), 'gb-bench-state-'));
  const prefix = `gbbench:${process.pid}:`;
  const state = await createStateHooks({
    config: {
      general_settings: { proxy_batch_write_at: 3600 },
      ...(haveRedis ? { litellm_settings: { cache: true, cache_params: { type: 'redis', url: redisUrl } } } : {}),
    },
    databaseUrl: url,
    redisKeyPrefix: prefix,
    spillDir: spill,
    spendBatchSize: 1000,
    spendMaxQueue: 1_000_000,
    log: () => {},
  });
  try {
    // authenticate, cached
    const app = (await import('fastify')).default();
    await app.register(state.managementPlugin, { isMaster: () => true, addDeployment: () => {} });
    const key = (await app.inject({ method: 'POST', url: '/key/generate', payload: { models: ['gpt-a', 'gpt-b'] } })).json().key as string;
    await app.close();
    await state.hooks.authenticate!(key, 'gpt-a');
    const map = new Map([[key, { ok: true }]]);
    const N = 1_000_000;
    row('authenticate (cached key)', timeSync(N, () => state.hooks.authenticate!(key, 'gpt-a')), 'Map.get', timeSync(N, () => map.get(key)));

    // onRequestDone
    const recs: RequestRecord[] = [];
    const now = Date.now();
    for (let i = 0; i < 200_000; i++) recs.push({ requestId: randomUUID(), keyHash: null, modelGroup: 'gpt-a', deploymentId: 'd1', apiBase: null, status: 200, errorKind: null, stream: false, promptTokens: 10, completionTokens: 5, spend: 0, startTimeMs: now, endTimeMs: now, durationMs: 1, overheadMs: 0.1, cacheHit: false, user: null });
    const arr: RequestRecord[] = [];
    const refPush = timeSync(190_000, (i) => arr.push(recs[i]));
    row('onRequestDone (spend log enqueue)', timeSync(190_000, (i) => state.hooks.onRequestDone!(recs[i])), 'Array.push', refPush);

    // cache key and cacheGet miss on the seed-like ~11 KB prompt
    const filler = 'lorem ipsum dolor sit amet '.repeat(400);
    // the seed's shape: "user" at the end, so the key leaves a member out (the proxy has scanned
    // the body already for its own checks and hands the scan over: only hashing is the cache's)
    const body = (i: number) => Buffer.from(JSON.stringify({ model: 'gpt-a', messages: [{ role: 'user', content: `${randomUUID()} ${i} ${filler}` }], user: 'my-new-end-user-1' }));
    const bodies = Array.from({ length: 20_000 }, (_, i) => body(i));
    // with the member ranges, as the proxy scans when a response cache is configured
    const scans = bodies.map((b) => scanBody(b, new BodyScan(true)));
    row('cache key (11 KB body, with user)', timeSync(20_000, (i) => cacheKeyOf('gpt-a', bodies[i], scans[i])), 'sha256(body)', timeSync(20_000, (i) => createHash('sha256').update(bodies[i]).digest('hex')));
    if (haveRedis && state.hooks.cacheGet) {
      const get = state.hooks.cacheGet;
      const plain = new Redis(redisUrl, { enableAutoPipelining: true });
      const c = 50;
      const refGet = await timeAsync(20_000, c, (i) => plain.get(`${prefix}none:${i}`));
      row(`cacheGet miss (${c} concurrent)`, await timeAsync(20_000, c, async (i) => get('gpt-a', bodies[i], scans[i])), 'ioredis GET', refGet);
      plain.disconnect();
    } else row('cacheGet miss', NaN, `skipped: no Redis at ${redisUrl}`, NaN);
  } finally {
    const t = Date.now();
    await state.close();
    closeNote = `close(): wrote ${state.metrics().spend_logs_written} spend-log rows in ${Date.now() - t} ms`;
    if (haveRedis) {
      let cursor = '0';
      do {
        const [nx, keys] = await probe.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = nx;
        if (keys.length) await probe.del(...keys);
      } while (cursor !== '0');
    }
    probe.disconnect();
    await dropDb();
    await rm(spill, { recursive: true, force: true });
  }
  console.log('state hooks, µs per call (wall time, one process; ratio = hook / reference):');
  for (const [what, us, ref, refUs] of rows) console.log(`  ${what.padEnd(36)} ${us.toFixed(3).padStart(9)} µs   ${ref.padEnd(16)} ${refUs.toFixed(3).padStart(9)} µs   ×${(us / refUs).toFixed(1)}`);
  console.log(closeNote);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
