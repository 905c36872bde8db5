// `bench gate` and `bench baseline update` through the real CLI (a child process), on fixture
// files: exit codes, the files it writes, the step summary.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { runBench } from './helpers/bench-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIX = join(ROOT, 'test/fixtures/gate');
const fx = (name: string) => join(FIX, name);

const tmp = mkdtempSync(join(tmpdir(), 'gatebench-gate-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const bench = (args: string[], env: Record<string, string> = {}) => runBench(args, { cwd: tmp, env, unset: ['GITHUB_STEP_SUMMARY'] });

describe('bench gate (CLI)', () => {
  it('no change → exit 0, table on stdout, Markdown to --markdown and $GITHUB_STEP_SUMMARY', async () => {
    const md = join(tmp, 'out/gate.md');
    const summary = join(tmp, 'summary.md');
    writeFileSync(summary, 'earlier step\n');
    const r = await bench(['gate', fx('candidate-same.json'), '--baseline', fx('baseline.json'), '--markdown', md], { GITHUB_STEP_SUMMARY: summary });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cpu_us_per_req \(n=10\/10\)/);
    assert.match(r.stdout, /gate passed: no significant change/);
    const text = readFileSync(md, 'utf8');
    assert.match(text, /^### ✅ gatebench performance gate: gate\n/);
    assert.match(text, /\| `latency_p99_rel` \(n=10\/10\) \|/);
    assert.equal(readFileSync(summary, 'utf8'), `earlier step\n${text}\n`, 'appended, not overwritten');
  });

  it('20% slower → exit 99, the failed figures on stderr, JUnit failures', async () => {
    const junit = join(tmp, 'junit.xml');
    const r = await bench(['gate', fx('candidate-slow.json'), '--baseline', fx('baseline.json'), '--junit', junit]);
    assert.equal(r.code, 99, r.stderr);
    assert.match(r.stderr, /bench: performance gate failed: cpu_us_per_req \+\d+(\.\d)?% \(CI .*\) .*\[GB_ERR_GATE_FAILED\]/);
    assert.match(r.stdout, /✗ regression/);
    const x = readFileSync(junit, 'utf8');
    assert.match(x, /<testsuites name="gatebench" tests="3" failures="3"/);
  });

  it('the same slowdown passes with --tolerance 30%', async () => {
    const r = await bench(['gate', fx('candidate-slow.json'), '--baseline', fx('baseline.json'), '--tolerance', '30%']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('--json prints the report alone on stdout', async () => {
    const r = await bench(['gate', fx('candidate-slow.json'), '--baseline', fx('baseline.json'), '--json', '--figures', 'cpu_us_per_req']);
    assert.equal(r.code, 99);
    const report = JSON.parse(r.stdout) as { passed: boolean; figures: { figure: string; verdict: string }[] };
    assert.equal(report.passed, false);
    assert.deepEqual(report.figures.map((f) => [f.figure, f.verdict]), [['cpu_us_per_req', 'regression']]);
    assert.match(r.stderr, /95% CI/, 'the table went to stderr');
  });

  it('mistakes exit 2 with a clear message', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['gate', fx('candidate-same.json')], /--baseline: required/],
      [['gate', fx('candidate-same.json'), '--baseline', fx('baseline.json'), '--tolerance', 'lots'], /invalid --tolerance: expected a percentage/],
      [['gate', fx('nope.json'), '--baseline', fx('baseline.json')], /cannot read .*nope\.json: ENOENT \[GB_ERR_FILE_READ\]/],
      [['gate', fx('candidate-same.json'), '--baseline', fx('baseline.json'), '--figures', 'rps'], /rps: the baseline has no value for it/],
      [['gate', fx('candidate-same.json'), '--baseline', fx('baseline.json'), '--statistic', 'mode'], /expected one of median, mean, hl/],
      [['gate', fx('result-1.json'), '--baseline', fx('result-2.json')], /too few trials to judge any figure/],
      [['gate'], /give candidate result files, or --scenario/],
      [['gate', '--scenario', 'scenarios/gate.yaml', '--baseline', fx('baseline.json'), '--budget', 'soon'], /invalid --budget: expected a duration like 170s or 3m, found "soon"/],
      [['gate', fx('candidate-same.json'), '--baseline', fx('baseline.json'), '--unpaired'], /invalid --unpaired: only means something for interleaved rounds: --base-dir, or the two files that --save-trials wrote/],
    ];
    for (const [args, message] of cases) {
      const r = await bench(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  it('reads RunResult files as trials and judges machine-independent figures', async () => {
    const r = await bench(['gate', fx('result-1.json'), fx('result-2.json'), fx('result-3.json'), '--baseline', fx('baseline.json'), '--figures', 'latency_p50_rel']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /latency_p50_rel \(n=10\/3\)/);
  });
});

describe('bench baseline update (CLI)', () => {
  it('--from result files writes reports/baselines/<name>.json that the gate accepts', async () => {
    const r = await bench(['baseline', 'update', 'scenarios/gate.yaml', '--from', fx('result-1.json'), fx('result-2.json'), fx('result-3.json')]);
    assert.equal(r.code, 0, r.stderr);
    const file = join(tmp, 'reports/baselines/gate.json');
    const b = JSON.parse(readFileSync(file, 'utf8')) as { schema: string; scenario: string; created: string; trials: unknown[] };
    assert.equal(b.schema, 'gatebench/baseline@1');
    assert.equal(b.scenario, 'gate');
    assert.ok(!Number.isNaN(Date.parse(b.created)));
    assert.equal(b.trials.length, 3);
    assert.match(r.stderr, /wrote reports\/baselines\/gate\.json: 3 trial\(s\)/);
    const g = await bench(['gate', fx('result-3.json'), fx('result-2.json'), fx('result-1.json'), '--baseline', file]);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, /no significant change/);
  });

  it('rejects a bad name', async () => {
    const r = await bench(['baseline', 'update', 'x.yaml', '--name', '../evil', '--from', fx('result-1.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid --name/);
  });
});
