// Faults not covered elsewhere (PostgreSQL restart: state-spend; Redis kill: state-redis;
// a single timeout/stall → 408/504 and one client disconnect: proxy-faults; a refused or
// silent target for the load generator: loadgen-closed):
// - an upstream with 5% HTTP 500 and 1% hangs: retries and the timeout hide every fault, and
//   a hang ends at `timeout` (408), not later;
// - one of two instances SIGTERMed mid-load: its in-flight requests complete, its spend rows
//   and webhook events are written before it exits, the other keeps serving;
// - 2000 clients disconnecting mid-stream: every upstream request is aborted, nothing is
//   left behind (sockets, in-flight state, timers, heap);
// - the load generator against a target that dies mid-run: failures recorded, a result on time.
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { startLoad } from '../loadgen/index.js';
import { MASTER_KEY, chatBody, fakeUpstream, oneModel, post, startProxy, tinyServer } from './helpers/proxy-servers.js';
import { testDatabase } from './helpers/services.js';
import { spawnProxy } from './helpers/spawned-proxy.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** `n` requests, `concurrency` at a time; their statuses. */
async function many(n: number, concurrency: number, one: (i: number) => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) out.push(await one(next++));
    }),
  );
  return out;
}

test('upstream with 5% HTTP 500 and 1% hangs: retries and the timeout hide every fault; a hang ends at the timeout', { timeout: 60_000 }, async (t) => {
  const up = await fakeUpstream({ faults: { errorRates: { 500: 0.05 }, hangRate: 0.01, mode: 'every-nth' } });
  t.after(() => up.close());
  const px = await startProxy(oneModel(`${up.url}/v1`, { router_settings: { num_retries: 3, timeout: 0.5, allowed_fails: 1000 } }));
  t.after(() => px.close());
  const statuses = await many(400, 16, async () => (await post(`${px.url}/v1/chat/completions`, chatBody())).status);
  const stats = up.stats();
  assert.ok((stats.byStatus['500'] ?? 0) >= 15, `the upstream did fail: ${JSON.stringify(stats.byStatus)}`);
  assert.ok(stats.requests > 400, 'retries reached the upstream');
  assert.deepEqual([...new Set(statuses)], [200], 'no client-visible failure (policy: 3 retries)');

  // every attempt hangs and retries are off: the client hears 408 at the timeout, not later
  const hang = await fakeUpstream({ faults: { hangRate: 1, mode: 'every-nth' } });
  t.after(() => hang.close());
  const hx = await startProxy(oneModel(`${hang.url}/v1`, { router_settings: { num_retries: 0, timeout: 0.3 } }));
  t.after(() => hx.close());
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await post(`${hx.url}/v1/chat/completions`, chatBody());
    const ms = performance.now() - t0;
    assert.equal(r.status, 408, r.text);
    assert.equal((r.json.error as { type: string }).type, 'timeout');
    assert.ok(ms >= 280 && ms < 1300, `answered after ${ms.toFixed(0)} ms for a 300 ms timeout`);
  }
});

test('one of two instances SIGTERMed mid-load: in-flight requests complete, its rows and events are flushed, the other keeps serving', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-faults-term-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = await testDatabase();
  t.after(() => db.drop());
  const up = await fakeUpstream({ latency: { kind: 'fixed', ms: 400 } });
  t.after(() => up.close());
  const cfg = join(dir, 'config.yaml');
  writeFileSync(
    cfg,
    `model_list:\n  - model_name: fake-openai-endpoint\n    litellm_params:\n      model: openai/any\n      api_base: ${up.url}/v1\n      api_key: test\n` +
      `general_settings:\n  master_key: ${MASTER_KEY}\n  database_url: ${db.url}\nlitellm_settings:\n  callbacks: [webhook]\n  callback_settings:\n    webhook:\n      url: ${up.url}/webhook\n`,
  );
  const a = await spawnProxy(['--config', cfg, '--port', '0']);
  t.after(() => a.stop());
  const b = await spawnProxy(['--config', cfg, '--port', '0']);
  t.after(() => b.stop());
  const send = (url: string) => post(`${url}/v1/chat/completions`, chatBody()).then((r) => r.status, () => -1);

  // 20 in flight on A and 20 on B, then SIGTERM A while they wait on the 400 ms upstream
  const onA = Array.from({ length: 20 }, () => send(a.urls[0]));
  const onB = Array.from({ length: 20 }, () => send(b.urls[0]));
  await until('the upstream to hold the requests', () => up.stats().requests >= 40);
  a.child.kill('SIGTERM');
  const aStatuses = await Promise.all(onA);
  assert.deepEqual([...new Set(aStatuses)], [200], `A's in-flight requests: ${aStatuses.join(',')}`);
  const code = await new Promise<number | null>((r) => (a.child.exitCode !== null ? r(a.child.exitCode) : a.child.once('exit', (c) => r(c))));
  assert.equal(code, 0, a.stderr());

  // written before A exited: its 20 rows and 20 webhook events (B's may still be queued)
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const rows = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM gb_spend_logs')).rows[0].n);
    assert.ok(rows >= 20, `spend rows after A exited: ${rows}`);
    assert.ok(up.stats().sinks.webhook.items >= 20, `webhook events after A exited: ${up.stats().sinks.webhook.items}`);
    // B never noticed, and keeps serving
    assert.deepEqual([...new Set(await Promise.all(onB))], [200]);
    assert.deepEqual([...new Set(await Promise.all(Array.from({ length: 10 }, () => send(b.urls[0]))))], [200]);
    assert.equal(await b.stop(), 0);
    const total = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM gb_spend_logs')).rows[0].n);
    assert.equal(total, 50, 'one row per request, none lost, none doubled');
    assert.equal(up.stats().sinks.webhook.items, 50);
  } finally {
    await client.end();
  }
});

