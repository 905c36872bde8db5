// The trial driver and `bench gate --scenario --base-dir`, with two stand-in "builds": temp
// directories whose dist/cli/bench.js prints a result the way `bench run --json` does (a real
// `bench run` takes ~15 s a trial; the driver's job — which build runs when, with which
// environment, what counts as a failed trial — does not need real load to be tested).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { isGbError } from '../lib/errors.js';
import { runBenchJson, runInterleaved, runTrials, startNextRound } from '../gate/trials.js';
import { runBench } from './helpers/bench-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULT = readFileSync(join(ROOT, 'test/fixtures/gate/result-1.json'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'gatebench-trials-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const journal = join(tmp, 'journal.txt');
const scenario = join(tmp, 'gate.yaml');
writeFileSync(scenario, 'name: gate\n');

/**
 * A stand-in build: prints result-1.json with the CPU per request scaled by `scale`, with ±3%
 * deterministic jitter per call, plus GATEBENCH_INJECT_CPU_US; appends its label and argv to the journal.
 */
function fakeBuild(label: string, scale: number, exitCode = 0): string {
  const dir = join(tmp, label);
  mkdirSync(join(dir, 'dist/cli'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(dir, 'dist/cli/bench.js'), `
import { appendFileSync, readFileSync } from 'node:fs';
const r = ${RESULT};
const n = readFileSync(${JSON.stringify(journal)}, { encoding: 'utf8', flag: 'a+' }).split('\\n').length;
const jitter = 1 + ((n * 7919) % 7 - 3) / 100;
r.variants[1].gateway_cpu_us_per_req = (95 * ${scale} + Number(process.env.GATEBENCH_INJECT_CPU_US ?? 0)) * jitter;
appendFileSync(${JSON.stringify(journal)}, ${JSON.stringify(label)} + ' ' + process.argv.slice(2).join(' ') + '\\n');
if (${exitCode} === 1) { process.stderr.write('boom: the upstream did not start\\n'); process.exit(1); }
process.stdout.write(JSON.stringify(r) + '\\n');
process.exitCode = ${exitCode};
`);
  return dir;
}

const base = fakeBuild('base', 1);
const same = fakeBuild('same', 1);
const slow = fakeBuild('slow', 1.3);
const thresholdsFail = fakeBuild('thresholds', 1, 99);
const broken = fakeBuild('broken', 1, 1);
const opts = { scenario, duration: '2s' };

describe('trial driver', () => {
  it('runs each side\'s own build, interleaved A B B A, with the side\'s environment', async () => {
    writeFileSync(journal, '');
    const [a, b] = await runInterleaved([{ label: 'base', dir: base }, { label: 'same', dir: same, env: { GATEBENCH_INJECT_CPU_US: '50' } }], 2, opts);
    const lines = readFileSync(journal, 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split(' ')[0]), ['base', 'same', 'same', 'base']);
    assert.match(lines[0], new RegExp(`^base run ${scenario} --json --out \\S+gatebench-trial-\\S+ --duration 2s$`));
    assert.deepEqual(a.map((t) => t.label), ['base-1', 'base-2']);
    assert.deepEqual(b.map((t) => t.label), ['same-1', 'same-2']);
    assert.ok(a.every((t) => (t.figures.cpu_us_per_req as number) < 100));
    assert.ok(b.every((t) => (t.figures.cpu_us_per_req as number) > 140), 'the injected CPU reached the candidate only');
  });

  it('a wall-time budget stops between rounds, never below the minimum: both sides keep as many trials, paired', async () => {
    const before = readFileSync(journal, 'utf8'); // the stand-ins' jitter counts its lines: put it back after
    writeFileSync(journal, '');
    const notes: string[] = [];
    // 1 ms: spent by the first round whatever the machine's speed, so exactly minRounds run
    const [a, b] = await runInterleaved([{ label: 'base', dir: base }, { label: 'same', dir: same }], 8, { ...opts, budgetMs: 1, minRounds: 3, log: (l) => notes.push(l) });
    assert.deepEqual(readFileSync(journal, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]), ['base', 'same', 'same', 'base', 'base', 'same']);
    assert.deepEqual([a.map((t) => t.label), b.map((t) => t.label)], [['base-1', 'base-2', 'base-3'], ['same-1', 'same-2', 'same-3']]);
    assert.match(notes.at(-1) ?? '', /^stopped after 3 of 8 rounds: another would end past the 0 s budget/);
    const one = await runTrials({ label: 'same', dir: same }, 5, { ...opts, budgetMs: 1, minRounds: 2 });
    assert.deepEqual(one.map((t) => t.label), ['same-1', 'same-2']);
    // an hour: nothing is cut
    const [c] = await runInterleaved([{ label: 'base', dir: base }, { label: 'same', dir: same }], 4, { ...opts, budgetMs: 3_600_000 });
    assert.equal(c.length, 4);
    writeFileSync(journal, before);
  });

  it('the next round starts only if, at the longest round\'s pace, it ends within the budget', () => {
    assert.equal(startNextRound(0, 8, 0, 0, 10), true, 'the minimum runs whatever the budget');
    assert.equal(startNextRound(2, 8, 50, 25, 10), true);
    assert.equal(startNextRound(3, 8, 150, 20, 170), true, 'ends at 170: within');
    assert.equal(startNextRound(3, 8, 151, 20, 170), false, 'would end at 171');
    assert.equal(startNextRound(7, 8, 10_000, 20, undefined), true, 'no budget: all rounds');
    assert.equal(startNextRound(8, 8, 0, 0, undefined), false, 'all rounds done');
    assert.equal(startNextRound(1, 8, 100, 100, 150, 1), false, 'minRounds 1');
  });

  it('a trial whose scenario thresholds failed (exit 99) still counts; a crash is an error with the stderr tail', async () => {
    const r = await runBenchJson({ label: 'thresholds', dir: thresholdsFail }, opts);
    assert.equal(r.schema, 'gatebench/result@1');
    await assert.rejects(runBenchJson({ label: 'broken', dir: broken }, opts), (err: unknown) =>
      isGbError(err) && err.exitCode === 1 && /broken trial failed: bench run exited with 1/.test(err.message) && err.problems.some((p) => /boom/.test(p)));
    await assert.rejects(runBenchJson({ label: 'nowhere', dir: join(tmp, 'nowhere') }, opts), /has no build \(dist\/cli\/bench\.js\)/);
  });
});

