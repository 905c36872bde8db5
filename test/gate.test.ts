import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { isGbError } from '../lib/errors.js';
import type { RunResult } from '../lib/result.js';
import { parseTolerance, runGate } from '../gate/gate.js';
import { loadTrials, trialsFromJson, trialsFromRunResult, type TrialRecord } from '../gate/records.js';
import { renderGateJUnit, renderGateMarkdown, renderGateTable } from '../gate/render.js';
import { interleaveOrder } from '../gate/trials.js';

// dist/test/gate.test.js → the source tree's fixtures (JSON is not compiled)
const FIX = fileURLToPath(new URL('../../test/fixtures/gate/', import.meta.url));
const fixture = (name: string) => `${FIX}${name}`;
const trialsOf = (name: string) => loadTrials([fixture(name)]).trials;

describe('trial records', () => {
  it('a RunResult with a direct variant gives machine-independent figures', () => {
    const runs = [1, 2, 3].map((i) => JSON.parse(readFileSync(fixture(`result-${i}.json`), 'utf8')) as RunResult);
    const recs = runs.flatMap((r) => trialsFromRunResult(r));
    assert.deepEqual(recs.map((t) => t.label), ['run-1', 'run-2', 'run-3']);
    // the fixtures' machine speed swings ±30% between runs; latency ÷ direct does not move
    for (const t of recs) {
      assert.ok(Math.abs((t.figures.latency_p50_rel as number) - 1.4) < 1e-3, JSON.stringify(t.figures));
      assert.ok(Math.abs((t.figures.latency_p99_rel as number) - 1.4) < 1e-3);
    }
    const raw = runs.map((r) => r.variants[1].latency_ms.p50);
    assert.ok(Math.max(...raw) / Math.min(...raw) > 1.1, 'the fixtures do vary in raw latency');
    assert.equal(typeof recs[0].figures.cpu_us_per_req, 'number');
  });

  it('groups variants by settings.trial and suffixes figures when there are several gateways', () => {
    const base = JSON.parse(readFileSync(fixture('result-1.json'), 'utf8')) as RunResult;
    const [direct, ref] = base.variants;
    const r: RunResult = {
      ...base,
      variants: [1, 2].flatMap((trial) => [
        { ...direct, settings: { ...direct.settings, trial } },
        { ...ref, name: 'proxy-a', settings: { trial } },
        { ...ref, name: 'proxy-b', settings: { trial }, gateway_cpu_us_per_req: 1 },
      ]),
    };
    const recs = trialsFromRunResult(r);
    assert.deepEqual(recs.map((t) => t.label), ['run-1#1', 'run-1#2']);
    assert.equal(recs[0].figures['cpu_us_per_req[proxy-b]'], 1);
    assert.ok('latency_p99_rel[proxy-a]' in recs[0].figures);
  });

  it('cpu_rel_loadgen: the gateway\'s CPU per answered request ÷ the generator\'s, null without the generator\'s CPU', () => {
    const base = JSON.parse(readFileSync(fixture('result-1.json'), 'utf8')) as RunResult;
    const [direct, ref] = base.variants;
    // 1,000 requests, 10 failed: 990 answered; the generator spent 99,000 µs → 100 µs each
    const v = { ...ref, requests: 1000, failures: { '500': 10 }, gateway_cpu_us_per_req: 250, loadgen: { ...ref.loadgen, cpu_us: 99_000 } };
    const f = trialsFromRunResult({ ...base, variants: [direct, v] })[0].figures;
    assert.ok(Math.abs((f.cpu_rel_loadgen as number) - 2.5) < 1e-9, String(f.cpu_rel_loadgen));
    const old = { ...v, loadgen: { cpu_percent: 20, event_loop_delay_p99_ms: 1, rss_mb: 50 } };
    assert.equal(trialsFromRunResult({ ...base, variants: [direct, old] })[0].figures.cpu_rel_loadgen, null, 'a result from before the field');
  });

  it('rejects files that are not results, trials or baselines, listing every problem', () => {
    assert.throws(() => trialsFromJson('x.json', { schema: 'other' }), /x\.json is not a gatebench result: expected schema gatebench\/result@1/);
    assert.throws(
      () => trialsFromJson('b.json', { schema: 'gatebench/baseline@1', scenario: 's', trials: [{ figures: { a: 'fast' } }, {}] }),
      (err: unknown) => isGbError(err) && err.problems.length === 2 && /trials\[0\]\.figures\.a: expected a number or null/.test(err.problems[0]),
    );
    assert.throws(() => loadTrials([fixture('missing.json')]), /cannot read .*missing\.json: ENOENT/);
  });

  it('interleaves sides A B B A A B …', () => {
    assert.deepEqual(interleaveOrder(3), [0, 1, 1, 0, 0, 1]);
  });
});

