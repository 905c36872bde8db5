// Redis: exact-match response cache (hit, miss, normalisation), auth cache and rpm limits shared
// by two state instances (like two proxy instances on one prefix), deletion propagated at once,
// and Redis killed and restarted under calls with no hook throwing or rejecting.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AuthContext, AuthOutcome, RequestRecord } from '../proxy/hooks.js';
import { createStateHooks, type State } from '../proxy/state/index.js';
import { hashKey } from '../proxy/state/keys.js';
import { cacheKeyOf } from '../proxy/state/response-cache.js';
import { BodyScan, scanBody } from '../proxy/body-scan.js';
import { randomUUID } from 'node:crypto';
import { fakeUpstream, oneModel, post, startProxy } from './helpers/proxy-servers.js';
import { spawnRedis, testDatabase, testRedis, type TestDatabase, type TestRedis } from './helpers/services.js';

let db: TestDatabase;
let redis: TestRedis;
let spill: string;
const states: State[] = [];
const apps: FastifyInstance[] = [];

before(async () => {
  db = await testDatabase();
  redis = await testRedis();
  spill = await mkdtemp(join(tmpdir(), 'gb-state-redis-'));
});
after(async () => {
  for (const a of apps) await a.close();
  for (const s of states) await s.close();
  if (redis && !('skip' in redis)) await redis.cleanup();
  await db?.drop();
  await rm(spill, { recursive: true, force: true });
});

async function makeState(url: string, prefix: string, log: (m: string) => void = () => {}, ttl = 60): Promise<State> {
  const s = await createStateHooks({
    modelSyncMs: 0, // models reach other instances through pub/sub only here
    config: { general_settings: { user_api_key_cache_ttl: ttl }, router_settings: { redis_url: url }, litellm_settings: { cache: true, cache_params: { type: 'redis', url, ttl: 60 } } },
    databaseUrl: db.url,
    redisKeyPrefix: prefix,
    spillDir: spill,
    log,
  });
  states.push(s);
  return s;
}

