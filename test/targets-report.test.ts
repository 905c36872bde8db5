// The gateway comparison table and chart data, from a hand-made comparison in the old
// `gatebench/gateways@1` form, converted on load into the result contract as files are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode, newHistogram, percentilesOf } from '../lib/measure.js';
import { fromGatewaysV1, type GatewaysV1, type TargetResultV1 } from '../lib/gateways-v1.js';
import type { RunResult } from '../lib/result.js';
import { gatewayOverheadSeries, gatewayTable as tableOf, renderGatewayMarkdown as markdownOf, renderGatewayTable as terminalOf } from '../reports/gateways/index.js';
import type { TargetKind } from '../runner/targets/types.js';

type ComparisonResult = GatewaysV1;
type TargetResult = TargetResultV1;
const asResult = (c: ComparisonResult): RunResult => fromGatewaysV1(c, 'gateways.json');
const gatewayTable = (c: ComparisonResult) => tableOf(asResult(c));
const renderGatewayTable = (c: ComparisonResult) => terminalOf(asResult(c));
const renderGatewayMarkdown = (c: ComparisonResult) => markdownOf(asResult(c));
const comparisonToVariants = (c: ComparisonResult) => asResult(c).variants;

function hist(valuesUs: number[]) {
  const h = newHistogram();
  for (const v of valuesUs) h.recordValue(v);
  return h;
}

function target(name: string, kind: TargetKind, o: { lat: number[]; ovh: number[]; header?: number[]; cpu: number | null; rss: number | null; requests: number; failed?: number }): TargetResult {
  const lat = hist(o.lat);
  const ovh = hist(o.ovh);
  const hdr = o.header ? hist(o.header) : null;
  return {
    name,
    target: kind,
    requests: o.requests,
    failures: o.failed ? { '502': o.failed } : {},
    failed: o.failed ?? 0,
    duration_s: 10,
    rps: o.requests / 10,
    latency_ms: percentilesOf(lat),
    overhead_ms: hdr ? percentilesOf(hdr) : null,
    overhead_ledger_ms: percentilesOf(ovh),
    overhead_request_path_ms: percentilesOf(ovh),
    overhead_response_path_ms: percentilesOf(ovh),
    ledger_unmatched: 0,
    gateway_cpu_us_per_req: o.cpu,
    gateway_rss_mb: o.rss,
    rounds: 3,
    reliable: true,
    unreliable_reasons: [],
    loadgen: null,
    histograms: { latency: encode(lat), overhead_ledger: encode(ovh), ...(hdr ? { overhead_header: encode(hdr) } : {}) },
  };
}

const result: ComparisonResult = {
  schema: 'gatebench/gateways@1',
  round_ms: 10_000,
  rounds: 3,
  order: ['reference', 'portkey', 'direct'],
  targets: [
    target('reference', 'reference', { lat: [1000, 1100, 1200], ovh: [100, 110, 120], header: [90, 100, 110], cpu: 50, rss: 80, requests: 3000 }),
    target('portkey', 'portkey', { lat: [3000, 3300, 9000], ovh: [2000, 2200, 8000], cpu: 1200, rss: 140, requests: 1000, failed: 2 }),
    target('direct', 'direct', { lat: [900, 950, 1000], ovh: [10, 12, 14], cpu: null, rss: null, requests: 3300 }),
  ],
  skipped: [{ name: 'litellm', target: 'litellm', unavailable: 'litellm: no command or url — see docs/gateways.md' }],
};

test('table: one column per target, comments name the better gateway and by how much', () => {
  const g = gatewayTable(result);
  assert.deepEqual(g.head, ['Metric', 'reference', 'portkey', 'direct', 'Comment']);
  const row = (label: string) => g.rows.find((r) => r[0].startsWith(label))!;
  assert.deepEqual(row('CPU µs per request'), ['CPU µs per request (µs)', '50', '1,200', '—', 'reference 24× lower than portkey']);
  assert.deepEqual(row('Total requests'), ['Total requests', '3,000', '1,000', '3,300', 'reference 3.0× higher than portkey']);
  assert.equal(row('Failed requests')[4], 'reference none, portkey 2');
  assert.equal(row('Median latency')[4], 'reference 3.0× lower than portkey');
  assert.equal(row('RSS')[4], 'reference 1.8× lower than portkey');
  // the reference's own header is shown beside the ledger figure
  assert.equal(row('Overhead p50')[1], '0.11 (header 0.10)');
  assert.equal(row('Overhead p50')[2], '2.20');
  // direct is the floor, never the "winner" when there are gateways to compare
  assert.ok(!g.rows.some((r) => r[4].startsWith('direct')));
  assert.ok(g.notes.some((n) => n.includes('litellm (litellm): skipped') && n.includes('docs/gateways.md')));
});

