// The open model against real node:http servers: it holds its rate, corrects coordinated
// omission (wrk2's stall example), counts drops at maxInFlight, spreads over targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLoad } from '../loadgen/index.js';
import { startServer } from './helpers/loadgen-servers.js';

test('open model holds its rate (requests counted at the server, ±10%)', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  const r = await startLoad({
    targets: [srv.url],
    model: { kind: 'open', rate: 200, connections: 10 },
    durationMs: 2000,
    templates: [{ method: 'GET', path: '/' }],
  }).result;
  assert.ok(srv.requests >= 360 && srv.requests <= 440, `server saw ${srv.requests}`);
  assert.equal(r.open_model?.intended, 400);
  assert.equal(r.open_model?.dropped, 0);
  assert.ok(r.rps > 180 && r.rps < 220, String(r.rps));
  assert.ok(r.latency_uncorrected_ms && r.latency_uncorrected_ms.count === r.latency_ms.count);
});

test('open model: a 1 s stall shows in the corrected p99, not in the uncorrected one', async (t) => {
  // One connection, 100 sends/s for 3 s (300 sends); request #50 stalls 1 s. The ~100 sends
  // intended during the stall queue behind it and go out back-to-back when it ends: measured
  // from their intended times they took 0..1000 ms (a third of all samples, so p99 ~ 1 s);
  // measured from their actual send (uncorrected) only the stalled one is slow (1 of 300,
  // under 1 %, so its p99 stays small). Deterministic up to scheduling noise of a few ms.
  const srv = await startServer((_req, res, n) => {
    if (n === 50) setTimeout(() => res.end('{}'), 1000);
    else res.end('{}');
  });
  t.after(() => srv.close());
  const r = await startLoad({
    targets: [srv.url],
    model: { kind: 'open', rate: 100, connections: 1 },
    durationMs: 3000,
    templates: [{ method: 'GET', path: '/' }],
  }).result;
  const c = r.latency_ms;
  const u = r.latency_uncorrected_ms!;
  assert.ok(c.p99 > 800, `corrected p99 ${c.p99}`);
  assert.ok(c.max >= 1000, `corrected max ${c.max}`);
  assert.ok(u.p99 < 100, `uncorrected p99 ${u.p99}`);
  assert.ok(u.max >= 1000, `uncorrected max ${u.max} (the stalled request itself)`);
  assert.ok(r.open_model!.late >= 90, `late ${r.open_model!.late}`);
  assert.equal(r.open_model!.dropped, 0);
});

test('open model: sends beyond maxInFlight are dropped and counted', async (t) => {
  const srv = await startServer((_req, res) => setTimeout(() => res.end('{}'), 200));
  t.after(() => srv.close());
  const r = await startLoad({
    targets: [srv.url],
    model: { kind: 'open', rate: 100, connections: 2, maxInFlight: 2 },
    durationMs: 1000,
    templates: [{ method: 'GET', path: '/' }],
  }).result;
  // 2 outstanding at 200 ms each: ~10 sent of 100 intended
  assert.equal(r.open_model!.intended, 100);
  assert.ok(r.open_model!.dropped >= 80, `dropped ${r.open_model!.dropped}`);
  assert.equal(r.reliable, false);
  assert.match(r.unreliable_reasons.join(' '), /dropped at maxInFlight/);
});

test('open model: stages step the rate; sends are spread over the targets', async (t) => {
  const a = await startServer();
  const b = await startServer();
  t.after(() => Promise.all([a.close(), b.close()]).then(() => undefined));
  const r = await startLoad({
    targets: [a.url, b.url],
    model: { kind: 'open', stages: [{ rate: 50, durationMs: 1000 }, { rate: 150, durationMs: 1000 }], connections: 4 },
    durationMs: 2000,
    templates: [{ method: 'GET', path: '/' }],
  }).result;
  assert.equal(r.open_model!.intended, 200);
  assert.equal(a.requests + b.requests, 200);
  assert.ok(Math.abs(a.requests - b.requests) <= 1);
  assert.ok(r.timeseries[0].requests >= 35 && r.timeseries[0].requests <= 65, JSON.stringify(r.timeseries));
  assert.ok(r.timeseries[1].requests >= 120 && r.timeseries[1].requests <= 180, JSON.stringify(r.timeseries));
});

test('warm-up is excluded from statistics', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  const r = await startLoad({
    targets: [srv.url],
    model: { kind: 'open', rate: 100 },
    durationMs: 1000,
    warmupMs: 500,
    templates: [{ method: 'GET', path: '/' }],
  }).result;
  assert.ok(srv.requests >= 140 && srv.requests <= 160, `server ${srv.requests}`);
  assert.equal(r.open_model!.intended, 100);
  assert.ok(r.requests >= 95 && r.requests <= 100, `measured ${r.requests}`);
  assert.ok(Math.abs(r.duration_s - 1) < 0.05, String(r.duration_s));
});
