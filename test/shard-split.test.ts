// The even split of a load into n shares (loadgen/split.ts), used by shards and worker threads:
// property tests over many n and many loads — the shares add up to the whole, no `{{seq}}`
// value is sent by two shares (also when a shard is split again over worker threads), and user
// k of the whole run still goes to target k % T. Plus the --shard / JOB_COMPLETION_INDEX /
// --start-at parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateLoadOptions, type ResolvedLoadOptions } from '../loadgen/index.js';
import { shareOf, splitShares } from '../loadgen/split.js';
import { splitLoad } from '../loadgen/workers.js';
import { isGbError } from '../lib/errors.js';
import { mulberry32 } from '../gate/stats.js';
import { resolveShard, resolveStartAt, waitForStart } from '../shard/spec.js';

// the gate's seeded PRNG: the same cases on every run, many of them
const rng = mulberry32;

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
const targets = (t: number) => Array.from({ length: t }, (_, i) => `http://127.0.0.1:${i + 1}`);

function closedLoad(r: () => number): ResolvedLoadOptions {
  return validateLoadOptions({
    targets: targets(1 + Math.floor(r() * 5)),
    model: { kind: 'closed', users: 1 + Math.floor(r() * 3000), spawnRate: 0.5 + r() * 1000, wait: { between: [0.5, 1] } },
    durationMs: 1000,
    templates: [{ path: '/' }],
  });
}

function openLoad(r: () => number, staged: boolean): ResolvedLoadOptions {
  return validateLoadOptions({
    targets: targets(1 + Math.floor(r() * 3)),
    model: staged
      ? { kind: 'open', stages: Array.from({ length: 1 + Math.floor(r() * 4) }, () => ({ rate: Math.round(r() * 50_000) / 10, durationMs: 1000 })), connections: 1 + Math.floor(r() * 500) }
      : { kind: 'open', rate: 0.1 + r() * 50_000, connections: 1 + Math.floor(r() * 500) },
    durationMs: 1000,
    templates: [{ path: '/' }],
  });
}

test('split: users, spawn rate and targets of the closed model add up to the whole, for every n up to 128', () => {
  const r = rng(22);
  for (let c = 0; c < 300; c++) {
    const o = closedLoad(r);
    if (o.model.kind !== 'closed') continue;
    const whole = o.model;
    const n = 1 + Math.floor(r() * Math.min(128, whole.users));
    const shares = splitShares(o, n);
    const models = shares.map((s) => (s.model.kind === 'closed' ? s.model : assert.fail('closed')));
    assert.equal(models.reduce((a, m) => a + m.users, 0), whole.users, `users of ${n} shares`);
    assert.ok(close(models.reduce((a, m) => a + m.spawnRate, 0), whole.spawnRate), `spawn rate of ${n} shares`);
    assert.ok(Math.max(...models.map((m) => m.users)) - Math.min(...models.map((m) => m.users)) <= 1, 'even: users differ by at most one');
    assert.ok(models.every((m) => m.users >= 1 && close(m.spawnRate / m.users, whole.spawnRate / whole.users)), 'each share ramps at the same per-user pace');
    // user k of the whole run → target k % T, as if one generator ran it
    let k = 0;
    for (const s of shares) {
      const m = s.model.kind === 'closed' ? s.model : assert.fail('closed');
      for (let j = 0; j < m.users; j++, k++) assert.equal(s.targets[j % s.targets.length], o.targets[k % o.targets.length]);
    }
  }
});

test('split: the open model rate and every stage rate add up to the whole, for every n up to 128', () => {
  const r = rng(23);
  for (let c = 0; c < 300; c++) {
    const o = openLoad(r, c % 2 === 1);
    if (o.model.kind !== 'open') continue;
    const whole = o.model;
    const n = 1 + Math.floor(r() * 128);
    const models = splitShares(o, n).map((s) => (s.model.kind === 'open' ? s.model : assert.fail('open')));
    if (whole.rate !== undefined) assert.ok(close(models.reduce((a, m) => a + m.rate!, 0), whole.rate), `rate over ${n}`);
    whole.stages?.forEach((st, i) => {
      assert.ok(close(models.reduce((a, m) => a + m.stages![i].rate, 0), st.rate), `stage ${i} over ${n}`);
      assert.ok(models.every((m) => m.stages![i].durationMs === st.durationMs), 'stage durations are not split');
    });
    // connections are rounded up: every share can send, and together at least the whole
    assert.ok(models.every((m) => m.connections >= 1) && models.reduce((a, m) => a + m.connections, 0) >= whole.connections);
  }
});