describe('runGate on fixtures', () => {
  it('same distribution → passes with no significant change', () => {
    const r = runGate(trialsOf('baseline.json'), trialsOf('candidate-same.json'), { seed: 1 });
    assert.equal(r.passed, true);
    assert.deepEqual(r.figures.map((f) => f.figure), ['cpu_us_per_req', 'latency_p50_rel', 'latency_p99_rel']);
    assert.ok(r.figures.every((f) => f.verdict === 'no significant change'), JSON.stringify(r.figures));
  });

  it('20% slower → fails on every figure', () => {
    const r = runGate(trialsOf('baseline.json'), trialsOf('candidate-slow.json'), { seed: 1 });
    assert.equal(r.passed, false);
    for (const f of r.figures) {
      assert.equal(f.verdict, 'regression', `${f.figure}: ${JSON.stringify(f)}`);
      assert.ok(f.ci_low > 1.1 && f.p_value < 0.01);
    }
  });

  it('20% faster → improvement, passes', () => {
    const r = runGate(trialsOf('baseline.json'), trialsOf('candidate-fast.json'));
    assert.equal(r.passed, true);
    assert.ok(r.figures.every((f) => f.verdict === 'improvement'));
  });

  it('a looser tolerance lets the 20% slowdown pass', () => {
    assert.equal(runGate(trialsOf('baseline.json'), trialsOf('candidate-slow.json'), { tolerance: 0.3 }).passed, true);
  });

  it('--figures picks figures and names ones a side lacks', () => {
    const r = runGate(trialsOf('baseline.json'), trialsOf('candidate-slow.json'), { figures: ['overhead_p50'] });
    assert.deepEqual(r.figures.map((f) => f.figure), ['overhead_p50']);
    assert.throws(() => runGate(trialsOf('baseline.json'), trialsOf('candidate-same.json'), { figures: ['nope'] }), (err: unknown) =>
      isGbError(err) && err.exitCode === 2 && /nope: the baseline has no value for it/.test(err.problems[0]));
  });

  it('too few trials → insufficient data, not a verdict', () => {
    const few: TrialRecord[] = trialsOf('candidate-slow.json').slice(0, 2);
    const r = runGate(trialsOf('baseline.json'), few);
    assert.equal(r.passed, true);
    assert.ok(r.figures.every((f) => f.verdict === 'insufficient data'));
  });

  it('parses tolerances', () => {
    assert.equal(parseTolerance('10%'), 0.1);
    assert.equal(parseTolerance('0.05'), 0.05);
    assert.equal(parseTolerance('5'), 0.05);
    assert.throws(() => parseTolerance('ten'), /--tolerance: expected a percentage/);
    assert.throws(() => parseTolerance('100%'), /must be below 100%/);
  });
});

