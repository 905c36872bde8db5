// Virtual keys end to end on a real PostgreSQL: management routes (a bare fastify app with the
// plugin, over HTTP), hashing at rest, the auth path (cache TTL, negative cache, deletion) and
// the key rules (models, expiry, budget, rpm/tpm).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import type { AuthContext, AuthOutcome, DeploymentSpec, RequestRecord } from '../proxy/hooks.js';
import { createStateHooks, type State } from '../proxy/state/index.js';
import { hashKey } from '../proxy/state/keys.js';
import { testDatabase, type TestDatabase } from './helpers/services.js';

const MASTER = 'sk-master-test';
let db: TestDatabase;
let spill: string;
let state: State;
let other: State; // a second "instance" on the same database, no Redis
let app: FastifyInstance;
let base: string;
const added: DeploymentSpec[] = [];
const addedOther: DeploymentSpec[] = [];
let otherApp: FastifyInstance;

before(async () => {
  db = await testDatabase();
  spill = await mkdtemp(join(tmpdir(), 'gb-state-keys-'));
  const config = { general_settings: { user_api_key_cache_ttl: 1, proxy_batch_write_at: 0.1 } };
  state = await createStateHooks({ config, databaseUrl: db.url, spillDir: spill, log: () => {} });
  other = await createStateHooks({ config, databaseUrl: db.url, spillDir: spill, modelSyncMs: 100, log: () => {} });
  app = Fastify();
  await app.register(state.managementPlugin, {
    isMaster: (h) => h === `Bearer ${MASTER}`,
    addDeployment: (s) => {
      // like the router: refuses what it cannot serve
      if (typeof s.litellmParams.api_base !== 'string') throw Object.assign(new Error('invalid deployment'), { problems: ['litellm_params.api_base: required'] });
      added.push(s);
    },
  });
  otherApp = Fastify();
  await otherApp.register(other.managementPlugin, { isMaster: () => false, addDeployment: (s) => addedOther.push(s) });
  await otherApp.ready();
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

after(async () => {
  await app?.close();
  await otherApp?.close();
  await state?.close();
  await other?.close();
  await db?.drop();
  if (spill) await rm(spill, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown, auth: string | null = `Bearer ${MASTER}`) {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = auth;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const isPromise = (v: unknown): v is Promise<unknown> => typeof (v as Promise<unknown> | null)?.then === 'function';
async function authOf(s: State, token: string, model: string | null = 'gpt-a'): Promise<AuthOutcome> {
  return await s.hooks.authenticate!(token, model);
}
function okAuth(o: AuthOutcome): AuthContext {
  assert.ok(o.ok, `expected ok, got ${JSON.stringify(o)}`);
  return o.auth;
}
function record(keyHash: string | null, over: Partial<RequestRecord> = {}): RequestRecord {
  const now = Date.now();
  return { requestId: `req-${Math.random().toString(36).slice(2)}`, keyHash, modelGroup: 'gpt-a', deploymentId: 'd1', apiBase: 'http://x', status: 200, errorKind: null, stream: false, promptTokens: 10, completionTokens: 5, spend: 0, startTimeMs: now - 5, endTimeMs: now, durationMs: 5, overheadMs: 0.5, cacheHit: false, user: null, ...over };
}

test('management routes need the master key and answer OpenAI-shaped errors', async () => {
  const r1 = await call('POST', '/key/generate', {}, null);
  assert.equal(r1.status, 401);
  assert.equal(typeof r1.body.error.message, 'string');
  assert.ok('type' in r1.body.error && 'param' in r1.body.error && 'code' in r1.body.error);
  assert.equal((await call('POST', '/key/generate', {}, 'Bearer sk-wrong')).status, 401);
  const r2 = await call('POST', '/key/generate', '{not json');
  assert.equal(r2.status, 400);
  assert.equal(r2.body.error.type, 'invalid_request_error');
  const r3 = await call('POST', '/key/generate', { max_budget: 'lots' });
  assert.equal(r3.status, 400);
  assert.equal(r3.body.error.param, 'max_budget');
  assert.equal((await call('POST', '/key/generate', { duration: 'soon' })).status, 400);
  // past PostgreSQL's integer range: refused up front, not a failed INSERT answered 503
  assert.equal((await call('POST', '/key/generate', { tpm_limit: 1_000_000_000_000 })).status, 400);
  assert.equal((await call('POST', '/key/delete', { keys: [] })).status, 400);
  assert.equal((await call('GET', '/key/info')).status, 400);
  assert.equal((await call('POST', '/model/new', { model_name: 'x' })).status, 400);
});

test('generate → info → update → delete; keys are stored only as sha256 hashes', async () => {
  const g = await call('POST', '/key/generate', { models: ['gpt-a'], max_budget: 10, rpm_limit: 100, key_alias: 'team-a', metadata: { team: 'a' }, duration: '30d' });
  assert.equal(g.status, 200);
  const key = g.body.key as string;
  assert.match(key, /^sk-/);
  assert.equal(g.body.token, hashKey(key));
  assert.ok(Date.parse(g.body.expires) > Date.now() + 29 * 86_400_000);

  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  const dump = (await c.query<{ t: string }>('SELECT string_agg(row_to_json(k)::text, \'\n\') AS t FROM gb_keys k')).rows[0].t;
  await c.end();
  assert.ok(!dump.includes(key) && !dump.includes(key.slice(3)), 'the key never appears in gb_keys');
  assert.ok(dump.includes(hashKey(key)));

  const i = await call('GET', `/key/info?key=${encodeURIComponent(key)}`);
  assert.equal(i.status, 200);
  assert.deepEqual(i.body.info.models, ['gpt-a']);
  assert.equal(i.body.info.key_alias, 'team-a');
  assert.deepEqual(i.body.info.metadata, { team: 'a' });

  const u = await call('POST', '/key/update', { key, models: ['gpt-a', 'gpt-b'], rpm_limit: 5 });
  assert.equal(u.status, 200);
  assert.deepEqual(u.body.models, ['gpt-a', 'gpt-b']);
  assert.equal(u.body.rpm_limit, 5);
  assert.equal(u.body.max_budget, 10, 'fields not given are kept');
  assert.equal((await call('POST', '/key/update', { key: 'sk-missing', rpm_limit: 1 })).status, 404);

  const d = await call('POST', '/key/delete', { keys: [key] });
  assert.equal(d.status, 200);
  assert.deepEqual(d.body.deleted_keys, [key]);
  assert.equal((await call('GET', `/key/info?key=${encodeURIComponent(key)}`)).status, 404);
  assert.equal((await call('POST', '/key/delete', { keys: [key] })).status, 404);
});

test('auth: first lookup async, then a synchronous cached answer; negative results cached for the TTL', async () => {
  const key = (await call('POST', '/key/generate', {})).body.key as string;
  const first = state.hooks.authenticate!(key, 'gpt-a');
  assert.ok(isPromise(first), 'a miss goes to the database');
  assert.equal(okAuth(await first).keyHash, hashKey(key));
  const second = state.hooks.authenticate!(key, 'gpt-a');
  assert.ok(!isPromise(second), 'a cached key answers synchronously');
  assert.equal(okAuth(second as AuthOutcome).keyHash, hashKey(key));

  // a burst of calls for one uncached key makes one database lookup
  const burstKey = (await call('POST', '/key/generate', {})).body.key as string;
  const lookupsBefore = state.metrics().auth_db_lookups;
  const burst = await Promise.all(Array.from({ length: 20 }, () => state.hooks.authenticate!(burstKey, 'gpt-a')));
  assert.ok(burst.every((o) => o.ok));
  assert.equal(state.metrics().auth_db_lookups - lookupsBefore, 1);

  // negative cache: a token unknown at first stays refused for the TTL even once it exists
  const late = 'sk-late-' + Math.random().toString(36).slice(2);
  const no = await authOf(state, late);
  assert.equal(no.ok, false);
  assert.equal(!no.ok && no.status, 401);
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query('INSERT INTO gb_keys (key_hash) VALUES ($1)', [hashKey(late)]);
  await c.end();
  const cachedNo = state.hooks.authenticate!(late, 'gpt-a');
  assert.ok(!isPromise(cachedNo), 'the negative result is cached');
  assert.equal((cachedNo as AuthOutcome).ok, false);
  await new Promise((r) => setTimeout(r, 1200)); // TTL is 1 s
  okAuth(await authOf(state, late));
});

test('a deleted key stops working on another instance within the cache TTL', async () => {
  const key = (await call('POST', '/key/generate', {})).body.key as string;
  okAuth(await authOf(other, key));
  assert.equal((await call('POST', '/key/delete', { keys: [key] })).status, 200);
  const r = await authOf(state, key);
  assert.equal(r.ok, false, 'the deleting instance forgets it at once');
  await new Promise((r) => setTimeout(r, 1200));
  const o = await authOf(other, key);
  assert.equal(o.ok, false, 'the other instance refuses it after the TTL');
});

test('key rules: allowed models, expiry, budget, rpm and tpm', async () => {
  const m = (await call('POST', '/key/generate', { models: ['gpt-a'] })).body.key as string;
  okAuth(await authOf(state, m, 'gpt-a'));
  const denied = await authOf(state, m, 'gpt-b');
  assert.deepEqual([denied.ok, !denied.ok && denied.status, !denied.ok && denied.code], [false, 401, 'key_model_access_denied']);

  const past = new Date(Date.now() - 60_000).toISOString();
  const e = (await call('POST', '/key/generate', { expires: past })).body.key as string;
  const exp = await authOf(state, e);
  assert.deepEqual([exp.ok, !exp.ok && exp.status, !exp.ok && exp.code], [false, 401, 'expired_key']);

  const b = (await call('POST', '/key/generate', { max_budget: 0.01 })).body.key as string;
  okAuth(await authOf(state, b));
  state.hooks.onRequestDone!(record(hashKey(b), { spend: 0.02 }));
  const over = await authOf(state, b);
  assert.deepEqual([over.ok, !over.ok && over.status, !over.ok && over.code], [false, 429, 'budget_exceeded']);
  // the spend reaches the database with the spend log batch (every 0.1 s here)
  await new Promise((r) => setTimeout(r, 500));
  const info = await call('GET', `/key/info?key=${encodeURIComponent(b)}`);
  assert.ok(Math.abs(info.body.info.spend - 0.02) < 1e-9, `spend in gb_keys: ${info.body.info.spend}`);
  await new Promise((r) => setTimeout(r, 1100)); // another instance reading the row refuses it too
  const overElsewhere = await authOf(other, b);
  assert.equal(!overElsewhere.ok && overElsewhere.code, 'budget_exceeded');

  const r = (await call('POST', '/key/generate', { rpm_limit: 2 })).body.key as string;
  const ra = okAuth(await authOf(state, r));
  assert.equal(await state.hooks.checkLimits!(ra, 'gpt-a'), null);
  assert.equal(await state.hooks.checkLimits!(ra, 'gpt-a'), null);
  const third = await state.hooks.checkLimits!(ra, 'gpt-a');
  assert.deepEqual([third?.ok, third && !third.ok && third.status], [false, 429]);

  const t = (await call('POST', '/key/generate', { tpm_limit: 100 })).body.key as string;
  const ta = okAuth(await authOf(state, t));
  assert.equal(await state.hooks.checkLimits!(ta, 'gpt-a'), null);
  state.hooks.onRequestDone!(record(hashKey(t), { promptTokens: 120, completionTokens: 30 }));
  const tpm = await state.hooks.checkLimits!(ta, 'gpt-a');
  assert.deepEqual([tpm?.ok, tpm && !tpm.ok && tpm.status], [false, 429]);
});

test('POST /model/new stores a deployment, hands it to the router, lists it and loads it on other instances', async () => {
  const bad = await call('POST', '/model/new', { model_name: 'broken', litellm_params: { model: 'openai/x' } });
  assert.equal(bad.status, 400, 'a deployment the router refuses is a 400');
  assert.match(bad.body.error.message, /api_base/);
  const r = await call('POST', '/model/new', { model_name: 'db-openai-endpoint', litellm_params: { model: 'openai/gpt-4o', api_base: 'http://127.0.0.1:9/v1', api_key: 'sk-upstream-secret' }, model_info: { id: 'db-1' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.model_id, 'db-1');
  assert.equal(added.length, 1);
  assert.equal(added[0].modelName, 'db-openai-endpoint');
  assert.equal(added[0].litellmParams.api_key, 'sk-upstream-secret', 'the router gets the real params');
  const info = await call('GET', '/model/info');
  assert.equal(info.body.data.length, 1, 'the refused deployment was not stored');
  assert.equal(info.body.data[0].model_name, 'db-openai-endpoint');
  assert.ok(!JSON.stringify(info.body).includes('sk-upstream-secret'), 'secrets are masked');
  for (let i = 0; i < 50 && addedOther.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(addedOther.map((d) => d.modelInfo.id), ['db-1'], 'the running instance picked the new model up from gb_models');
  const loaded = await other.hooks.loadDeployments!();
  assert.deepEqual(loaded.map((d) => [d.modelName, d.modelInfo.id, d.litellmParams.model]), [['db-openai-endpoint', 'db-1', 'openai/gpt-4o']]);
});
