// A sharded run simulated on one machine: three `bench load --shard I/3` processes wait for one
// --start-at instant and load one fake upstream, then `bench merge` makes one result of them.
// The upstream stamps every answer with a sample of a known distribution (x-sample-ms, uniform
// on [0, 100) ms at µs precision) and the test keeps every sample it sent: the shards record
// that header in HDR histograms, so the merged histogram must equal — bucket for bucket — one
// built here from the union of the raw samples. Timing is never asserted: the comparison with
// one process running the whole load is on the sampled distribution and the intended sends.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsHistogram } from 'hdr-histogram-js';
import { resolveOptions } from '../fake-upstream/index.js';
import { Upstream } from '../fake-upstream/server.js';
import type { RunResult, VariantResult } from '../lib/result.js';
import { decode } from '../loadgen/index.js';
import { msToUs, newHistogram } from '../lib/measure.js';
import { runBench } from './helpers/bench-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'gb-shards-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const bench = (args: string[]) => runBench(args);

/** The fake upstream, every answer stamped with x-sample-ms; `samples` keeps what was sent. */
async function sampledUpstream(): Promise<{ url: string; samples: number[]; requests: () => number; close: () => Promise<void> }> {
  const up = new Upstream(resolveOptions({ latency: { kind: 'fixed', ms: 1 } }));
  const samples: number[] = [];
  // runs before the upstream's own handler; writeHead merges headers set before it
  up.server.prependListener('request', (_req, res) => {
    const ms = Math.floor(Math.random() * 100_000) / 1000;
    samples.push(ms);
    res.setHeader('x-sample-ms', ms.toFixed(3));
  });
  const started = await up.listen();
  return { url: started.url, samples, requests: () => started.stats().requests, close: () => started.close() };
}

/** (value, count) of every non-empty bucket. */
function buckets(h: JsHistogram): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < h.countsArrayLength; i++) {
    const c = h.getCountAtIndex(i);
    if (c > 0) out.push([h.valueFromIndex(i), c]);
  }
  return out;
}

/**
 * Dvoretzky–Kiefer–Wolfowitz: n samples' empirical CDF lies within ε = √(ln(2/α) / 2n) of the true
 * CDF with probability 1 − α. For uniform [0, 100) ms a percentile of n samples is within 100·ε ms
 * of the true one; two runs' percentiles within the sum of their bounds. α = 1e-6: a false failure
 * once in a million runs. Plus HDR's 0.1 % precision.
 */
function dkwMs(n: number, alpha = 1e-6): number {
  return 100 * Math.sqrt(Math.log(2 / alpha) / (2 * n));
}

const RATE = 300;
const LOAD = ['--seed-body', '--rate', String(RATE), '--duration', '2s', '--record-header', 'x-sample-ms'];

