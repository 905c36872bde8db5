// Pure parts of the load generator: percentile maths, encoding/merging, current RPS,
// templates, options validation and the table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, currentRps, decode, mergeEncoded, percentilesOf, encode, SEED_TEMPLATE, validateLoadOptions } from '../loadgen/index.js';
import { newHistogram } from '../loadgen/recorder.js';
import { renderSeedTable } from '../reports/seed-table.js';
import { compileTemplates, renderBody, renderHeaders, newBodyBuffer } from '../loadgen/template.js';
import { templateSchema } from '../loadgen/config.js';
import { parseWait } from '../loadgen/command.js';
import { isGbError } from '../lib/errors.js';
import type { SecondSample } from '../lib/result.js';

// resolution at 3 significant digits: values near 500 ms are kept to within 0.1 %
const near = (actual: number, expected: number, tol = expected * 0.001 + 0.001) => assert.ok(Math.abs(actual - expected) <= tol, `${actual} not within ${tol} of ${expected}`);

test('percentiles of 1..1000 ms are exact to the histogram resolution', () => {
  const h = newHistogram();
  for (let i = 1; i <= 1000; i++) h.recordValue(i * 1000);
  const p = percentilesOf(h);
  near(p.p50, 500);
  near(p.p90, 900);
  near(p.p95, 950);
  near(p.p99, 990);
  near(p.p999, 999);
  near(p.max, 1000);
  near(p.mean, 500.5);
  assert.equal(p.count, 1000);
});

test('an empty histogram gives zeros with count 0', () => {
  assert.deepEqual(percentilesOf(newHistogram()), { p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 });
});

test('encode/decode round-trips and mergeEncoded adds', () => {
  const a = newHistogram();
  const b = newHistogram();
  for (let i = 1; i <= 500; i++) a.recordValue(i * 1000);
  for (let i = 501; i <= 1000; i++) b.recordValue(i * 1000);
  assert.equal(decode(encode(a)).totalCount, 500);
  const m = decode(mergeEncoded(encode(a), encode(b)));
  assert.equal(m.totalCount, 1000);
  near(percentilesOf(m).p50, 500);
});

test('current RPS is the mean of the last 10 complete seconds', () => {
  const s = (t: number, requests: number): SecondSample => ({ t, requests, failures: 0, p50_ms: null, p99_ms: null, users: 0, in_flight: 0 });
  const series = [s(1, 1000), s(2, 1000), ...Array.from({ length: 10 }, (_v, i) => s(i + 3, 100 + i))];
  assert.equal(currentRps(series), 104.5);
  assert.equal(currentRps(series.slice(0, 2)), 1000);
  assert.equal(currentRps([]), 0);
});

test('templates: one uuid per request in body and header, seq, env with default, repeat', () => {
  process.env.GB_TEST_KEY = 'k-1';
  const t = templateSchema.parse({
    path: '/x',
    headers: { Authorization: 'Bearer {{env.GB_TEST_KEY}}', 'x-other': '{{env.GB_UNSET_VAR:-dflt}}', 'x-trace': 't-{{uuid}}' },
    body: { a: '{{uuid}} {{repeat 3 "ab \\"c\\""}}', n: '{{seq}}' },
  });
  const { compiled } = compileTemplates([t]);
  const c = compiled[0];
  assert.equal(c.fixedLength, -1, 'seq makes the length variable');
  const body = JSON.parse(renderBody(c, '11111111-2222-3333-4444-555555555555', 42, null).toString()) as { a: string; n: string };
  assert.equal(body.a, '11111111-2222-3333-4444-555555555555 ab "c"ab "c"ab "c"');
  assert.equal(body.n, '42');
  const h = renderHeaders(c, 'ID', 1, true);
  const hm = Object.fromEntries(Array.from({ length: h.length / 2 }, (_v, i) => [h[2 * i], h[2 * i + 1]]));
  assert.deepEqual(hm, { authorization: 'Bearer k-1', 'x-other': 'dflt', 'content-type': 'application/json', 'x-trace': 't-ID', 'x-request-id': 'ID' });
});

test('templates: unknown placeholders and unset env vars are reported together', () => {
  const t = templateSchema.parse({ body: { a: '{{nope}}', b: '{{env.GB_SURELY_UNSET}}' } });
  assert.throws(
    () => compileTemplates([t]),
    (e: unknown) => isGbError(e) && e.problems.length === 2 && e.problems.some((p) => p.includes('{{nope}}')) && e.problems.some((p) => p.includes('GB_SURELY_UNSET')),
  );
});