test('comment: the same value reads Same; a small gap reads as a percentage', () => {
  const two: ComparisonResult = {
    ...result,
    targets: [
      target('a', 'url', { lat: [1000], ovh: [100], cpu: null, rss: null, requests: 1000 }),
      target('b', 'url', { lat: [1100], ovh: [100], cpu: null, rss: null, requests: 1000 }),
    ],
    skipped: [],
  };
  const g = gatewayTable(two);
  assert.equal(g.rows.find((r) => r[0] === 'Total requests')![3], 'Same');
  assert.equal(g.rows.find((r) => r[0].startsWith('Median latency'))![3], 'a 10% lower than b');
});

test('renderings: terminal table and Markdown carry the same cells and notes', () => {
  const term = renderGatewayTable(result);
  assert.match(term, /reference 24× lower than portkey/);
  assert.match(term, /skipped/);
  const md = renderGatewayMarkdown(result);
  const lines = md.split('\n');
  assert.equal(lines[0], '| Metric | reference | portkey | direct | Comment |');
  assert.equal(lines[1], '| --- | ---: | ---: | ---: | --- |');
  assert.ok(lines.includes('| **CPU µs per request (µs)** | 50 | 1,200 | — | reference 24× lower than portkey |'));
});

test('chart data: every target on one percentile axis (reports/html.ts nines grid)', () => {
  const s = gatewayOverheadSeries(asResult(result));
  assert.deepEqual(s.variants, ['reference', 'portkey', 'direct']);
  assert.equal(s.overhead.length, 3);
  assert.equal(s.overhead_header[1], null, 'portkey sends no overhead header');
  assert.ok(s.overhead_header[0], 'the reference does');
  const portkey = s.overhead[1]!;
  assert.equal(portkey.nines[0], 0);
  assert.equal(portkey.nines.length, portkey.ms.length);
  assert.ok(Math.abs(portkey.ms[0]! - 2.0) < 0.005, 'p0 = the smallest value');
  const p90 = portkey.nines.indexOf(1);
  assert.ok(Math.abs(portkey.ms[p90]! - 8.0) < 0.01, 'p90 of [2.0, 2.2, 8.0] ms');
  for (const x of s.overhead) for (let i = 1; i < x!.ms.length; i++) assert.ok(x!.ms[i]! >= x!.ms[i - 1]!, 'monotone');
});

test('result contract: one variant per target, with the ledger figures and the header histogram', () => {
  const vs = comparisonToVariants(result);
  assert.deepEqual(
    vs.map((v) => [v.name, v.gateway?.kind]),
    [
      ['reference', 'reference'],
      ['portkey', 'portkey'],
      ['direct', 'direct'],
    ],
  );
  assert.equal(vs[0].overhead_ledger_ms, result.targets[0].overhead_ledger_ms);
  assert.ok(vs[0].histograms.headers['x-litellm-overhead-duration-ms']);
  assert.deepEqual(vs[1].histograms.headers, {});
  assert.equal(vs[1].gateway_cpu_us_per_req, 1200);
  assert.deepEqual(vs[1].failures, { '502': 2 });
});

test('comment: nginx and direct are yardsticks, not ranked against two gateways', () => {
  const withFloor: ComparisonResult = {
    ...result,
    targets: [
      ...result.targets,
      target('nginx', 'nginx', { lat: [950, 960, 970], ovh: [40, 41, 42], cpu: 15, rss: 12, requests: 3200 }),
    ],
  };
  const g = gatewayTable(withFloor);
  const cpu = g.rows.find((r) => r[0].startsWith('CPU'))!;
  assert.equal(cpu[4], '15');
  assert.equal(cpu[5], 'reference 24× lower than portkey');
  // with only one gateway left, the yardsticks are compared too
  const one = gatewayTable({ ...withFloor, targets: withFloor.targets.filter((t) => t.name !== 'portkey') });
  assert.equal(one.rows.find((r) => r[0].startsWith('CPU'))![4], 'nginx 3.3× lower than reference');
});
