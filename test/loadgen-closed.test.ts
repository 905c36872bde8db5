// The closed model against real node:http servers: spawn rate, one connection per user,
// the request id, header histograms, the error log, a refused target.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoad, SEED_TEMPLATE } from '../loadgen/index.js';
import { refusedUrl, startServer } from './helpers/loadgen-servers.js';

const dir = mkdtempSync(join(tmpdir(), 'gb-loadgen-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('closed model: users reach `users` at `spawnRate`, one connection each', async (t) => {
  const srv = await startServer((_req, res) => setTimeout(() => res.end('{}'), 5));
  t.after(() => srv.close());
  const run = startLoad({
    targets: [srv.url],
    model: { kind: 'closed', users: 10, spawnRate: 10, wait: { constant: 0.05 } },
    durationMs: 2000,
    templates: [{ method: 'GET', path: '/' }],
  });
  const seconds: number[] = [];
  run.on('second', (s) => seconds.push(s.users));
  const r = await run.result;
  assert.equal(srv.socketOpenedAt.length, 10, 'one keep-alive connection per user');
  // user k starts at k / spawnRate: the 10th connection ~0.9 s after the first
  const spread = srv.socketOpenedAt[9] - srv.socketOpenedAt[0];
  assert.ok(spread > 700 && spread < 1400, `spawn spread ${spread} ms`);
  assert.ok(seconds[0] >= 9 && seconds[0] <= 10, `users at 1 s: ${seconds[0]}`);
  assert.equal(seconds[1], 10);
  assert.equal(r.failures && Object.keys(r.failures).length, 0);
  assert.ok(r.requests > 100, `requests ${r.requests}`);
  assert.equal(r.by_name?.[0].name, '/');
  assert.equal(r.timeseries.length, 2);
});

test('closed model, no wait: a user sends its next request only after its answer, on its one connection', async (t) => {
  let inFlight = 0;
  let maxInFlight = 0;
  const srv = await startServer((_req, res) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    setImmediate(() => {
      inFlight--;
      res.end('{}');
    });
  });
  t.after(() => srv.close());
  const r = await startLoad({ targets: [srv.url], model: { kind: 'closed', users: 3, spawnRate: 100 }, durationMs: 800, templates: [{ method: 'POST', path: '/', body: { n: '{{seq}}' } }] }).result;
  assert.deepEqual(r.failures, {});
  assert.ok(r.requests > 50, `requests ${r.requests}`);
  assert.equal(srv.socketOpenedAt.length, 3, 'one keep-alive connection per user');
  assert.ok(maxInFlight <= 3, `at most one request per user at the server: saw ${maxInFlight}`);
});

test('closed model, no wait: a server that closes the connection after every answer loses no request', async (t) => {
  const srv = await startServer((_req, res) => {
    res.setHeader('connection', 'close');
    res.end('{}');
  });
  t.after(() => srv.close());
  const r = await startLoad({ targets: [srv.url], model: { kind: 'closed', users: 2, spawnRate: 100 }, durationMs: 800, templates: [{ method: 'GET', path: '/' }] }).result;
  assert.deepEqual(r.failures, {});
  assert.ok(r.requests > 20, `requests ${r.requests}`);
  // a new connection for every request the server saw
  assert.ok(srv.socketOpenedAt.length >= srv.requests, `${srv.socketOpenedAt.length} connections for ${srv.requests} requests`);
});

