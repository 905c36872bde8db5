// `bench merge` on shard results written here (no load): every refusal with its message and
// exit 2; --allow-missing; the scenario's thresholds judged on the merged figures (exit 99);
// and the pure merge: histograms added exactly, seconds aligned on the common start.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESULT_SCHEMA, type RunResult, type SecondSample } from '../lib/result.js';
import { aggregate, decode, encode } from '../loadgen/index.js';
import { newHistogram } from '../loadgen/recorder.js';
import { checkShards } from '../merge/check.js';
import { mergeShards } from '../merge/merge.js';
import { runBench } from './helpers/bench-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'gb-merge-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const bench = (args: string[]) => runBench(args);

const T0 = Date.parse('2026-12-03T19:00:00.000Z');

interface ShardSpec {
  index: number;
  total?: number;
  /** latency samples (µs) of each second */
  seconds: number[][];
  startedLateMs?: number;
  startAt?: string;
  scenario?: string;
  digest?: string;
  thresholds?: unknown;
}

/** A shard result as `bench load --shard` writes it, from latency samples per second. */
function shard(s: ShardSpec): RunResult {
  const latency = newHistogram();
  const hists = s.seconds.map((sec) => {
    const h = newHistogram();
    for (const us of sec) {
      h.recordValue(us);
      latency.recordValue(us);
    }
    return h;
  });
  const timeseries: SecondSample[] = hists.map((h, i) => ({ t: i + 1, requests: h.totalCount, failures: 0, p50_ms: h.getValueAtPercentile(50) / 1000, p99_ms: h.getValueAtPercentile(99) / 1000, users: 2, in_flight: 0 }));
  const names = ['/chat/completions'];
  const v = aggregate({
    names, methods: ['POST'], latency, latencyUncorrected: null, ttfb: newHistogram(), ttft: newHistogram(), itl: newHistogram(), headerNames: [], headers: [],
    byName: [{ latency, requests: latency.totalCount, failures: 0 }], requests: latency.totalCount, failures: {}, failureCount: 0, promptTokens: 0, completionTokens: 0,
    open: null, durationS: s.seconds.length, timeseries, overheadHeader: 'x-litellm-overhead-duration-ms', self: { cpu_percent: 10 + s.index, event_loop_delay_p99_ms: 1, rss_mb: 60 },
  });
  const startAt = s.startAt ?? new Date(T0).toISOString();
  const started = Date.parse(startAt) + (s.startedLateMs ?? 0);
  return {
    schema: RESULT_SCHEMA,
    scenario: s.scenario ?? 'smoke',
    run_id: `run-shard-${s.index}-of-${s.total ?? 3}`,
    machine: { cpus: 2, model: 'test', memory_mb: 1000, node: process.version, os: 'linux' },
    start_time: new Date(started).toISOString(),
    end_time: new Date(started + s.seconds.length * 1000).toISOString(),
    variants: [{ ...v, name: 'load', settings: {}, histograms: { ...v.histograms, seconds: hists.map(encode) } }],
    shard: { index: s.index, total: s.total ?? 3, start_at: startAt, started_at: new Date(started).toISOString(), skew_ms: s.startedLateMs ?? 0, load_digest: s.digest ?? 'd'.repeat(64) },
    ...(s.thresholds !== undefined ? { thresholds: s.thresholds } : {}),
  };
}

const samples = (n: number, base: number) => Array.from({ length: n }, (_, i) => base + ((i * 7919) % 5000));

function write(name: string, r: RunResult): string {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(r));
  return f;
}