test('split: no {{seq}} value is sent by two shares, also when each shard is split again over worker threads', () => {
  const r = rng(24);
  for (let c = 0; c < 40; c++) {
    const o = { ...closedLoad(r), workers: 1 + Math.floor(r() * 8) };
    const users = o.model.kind === 'closed' ? o.model.users : 1;
    const n = 1 + Math.floor(r() * Math.min(16, users));
    const seen = new Set<number>();
    let expected = 0;
    for (const shard of splitShares(o, n)) {
      for (const worker of splitLoad(shard)) {
        // the first 50 values each thread would send
        for (let q = 0; q < 50; q++) seen.add(worker.seqStart + q * worker.seqStep);
        expected += 50;
      }
    }
    assert.equal(seen.size, expected, `${n} shards × workers: every seq value unique`);
  }
});

test('split: a share index outside 0..n-1, or more shares than users, is refused', () => {
  const o = validateLoadOptions({ targets: ['http://127.0.0.1:1'], model: { kind: 'closed', users: 3, spawnRate: 3 }, durationMs: 1000, templates: [{ path: '/' }] });
  assert.throws(() => shareOf(o, 3, 3), /0 <= i < n/);
  assert.throws(() => shareOf(o, 0, 4), /at least one user/);
  assert.equal(splitShares(o, 3).length, 3);
});

test('--shard I/N and JOB_COMPLETION_INDEX + GATEBENCH_SHARDS; --start-at needs a zone', async () => {
  assert.deepEqual(resolveShard('2/3', {}), { index: 2, total: 3 });
  assert.equal(resolveShard(undefined, {}), null);
  assert.deepEqual(resolveShard(undefined, { JOB_COMPLETION_INDEX: '4', GATEBENCH_SHARDS: '8' }), { index: 4, total: 8 });
  assert.deepEqual(resolveShard(undefined, { JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '2' }), { index: 0, total: 2 });
  // the flag wins over the environment
  assert.deepEqual(resolveShard('1/2', { JOB_COMPLETION_INDEX: '4', GATEBENCH_SHARDS: '8' }), { index: 1, total: 2 });
  const refused = (f: () => unknown, re: RegExp) =>
    assert.throws(f, (e: unknown) => isGbError(e) && e.exitCode === 2 && e.code === 'GB_ERR_INVALID_ARG' && re.test(e.message));
  refused(() => resolveShard('3/3', {}), /0 <= I < N \(I is 0-based\)/);
  refused(() => resolveShard('1of3', {}), /expected I\/N/);
  refused(() => resolveShard(undefined, { JOB_COMPLETION_INDEX: '1' }), /GATEBENCH_SHARDS \(or JOB_COMPLETIONS\) is not set/);
  assert.equal(resolveStartAt('2026-12-03T19:30:00Z', {}), Date.UTC(2026, 11, 3, 19, 30));
  assert.equal(resolveStartAt(undefined, { GATEBENCH_START_AT: '2026-12-03T20:30:00+01:00' }), Date.UTC(2026, 11, 3, 19, 30));
  refused(() => resolveStartAt('2026-12-03T19:30:00', {}), /with a zone/);
  refused(() => resolveStartAt('tomorrow', {}), /with a zone/);
  // an instant already past: starts at once and says how late
  const logs: string[] = [];
  const s = await waitForStart(Date.now() - 5000, undefined, (m) => logs.push(m));
  assert.ok(s.skewMs >= 5000);
  assert.match(logs.join('\n'), /ms after --start-at .*late/);
  assert.equal((await waitForStart(null)).skewMs, 0);
});