test('closed model: the seed request carries its uuid as x-request-id; headers are recorded', async (t) => {
  const srv = await startServer((_req, res, n) => {
    res.setHeader('x-litellm-overhead-duration-ms', String((n % 100) + 1));
    res.end('{}');
  });
  t.after(() => srv.close());
  const run = startLoad({
    targets: [srv.url],
    model: { kind: 'closed', users: 4, spawnRate: 100 },
    durationMs: 1000,
    templates: [SEED_TEMPLATE],
    recordHeaders: ['x-litellm-overhead-duration-ms'],
    recordRequestTimes: true,
  });
  const r = await run.result;
  const body = JSON.parse(srv.bodies[0]) as { messages: Array<{ content: string }> };
  const id = body.messages[0].content.slice(0, 36);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(srv.headers[0]['x-request-id'], id);
  assert.equal(srv.headers[0]['authorization'], 'Bearer sk-1234567890');
  const ids = new Set(srv.bodies.map((b) => b.slice(b.indexOf('"content":"') + 11, b.indexOf('"content":"') + 47)));
  assert.equal(ids.size, srv.bodies.length, 'every request has its own id');
  const o = r.overhead_ms!;
  assert.ok(o.count > 50, String(o.count));
  // the server sent (n % 100) + 1 for its n-th answer: the recorded median is that of the
  // first o.count values (± the few answers in flight at the end, which are not counted)
  const sent = Array.from({ length: o.count }, (_, n) => (n % 100) + 1).sort((a, b) => a - b);
  const median = sent[(o.count - 1) >> 1];
  assert.ok(Math.abs(o.p50 - median) <= 4, `overhead p50 ${o.p50}, the values sent have median ${median}`);
  assert.ok(o.max >= 99 && o.max <= 100.1, `overhead max ${o.max}`);
  assert.deepEqual(Object.keys(r.headers_ms ?? {}), ['x-litellm-overhead-duration-ms']);
  const times = run.requestTimes()!;
  assert.equal(times.count, r.requests);
  const wallNowUs = (performance.timeOrigin + performance.now()) * 1000;
  assert.ok(times.sentUs[0] > wallNowUs - 10e6 && times.receivedUs[0] >= times.sentUs[0]);
  assert.equal(times.ids.length, times.count);
  assert.equal(times.headerUs, null, 'per-request header values are opt-in: none kept by default');
});

test('closed model: recordRequestHeader keeps each request\'s header value beside its times', async (t) => {
  const srv = await startServer((_req, res, n) => {
    res.setHeader('x-litellm-overhead-duration-ms', String((n % 7) + 0.5));
    res.end('{}');
  });
  t.after(() => srv.close());
  const run = startLoad({
    targets: [srv.url],
    model: { kind: 'closed', users: 1, spawnRate: 100 },
    durationMs: 500,
    templates: [SEED_TEMPLATE],
    recordHeaders: ['x-litellm-overhead-duration-ms'],
    recordRequestTimes: true,
    recordRequestHeader: true,
  });
  const r = await run.result;
  const times = run.requestTimes()!;
  assert.ok(times.count > 20 && times.count === r.requests, `${times.count} of ${r.requests}`);
  const h = times.headerUs!;
  // one user, back to back: the n-th answer measured carries (n % 7) + 0.5 for consecutive n
  const first = Math.round(h[0] / 1000 - 0.5);
  for (let i = 0; i < times.count; i++) assert.equal(h[i], (((first + i) % 7) + 0.5) * 1000, `request ${i}`);
});

test('closed model: failing bodies go to a bounded error log; statuses are counted', async (t) => {
  const srv = await startServer((_req, res, n) => {
    res.statusCode = n % 2 ? 500 : 200;
    res.end(n % 2 ? `{"error":"boom ${n}"}` : '{}');
  });
  t.after(() => srv.close());
  const path = join(dir, 'error.txt');
  const r = await startLoad({
    targets: [srv.url],
    model: { kind: 'closed', users: 2, spawnRate: 100, wait: { constant: 0.01 } },
    durationMs: 800,
    templates: [{ name: 'boom', method: 'GET', path: '/' }],
    errorLog: { path, maxEntries: 3 },
  }).result;
  assert.ok(r.failures['500'] > 3, JSON.stringify(r.failures));
  assert.equal(r.by_name?.[0].failures, r.failures['500']);
  assert.ok(r.latency_ms.count > 0 && r.latency_ms.count === r.requests - r.failures['500'], 'failures are not in the latency histogram');
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0], /boom 500 \{"error":"boom \d+"\}$/);
});

