// Keys never leak, management needs the master key, and per-key limits hold across
// instances. (1) Two spawned `bench proxy` instances on a real PostgreSQL and a redis-server
// of the test's own: generated keys, wrong keys, the master key; then every output is
// grepped for the plain keys — stderr/stdout, /metrics, every answer body, every row of
// gb_keys/gb_spend_logs/gb_models, every Redis key and string value. (2) A smoke `bench run`
// with a known master key: stdout, stderr, result.json, report.md, report.html are grepped for
// it and for anything shaped like a generated key.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { findOnPath } from '../runner/services/redis.js';
import { fakeUpstream } from './helpers/proxy-servers.js';
import { spawnRedis, testDatabase } from './helpers/services.js';
import { BENCH, spawnProxy } from './helpers/spawned-proxy.js';

const noRedis = findOnPath('redis-server') ? false : 'redis-server is not on PATH';
const MODEL = 'fake-openai-endpoint';
/** generated keys look like sk-<32 base64url chars>; nothing of that shape may be written anywhere */
const KEY_SHAPE = /sk-[A-Za-z0-9_-]{32}/;

async function call(url: string, path: string, key: string | null, body?: unknown, method = body === undefined ? 'GET' : 'POST') {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

const chat = { model: MODEL, messages: [{ role: 'user', content: 'hi' }] };

function assertNoKeys(where: string, text: string, keys: string[]): void {
  for (const k of keys) assert.ok(!text.includes(k), `${where} contains the plain key ${k.slice(0, 6)}…`);
}

test('keys stay secret, management routes need the master key, rpm limits hold across two instances', { skip: noRedis, timeout: 90_000 }, async (t) => {
  const master = `sk-master-${randomBytes(12).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'gb-security-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = await testDatabase();
  t.after(() => db.drop());
  const redis = (await spawnRedis())!;
  t.after(() => redis.stop());
  const upstream = await fakeUpstream();
  t.after(() => upstream.close());
  const cfg = join(dir, 'config.yaml');
  writeFileSync(
    cfg,
    `model_list:\n  - model_name: ${MODEL}\n    litellm_params:\n      model: openai/any\n      api_base: ${upstream.url}/v1\n      api_key: upstream-secret\n` +
      `general_settings:\n  master_key: ${master}\n  database_url: ${db.url}\nrouter_settings:\n  redis_host: 127.0.0.1\n  redis_port: ${redis.port}\n`,
  );
  const px = await spawnProxy(['--config', cfg, '--port', '0', '--instances', '2']);
  let stopped = false;
  t.after(async () => {
    if (!stopped) await px.stop();
  });
  const [a, b] = px.urls;
  const bodies: string[] = [];
  const keep = <T extends { text: string }>(r: T): T => (bodies.push(r.text), r);

  // management routes: nothing without the master key — not even with a valid virtual key
  const gen = keep(await call(a, '/key/generate', master, { key_alias: 'sec-test' }));
  assert.equal(gen.status, 200, gen.text);
  const vkey = (JSON.parse(gen.text) as { key: string }).key;
  assert.match(vkey, KEY_SHAPE);
  const routes: [string, string, unknown][] = [
    ['POST', '/key/generate', {}],
    ['GET', `/key/info?key=${vkey}`, undefined],
    ['POST', '/key/update', { key: vkey, rpm_limit: 1000 }],
    ['POST', '/key/delete', { keys: [vkey] }],
    ['POST', '/model/new', { model_name: 'evil', litellm_params: { model: 'openai/x', api_base: 'http://127.0.0.1:9' } }],
    ['GET', '/model/info', undefined],
  ];
  const probes = [`sk-probe-${randomBytes(16).toString('hex')}`, `${master}x`, master.slice(0, -1)];
  for (const [method, path, body] of routes) {
    for (const k of [null, vkey, ...probes]) {
      const r = keep(await call(b, path, k, body, method));
      assert.equal(r.status, 401, `${method} ${path} with ${k === null ? 'no key' : k.slice(0, 9)}: ${r.text}`);
      assert.equal((JSON.parse(r.text) as { error: { type: string } }).error.type, 'authentication_error');
    }
  }

  // per-key rpm across the two instances: 4 per minute in all, whichever instance is asked
  const lim = keep(await call(a, '/key/generate', master, { rpm_limit: 4 }));
  const lkey = (JSON.parse(lim.text) as { key: string }).key;
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) for (const url of [a, b]) statuses.push(keep(await call(url, '/v1/chat/completions', lkey, chat)).status);
  assert.equal(statuses.filter((s) => s === 200).length, 4, `statuses: ${statuses.join(',')}`);
  assert.equal(statuses.filter((s) => s === 429).length, 4, `statuses: ${statuses.join(',')}`);

  // traffic with every kind of key, good and bad, on both instances
  for (const url of [a, b]) {
    for (let i = 0; i < 5; i++) assert.equal(keep(await call(url, '/v1/chat/completions', vkey, chat)).status, 200);
    assert.equal(keep(await call(url, '/v1/chat/completions', master, chat)).status, 200);
    for (const p of probes) assert.equal(keep(await call(url, '/v1/chat/completions', p, chat)).status, 401);
    assert.equal(keep(await call(url, '/v1/chat/completions', vkey, { ...chat, model: 'unknown' })).status, 404);
    assert.equal(keep(await call(url, '/v1/chat/completions', vkey, { ...chat, max_tokens: -1 })).status, 400);
  }
  const metrics = [keep(await call(a, '/metrics', null)).text, keep(await call(b, '/metrics', null)).text].join('\n');
  assert.match(metrics, /\w+\{/, 'metrics answered');

  // stop (flushes spend rows), then read everything that was written
  assert.equal(await px.stop(), 0);
  stopped = true;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  let rows: string;
  let hashes: string[];
  try {
    const tables = ['gb_keys', 'gb_spend_logs', 'gb_models'];
    const texts = [];
    for (const tb of tables) texts.push(await client.query<{ r: string }>(`SELECT row_to_json(t)::text AS r FROM ${tb} t`));
    rows = texts.flatMap((q) => q.rows.map((r) => r.r)).join('\n');
    assert.ok(texts[1].rowCount! >= 20, `spend rows: ${texts[1].rowCount}`);
    hashes = (await client.query<{ key_hash: string }>('SELECT key_hash FROM gb_keys')).rows.map((r) => r.key_hash);
  } finally {
    await client.end();
  }
  // at rest only as sha256 hashes
  const sha = (k: string) => createHash('sha256').update(k).digest('hex');
  assert.ok(hashes.includes(sha(vkey)) && hashes.includes(sha(lkey)), 'keys stored as their sha256');
  const r = new Redis(redis.url);
  let redisText = '';
  try {
    for (const k of await r.keys('*')) redisText += `${k}\n${(await r.type(k)) === 'string' ? await r.get(k) : ''}\n`;
  } finally {
    r.disconnect();
  }
  const secret = [master, vkey, lkey, ...probes];
  assertNoKeys('proxy stderr/stdout', px.stderr(), secret);
  assertNoKeys('/metrics', metrics, secret);
  assertNoKeys('database rows', rows, secret);
  assertNoKeys('Redis', redisText, secret);
  // answers may echo only a key the caller itself sent in a body (/key/generate returns the new key; that is its job)
  const answers = bodies.filter((x) => !x.includes('"key_name"'));
  assertNoKeys('answer bodies', answers.join('\n'), [master, ...probes]);
});

test('bench run (smoke): no key in stdout, stderr, result.json, report.md or report.html', { skip: noRedis, timeout: 150_000 }, async (t) => {
  const master = `sk-runmaster-${randomBytes(12).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'gb-security-run-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const scen = join(dir, 'sec.yaml');
  writeFileSync(
    scen,
    `name: security\nupstream:\n  latency: fixed:5\nproxy:\n  instances: 2\n  database: embedded\n  redis: on\n  callbacks: gcs_bucket\n  master_key: ${master}\n` +
      `load:\n  users: 10\n  spawn_rate: 10\n  wait: { between: [0.05, 0.1] }\n  duration: 2s\nwarmup: 1s\n`,
  );
  const out = join(dir, 'out');
  const child = spawn(process.execPath, [BENCH, 'run', scen, '--out', out, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  assert.equal(code, 0, stderr);
  const files = ['result.json', 'report.md', 'report.html'].map((f) => readFileSync(join(out, f), 'utf8'));
  const result = JSON.parse(files[0]) as { variants: { requests: number }[] };
  assert.ok(result.variants[0].requests > 10, 'the load ran with the generated key');
  for (const [where, text] of [['stdout', stdout], ['stderr', stderr], ['result.json', files[0]], ['report.md', files[1]], ['report.html', files[2]]] as const) {
    assertNoKeys(where, text, [master]);
    assert.doesNotMatch(text, KEY_SHAPE, `${where} contains something shaped like a generated key`);
  }
});