describe('runGate on interleaved rounds (paired)', () => {
  // Round i's two trials share the machine's speed, which swings ±25% between rounds; the
  // head is 6% dearer. Unpaired the swing hides 6% behind a 3% tolerance; paired it does not.
  const speeds = [1, 1.25, 0.8, 1.1, 0.9, 1.2, 0.75, 1.05];
  const round = (label: string, x: number | null): TrialRecord => ({ label, figures: { cpu_us_per_req: x } });
  const base = speeds.map((s, i) => round(`base-${i + 1}`, 100 * s * (i % 2 ? 1.005 : 0.995)));
  const head = speeds.map((s, i) => round(`head-${i + 1}`, 106 * s * (i % 3 ? 1.004 : 0.997)));

  it('pairs round i with round i, and catches what the unpaired interval cannot', () => {
    const paired = runGate(base, head, { tolerance: 0.03, paired: true, seed: 1 });
    const unpaired = runGate(base, head, { tolerance: 0.03, seed: 1 });
    assert.equal(paired.paired, true);
    assert.equal(paired.figures[0].paired, true);
    assert.equal(paired.figures[0].verdict, 'regression', JSON.stringify(paired.figures[0]));
    assert.ok(paired.figures[0].ci_low > 1.03 && paired.figures[0].ci_high < 1.09, JSON.stringify(paired.figures[0]));
    assert.equal(unpaired.paired, false);
    assert.equal(unpaired.figures[0].paired, false);
    assert.equal(unpaired.figures[0].verdict, 'no significant change');
    assert.match(renderGateTable(paired), /cpu_us_per_req \(8 rounds\)/);
    assert.match(renderGateMarkdown(paired), /Ratio = exp of the Hodges–Lehmann estimate .* of the rounds' ln\(candidate \/ baseline\).*bootstrap over interleaved rounds/);
    assert.match(renderGateMarkdown(unpaired), /bootstrap over trials;/);
  });

  it('a paired figure\'s p-value is the Wilcoxon signed-rank test of its rounds, an unpaired one\'s Mann-Whitney', () => {
    const paired = runGate(base, head, { tolerance: 0.03, paired: true, seed: 1 });
    const unpaired = runGate(base, head, { tolerance: 0.03, seed: 1 });
    // all 8 rounds went the same way (W = 0); their ratios tie in groups, so the tie-corrected
    // normal approximation: scipy.stats.wilcoxon(ln(head / base)) gives p = 0.011412036386
    assert.equal(paired.figures[0].test, 'wilcoxon');
    assert.ok(Math.abs(paired.figures[0].p_value - 0.011412036386) < 1e-8, String(paired.figures[0].p_value));
    // unpaired, the ±25% swing between rounds drowns the 6%: the samples overlap
    assert.equal(unpaired.figures[0].test, 'mann-whitney');
    assert.ok(unpaired.figures[0].p_value > 0.3, String(unpaired.figures[0].p_value));
    assert.match(renderGateMarkdown(paired), /p-value by Wilcoxon signed-rank \(of the rounds' ratios\)/);
    assert.match(renderGateMarkdown(unpaired), /p-value by Mann-Whitney U \(of the trials\)/);
    assert.match(renderGateJUnit(paired), /p 0\.011 \(Wilcoxon signed-rank\)/);
  });

  it('a round one side could not measure drops out as a pair; unequal sides fall back to unpaired, saying so', () => {
    const holed = head.map((t, i) => (i === 2 ? round(t.label!, null) : t));
    const r = runGate(base, holed, { tolerance: 0.03, paired: true, seed: 1 });
    assert.equal(r.figures[0].n_baseline, 7);
    assert.equal(r.figures[0].n_candidate, 7);
    assert.equal(r.figures[0].paired, true);
    const uneven = runGate(base, head.slice(0, 7), { tolerance: 0.03, paired: true, seed: 1 });
    assert.equal(uneven.figures[0].paired, false);
    assert.equal(uneven.figures[0].note, 'not paired: 8 vs 7 trials');
    assert.equal(uneven.figures[0].n_baseline, 8);
    assert.equal(uneven.figures[0].test, 'mann-whitney');
    // the footnote tells what was done, not what was asked
    assert.match(renderGateMarkdown(uneven), /bootstrap over trials; p-value by Mann-Whitney U/);
    assert.doesNotMatch(renderGateMarkdown(uneven), /rounds/);
  });
});

describe('gate output', () => {
  const failed = runGate(trialsOf('baseline.json'), trialsOf('candidate-slow.json'), { seed: 1 });
  const passed = runGate(trialsOf('baseline.json'), trialsOf('candidate-same.json'), { seed: 1 });

  it('the table names each figure, its CI and verdict', () => {
    const t = renderGateTable(failed);
    assert.match(t, /cpu_us_per_req \(n=10\/10\)/);
    assert.match(t, /95% CI/);
    assert.match(t, /✗ regression \(\+?\d+(\.\d+)?%\)/);
    assert.match(t, /gate FAILED: cpu_us_per_req \+\d+(\.\d)?% \(CI 1\.\d{3} – 1\.\d{3}, tolerance 10%\)/);
    assert.match(renderGateTable(passed), /gate passed: no significant change/);
  });

  it('the Markdown is a GitHub table with a verdict line', () => {
    const md = renderGateMarkdown(failed, 'gate: fixtures');
    const lines = md.split('\n');
    assert.equal(lines[0], '### ❌ gate: fixtures');
    const header = lines.findIndex((l) => l.startsWith('| figure |'));
    assert.ok(header > 0);
    assert.equal(lines[header + 1], '|---|---:|---:|---:|---:|---:|---|');
    const rows = lines.slice(header + 2).filter((l) => l.startsWith('| `'));
    assert.equal(rows.length, 3);
    for (const row of rows) assert.equal(row.split(' | ').length, 7, row);
    assert.match(md, /\*\*gate FAILED: /);
    assert.match(renderGateMarkdown(passed), /^### ✅ .*\n\n\*\*gate passed: no significant change\*\*/);
  });

  it('JUnit XML: one testcase per figure, failures marked, well-formed', () => {
    const x = renderGateJUnit(failed);
    assert.match(x, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="gatebench" tests="3" failures="3" skipped="0">/);
    assert.equal((x.match(/<testcase /g) ?? []).length, 3);
    assert.equal((x.match(/<failure /g) ?? []).length, 3);
    assertWellFormed(x);
    const ok = renderGateJUnit(passed);
    assert.match(ok, /failures="0"/);
    assertWellFormed(ok);
  });
});

/** A strict little XML checker: tags balance, attributes are quoted, & only in entities. */
function assertWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(body)) !== null) {
    consumed = re.lastIndex;
    if (m[5] !== undefined) {
      assert.doesNotMatch(m[5], /&(?!(amp|lt|gt|quot|apos);)/, `bare & in text: ${m[5]}`);
      if (stack.length === 0) assert.match(m[5], /^\s*$/, 'text outside the root element');
      continue;
    }
    assert.doesNotMatch(m[3], /&(?!(amp|lt|gt|quot|apos);)/, `bare & in attributes: ${m[3]}`);
    if (m[1] === '/') assert.equal(stack.pop(), m[2], `mismatched </${m[2]}>`);
    else if (m[4] !== '/') stack.push(m[2]);
  }
  assert.equal(consumed, body.length, `unparseable XML near: ${body.slice(consumed, consumed + 60)}`);
  assert.deepEqual(stack, [], 'unclosed elements');
}
