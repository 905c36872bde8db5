// Reports rendered from the sample results in test/fixtures/results (made by
// make-fixtures.mjs): console, Markdown, HTML (drawn in headless Chromium), compare,
// findings, and the errors for files that are not results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { readResult } from '../lib/result-file.js';
import { renderConsole } from '../reports/console.js';
import { renderMarkdown } from '../reports/markdown.js';
import { renderHtml, distribution } from '../reports/html.js';
import { renderCompare } from '../reports/compare.js';
import { findings, parseAxes } from '../reports/findings.js';
import { change, ms } from '../reports/format.js';
import { isGbError } from '../lib/errors.js';
import { chromiumSkipReason, renderInChromium } from './helpers/chromium.js';

const FIX = new URL('../../test/fixtures/results/', import.meta.url).pathname;
const A = join(FIX, 'run-a.json');
const B = join(FIX, 'run-b.json');
const CLI = new URL('../cli/bench.js', import.meta.url).pathname;

test('console report: the seed table per variant, the comparison table, findings from the numbers', () => {
  const r = readResult(A);
  const out = renderConsole(r);
  for (const h of ['Type', 'Name', '# reqs', '# fails', 'Median (ms)', '95%ile (ms)', '99%ile (ms)', 'Average (ms)', 'Current RPS']) assert.ok(out.includes(h), h);
  assert.match(out, /POST\s+│ \/chat\/completions/);
  assert.match(out, /Custom\s+│ LiteLLM Overhead Duration \(ms\)/);
  for (const h of ['ovh p99', 'CPU µs/req', 'RSS MB', 'integrity']) assert.ok(out.includes(h), h);
  // numbers from the fixture, as the findings state them
  const p50a = r.variants[0].latency_ms.p50;
  const p50b = r.variants[1].latency_ms.p50;
  assert.ok(out.includes(`4 instances vs 2: median latency ${ms(p50a)} → ${ms(p50b)} ms (${change(p50a, p50b)})`), out);
  assert.ok(out.includes('instances outnumber cores'));
});

test('findings: one-axis pairs only, base is the first value, lost data is called out', () => {
  const b = readResult(B);
  const f = findings(b);
  assert.equal(f.filter((x) => x.startsWith('4 instances vs 2')).length, 1);
  assert.ok(f.some((x) => /instances=4 LOST DATA \(spend log rows = requests answered — 17 missing/.test(x)), f.join('\n'));
  assert.deepEqual(parseAxes('instances=2,redis=off'), { instances: '2', redis: 'off' });
  assert.equal(parseAxes('smoke'), null);
  // a 2×2 matrix: each axis compared within the other's values, never diagonally
  const v = b.variants[0];
  const grid = ['instances=2,redis=off', 'instances=2,redis=on', 'instances=4,redis=off', 'instances=4,redis=on'].map((name) => ({ ...v, name, integrity: null }));
  const g = findings({ ...b, variants: grid });
  assert.equal(g.filter((x) => / vs /.test(x)).length, 4);
  assert.ok(g.some((x) => x.startsWith('4 instances vs 2 (redis=on)')));
  assert.ok(g.some((x) => x.startsWith('redis=on vs redis=off (instances=4)')));
});

test('markdown report has every table and marks data loss', () => {
  const md = renderMarkdown(readResult(B));
  assert.match(md, /^# gatebench: /);
  assert.match(md, /\| Type \| Name \| # reqs \|/);
  assert.match(md, /## Comparison/);
  assert.match(md, /LOST DATA \(spend log rows = requests answered: \d+\/\d+\)/);
});

test('compare: the two runs side by side with the change of each figure', () => {
  const a = readResult(A);
  const b = readResult(B);
  const out = renderCompare(a, b, ['a.json', 'b.json']);
  const p99a = a.variants[0].latency_ms.p99;
  const p99b = b.variants[0].latency_ms.p99;
  assert.match(out, /── instances=2/);
  const line = out.split('\n').find((l) => l.includes('latency p99 (ms)'))!;
  assert.ok(line.includes(ms(p99a)) && line.includes(ms(p99b)) && line.includes(change(p99a, p99b)), line);
  assert.equal(change(100, 50), '−50%');
  assert.equal(change(100, 113), '+13%');
  assert.equal(change(0, 0), '±0%');
});

test('HTML report is self-contained: uPlot inlined, no external references', () => {
  const html = renderHtml(readResult(A));
  assert.ok(html.includes('uPlot'));
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.doesNotMatch(html, /<link[^>]+href=/i);
  assert.doesNotMatch(html, /url\(\s*['"]?https?:/i);
  const d = distribution(readResult(A).variants[0].histograms.latency)!;
  assert.equal(d.nines[0], 0);
  assert.ok(d.nines.at(-1)! >= 4, 'up to p99.99 for 20k samples');
  for (let i = 1; i < d.ms.length; i++) assert.ok(d.ms[i]! >= d.ms[i - 1]!, 'percentiles never decrease');
});

test('HTML report draws its charts in headless Chromium, offline', { skip: chromiumSkipReason() }, async () => {
  const r = await renderInChromium(renderHtml(readResult(A)));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.networkRequests.filter((u) => !u.startsWith('about:') && !u.startsWith('data:')), []);
  assert.equal(r.chartsDrawn, 4);
  assert.equal(r.canvases.length, 4);
  for (const [id, count, ink] of r.canvases) {
    assert.ok(count >= 1, `${id}: a canvas`);
    assert.ok(ink > 50, `${id}: something drawn (${ink} inked samples)`);
  }
});

test('bench report and bench compare from the command line; bad files are exit 2 with a reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-reports-test-'));
  try {
    const md = spawnSync(process.execPath, [CLI, 'report', A, '--format', 'md'], { encoding: 'utf8' });
    assert.equal(md.status, 0, md.stderr);
    assert.match(md.stdout, /## Comparison/);
    const html = spawnSync(process.execPath, [CLI, 'report', A, '--format', 'html', '--out', join(dir, 'r.html')], { encoding: 'utf8' });
    assert.equal(html.status, 0, html.stderr);
    const cmp = spawnSync(process.execPath, [CLI, 'compare', A, B], { encoding: 'utf8' });
    assert.equal(cmp.status, 0, cmp.stderr);
    assert.match(cmp.stdout, /change/);
    const badFormat = spawnSync(process.execPath, [CLI, 'report', A, '--format', 'pdf'], { encoding: 'utf8' });
    assert.equal(badFormat.status, 2);
    assert.match(badFormat.stderr, /--format.*md, html/);
    writeFileSync(join(dir, 'x.json'), '{"schema":"something-else","variants":[]}');
    const bad = spawnSync(process.execPath, [CLI, 'report', join(dir, 'x.json')], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /not a gatebench result: schema is "something-else"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readResult: not JSON, a missing file and broken variants are clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-reports-test-'));
  try {
    writeFileSync(join(dir, 'a.json'), '{ nope');
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ schema: 'gatebench/result@1', variants: [{ name: 1 }] }));
    for (const [f, re] of [
      ['a.json', /not JSON/],
      ['missing.json', /cannot read/],
      ['b.json', /3 problem/],
    ] as const) {
      assert.throws(() => readResult(join(dir, f)), (e: unknown) => isGbError(e) && re.test(e.message) && e.exitCode === 2);
    }
    try {
      readResult(join(dir, 'b.json'));
    } catch (e) {
      assert.ok(isGbError(e));
      assert.ok(e.problems.some((p) => p.startsWith('variants[0].name')));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