test('three shards with one --start-at, then bench merge: counts = the ledger, histograms = the union of the raw samples', async (t) => {
  const up = await sampledUpstream();
  t.after(() => up.close());
  const url = `${up.url}/v1/chat/completions`;
  // far enough ahead for three node processes to start on a busy 2-core machine
  const startAt = new Date(Date.now() + 6000).toISOString();
  const out = join(dir, 'shards');
  const shards = await Promise.all([0, 1, 2].map((i) => bench(['load', url, ...LOAD, '--shard', `${i}/3`, '--start-at', startAt, '--out', out])));
  shards.forEach((r, i) => assert.equal(r.code, 0, `shard ${i}: ${r.stderr}`));
  const files = readdirSync(out).sort();
  assert.deepEqual(files, ['shard-0-of-3.json', 'shard-1-of-3.json', 'shard-2-of-3.json']);
  const parts = files.map((f) => JSON.parse(readFileSync(join(out, f), 'utf8')) as RunResult);
  parts.forEach((p, i) => {
    assert.equal(p.schema, 'gatebench/result@1');
    assert.deepEqual([p.shard?.index, p.shard?.total, p.shard?.start_at], [i, 3, startAt]);
    assert.ok(p.shard!.skew_ms >= 0);
    // each shard drove a third of the rate: 100/s for 2 s
    assert.ok(Math.abs(p.variants[0].open_model!.intended - 200) <= 1, `shard ${i} intended ${p.variants[0].open_model!.intended}`);
    assert.equal(p.variants[0].histograms.seconds?.length, p.variants[0].timeseries.length, 'per-second histograms kept');
  });
  assert.equal(new Set(parts.map((p) => p.shard!.load_digest)).size, 1, 'one load, one digest');

  const merged = await bench(['merge', ...files.map((f) => join(out, f)), '--out', join(dir, 'merged'), '--json']);
  assert.equal(merged.code, 0, merged.stderr);
  const m = JSON.parse(merged.stdout) as RunResult;
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'merged', 'result.json'), 'utf8')), m, 'the file is what --json printed');
  for (const f of ['report.md', 'report.html']) assert.ok(readFileSync(join(dir, 'merged', f), 'utf8').length > 100, f);
  const v = m.variants[0];
  assert.deepEqual(m.shards?.map((s) => s.index), [0, 1, 2]);

  // every request the upstream answered is counted once, and only those
  assert.deepEqual(v.failures, {});
  assert.equal(v.requests, up.requests(), "merged requests = the upstream ledger's count");
  assert.equal(v.requests, parts.reduce((a, p) => a + p.variants[0].requests, 0));
  assert.equal(v.open_model!.intended, parts.reduce((a, p) => a + p.variants[0].open_model!.intended, 0));

  // the merged header histogram is the histogram of the union of the raw samples, bucket for bucket
  const union = newHistogram() as JsHistogram;
  for (const s of up.samples) union.recordValue(msToUs(s));
  const mergedSamples = decode(v.histograms.headers['x-sample-ms']) as JsHistogram;
  assert.equal(mergedSamples.totalCount, up.samples.length);
  assert.deepEqual(buckets(mergedSamples), buckets(union));
  assert.equal(v.headers_ms!['x-sample-ms'].p99, union.getValueAtPercentile(99) / 1000);
  // and the latency histogram is the three shards' added bucket for bucket (none lost, none twice)
  const shardLatency = newHistogram() as JsHistogram;
  for (const p of parts) shardLatency.add(decode(p.variants[0].histograms.latency) as JsHistogram);
  assert.deepEqual(buckets(decode(v.histograms.latency) as JsHistogram), buckets(shardLatency));
  assert.equal(v.latency_ms.count, v.requests);
  // seconds aligned on the common start: each merged second sums the shards' same second
  const sumAt = (t0: number) => parts.reduce((a, p) => a + (p.variants[0].timeseries.find((s) => s.t === t0)?.requests ?? 0), 0);
  assert.ok(v.timeseries.length >= 2);
  for (const s of v.timeseries) assert.equal(s.requests, sumAt(s.t), `second ${s.t}`);

  // one process running the whole load: the same sends and the same distribution of samples
  const before = up.samples.length;
  const single = await bench(['load', url, ...LOAD, '--json']);
  assert.equal(single.code, 0, single.stderr);
  const one = JSON.parse(single.stdout) as VariantResult;
  assert.ok(Math.abs(one.open_model!.intended - v.open_model!.intended) <= 3, `intended: one process ${one.open_model!.intended}, merged ${v.open_model!.intended}`);
  assert.equal(one.requests, up.samples.length - before);
  const tol = dkwMs(v.requests) + dkwMs(one.requests) + 0.1;
  for (const p of ['p50', 'p90', 'p99'] as const) {
    const a = v.headers_ms!['x-sample-ms'][p];
    const b = one.headers_ms!['x-sample-ms'][p];
    assert.ok(Math.abs(a - b) <= tol, `${p}: merged ${a} ms, one process ${b} ms, tolerance ${tol.toFixed(1)} ms`);
  }
});

test('bench load --scenario: the scenario defines the load and its thresholds judge a whole run (exit 99); load flags clash (exit 2)', async (t) => {
  const up = await sampledUpstream();
  t.after(() => up.close());
  const file = join(dir, 'strict.yaml');
  writeFileSync(
    file,
    ['name: strict', 'load: { model: open, rate: 50, duration: 1s, requests: [{ path: /v1/chat/completions, body: seed }] }', 'warmup: 0s', 'thresholds: [ "requests > 1000000" ]', ''].join('\n'),
  );
  const r = await bench(['load', up.url, '--scenario', file]);
  assert.equal(r.code, 99, r.stderr);
  assert.match(r.stdout, /POST\s+│ \/chat\/completions/, "the seed body's row");
  assert.match(r.stderr, /1 threshold\(s\) failed \[GB_ERR_THRESHOLDS\]/);
  assert.ok(Math.abs(up.requests() - 50) <= 2, `the scenario's rate for its duration: ${up.requests()}`);
  const clash = await bench(['load', up.url, '--scenario', file, '--users', '5', '--rate', '9']);
  assert.equal(clash.code, 2);
  assert.match(clash.stderr, /invalid --scenario: the scenario defines the load; drop --users, --rate \[GB_ERR_INVALID_ARG\]/);
  // a flag given beside the scenario overrides it, and is checked
  const bad = await bench(['load', up.url, '--scenario', file, '--duration', 'forever', '--warmup', 'soon']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--duration: invalid duration "forever"/);
  assert.match(bad.stderr, /--warmup: invalid duration "soon"/);
});
