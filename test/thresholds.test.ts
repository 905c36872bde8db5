import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERR_THRESHOLDS, isGbError } from '../lib/errors.js';
import { RESULT_SCHEMA, type Percentiles, type RunResult, type VariantResult } from '../lib/result.js';
import {
  enforceThresholds,
  evaluateThresholds,
  parseThreshold,
  parseThresholds,
  parseThresholdSpec,
  renderThresholdReport,
  ThresholdSyntaxError,
} from '../reports/thresholds/index.js';

function syntaxError(text: string): ThresholdSyntaxError {
  try {
    parseThreshold(text);
  } catch (err) {
    assert.ok(err instanceof ThresholdSyntaxError, `expected a ThresholdSyntaxError for ${text}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('threshold grammar: valid forms', () => {
  it('parses a metric, an operator and a limit', () => {
    const t = parseThreshold('latency_ms.p99 < 250');
    assert.deepEqual(t, { source: 'latency_ms.p99 < 250', selector: { kind: 'all' }, metric: ['latency_ms', 'p99'], op: '<', limit: 250 });
  });

  it('accepts every operator, with or without spaces', () => {
    for (const op of ['<', '<=', '>', '>=', '==', '!=']) {
      assert.equal(parseThreshold(`rps${op}1000`).op, op);
      assert.equal(parseThreshold(`  rps ${op} 1000  `).op, op);
    }
  });

  it('parses numbers: decimals, exponents, negatives, percentages', () => {
    assert.equal(parseThreshold('overhead_ms.p95 <= 5.5').limit, 5.5);
    assert.equal(parseThreshold('gateway_cpu_us_per_req < 1e2').limit, 100);
    assert.equal(parseThreshold('rps > .5').limit, 0.5);
    assert.equal(parseThreshold('rps > -1').limit, -1);
    assert.equal(parseThreshold('failure_rate < 1%').limit, 0.01);
  });

  it('parses the scalar and derived metrics', () => {
    for (const m of ['failures', 'failure_rate', 'rps', 'current_rps', 'requests', 'gateway_cpu_us_per_req', 'gateway_rss_mb', 'duration_s']) {
      assert.deepEqual(parseThreshold(`${m} >= 0`).metric, [m]);
    }
    assert.deepEqual(parseThreshold('ttft_ms.p50 < 100').metric, ['ttft_ms', 'p50']);
    assert.deepEqual(parseThreshold('failures.500 == 0').metric, ['failures', '500']);
    assert.deepEqual(parseThreshold('failures."ECONNRESET" == 0').metric, ['failures', 'ECONNRESET']);
    assert.deepEqual(parseThreshold('headers_ms.x-litellm-overhead-duration-ms.p99 < 10').metric, ['headers_ms', 'x-litellm-overhead-duration-ms', 'p99']);
    assert.deepEqual(parseThreshold('loadgen.cpu_percent < 90').metric, ['loadgen', 'cpu_percent']);
  });

  it('parses selectors: one setting, several settings, a quoted name', () => {
    assert.deepEqual(parseThreshold('variant[instances=4].latency_ms.p99 < 250').selector, { kind: 'settings', match: [{ key: 'instances', value: '4' }] });
    assert.deepEqual(parseThreshold('variant[instances=4, redis=on].rps > 10').selector, {
      kind: 'settings',
      match: [{ key: 'instances', value: '4' }, { key: 'redis', value: 'on' }],
    });
    assert.deepEqual(parseThreshold('variant["instances=1,redis=off"].rps > 10').selector, { kind: 'name', name: 'instances=1,redis=off' });
    assert.deepEqual(parseThreshold("variant[callbacks='gcs_bucket+langsmith'].rps > 10").selector, {
      kind: 'settings',
      match: [{ key: 'callbacks', value: 'gcs_bucket+langsmith' }],
    });
  });
});

describe('threshold grammar: errors carry a message and a column', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['', 1, /empty threshold/],
    ['latency_ms.p99', 15, /expected an operator \(<, <=, >, >=, ==, !=\) after latency_ms\.p99, found the end/],
    ['latency_ms.p99 = 250', 16, /found "=" \(use == to compare\)/],
    ['latency_ms.p99 <', 17, /expected a number after <, found the end/],
    ['latency_ms.p99 < abc', 18, /expected a number after <, found "abc"/],
    ['latency_ms.p99 < 250ms', 21, /unexpected "ms" after the limit \(limits are plain numbers/],
    ['latency_ms.p99 < 250 300', 22, /unexpected "300" after the limit/],
    ['latency_ms.p98 < 250', 12, /unknown statistic "p98" in latency_ms\.p98: expected one of p50, p90/],
    ['latency_ms < 250', 1, /latency_ms needs a statistic/],
    ['latency < 250', 1, /unknown metric "latency"/],
    ['rps.p99 > 1', 5, /rps is a number and has no field "p99"/],
    ['latency_ms.p99.x < 1', 16, /latency_ms\.p99 has no field "x"/],
    ['latency_ms. < 1', 13, /expected a field name after "latency_ms\.", found "<"/],
    ['< 250', 1, /expected a metric name \(like latency_ms\.p99\), found "<"/],
    ['latency_ms.p99 < 250 $', 22, /unexpected character "\$"/],
    ['variant["x].rps > 1', 9, /unterminated string: missing closing "/],
    ['variant[instances=4.rps > 1', 20, /expected "\]" to close the selector, found "\."/],
    ['variant[instances].rps > 1', 18, /expected "=" after instances in the selector, found "\]"/],
    ['variant[=4].rps > 1', 9, /expected a setting name \(instances=4\) or a quoted variant name/],
    ['variant[instances=].rps > 1', 19, /expected a value after instances=, found "\]"/],
    ['variant[instances=4,instances=2].rps > 1', 21, /instances appears twice in the selector/],
    ['variant[latency=fixed:50].rps > 1', 22, /unexpected character ":" \(quote a value like this: variant\[latency="fixed:50"\]\)/],
    ['variant[instances=4] rps > 1', 22, /expected "\." and a metric after the selector, found "rps"/],
  ];
  for (const [text, column, message] of cases) {
    it(`${JSON.stringify(text)} → column ${column}`, () => {
      const err = syntaxError(text);
      assert.match(err.message, message);
      assert.equal(err.column, column, `column of ${JSON.stringify(text)}: ${err.message}`);
    });
  }
});

describe('parseThresholds / parseThresholdSpec collect every problem with its path', () => {
  it('lists all problems of a list, keeping the valid thresholds', () => {
    const { thresholds, problems } = parseThresholds(['latency_ms.p99 < 250', 'latency_ms.p99 = 250', 42, 'latency < 1']);
    assert.equal(thresholds.length, 1);
    assert.deepEqual(problems, [
      'thresholds[1]: "latency_ms.p99 = 250": column 16: expected an operator (<, <=, >, >=, ==, !=) after latency_ms.p99, found "=" (use == to compare)',
      'thresholds[2]: expected a string like "latency_ms.p99 < 250", found 42',
      `thresholds[3]: "latency < 1": column 1: ${syntaxError('latency < 1').message}`,
    ]);
  });

  it("accepts k6's map form: metric → condition or list of conditions", () => {
    const { thresholds, problems } = parseThresholdSpec({
      'latency_ms.p99': '< 250',
      'variant[instances=4].overhead_ms.p95': ['<= 5', '> 0'],
      failures: 0,
      rps: ['>> 3'],
    });
    assert.deepEqual(thresholds.map((t) => t.source), ['latency_ms.p99 < 250', 'variant[instances=4].overhead_ms.p95 <= 5', 'variant[instances=4].overhead_ms.p95 > 0']);
    assert.equal(problems.length, 2);
    assert.match(problems[0], /^thresholds\["failures"\]: expected a condition like "< 250"/);
    assert.match(problems[1], /^thresholds\["rps"\]\[0\]: "rps >> 3": column 6: expected a number after >, found ">"/);
  });

  it('treats a missing spec as no thresholds and rejects a scalar spec', () => {
    assert.deepEqual(parseThresholdSpec(undefined), { thresholds: [], problems: [] });
    assert.equal(parseThresholdSpec('latency_ms.p99 < 1').problems.length, 1);
  });
});

const pct = (p50: number): Percentiles => ({ p50, p90: p50 * 1.5, p95: p50 * 2, p99: p50 * 3, p999: p50 * 4, max: p50 * 5, mean: p50 * 1.2, count: 1000 });

function variant(name: string, settings: Record<string, unknown>, over: Partial<VariantResult> = {}): VariantResult {
  return {
    name, settings, requests: 1000, failures: {}, rps: 500, current_rps: 480, duration_s: 2,
    latency_ms: pct(50), overhead_ms: pct(1), gateway_cpu_us_per_req: 40, gateway_rss_mb: 90,
    loadgen: { cpu_percent: 30, event_loop_delay_p99_ms: 2, rss_mb: 80 }, reliable: true, unreliable_reasons: [],
    timeseries: [], histograms: { latency: '', headers: {} },
    ...over,
  };
}

const result: RunResult = {
  schema: RESULT_SCHEMA, scenario: 'test', run_id: 'r1',
  machine: { cpus: 2, model: 'x', memory_mb: 1, node: 'v20', os: 'linux' },
  start_time: '2026-01-01T00:00:00Z', end_time: '2026-01-01T00:00:02Z',
  variants: [
    variant('instances=1,redis=off', { instances: 1, redis: 'off', callbacks: [] }),
    variant('instances=4,redis=off', { instances: 4, redis: 'off' }, { latency_ms: pct(104.1333), failures: { '500': 3, timeout: 2 } }),
    variant('instances=4,redis=on', { instances: 4, redis: 'on' }, { overhead_ms: null, gateway_cpu_us_per_req: null }),
  ],
};
const evaluate = (list: string[]) => {
  const parsed = parseThresholds(list);
  assert.deepEqual(parsed.problems, []);
  return evaluateThresholds(parsed.thresholds, result);
};

describe('evaluateThresholds against a handmade result', () => {
  it('passes when every variant is within the limit', () => {
    const e = evaluate(['latency_ms.p50 <= 104.1333', 'rps > 100', 'gateway_rss_mb < 100']);
    assert.equal(e.passed, true);
    assert.equal(e.checks.length, 9);
  });

  it('fails and reports the variant, the measured value and the limit', () => {
    const e = evaluate(['latency_ms.p99 < 250']);
    assert.equal(e.passed, false);
    const bad = e.checks.filter((c) => !c.ok);
    assert.deepEqual(bad.map((c) => [c.variant, c.value]), [['instances=4,redis=off', 104.1333 * 3]]);
    const text = renderThresholdReport(e);
    assert.match(text.split('\n')[0], /^✗ latency_ms\.p99 < 250 {2}\[instances=4,redis=off\] measured 312\.4 limit 250$/);
    assert.match(text, /✓ latency_ms\.p99 < 250 {2}\[instances=1,redis=off\] measured 150 limit 250/);
    assert.match(text, /thresholds: 1 of 3 check\(s\) failed/);
  });

  it('sums failures and computes failure_rate', () => {
    const e = evaluate(['failures == 0', 'failure_rate < 0.5%', 'failures.500 <= 3']);
    const byVariant = (m: string) => e.checks.filter((c) => c.metric === m).map((c) => c.value);
    assert.deepEqual(byVariant('failures'), [0, 5, 0]);
    assert.deepEqual(byVariant('failure_rate'), [0, 0.005, 0]);
    assert.deepEqual(byVariant('failures.500'), [0, 3, 0]);
    assert.deepEqual(e.checks.filter((c) => !c.ok).map((c) => `${c.metric}@${c.variant}`), ['failures@instances=4,redis=off', 'failure_rate@instances=4,redis=off']);
  });

  it('a metric that was not measured fails with a message instead of crashing', () => {
    const e = evaluate(['overhead_ms.p95 <= 5', 'gateway_cpu_us_per_req < 50', 'ttft_ms.p50 < 100']);
    const missing = e.checks.filter((c) => c.value === null);
    assert.deepEqual(missing.map((c) => `${c.metric}@${c.variant}`), [
      'overhead_ms.p95@instances=4,redis=on',
      'gateway_cpu_us_per_req@instances=4,redis=on',
      'ttft_ms.p50@instances=1,redis=off', 'ttft_ms.p50@instances=4,redis=off', 'ttft_ms.p50@instances=4,redis=on',
    ]);
    assert.ok(missing.every((c) => !c.ok && /not measured/.test(c.message ?? '')));
    assert.match(renderThresholdReport(e), /✗ overhead_ms\.p95 <= 5 {2}\[instances=4,redis=on\] overhead_ms was not measured for this variant/);
  });

  it('selectors pick the variants they name', () => {
    const one = evaluate(['variant[instances=4,redis=on].rps > 1']);
    assert.deepEqual(one.checks.map((c) => c.variant), ['instances=4,redis=on']);
    const two = evaluate(['variant[instances=4].latency_ms.p99 < 250']);
    assert.deepEqual(two.checks.map((c) => [c.variant, c.ok]), [['instances=4,redis=off', false], ['instances=4,redis=on', true]]);
    const lists = evaluate(['variant[callbacks=none].rps > 1']);
    assert.deepEqual(lists.checks.map((c) => c.variant), ['instances=1,redis=off'], 'an empty callbacks list is "none"');
    const named = evaluate(['variant["instances=1,redis=off"].latency_ms.p99 < 250']);
    assert.deepEqual(named.checks.map((c) => [c.variant, c.ok]), [['instances=1,redis=off', true]]);
  });

  it('a selector that matches nothing is a failure that lists the variants', () => {
    const e = evaluate(['variant[instances=8].rps > 1']);
    assert.equal(e.passed, false);
    assert.equal(e.checks.length, 1);
    assert.match(e.checks[0].message ?? '', /no variant matches variant\[instances=8\]; variants are instances=1,redis=off \| /);
  });

  it('enforceThresholds throws GB_ERR_THRESHOLDS (exit 99) listing the failed checks', () => {
    const { thresholds } = parseThresholds(['latency_ms.p99 < 250', 'rps > 1']);
    let printed = '';
    assert.throws(() => enforceThresholds(thresholds, result, (s) => { printed += s; }), (err: unknown) => {
      assert.ok(isGbError(err));
      assert.equal(err.code, ERR_THRESHOLDS.code);
      assert.equal(err.exitCode, 99);
      assert.equal(err.problems.length, 1);
      assert.match(err.problems[0], /measured 312\.4 limit 250/);
      return true;
    });
    assert.match(printed, /✗ latency_ms\.p99 < 250/);
    const ok = enforceThresholds(parseThresholds(['rps > 1']).thresholds, result, () => {});
    assert.equal(ok.passed, true);
  });
});
