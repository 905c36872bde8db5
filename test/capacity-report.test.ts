// A finished capacity search as a result and its reports, pure: synthetic searches through
// capacityVariant() (the variant carries its top step, the frontier per metric, the curve)
// and the frontier table's cells ("≥ N (rig-limited)", "< N", exact), as a reader sees them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endSearch, newSearch, nextRate, recordStep, type StepMeasure } from '../runner/capacity/search.js';
import { resolveCapacity } from '../runner/capacity/capacity-schema.js';
import { addRun, capacityVariant, type TargetSearch } from '../runner/capacity/variants.js';
import type { StartedTarget } from '../runner/targets/types.js';
import { frontierTable, capacityChart } from '../reports/capacity/table.js';
import { renderConsole } from '../reports/console.js';
import { renderMarkdown } from '../reports/markdown.js';
import { renderHtml } from '../reports/html.js';
import { chromiumSkipReason, renderInChromium } from './helpers/chromium.js';
import { RESULT_SCHEMA, type RunResult } from '../lib/result.js';
import type { RigSection } from '../lib/rig/types.js';

const SETTINGS = resolveCapacity({ slos_ms: [10, 100], start_rate: 100, resolution: 0.1, max_steps: 20 });
const FLOOR = { rate: 100, latency_p50_ms: 1, latency_p99_ms: 2 };

const RIG: RigSection = {
  interval_ms: 1000,
  warmup_s: 0,
  components: [],
  machine: { cores: 2, busy_p50_pct: 10, busy_max_pct: 20, steal_pct: 0, pressure_p50_pct: 0, pressure_max_pct: 0, runnable_p50: 1, runnable_max: 1, other_pct: 0 },
  saturation: { saturated: false, busy_share: 0, pressure_share: 0, thresholds: { busy_pct: 90, pressure_pct: 40, share: 0.2 }, rule: '' },
  series: [],
};

function target(name: string, kind: StartedTarget['kind'], header?: string): StartedTarget {
  return { name, kind, baseUrls: ['http://127.0.0.1:1'], chatPath: '/v1/chat/completions', headers: {}, pids: [], ...(header ? { overheadHeader: header } : {}), stop: async () => {} };
}

/** A search driven to its end by a model of the target (p99 over direct, header p99, rig). */
function search(t: StartedTarget, model: (rate: number, run: number) => { p99: number; header?: number; rig?: boolean }, cutAfter = Infinity): TargetSearch {
  const s: TargetSearch = { target: t, state: newSearch(SETTINGS.search), outcomes: [], runs: [] };
  const seen = new Map<number, number>();
  // cutAfter: the run's time budget ends the search after that many measurements
  for (let rate = nextRate(s.state); rate !== null; rate = s.state.measurements >= cutAfter ? (endSearch(s.state, 'max-duration'), null) : nextRate(s.state)) {
    seen.set(rate, (seen.get(rate) ?? 0) + 1);
    const m = model(rate, seen.get(rate)!);
    const measure: StepMeasure = { rate, achievedRps: rate, p99Ms: m.p99, failureRatio: 0, generatorBehind: false, rigSaturated: m.rig ?? false };
    const again = s.state.repeat;
    const step = recordStep(s.state, measure);
    const p = { p50: 1, p90: 1, p95: 1, p99: m.p99 + 1, p999: m.p99 + 1, max: m.p99 + 1, mean: 1, count: rate };
    addRun(s, again, step, {
      measure,
      row: { offered_rate: rate, achieved_rps: rate, latency_p50_ms: 2, latency_p99_ms: m.p99 + 1, over_direct_p99_ms: m.p99, header_p99_ms: m.header ?? null, failure_ratio: 0, cpu_us_per_req: 250, rss_mb: null },
      result: { name: '', settings: {}, requests: rate * 3, failures: {}, rps: rate, current_rps: rate, duration_s: 3, latency_ms: p, overhead_ms: null, loadgen: { cpu_percent: 1, event_loop_delay_p99_ms: 1, rss_mb: 50 }, reliable: true, unreliable_reasons: [], timeseries: [], histograms: { latency: '', headers: {} } },
      rig: RIG,
      peakRssBytes: 0,
    });
  }
  return s;
}