test('2000 clients disconnecting mid-stream: every upstream request aborted, nothing left behind', { timeout: 90_000 }, async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // an upstream stream that never ends on its own: a chunk every 10 ms until its socket closes
  let opened = 0;
  let closed = 0;
  const up = await tinyServer((req, res) => {
    req.resume();
    opened++;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = 'data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n';
    res.write(chunk);
    const timer = setInterval(() => res.write(chunk), 10);
    res.on('close', () => {
      clearInterval(timer);
      closed++;
    });
  });
  t.after(() => up.close());
  const px = await startProxy(oneModel(up.url));
  t.after(() => px.close());
  const { port } = new URL(px.url);
  const body = chatBody('fake-openai-endpoint', { stream: true });
  const request = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${MASTER_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  // read the headers and a first chunk, then vanish
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const s = createConnection({ host: '127.0.0.1', port: Number(port) });
      let got = '';
      s.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.includes('data: ')) s.destroy();
      });
      s.on('close', () => (got.startsWith('HTTP/1.1 200') ? resolve() : reject(new Error(`unexpected answer: ${got.slice(0, 200)}`))));
      s.on('error', () => {});
      s.write(request);
    });
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const settle = async (n: number) => {
    await until(`${n} upstream closes (${closed})`, () => closed >= n);
    await until('no request in flight', () => px.proxy.state.active === 0);
    await until('no client connection', () => new Promise((r) => px.proxy.app.server.getConnections((_e, c) => r(c === 0))));
    await sleep(100);
    gc();
  };
  await many(500, 50, () => once().then(() => 0));
  await settle(500);
  const heap1 = process.memoryUsage().heapUsed;
  const timers1 = timers();
  await many(1500, 50, () => once().then(() => 0));
  await settle(2000);
  const heap2 = process.memoryUsage().heapUsed;
  assert.equal(opened, 2000, 'every request reached the upstream');
  assert.equal(closed, 2000, 'every upstream request was aborted');
  assert.ok(timers() <= timers1 + 2, `timers: ${timers1} → ${timers()}`);
  assert.ok(heap2 - heap1 < 8 * 1024 * 1024, `heap grew ${((heap2 - heap1) / 1048576).toFixed(1)} MB over 1500 more disconnects`);
  const m = await (await fetch(`${px.url}/metrics`)).text();
  assert.match(m, /proxy_requests_total\{model="fake-openai-endpoint",status="499"\} 2000/);
  // and the proxy still serves (once() asserts the 200)
  await once();
});

test('the load generator against a target that dies mid-run: failures recorded, the run ends on time with a result', { timeout: 30_000 }, async () => {
  const target = await tinyServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  setTimeout(() => void target.close(), 700); // it dies (connections cut) and never comes back
  const t0 = Date.now();
  const run = startLoad({
    targets: [target.url],
    model: { kind: 'closed', users: 5, spawnRate: 100, wait: { constant: 0.02 } },
    durationMs: 2000,
    warmupMs: 0,
    requestTimeoutMs: 1000,
    templates: [{ path: '/', body: { x: 1 } }],
  });
  const result = await run.result;
  const took = Date.now() - t0;
  const failed = Object.values(result.failures).reduce((a, b) => a + b, 0);
  assert.ok(result.requests > failed && failed > 0, `requests ${result.requests}, failures ${JSON.stringify(result.failures)}`);
  assert.ok(took < 2000 + 3000, `the run took ${took} ms for a 2 s duration`);
});
