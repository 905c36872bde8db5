// A gateway comparison is a result like any other: `bench run` on a scenario with `targets:`
// writes a gatebench/result@1 (variants = targets) with report.md and report.html, evaluates
// the scenario's thresholds (exit 99 naming the failed one), and `bench report`, `bench
// compare` and `bench gate` read the file — and the old gatebench/gateways@1 files too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode, newHistogram, percentilesOf } from '../lib/measure.js';
import { RESULT_SCHEMA, type RunResult } from '../lib/result.js';
import { readResult } from '../lib/result-file.js';
import { renderHtml } from '../reports/html.js';
import { chromiumSkipReason, renderInChromium } from './helpers/chromium.js';
import { runBench } from './helpers/bench-cli.js';


const bench = (args: string[]) => runBench(args);

const SCENARIO = `name: gateways-tiny
upstream:
  latency: fixed:1
load:
  model: closed
  users: 2
  spawn_rate: 100
  wait: { constant: 0.01 }
  duration: 2s
compare:
  round: 1s
warmup: 0s
targets:
  - { type: reference, name: reference, instances: 1 }
  - { type: direct, name: direct }
thresholds:
  - requests > 0
  - variant[target=direct].latency_ms.p50 < 0.0001
`;

test('a gateway scenario: one result, every report file, thresholds exit 99 naming the failed one; report, compare and gate read it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-gateways-result-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const scenario = join(dir, 'gateways.yaml');
  writeFileSync(scenario, SCENARIO);
  const out = join(dir, 'out');
  const run = await bench(['run', scenario, '--out', out]);
  assert.equal(run.code, 99, `exit ${run.code}\n${run.stderr}`);
  assert.match(run.stderr, /variant\[target=direct\]\.latency_ms\.p50 < 0\.0001/, run.stderr);
  assert.match(run.stderr, /1 threshold\(s\) failed|1 of 2 check\(s\) failed/, run.stderr);
  assert.doesNotMatch(run.stderr, /✗ requests > 0/);
  // the comparison table on stdout, as before
  assert.match(run.stdout, /Metric\s*│\s*reference\s*│\s*direct/);

  const file = join(out, 'result.json');
  for (const f of ['result.json', 'report.md', 'report.html']) assert.ok(existsSync(join(out, f)), `${f} written`);
  const r = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
  assert.equal(r.schema, RESULT_SCHEMA);
  assert.deepEqual(
    r.variants.map((v) => [v.name, v.gateway?.kind, v.settings.target]),
    [
      ['reference', 'reference', 'reference'],
      ['direct', 'direct', 'direct'],
    ],
  );
  assert.deepEqual(r.comparison?.order, ['reference', 'direct']);
  assert.equal(r.comparison?.rounds, 2);
  for (const v of r.variants) {
    assert.ok(v.requests > 0, v.name);
    assert.ok(v.histograms.overhead_ledger, `${v.name}: the ledger overhead histogram is kept`);
    assert.equal(v.overhead_ledger_ms?.count, v.requests, `${v.name}: every request joined with the ledger`);
  }
  assert.ok(r.variants[0].histograms.headers['x-litellm-overhead-duration-ms'], 'the reference sends its own header');
  assert.ok((r.variants[0].gateway_cpu_us_per_req ?? 0) > 0, 'CPU charged to the reference proxy');
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  const data = JSON.parse(/<script id="gb-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]) as { variants: string[]; overhead: unknown[] };
  assert.deepEqual(data.variants, ['reference', 'direct']);
  assert.ok(data.overhead.every((d) => d !== null), 'every target on the overhead chart');

  for (const format of ['console', 'md', 'html', 'json']) {
    const rep = await bench(['report', file, '--format', format]);
    assert.equal(rep.code, 0, `report --format ${format}: ${rep.stderr}`);
    assert.match(rep.stdout, /reference/);
  }
  const cmp = await bench(['compare', file, file]);
  assert.equal(cmp.code, 0, cmp.stderr);
  assert.match(cmp.stdout, /── reference/);
  assert.match(cmp.stdout, /── direct/);
  // the gate wants 3 trials a side: the same file three times (a baseline built from it, and the candidates)
  const base = await bench(['baseline', 'update', scenario, '--from', file, file, file, '--dir', dir, '--name', 'gw']);
  assert.equal(base.code, 0, base.stderr);
  const gate = await bench(['gate', file, file, file, '--baseline', join(dir, 'gw.json'), '--json']);
  assert.equal(gate.code, 0, gate.stderr);
  const report = JSON.parse(gate.stdout) as { figures: { figure: string; verdict: string }[] };
  const cpu = report.figures.find((f) => f.figure === 'cpu_us_per_req');
  assert.equal(cpu?.verdict, 'no significant change', 'the reference judged, direct its yardstick');
});

