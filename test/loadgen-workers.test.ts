// Worker threads: the split of a load into shares (pure), and real runs across threads
// against node:http servers, merged into one result.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoad, validateLoadOptions } from '../loadgen/index.js';
import { splitLoad } from '../loadgen/workers.js';
import { startServer } from './helpers/loadgen-servers.js';

const dir = mkdtempSync(join(tmpdir(), 'gb-loadgen-workers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('splitLoad: users, spawn rate and targets of the closed model split evenly and exactly', () => {
  const o = validateLoadOptions({
    targets: ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3'],
    model: { kind: 'closed', users: 10, spawnRate: 5 },
    durationMs: 1000,
    templates: [{ path: '/' }],
    workers: 3,
  });
  const shares = splitLoad(o);
  const closed = shares.map((s) => (s.model.kind === 'closed' ? s.model : assert.fail('closed')));
  assert.deepEqual(closed.map((m) => m.users), [4, 3, 3]);
  assert.deepEqual(closed.map((m) => m.spawnRate), [2, 1.5, 1.5]);
  // user k of the whole run on target k % 3: the first users of the workers are 0, 4 and 7
  assert.deepEqual(shares.map((s) => s.targets[0]), ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:2']);
  const perTarget = new Map<string, number>();
  for (const s of shares) for (let j = 0; j < (s.model.kind === 'closed' ? s.model.users : 0); j++) perTarget.set(s.targets[j % 3], (perTarget.get(s.targets[j % 3]) ?? 0) + 1);
  assert.deepEqual([...perTarget.values()].sort(), [3, 3, 4]);
  assert.deepEqual(shares.map((s) => [s.seqStart, s.seqStep, s.workers]), [[0, 3, 1], [1, 3, 1], [2, 3, 1]]);
  // never more workers than users
  assert.equal(splitLoad({ ...o, model: { ...o.model, users: 2 } as typeof o.model }).length, 2);
});

test('splitLoad: rate, stages, connections and maxInFlight of the open model split', () => {
  const o = validateLoadOptions({ targets: ['http://127.0.0.1:1'], model: { kind: 'open', stages: [{ rate: 100, durationMs: 500 }, { rate: 40, durationMs: 500 }], connections: 5, maxInFlight: 9 }, durationMs: 1000, templates: [{ path: '/' }], workers: 2 });
  for (const s of splitLoad(o)) {
    assert.equal(s.model.kind, 'open');
    if (s.model.kind !== 'open') continue;
    assert.deepEqual(s.model.stages?.map((x) => x.rate), [50, 20]);
    assert.equal(s.model.connections, 3);
    assert.equal(s.model.maxInFlight, 5);
  }
});

test('workers: a closed run on 2 threads is one result — counts, histograms, seconds, unique seq', async (t) => {
  const seqs: string[] = [];
  const srv = await startServer((_req, res, _n, body) => {
    seqs.push((JSON.parse(body) as { n: string }).n);
    res.setHeader('x-overhead', '3');
    res.end('{}');
  }, 0);
  t.after(() => srv.close());
  const run = startLoad({
    targets: [srv.url],
    model: { kind: 'closed', users: 4, spawnRate: 1000, wait: { constant: 0.005 } },
    durationMs: 2000,
    templates: [{ method: 'POST', path: '/', body: { n: '{{seq}}' } }],
    recordHeaders: ['x-overhead'],
    recordRequestTimes: true,
    recordRequestHeader: true,
    workers: 2,
  });
  const seconds: number[] = [];
  run.on('second', (s) => seconds.push(s.users));
  const r = await run.result;
  assert.deepEqual(r.failures, {});
  assert.ok(r.requests > 100, `requests ${r.requests}`);
  assert.equal(r.latency_ms.count, r.requests, 'the merged histogram holds every request of both threads');
  assert.equal(r.by_name?.[0].requests, r.requests);
  assert.ok(Math.abs(r.headers_ms!['x-overhead'].p50 - 3) < 0.005, `header p50 ${r.headers_ms!['x-overhead'].p50}`);
  assert.equal(r.headers_ms!['x-overhead'].count, r.requests);
  assert.deepEqual(seconds, [4, 4], 'each second merged from both threads: all 4 users');
  assert.equal(r.timeseries.length, 2);
  assert.ok(r.timeseries.reduce((a, s) => a + s.requests, 0) <= r.requests);
  assert.equal(new Set(seqs).size, seqs.length, 'no {{seq}} value sent twice across threads');
  assert.equal(srv.socketOpenedAt.length, 4);
  assert.equal(run.requestTimes()?.count, r.requests);
  const rt = run.requestTimes()!;
  assert.deepEqual(new Set(rt.headerUs!.subarray(0, rt.count)), new Set([3000]), 'each request\'s header value crosses from its thread');
  assert.ok(typeof r.loadgen?.cpu_us === 'number' && r.loadgen.cpu_us > 0);
});

test('workers: an open run on 2 threads holds the whole rate; the error log merges within its bounds', async (t) => {
  const srv = await startServer((_req, res, n) => {
    res.statusCode = n % 2 === 0 ? 500 : 200;
    res.end(`{"n":${n}}`);
  });
  t.after(() => srv.close());
  const path = join(dir, 'errors.txt');
  const r = await startLoad({
    targets: [srv.url],
    model: { kind: 'open', rate: 200, connections: 4 },
    durationMs: 1000,
    templates: [{ method: 'GET', path: '/' }],
    errorLog: { path, maxEntries: 5 },
    workers: 2,
  }).result;
  assert.ok(r.open_model && r.open_model.intended >= 190 && r.open_model.intended <= 210, `intended ${r.open_model?.intended}`);
  assert.ok(r.requests >= 180 && r.requests <= 210, `requests ${r.requests}`);
  assert.ok(r.failures['500'] > 50, JSON.stringify(r.failures));
  assert.equal(r.latency_ms.count + r.failures['500'], r.requests);
  assert.ok(r.latency_uncorrected_ms && r.latency_uncorrected_ms.count === r.latency_ms.count);
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(lines.length, 5);
  for (const l of lines) assert.match(l, /^\S+ \/ 500 \{"n":\d+\}$/);
});

test('workers: stop() ends every thread early with a result', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  const run = startLoad({ targets: [srv.url], model: { kind: 'closed', users: 2, spawnRate: 100, wait: { constant: 0.01 } }, durationMs: 30_000, templates: [{ path: '/', method: 'GET' }], workers: 2 });
  // stop once the threads have sent a second: they are running by then
  run.on('second', () => run.stop());
  const t0 = performance.now();
  const r = await run.result;
  assert.ok(performance.now() - t0 < 5000, 'stopped long before 30 s');
  assert.ok(r.requests > 10, `requests ${r.requests}`);
  assert.ok(r.duration_s < 2.5, `duration ${r.duration_s}`);
});