test('mergeShards: histograms added exactly, counts summed, a late shard\'s seconds shifted onto the common clock', () => {
  const a = shard({ index: 0, total: 2, seconds: [samples(50, 1000), samples(70, 2000)] });
  // started 1.2 s late: its first second is the run's second 2
  const b = shard({ index: 1, total: 2, seconds: [samples(30, 9000), samples(40, 100)], startedLateMs: 1200 });
  const m = mergeShards(checkShards([{ label: 'a', result: a }, { label: 'b', result: b }], { maxSkewMs: 2000 }));
  const v = m.variants[0];
  assert.equal(v.requests, 190);
  const union = newHistogram();
  for (const s of [...samples(50, 1000), ...samples(70, 2000), ...samples(30, 9000), ...samples(40, 100)]) union.recordValue(s);
  assert.equal(v.histograms.latency, encode(union), 'the merged histogram is the union of every sample');
  // the figures one generator would report — at bucket precision: a decoded histogram knows its
  // max only to its bucket (≤ 0.1 %), so the reference is the union after an encode/decode too
  assert.deepEqual(v.latency_ms, aggregate({ ...emptyRecorded(), latency: decode(encode(union)), requests: 190 }).latency_ms);
  assert.deepEqual(v.timeseries.map((s) => [s.t, s.requests, s.users]), [[1, 50, 2], [2, 100, 4], [3, 40, 2]]);
  // second 2 = a's second 2 + b's second 1, its p99 from their added histograms
  const s2 = newHistogram();
  for (const s of [...samples(70, 2000), ...samples(30, 9000)]) s2.recordValue(s);
  assert.equal(v.timeseries[1].p99_ms, s2.getValueAtPercentile(99) / 1000);
  assert.equal(decode(v.histograms.seconds![1]).totalCount, 100);
  assert.equal(v.duration_s, 3, 'from the first shard\'s start to the last one\'s end');
  assert.equal(v.loadgen.cpu_percent, 11, "the worst shard's generator");
  assert.deepEqual(m.shards?.map((s) => [s.index, s.skew_ms]), [[0, 0], [1, 1200]]);
  assert.ok(v.notes?.includes('shard 1/2 started 1200 ms after --start-at'), 'the late shard is named');
  assert.equal(m.partial, undefined);
});

function emptyRecorded() {
  return {
    names: [], methods: [], latency: newHistogram(), latencyUncorrected: null, ttfb: newHistogram(), ttft: newHistogram(), itl: newHistogram(), headerNames: [], headers: [], byName: [],
    requests: 0, failures: {}, failureCount: 0, promptTokens: 0, completionTokens: 0, open: null, durationS: 1, timeseries: [], overheadHeader: 'x', self: { cpu_percent: 0, event_loop_delay_p99_ms: 0, rss_mb: 0 },
  };
}

test('mergeShards: an unreliable shard makes the merged result unreliable, saying which', () => {
  const a = shard({ index: 0, total: 2, seconds: [samples(5, 1000)] });
  const b = shard({ index: 1, total: 2, seconds: [samples(5, 1000)] });
  b.variants[0] = { ...b.variants[0], reliable: false, unreliable_reasons: ['load generator CPU at 95.0% of a core (over 80%): it may have been the bottleneck'] };
  const m = mergeShards(checkShards([{ label: 'a', result: a }, { label: 'b', result: b }]));
  assert.equal(m.variants[0].reliable, false);
  assert.deepEqual(m.variants[0].unreliable_reasons, ['shard 1/2: load generator CPU at 95.0% of a core (over 80%): it may have been the bottleneck']);
  assert.deepEqual(m.shards?.map((s) => s.reliable), [true, false]);
});