test('the seed template renders in place: ~11 KB, content starts with the request id', () => {
  delete process.env.API_KEY;
  const { compiled } = compileTemplates([templateSchema.parse(SEED_TEMPLATE)]);
  const c = compiled[0];
  assert.ok(c.fixedLength > 10_000 && c.fixedLength < 12_000, String(c.fixedLength));
  const buf = newBodyBuffer(c);
  const id = '9f0c2b1e-0000-4000-8000-000000000001';
  const out = renderBody(c, id, 0, buf);
  assert.equal(out, buf, 'rendered in place');
  const body = JSON.parse(out.toString()) as { model: string; user: string; messages: Array<{ content: string }> };
  assert.equal(body.model, 'db-openai-endpoint');
  assert.equal(body.user, 'my-new-end-user-1');
  assert.ok(body.messages[0].content.startsWith(`${id} This is a test there will be no cache hits`));
  assert.equal(body.messages[0].content.split("we'll fill up the context").length - 1, 150);
  assert.ok(renderHeaders(c, id, 0, false).includes('Bearer sk-1234567890'));
});

test('validateLoadOptions lists every problem with its path', () => {
  assert.throws(
    () => validateLoadOptions({ targets: ['ftp://x'], model: { kind: 'closed', users: 0, spawnRate: 1 }, durationMs: -1, templates: [{ path: 'nope' }] }),
    (e: unknown) => {
      if (!isGbError(e) || e.exitCode !== 2) return false;
      const want = ['targets[0]', 'model', 'durationMs', 'templates[0].path'];
      return want.every((w) => e.problems.some((p) => p.startsWith(w)));
    },
  );
  const ok = validateLoadOptions({ targets: ['http://127.0.0.1:1'], model: { kind: 'open', rate: 10 }, durationMs: 1000, templates: [{}] });
  assert.equal(ok.requestTimeoutMs, 30_000);
});

test('parseWait understands the CLI forms', () => {
  assert.deepEqual(parseWait('0.5-1'), { between: [0.5, 1] });
  assert.deepEqual(parseWait('2'), { constant: 2 });
  assert.deepEqual(parseWait('pacing:1'), { constant_pacing: 1 });
  assert.deepEqual(parseWait('throughput:3'), { constant_throughput: 3 });
  assert.equal(parseWait('1-0.5'), null);
  assert.equal(parseWait('soon'), null);
});

test('the table has name, Custom and requests-only Aggregated rows, and says why unreliable', () => {
  const lat = newHistogram();
  const over = newHistogram();
  for (let i = 1; i <= 100; i++) lat.recordValue(i * 1000);
  for (let i = 0; i < 100; i++) over.recordValue(2000);
  const r = aggregate({
    names: ['/chat/completions'],
    methods: ['POST'],
    latency: lat,
    latencyUncorrected: null,
    ttfb: newHistogram(),
    ttft: newHistogram(),
    itl: newHistogram(),
    headerNames: ['x-litellm-overhead-duration-ms'],
    headers: [over],
    byName: [{ latency: lat, requests: 100, failures: 0 }],
    requests: 100,
    failures: {},
    failureCount: 0,
    promptTokens: 0,
    completionTokens: 0,
    open: null,
    durationS: 10,
    timeseries: [],
    overheadHeader: 'x-litellm-overhead-duration-ms',
    self: { cpu_percent: 95, event_loop_delay_p99_ms: 1, rss_mb: 50 },
  });
  assert.equal(r.rps, 10);
  assert.equal(r.overhead_ms?.p50, 2);
  assert.equal(r.reliable, false);
  const table = renderSeedTable(r);
  const agg = table.split('\n').find((l) => l.includes('Aggregated'))!;
  // HDR reports a bucket's highest equivalent value: 50 ms at 3 significant digits is 50.02
  assert.match(agg, /│ 100\s+│ 0\s+│ 50\.0\d\s+│ 95\.0\d\s+│ 99\.0\d\s+│ 50\.5\d/);
  assert.match(table, /Custom\s+│ LiteLLM Overhead Duration \(ms\)\s+│ 100 /);
  assert.match(table, /UNRELIABLE: load generator CPU at 95\.0%/);
});
