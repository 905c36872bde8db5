// End to end: a run on a deliberately saturated machine (CPU burners beside it, one per core,
// bounded in time and killed in finally) is marked unreliable with the reason; the same run
// on a quiet machine is not. A `.quiet` file: it runs alone, so its burners disturb no other
// test, and its quiet half gets the machine to itself.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runScenario } from '../runner/run.js';

function scenario(dir: string): string {
  const file = join(dir, 'rig.yaml');
  writeFileSync(
    file,
    [
      'name: rig-saturation',
      'upstream: { latency: "fixed:5" }',
      `proxy: { instances: 1, database: ${JSON.stringify(process.env.DATABASE_URL || 'embedded')}, redis: off, callbacks: none }`,
      'load: { users: 20, spawn_rate: 20, wait: { between: [0.05, 0.1] }, duration: 6s }',
      'warmup: 1s',
    ].join('\n'),
  );
  return file;
}

/** One busy loop per core, each ending by itself after `ms` even if this test dies. */
function burners(n: number, ms: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end) {}`], { stdio: 'ignore' }));
}

async function run(dir: string, out: string) {
  const o = await runScenario({ file: scenario(dir), out: join(dir, out), log: () => {}, directBaseline: false });
  assert.equal(o.result.variants.length, 1);
  return o.result.variants[0];
}

test('a run beside CPU burners is unreliable and says the machine was saturated; a quiet one is not', { timeout: 170_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-rig-test-'));
  let burn: ChildProcess[] = [];
  try {
    // two per core: the burners alone saturate the machine, whatever runs beside them
    burn = burners(cpus().length * 2, 45_000);
    const hot = await run(dir, 'hot');
    for (const b of burn) b.kill('SIGKILL');
    burn = [];
    assert.ok(hot.rig, 'the variant has a rig section');
    assert.equal(hot.rig.saturation.saturated, true, JSON.stringify(hot.rig.machine));
    assert.equal(hot.reliable, false);
    const reason = hot.unreliable_reasons.find((r) => r.startsWith('the machine was saturated'));
    assert.ok(reason, hot.unreliable_reasons.join(' | '));
    assert.match(reason, /busy p50 \d+ %/);
    // the burners are no component of the rig: they show as other processes
    assert.ok(hot.rig.machine.other_pct! >= 100, `other processes: ${hot.rig.machine.other_pct} % of a core`);

    const quiet = await run(dir, 'quiet');
    assert.ok(quiet.rig);
    const other = quiet.rig.machine.other_pct ?? 0;
    if (other >= 50) {
      // someone else is using this machine (a shared runner): the quiet half cannot be judged
      t.diagnostic(`not a quiet machine: other processes used ${other} % of a core during the quiet run; its verdict is not judged`);
      return;
    }
    assert.equal(quiet.rig.saturation.saturated, false, JSON.stringify({ machine: quiet.rig.machine, saturation: quiet.rig.saturation }));
    assert.ok(!quiet.unreliable_reasons.some((r) => r.startsWith('the machine was saturated')), quiet.unreliable_reasons.join(' | '));
  } finally {
    for (const b of burn) b.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