test('bench merge refuses, each with its message and exit 2', async () => {
  const ok = [0, 1, 2].map((i) => write(`ok-${i}.json`, shard({ index: i, seconds: [samples(20, 1000)] })));
  const cases: Array<{ files: string[]; args?: string[]; code: string; message: RegExp; problem?: RegExp }> = [
    {
      files: [ok[0], ok[1], write('other-scenario.json', shard({ index: 2, scenario: 'redis', digest: 'f'.repeat(64), seconds: [samples(20, 1000)] }))],
      code: 'GB_ERR_MERGE_SCENARIO',
      message: /cannot merge shards of different runs: their scenario, load, shard total or variants differ/,
      problem: /other-scenario\.json: scenario "redis"/,
    },
    {
      files: [ok[0], ok[1], write('other-load.json', shard({ index: 2, digest: 'e'.repeat(64), seconds: [samples(20, 1000)] }))],
      code: 'GB_ERR_MERGE_SCENARIO',
      message: /different runs/,
      problem: /other-load\.json: .*load eeeeeeeeeeee/,
    },
    {
      files: [ok[0], ok[1], write('dup-1.json', shard({ index: 1, seconds: [samples(20, 1000)] }))],
      code: 'GB_ERR_MERGE_OVERLAP',
      message: /cannot merge overlapping shards: shard index 1 given more than once/,
      problem: /shard 1\/3: .*ok-1\.json, .*dup-1\.json/,
    },
    { files: [ok[0], ok[2]], code: 'GB_ERR_MERGE_MISSING', message: /missing shard\(s\): 1 of 3: index 1 \(0-based\) \(--allow-missing/ },
    {
      files: [ok[0], ok[1], write('late.json', shard({ index: 2, startedLateMs: 4000, seconds: [samples(20, 1000)] }))],
      code: 'GB_ERR_MERGE_SKEW',
      message: /shards started too far apart: their starts span 4000 ms, over the 1000 ms tolerance \(--max-skew\)/,
      problem: /late\.json: .*skew 4000 ms/,
    },
    {
      files: [ok[0], ok[1], write('other-start.json', shard({ index: 2, startAt: '2026-12-03T19:00:00.500Z', seconds: [samples(20, 1000)] }))],
      code: 'GB_ERR_MERGE_SKEW',
      message: /they waited for different --start-at instants/,
    },
    {
      files: [ok[0], write('not-a-shard.json', { ...shard({ index: 1, seconds: [samples(20, 1000)] }), shard: undefined })],
      code: 'GB_ERR_INVALID_RESULT',
      message: /not-a-shard\.json is not a gatebench result: not a shard result \(no "shard" field\): run bench load or bench run with --shard I\/N/,
    },
    { files: [ok[0], join(dir, 'absent.json')], code: 'GB_ERR_FILE_READ', message: /cannot read .*absent\.json/ },
    { files: ok, args: ['--max-skew', 'soon'], code: 'GB_ERR_INVALID_ARG', message: /--max-skew: expected a duration/ },
  ];
  for (const c of cases) {
    const r = await bench(['merge', ...c.files, ...(c.args ?? []), '--out', join(dir, 'never')]);
    assert.equal(r.code, 2, `${c.code}: ${r.stderr}`);
    assert.ok(r.stderr.includes(`[${c.code}]`), `${c.code} in ${r.stderr}`);
    assert.match(r.stderr, c.message);
    if (c.problem) assert.match(r.stderr, c.problem);
    assert.equal(r.stdout, '', 'nothing merged, nothing printed');
  }
  assert.throws(() => readFileSync(join(dir, 'never', 'result.json')), 'no result written by a refused merge');
});

test('bench merge --allow-missing merges the others, marked partial; thresholds are judged on the merged figures (exit 99)', async () => {
  const th = ['requests >= 60'];
  const files = [0, 1, 2].map((i) => write(`th-${i}.json`, shard({ index: i, thresholds: th, seconds: [samples(20, 1000)] })));
  const all = await bench(['merge', ...files, '--out', join(dir, 'all'), '--json']);
  assert.equal(all.code, 0, all.stderr);
  assert.equal((JSON.parse(all.stdout) as RunResult).variants[0].requests, 60);
  assert.match(all.stderr, /requests >= 60/);
  // two shards of three: 40 requests fail the scenario's threshold that each shard carried
  const two = await bench(['merge', files[0], files[2], '--allow-missing', '--out', join(dir, 'two'), '--json']);
  assert.equal(two.code, 99, two.stderr);
  assert.match(two.stderr, /shard\(s\) 1 of 3 missing \(--allow-missing\): the result is partial/);
  assert.match(two.stderr, /1 threshold\(s\) failed \[GB_ERR_THRESHOLDS\]/);
  const m = JSON.parse(two.stdout) as RunResult;
  assert.equal(m.partial, true);
  assert.deepEqual(m.missing_shards, [1]);
  assert.equal(m.variants[0].requests, 40);
  // the reports are written before the thresholds are judged
  assert.ok(readFileSync(join(dir, 'two', 'report.md'), 'utf8').includes('40'));
});