async function generate(s: State, body: Record<string, unknown>): Promise<string> {
  const app = Fastify();
  apps.push(app);
  await app.register(s.managementPlugin, { isMaster: (h) => h === 'Bearer m', addDeployment: () => {} });
  const res = await app.inject({ method: 'POST', url: '/key/generate', headers: { authorization: 'Bearer m' }, payload: body });
  assert.equal(res.statusCode, 200);
  return res.json().key;
}
async function del(s: State, key: string): Promise<void> {
  const app = Fastify();
  apps.push(app);
  await app.register(s.managementPlugin, { isMaster: () => true, addDeployment: () => {} });
  assert.equal((await app.inject({ method: 'POST', url: '/key/delete', payload: { keys: [key] } })).statusCode, 200);
}
function okAuth(o: AuthOutcome): AuthContext {
  assert.ok(o.ok, JSON.stringify(o));
  return o.auth;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const body = (o: Record<string, unknown>) => Buffer.from(JSON.stringify({ model: 'gpt-a', messages: [{ role: 'user', content: 'hi' }], ...o }));

test('cache key: volatile fields do not count, parameters that change the answer do', () => {
  const k = cacheKeyOf('gpt-a', body({}));
  assert.equal(cacheKeyOf('gpt-a', body({ user: 'someone', metadata: { x: 1 } })), k);
  assert.notEqual(cacheKeyOf('gpt-a', body({ temperature: 0.5 })), k);
  assert.notEqual(cacheKeyOf('gpt-a', body({ max_tokens: 5 })), k);
  assert.notEqual(cacheKeyOf('gpt-b', body({})), k);
  // wherever the volatile members stand, and however many, without parsing the body
  const plain = JSON.stringify({ model: 'gpt-a', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(cacheKeyOf('gpt-a', Buffer.from(`{"user":"u1",${plain.slice(1)}`)), k);
  assert.equal(cacheKeyOf('gpt-a', Buffer.from(`{"request_id":"r","user":"u2",${plain.slice(1, -1)},"litellm_metadata":{"a":[1]},"stream_options":null}`)), k);
  // a message that says "user": is content, not the top-level member
  assert.notEqual(cacheKeyOf('gpt-a', body({ messages: [{ role: 'user', content: '"user":"x"' }] })), k);
  assert.notEqual(cacheKeyOf('gpt-a', body({ messages: [{ role: 'user', content: 'hi', user: 'nested' }] })), k);
  // the proxy hands its own scan over (made with recordMembers): the same key as scanning
  // here; a scan made without the member ranges is not trusted for them
  const seedLike = body({ user: 'my-new-end-user-1' });
  assert.equal(cacheKeyOf('gpt-a', seedLike, scanBody(seedLike, new BodyScan(true))), k);
  assert.equal(cacheKeyOf('gpt-a', seedLike, scanBody(seedLike, new BodyScan())), k);
});

test('response cache: miss, set, hit (same answer), other parameters miss', async (t) => {
  if ('skip' in redis) return t.skip(redis.skip);
  const s = await makeState(redis.url, redis.prefix);
  const req = body({ temperature: 0 });
  assert.equal(await s.hooks.cacheGet!('gpt-a', req), null);
  const answer = Buffer.from('{"id":"chatcmpl-1","choices":[]}');
  s.hooks.cacheSet!('gpt-a', req, 200, 'application/json', answer);
  let hit = null;
  for (let i = 0; i < 20 && !hit; i++) hit = (await s.hooks.cacheGet!('gpt-a', Buffer.from(req))) ?? (await sleep(25), null);
  assert.ok(hit, 'a hit after set');
  assert.equal(hit.status, 200);
  assert.equal(hit.contentType, 'application/json');
  assert.deepEqual(hit.body, answer);
  assert.equal(hit.cacheKey, cacheKeyOf('gpt-a', req));
  assert.ok(await s.hooks.cacheGet!('gpt-a', body({ temperature: 0, user: 'other-user' })), 'user does not change the key');
  assert.equal(await s.hooks.cacheGet!('gpt-a', body({ temperature: 1 })), null);
  s.hooks.cacheSet!('gpt-a', body({ temperature: 2 }), 500, 'application/json', answer);
  await sleep(50);
  assert.equal(await s.hooks.cacheGet!('gpt-a', body({ temperature: 2 })), null, 'errors are not cached');
  const m = s.metrics();
  assert.ok(m.cache_hits >= 2 && m.cache_misses >= 2);
});

test('two instances on one prefix share the auth cache and rpm limits; a delete reaches the other at once', async (t) => {
  if ('skip' in redis) return t.skip(redis.skip);
  const a = await makeState(redis.url, redis.prefix);
  const b = await makeState(redis.url, redis.prefix);
  const key = await generate(a, { rpm_limit: 5 });
  const authA = okAuth(await a.hooks.authenticate!(key, 'gpt-a'));
  const authB = okAuth(await b.hooks.authenticate!(key, 'gpt-a'));
  assert.equal(b.metrics().auth_redis_hits, 1, 'the second instance found the key in Redis');
  const verdicts: (AuthOutcome | null)[] = [];
  for (let i = 0; i < 3; i++) verdicts.push(await a.hooks.checkLimits!(authA, 'gpt-a'), await b.hooks.checkLimits!(authB, 'gpt-a'));
  assert.equal(verdicts.filter((v) => v === null).length, 5, 'five allowed across both instances');
  const last = verdicts[5];
  assert.ok(last && !last.ok && last.status === 429);

  // per-deployment limits are shared too: rpm 3 across both instances, then tpm
  const dep: (AuthOutcome | null)[] = [];
  for (let i = 0; i < 2; i++) dep.push(await a.checkDeploymentLimits('dep-1', 3, null), await b.checkDeploymentLimits('dep-1', 3, null));
  assert.deepEqual(dep.map((v) => (v === null ? 'ok' : v.ok ? 'ok' : v.status)), ['ok', 'ok', 'ok', 429]);
  assert.equal(await a.checkDeploymentLimits('dep-2', null, 100), null);
  assert.equal(await b.checkDeploymentLimits('dep-2', null, 100), null); // B picks dep-2 and serves the request
  b.hooks.onRequestDone!({ requestId: `dep-${Date.now()}`, keyHash: null, modelGroup: 'gpt-a', deploymentId: 'dep-2', apiBase: null, status: 200, errorKind: null, stream: false, promptTokens: 90, completionTokens: 20, spend: 0, startTimeMs: Date.now(), endTimeMs: Date.now(), durationMs: 1, overheadMs: 0, cacheHit: false, user: null });
  let overTpm: AuthOutcome | null = null;
  for (let i = 0; i < 20 && overTpm === null; i++) overTpm = (await sleep(25), await a.checkDeploymentLimits('dep-2', null, 100));
  assert.ok(overTpm && !overTpm.ok && overTpm.status === 429, 'tokens counted on B stop dep-2 on A');

  // a model added through A reaches B's router through pub/sub (polling is off in this file)
  const addedOnB: string[] = [];
  const appA = Fastify();
  const appB = Fastify();
  apps.push(appA, appB);
  await appA.register(a.managementPlugin, { isMaster: () => true, addDeployment: () => {} });
  await appB.register(b.managementPlugin, { isMaster: () => true, addDeployment: (d) => addedOnB.push(d.modelName) });
  await appB.ready();
  const nm = await appA.inject({ method: 'POST', url: '/model/new', payload: { model_name: 'db-openai-endpoint', litellm_params: { model: 'openai/x', api_base: 'http://127.0.0.1:9/v1' } } });
  assert.equal(nm.statusCode, 200);
  for (let i = 0; i < 40 && addedOnB.length === 0; i++) await sleep(25);
  assert.deepEqual(addedOnB, ['db-openai-endpoint']);

  await del(a, key);
  let gone = false;
  for (let i = 0; i < 40 && !gone; i++) {
    gone = !(await b.hooks.authenticate!(key, 'gpt-a')).ok;
    if (!gone) await sleep(25);
  }
  assert.ok(gone, 'the other instance drops the key long before its 60 s TTL (pub/sub invalidation)');
});

test('Redis killed and restarted mid-load: every hook call succeeds, the outage is logged once, Redis is picked up again', async (t) => {
  const own = await spawnRedis();
  if (!own) return t.skip('redis-server is not on PATH');
  let server: Awaited<ReturnType<typeof spawnRedis>> = own;
  t.after(() => server?.stop());
  const logs: string[] = [];
  const s = await makeState(own.url, 'gbtest-kill:', (m) => logs.push(m));
  const key = await generate(s, { rpm_limit: 1_000_000 });
  const auth = okAuth(await s.hooks.authenticate!(key, 'gpt-a'));
  let calls = 0;
  let failures = 0;
  const load = async (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const req = body({ content: `${calls}` });
      try {
        const a = await s.hooks.authenticate!(key, 'gpt-a');
        if (!a.ok) failures++;
        const l = await s.hooks.checkLimits!(auth, 'gpt-a');
        if (l !== null) failures++;
        await s.hooks.cacheGet!('gpt-a', req);
        s.hooks.cacheSet!('gpt-a', req, 200, 'application/json', Buffer.from('{}'));
        s.hooks.onRequestDone!({ requestId: `kill-${calls}`, keyHash: hashKey(key), modelGroup: 'gpt-a', deploymentId: null, apiBase: null, status: 200, errorKind: null, stream: false, promptTokens: 1, completionTokens: 1, spend: 0, startTimeMs: Date.now(), endTimeMs: Date.now(), durationMs: 0, overheadMs: 0, cacheHit: false, user: null } satisfies RequestRecord);
      } catch {
        failures++;
      }
      calls++;
      await sleep(5);
    }
  };
  await load(400);
  await own.stop();
  await load(800);
  assert.equal(s.metrics().redis_up, 0);
  const again = await spawnRedis(own.port);
  assert.ok(again);
  server = again;
  let up = false;
  for (let i = 0; i < 60 && !up; i++) (up = s.metrics().redis_up === 1) || (await load(50));
  assert.ok(up, 'redis is picked up again');
  await load(300);
  assert.equal(failures, 0, `no hook call failed (${calls} calls)`);
  assert.equal(logs.filter((l) => l.includes('unavailable') || l.includes('connection closed')).length, 1, `outage logged once: ${JSON.stringify(logs)}`);
  assert.ok(logs.some((l) => l.includes('is back')));
  const req = body({ after: 'restart' });
  s.hooks.cacheSet!('gpt-a', req, 200, 'application/json', Buffer.from('{"ok":1}'));
  let hit = null;
  for (let i = 0; i < 20 && !hit; i++) hit = (await s.hooks.cacheGet!('gpt-a', req)) ?? (await sleep(25), null);
  assert.ok(hit, 'the cache works again after the restart');
  assert.ok(s.metrics().redis_down_events >= 1);
});

test('through the proxy over HTTP: the seed-shaped request (with "user") misses, then hits with the same answer', async (t) => {
  if ('skip' in redis) return t.skip(redis.skip);
  const up = await fakeUpstream();
  t.after(() => up.close());
  const s = await makeState(redis.url, redis.prefix);
  const px = await startProxy(oneModel(`${up.url}/v1`), { hooks: s.hooks });
  t.after(() => px.close());
  const prompt = `${randomUUID()} ${"This is a test there will be no cache hits and we'll fill up the context".repeat(150)}`;
  const seed = (user: string) => JSON.stringify({ model: 'fake-openai-endpoint', messages: [{ role: 'user', content: prompt }], user });
  const first = await post(`${px.url}/chat/completions`, seed('my-new-end-user-1'));
  assert.equal(first.status, 200, first.text);
  assert.equal(first.headers.get('x-litellm-cache-hit'), null, 'a first request is a miss');
  let hit: Awaited<ReturnType<typeof post>> | null = null;
  for (let i = 0; i < 40 && !hit; i++) {
    // another end user, same question: "user" is not part of the key
    const r = await post(`${px.url}/chat/completions`, seed('someone-else'));
    assert.equal(r.status, 200, r.text);
    if (r.headers.get('x-litellm-cache-hit') === 'True') hit = r;
    else await sleep(25); // the SET is fire-and-forget
  }
  assert.ok(hit, 'the same question is answered from the cache');
  assert.equal(hit.text, first.text, 'the cached answer is the upstream answer, byte for byte');
  assert.equal(hit.headers.get('x-litellm-cache-key'), cacheKeyOf('fake-openai-endpoint', Buffer.from(seed('my-new-end-user-1'))));
  const other = await post(`${px.url}/chat/completions`, JSON.stringify({ model: 'fake-openai-endpoint', messages: [{ role: 'user', content: `${prompt}!` }], user: 'my-new-end-user-1' }));
  assert.equal(other.headers.get('x-litellm-cache-hit'), null, 'another prompt misses');
});