test('closed model: a refused target records failures and the run ends on time', async () => {
  const url = await refusedUrl();
  const t0 = performance.now();
  const r = await startLoad({
    targets: [url],
    model: { kind: 'closed', users: 2, spawnRate: 100, wait: { constant: 0.02 } },
    durationMs: 1000,
    templates: [{ method: 'GET', path: '/' }],
  }).result;
  const took = performance.now() - t0;
  assert.ok(took < 2500, `took ${took} ms`);
  assert.ok(r.failures.ECONNREFUSED > 5, JSON.stringify(r.failures));
  assert.equal(r.requests, r.failures.ECONNREFUSED);
  assert.equal(r.latency_ms.count, 0);
});

test('closed model: a stuck request is cut at the timeout and the run still ends', async (t) => {
  const srv = await startServer(() => undefined /* never answers */);
  t.after(() => srv.close());
  const t0 = performance.now();
  const r = await startLoad({
    targets: [srv.url],
    model: { kind: 'closed', users: 1, spawnRate: 100, gracefulStopMs: 200 },
    durationMs: 1000,
    requestTimeoutMs: 300,
    templates: [{ method: 'GET', path: '/' }],
  }).result;
  assert.ok(performance.now() - t0 < 2500);
  assert.ok(r.failures.timeout >= 2, JSON.stringify(r.failures));
});

test('several targets: users are spread evenly (user i on target i % n)', async (t) => {
  const a = await startServer();
  const b = await startServer();
  t.after(() => Promise.all([a.close(), b.close()]).then(() => undefined));
  await startLoad({
    targets: [a.url, b.url],
    model: { kind: 'closed', users: 4, spawnRate: 100, wait: { constant: 0.02 } },
    durationMs: 600,
    templates: [{ method: 'GET', path: '/' }],
  }).result;
  assert.equal(a.socketOpenedAt.length, 2);
  assert.equal(b.socketOpenedAt.length, 2);
  assert.ok(Math.abs(a.requests - b.requests) <= Math.max(4, a.requests * 0.2), `${a.requests} vs ${b.requests}`);
});

test('stop() and an aborted signal end the run early with a result', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  const ac = new AbortController();
  const run = startLoad({ targets: [srv.url], model: { kind: 'closed', users: 2, spawnRate: 100, wait: { constant: 0.01 } }, durationMs: 30_000, templates: [{ method: 'GET' }], signal: ac.signal });
  setTimeout(() => ac.abort(), 300);
  const r = await run.result;
  assert.ok(r.duration_s < 1, String(r.duration_s));
  assert.ok(r.requests > 0);
});

test('weighted templates: chosen by weight, rows by name, bodies kept apart per template', async (t) => {
  const srv = await startServer(undefined, 100_000);
  t.after(() => srv.close());
  const r = await startLoad({
    targets: [srv.url],
    model: { kind: 'closed', users: 4, spawnRate: 100, wait: { constant: 0.002 } },
    durationMs: 800,
    templates: [
      { name: 'chat', path: '/a', body: { kind: 'a', id: '{{uuid}}' }, weight: 3 },
      { name: 'chat', path: '/b', body: { kind: 'b', id: '{{uuid}}', pad: 'xxxxxxxx' }, weight: 3 },
      { name: 'models', method: 'GET', path: '/c', weight: 2 },
    ],
  }).result;
  const byPath = { a: 0, b: 0, c: 0 };
  srv.bodies.forEach((b, i) => {
    const h = srv.headers[i];
    if (b === '') byPath.c++;
    else {
      const j = JSON.parse(b) as { kind: 'a' | 'b'; id: string };
      byPath[j.kind]++;
      assert.equal(j.id, h['x-request-id']);
    }
  });
  const total = byPath.a + byPath.b + byPath.c;
  assert.ok(total > 40, String(total));
  assert.ok(Math.abs(byPath.c / total - 0.25) < 0.08, JSON.stringify(byPath));
  assert.deepEqual(r.by_name?.map((n) => [n.type, n.name]), [['POST', 'chat'], ['GET', 'models']]);
  assert.equal(r.by_name![0].requests + r.by_name![1].requests, r.requests);
});