const bench = (args: string[]) => runBench(args, { cwd: tmp });

describe('bench gate --scenario --base-dir (interleaved, through the CLI)', () => {
  it('same code → exit 0; 30% more CPU → exit 99', async () => {
    const ok = await bench(['gate', '--scenario', scenario, '--base-dir', base, '--head-dir', same, '--trials', '4', '--figures', 'cpu_us_per_req']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /cpu_us_per_req \(4 rounds\)/, 'interleaved rounds are judged as pairs');
    assert.match(ok.stderr, /trial 8\/8: base #4/);
    const bad = await bench(['gate', '--scenario', scenario, '--base-dir', base, '--head-dir', slow, '--trials', '4', '--figures', 'cpu_us_per_req']);
    assert.equal(bad.code, 99, bad.stderr);
    assert.match(bad.stderr, /performance gate failed: cpu_us_per_req \+3\d(\.\d)?%/);
    const unpaired = await bench(['gate', '--scenario', scenario, '--base-dir', base, '--head-dir', slow, '--trials', '4', '--figures', 'cpu_us_per_req', '--unpaired']);
    assert.equal(unpaired.code, 99, unpaired.stderr);
    assert.match(unpaired.stdout, /cpu_us_per_req \(n=4\/4\)/, '--unpaired judges the two sides as independent samples');
  });

  it('--save-trials writes both sides with one rounds id, and gating those files again pairs them the same way', async () => {
    const saved = join(tmp, 'saved');
    const run = await bench(['gate', '--scenario', scenario, '--base-dir', base, '--head-dir', slow, '--trials', '4', '--figures', 'cpu_us_per_req', '--save-trials', saved, '--json']);
    assert.equal(run.code, 99, run.stderr);
    const b = JSON.parse(readFileSync(join(saved, 'baseline.trials.json'), 'utf8')) as { schema: string; rounds: string; trials: unknown[] };
    const c = JSON.parse(readFileSync(join(saved, 'candidate.trials.json'), 'utf8')) as { rounds: string; trials: unknown[] };
    assert.equal(b.schema, 'gatebench/trials@1');
    assert.equal(typeof b.rounds, 'string');
    assert.equal(c.rounds, b.rounds);
    assert.deepEqual([b.trials.length, c.trials.length], [4, 4]);
    const again = await bench(['gate', join(saved, 'candidate.trials.json'), '--baseline', join(saved, 'baseline.trials.json'), '--figures', 'cpu_us_per_req', '--json']);
    assert.equal(again.code, 99, again.stderr);
    const first = JSON.parse(run.stdout) as { figures: { paired: boolean; ci_low: number; ci_high: number }[] };
    const second = JSON.parse(again.stdout) as typeof first;
    assert.equal(second.figures[0].paired, true);
    assert.deepEqual(second.figures, first.figures, 'the same trials, the same seed: the same paired verdict');
    const unpaired = await bench(['gate', join(saved, 'candidate.trials.json'), '--baseline', join(saved, 'baseline.trials.json'), '--figures', 'cpu_us_per_req', '--unpaired']);
    assert.match(unpaired.stdout, /cpu_us_per_req \(n=4\/4\)/);
    // a side from another run (another rounds id) is not round i's partner
    writeFileSync(join(saved, 'other.trials.json'), JSON.stringify({ ...c, rounds: 'another-run' }));
    const other = await bench(['gate', join(saved, 'other.trials.json'), '--baseline', join(saved, 'baseline.trials.json'), '--figures', 'cpu_us_per_req']);
    assert.match(other.stdout, /cpu_us_per_req \(n=4\/4\)/, other.stderr);
    const misuse = await bench(['gate', join(saved, 'other.trials.json'), '--baseline', join(saved, 'baseline.trials.json'), '--unpaired']);
    assert.equal(misuse.code, 2, misuse.stderr);
  });

  it('a broken base build fails the gate run with exit 1, not a verdict', async () => {
    const r = await bench(['gate', '--scenario', scenario, '--base-dir', broken, '--head-dir', same, '--trials', '3']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /bench: base trial failed: bench run exited with 1 \[GB_ERR_TRIAL_FAILED\]\n {2}- boom: the upstream did not start/);
  });
});

describe('bench gate interrupted', () => {
  it('Ctrl-C or SIGTERM mid-trial: the trial is stopped, its output dir removed, exit 130', async () => {
    // a stand-in `bench run` that waits to be signalled, then exits 130 as bench run does
    const dir = join(tmp, 'hang');
    mkdirSync(join(dir, 'dist/cli'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    const marks = join(tmp, 'hang-journal.txt');
    writeFileSync(marks, '');
    writeFileSync(join(dir, 'dist/cli/bench.js'), `
import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(marks)}, 'started\\n');
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { appendFileSync(${JSON.stringify(marks)}, 'got ' + s + '\\n'); process.exit(130); });
setInterval(() => {}, 1000);
`);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      // a TMPDIR of its own, so "no trial dir left" is checkable
      const own = mkdtempSync(join(tmp, 'tmpdir-'));
      writeFileSync(marks, '');
      const child = spawn(process.execPath, [join(ROOT, 'dist/cli/bench.js'), 'gate', '--scenario', scenario, '--base-dir', dir, '--head-dir', dir, '--trials', '3'], {
        cwd: tmp,
        env: { ...process.env, TMPDIR: own },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      for (let i = 0; i < 200 && !readFileSync(marks, 'utf8').includes('started'); i++) await new Promise((r) => setTimeout(r, 25));
      assert.match(readFileSync(marks, 'utf8'), /started/, 'the first trial runs');
      assert.equal(readdirSync(own).filter((n) => n.startsWith('gatebench-trial-')).length, 1, 'the trial has its output dir');
      child.kill(sig); // the gate process alone, as a CI runner's timeout may
      assert.equal(await exited, 130);
      assert.match(readFileSync(marks, 'utf8'), new RegExp(`got ${sig}`), 'the signal reached the trial');
      assert.deepEqual(readdirSync(own), [], 'no trial dir left');
    }
  });
});