function resultOf(searches: TargetSearch[], floorEnd?: typeof FLOOR): RunResult {
  return {
    schema: RESULT_SCHEMA,
    scenario: 'capacity.yaml',
    run_id: 'r',
    machine: { cpus: 2, model: 'x', memory_mb: 1, node: 'v20', os: 'linux' },
    start_time: '',
    end_time: '',
    variants: searches.map((s) => capacityVariant(s, SETTINGS, FLOOR, floorEnd)!),
    capacity_search: { order: searches.map((s) => s.target.name), skipped: [{ name: 'portkey', target: 'portkey', unavailable: 'not installed' }] },
  };
}

test('a queueing target: exact frontiers, its top step as the variant, cores per 1,000 RPS from that step', () => {
  // p99 over direct 2 ms up to 400 req/s, 50 ms up to 800, then the queue explodes
  const s = search(target('reference', 'reference', 'x-litellm-overhead-duration-ms'), (r) => ({ p99: r <= 400 ? 2 : r <= 800 ? 50 : 5000, header: r <= 800 ? 0.5 : 20 }));
  const r = resultOf([s]);
  const v = r.variants[0];
  const c = v.capacity!;
  assert.equal(c.stop_reason, 'slo');
  assert.equal(c.rig_limited, false);
  const at = (slo: number) => c.frontier.over_direct.find((p) => p.slo_ms === slo)!;
  assert.ok(at(10).offered_rate! <= 400 && at(10).offered_rate! >= 400 / 1.1 - 1, JSON.stringify(at(10)));
  assert.ok(at(100).offered_rate! <= 800 && at(100).offered_rate! >= 800 / 1.1 - 1, JSON.stringify(at(100)));
  // the header metric holds 10 ms as far as 100 ms over direct does
  assert.equal(c.frontier.header!.find((p) => p.slo_ms === 10)!.offered_rate, at(100).offered_rate);
  assert.equal(c.curve[c.best_step!].offered_rate, at(100).offered_rate);
  assert.equal(v.settings.offered_rate, at(100).offered_rate);
  assert.equal(c.cores_per_1k_rps, 0.25);
  assert.equal(c.curve.length, s.state.steps.length);
  const f = frontierTable(r);
  assert.deepEqual(f.head, ['Frontier', 'reference']);
  assert.equal(f.rows.find((x) => x[0].startsWith('p99 ≤ 100 ms'))![1], String(at(100).max_rps));
  assert.ok(f.rows.some((x) => x[0].startsWith('own header p99 ≤ 10 ms')));
  assert.ok(f.notes.some((n) => /portkey skipped: not installed/.test(n)));
  const chart = capacityChart(r);
  assert.deepEqual(chart.slos, [10, 100]);
  assert.equal(chart.frontier[0].length, 2);
  assert.deepEqual(chart.rate[0], [...chart.rate[0]].sort((a, b) => a - b));
});