function hist(valuesUs: number[]): string {
  const h = newHistogram();
  for (const v of valuesUs) h.recordValue(v);
  return encode(h);
}

test('an old gatebench/gateways@1 file is converted on load; a broken one says how to get a new file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-gateways-v1-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lat = newHistogram();
  for (const v of [1000, 1100, 1200]) lat.recordValue(v);
  const target = (name: string, kind: string, cpu: number | null) => ({
    name,
    target: kind,
    requests: 3,
    failures: {},
    failed: 0,
    duration_s: 1,
    rps: 3,
    latency_ms: percentilesOf(lat),
    overhead_ms: null,
    overhead_ledger_ms: percentilesOf(lat),
    overhead_request_path_ms: null,
    overhead_response_path_ms: null,
    ledger_unmatched: 0,
    gateway_cpu_us_per_req: cpu,
    gateway_rss_mb: null,
    rounds: 1,
    reliable: true,
    unreliable_reasons: [],
    loadgen: null,
    histograms: { latency: hist([1000, 1100, 1200]), overhead_ledger: hist([100, 110, 120]) },
  });
  const v1 = { schema: 'gatebench/gateways@1', round_ms: 1000, rounds: 1, order: ['reference', 'direct'], targets: [target('reference', 'reference', 50), target('direct', 'direct', null)], skipped: [] };
  const good = join(dir, 'old.json');
  writeFileSync(good, JSON.stringify(v1));
  const rep = await bench(['report', good]);
  assert.equal(rep.code, 0, rep.stderr);
  assert.match(rep.stdout, /CPU µs per request \(µs\)\s*│\s*50\s*│/);
  const html = await bench(['report', good, '--format', 'html']);
  assert.equal(html.code, 0, html.stderr);
  assert.match(html.stdout, /<h2>Gateways<\/h2>/);
  const cmp = await bench(['compare', good, good]);
  assert.equal(cmp.code, 0, cmp.stderr);
  const base = await bench(['baseline', 'update', good, '--from', good, good, good, '--dir', dir, '--name', 'old']);
  assert.equal(base.code, 0, base.stderr);
  const gate = await bench(['gate', good, good, good, '--baseline', join(dir, 'old.json'), '--figures', 'cpu_us_per_req']);
  assert.equal(gate.code, 0, gate.stderr);
  assert.match(gate.stdout + gate.stderr, /cpu_us_per_req/);

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...v1, targets: [{ name: 'x' }] }));
  const refused = await bench(['report', bad]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /re-run its scenario/);
  assert.match(refused.stderr, /targets\[0\]\.latency_ms: expected percentiles/);
});

test('a comparison\'s report.html draws every target\'s overhead on one chart, offline', { skip: chromiumSkipReason() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-gateways-html-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const target = (name: string, kind: string, ovhUs: number[]) => ({
    name,
    target: kind,
    requests: ovhUs.length,
    failures: {},
    failed: 0,
    duration_s: 1,
    rps: ovhUs.length,
    latency_ms: percentilesOf(newHistogram()),
    overhead_ms: null,
    overhead_ledger_ms: null,
    overhead_request_path_ms: null,
    overhead_response_path_ms: null,
    ledger_unmatched: 0,
    gateway_cpu_us_per_req: null,
    gateway_rss_mb: null,
    rounds: 1,
    reliable: true,
    unreliable_reasons: [],
    loadgen: null,
    histograms: { latency: hist(ovhUs.map((x) => x + 1000)), overhead_ledger: hist(ovhUs) },
  });
  const spread = (base: number) => Array.from({ length: 200 }, (_x, i) => base + i * 3);
  const file = join(dir, 'old.json');
  writeFileSync(file, JSON.stringify({ schema: 'gatebench/gateways@1', round_ms: 1000, rounds: 1, order: ['a', 'b', 'direct'], targets: [target('a', 'reference', spread(100)), target('b', 'portkey', spread(2000)), target('direct', 'direct', spread(10))], skipped: [] }));
  const html = renderHtml(readResult(file));
  const r = await renderInChromium(html);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.networkRequests.filter((u) => !u.startsWith('about:') && !u.startsWith('data:')), []);
  // the latency and the overhead distributions; no time line for interleaved rounds
  assert.equal(r.chartsDrawn, 2);
  const overhead = r.canvases.find(([id]) => id === 'chart-overhead-dist');
  assert.ok(overhead && overhead[2] > 50, `the overhead chart is drawn: ${JSON.stringify(r.canvases)}`);
  const data = JSON.parse(/<script id="gb-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]) as { variants: string[]; overhead: ({ ms: number[] } | null)[] };
  assert.deepEqual(data.variants, ['a', 'b', 'direct']);
  assert.equal(data.overhead.filter(Boolean).length, 3, 'one line per target');
});
