// `bench run --shard I/N`: two shards of one small scenario, each with its own fake upstream and
// gateway on one PostgreSQL server, then `bench merge`. And what bench run refuses to shard.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../lib/result.js';
import { testDatabase } from './helpers/services.js';
import { runBench } from './helpers/bench-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gb-shard-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const bench = (args: string[]) => runBench(args);

test('bench run --shard: two shards of one variant, each its own gateway, merged', async (t) => {
  const db = await testDatabase();
  t.after(() => db.drop());
  const file = join(dir, 'tiny.yaml');
  writeFileSync(
    file,
    [
      'name: tiny',
      'upstream: { latency: fixed:2 }',
      `proxy: { instances: 1, database: "${db.url}", redis: off, callbacks: none }`,
      'load: { users: 4, spawn_rate: 4, wait: { between: [0.01, 0.02] }, duration: 2s }',
      'warmup: 0s',
      'thresholds: [ "failures == 0", "requests > 10" ]',
      '',
    ].join('\n'),
  );
  // ahead enough for both to start PostgreSQL databases, an upstream and a gateway
  const startAt = new Date(Date.now() + 10_000).toISOString();
  const runs = await Promise.all([0, 1].map((i) => bench(['run', file, '--shard', `${i}/2`, '--start-at', startAt, '--out', join(dir, `s${i}`), '--json'])));
  runs.forEach((r, i) => assert.equal(r.code, 0, `shard ${i}: ${r.stderr}`));
  const parts = [0, 1].map((i) => JSON.parse(readFileSync(join(dir, `s${i}`, 'result.json'), 'utf8')) as RunResult);
  parts.forEach((p, i) => {
    assert.deepEqual([p.shard?.index, p.shard?.total, p.shard?.start_at], [i, 2, startAt]);
    assert.deepEqual(p.thresholds, ['failures == 0', 'requests > 10']);
    assert.equal(p.variants.length, 1);
    assert.equal(p.variants[0].timeseries.at(-1)?.users, 2, 'each shard ran 2 of the 4 users');
    assert.equal(p.variants[0].histograms.seconds?.length, p.variants[0].timeseries.length);
    assert.equal(p.variants[0].integrity?.ok, true);
  });
  assert.equal(parts[0].shard!.load_digest, parts[1].shard!.load_digest);
  assert.ok(!JSON.stringify(parts).includes('sk-1234'), 'no key in a shard result, nor in its digest input');

  // this test is about what bench run writes; a late shard on a busy machine is tolerated here
  const m = await bench(['merge', join(dir, 's0', 'result.json'), join(dir, 's1', 'result.json'), '--out', join(dir, 'm'), '--json', '--max-skew', '10s']);
  assert.equal(m.code, 0, m.stderr);
  const merged = JSON.parse(m.stdout) as RunResult;
  const v = merged.variants[0];
  assert.equal(v.requests, parts[0].variants[0].requests + parts[1].variants[0].requests);
  assert.deepEqual(v.integrity?.checks.map((c) => [c.expected, c.actual]), [[v.requests, v.requests]], 'spend rows of both gateways = requests of both shards');
  assert.match(m.stderr, /requests > 10/);
});

test('bench run refuses to shard a matrix or a gateway comparison, and --start-at without --shard (exit 2)', async () => {
  const matrix = await bench(['run', join(ROOT, 'scenarios', 'matrix.yaml'), '--shard', '0/2']);
  assert.equal(matrix.code, 2);
  assert.match(matrix.stderr, /a sharded run is one variant; choose one of 12 with --variants/);
  const gateways = await bench(['run', join(ROOT, 'scenarios', 'gateways.yaml'), '--shard', '0/2']);
  assert.equal(gateways.code, 2, gateways.stderr);
  assert.match(gateways.stderr, /a gateway comparison \(targets:\) is not sharded/);
  const alone = await bench(['run', join(ROOT, 'scenarios', 'smoke.yaml'), '--start-at', '2026-12-03T19:00:00Z']);
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /--start-at: only with --shard I\/N/);
  const bad = await bench(['run', join(ROOT, 'scenarios', 'smoke.yaml'), '--shard', '2/2']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /shard 2 of 2: expected 0 <= I < N \(I is 0-based\)/);
});