test('a rig that saturates before the target breaks: "≥ N (rig-limited)"; a target broken at the start rate: "< N"', () => {
  const rigged = search(target('nginx', 'nginx'), (r) => ({ p99: 1, rig: r >= 800 }));
  const slow = search(target('portkey', 'portkey'), () => ({ p99: 500 }));
  const r = resultOf([rigged, slow]);
  assert.equal(r.variants[0].capacity!.stop_reason, 'rig');
  assert.equal(r.variants[0].capacity!.rig_limited, true);
  const f = frontierTable(r);
  const row = f.rows.find((x) => x[0].startsWith('p99 ≤ 100 ms'))!;
  assert.equal(row[1], '≥ 400 (rig-limited)');
  assert.equal(row[2], '< 100');
  assert.deepEqual(f.rows.find((x) => x[0] === 'search ended by'), ['search ended by', 'rig (rig-limited)', 'slo']);
  assert.match(renderConsole(r), /≥ 400 \(rig-limited\)/);
  assert.match(renderMarkdown(r), /## Curve[\s\S]*### portkey/);
  assert.ok(r.variants[0].notes!.some((n) => /lower bound \(rig-limited\)/.test(n)));
});

test('the chart draws untrusted steps apart from the line; the HTML report renders them', async (t) => {
  const rigged = search(target('nginx', 'nginx'), (r) => ({ p99: 1, rig: r >= 800 }));
  const r = resultOf([rigged]);
  const chart = capacityChart(r);
  const k = chart.rate[0].indexOf(800);
  assert.ok(k >= 0);
  assert.equal(chart.p99[0][k], null, 'an untrusted step is off the line');
  assert.equal(chart.untrusted[0][k], 1);
  assert.ok(chart.rate[0].every((x, i) => (x < 800 ? chart.p99[0][i] === 1 && chart.untrusted[0][i] === null : true)));
  const html = renderHtml(r);
  assert.match(html, /rings: steps the rig could not drive/);
  const skip = chromiumSkipReason();
  if (skip) return t.skip(skip);
  const page = await renderInChromium(html);
  assert.deepEqual(page.errors, []);
  const drawn = page.canvases.find(([id]) => id === 'chart-capacity');
  assert.ok(drawn && drawn[1] > 0 && drawn[2] > 0, JSON.stringify(page.canvases));
});

test('a re-measured break shows its runs in the curve and a note; the floor’s drift is a note', () => {
  // 10 ms: the first run at 200 req/s is spoiled (40 ms) while 400 keeps it; the truth breaks at 800
  const s = search(target('reference', 'reference'), (rate, run) => ({ p99: rate === 200 && run === 1 ? 40 : rate < 800 ? 2 : 5000 }));
  const r = resultOf([s], { rate: 100, latency_p50_ms: 1.2, latency_p99_ms: 2.5 });
  const c = r.variants[0].capacity!;
  const row = c.curve.find((x) => x.offered_rate === 200)!;
  assert.deepEqual(row.runs_over_direct_p99_ms, [40, 2, 2]);
  assert.equal(row.over_direct_p99_ms, 2, 'the median run');
  assert.equal(row.verdict, 'ok');
  assert.equal(r.variants[0].gateway!.rounds, c.curve.length + 2, 'rounds count every run');
  const f = frontierTable(r);
  assert.ok(f.notes.some((n) => /1 doubtful break\(s\) measured again/.test(n)), f.notes.join('\n'));
  assert.ok(f.notes.some((n) => /floor's p50 was 1 ms before the searches and 1.2 ms after/.test(n)), f.notes.join('\n'));
  assert.match(renderMarkdown(r), /\| ok \(runs: 40\.00 \/ 2\.00 \/ 2\.00\) \|/);
});

test('a search the time budget cut below a rig limit is still "≥ N (rig-limited)" at the top, and says the budget ended it', () => {
  // 10 ms breaks above 200 req/s, the rig gives out at 800: 100, 200, 400, 800 (rig), then the cut
  const cut = search(target('nginx', 'nginx'), (r) => ({ p99: r > 200 ? 50 : 2, rig: r >= 800 }), 4);
  assert.equal(cut.state.growthStop, 'rig');
  const r = resultOf([cut]);
  const c = r.variants[0].capacity!;
  assert.equal(c.stop_reason, 'max-duration');
  assert.equal(c.rig_limited, true);
  const f = frontierTable(r);
  assert.equal(f.rows.find((x) => x[0].startsWith('p99 ≤ 100 ms'))![1], '≥ 400 (rig-limited)');
  assert.equal(f.rows.find((x) => x[0].startsWith('p99 ≤ 10 ms'))![1], '200');
  assert.deepEqual(f.rows.find((x) => x[0] === 'search ended by'), ['search ended by', 'max-duration (rig-limited)']);
});

test('a frontier at direct\'s own (the rig\'s) is marked "(≈ direct)"; one clearly below it is the target\'s', () => {
  // direct breaks 10 ms at ~1,000 req/s (the rig), nginx at ~950 (the rig too), reference at 400
  const direct = search(target('direct', 'direct'), (r) => ({ p99: r <= 1000 ? 2 : 20 }));
  const nginx = search(target('nginx', 'nginx'), (r) => ({ p99: r <= 950 ? 2 : 20 }));
  const reference = search(target('reference', 'reference'), (r) => ({ p99: r <= 400 ? 2 : 20 }));
  const f = frontierTable(resultOf([reference, nginx, direct]));
  const row = f.rows.find((x) => x[0].startsWith('p99 ≤ 10 ms'))!;
  assert.doesNotMatch(row[1], /direct/, `reference: ${row[1]}`);
  assert.match(row[2], /^[\d,]+ \(≈ direct\)$/, `nginx: ${row[2]}`);
  assert.doesNotMatch(row[3], /≈/, 'direct itself is not marked');
  assert.ok(f.notes.some((n) => /"\(≈ direct\)": going direct, with no gateway, broke that SLO at about the same rate/.test(n)), f.notes.join('\n'));
});
