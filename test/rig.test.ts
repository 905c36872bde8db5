// The rig: its pure summary of raw /proc counters, the saturation rule over synthetic
// per-second series, the report lines; and the /proc readers against this very process.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuPressure, machineCpu, processCpuUs, treeCpuUs } from '../lib/rig/proc-read.js';
import { judgeSaturation, SATURATION } from '../lib/rig/saturation.js';
import { RigSampler } from '../lib/rig/sampler.js';
import { summarizeRig, type RawSample } from '../lib/rig/summary.js';
import type { RigSecond } from '../lib/rig/types.js';
import { rigReasons, withRig } from '../lib/rig/verdict.js';
import { steadyWindow } from '../lib/rig/steady-window.js';
import { localPostmaster, rigComponents } from '../runner/rig-components.js';
import { readFileSync } from 'node:fs';
import { directPlan, overheadOverDirect } from '../lib/rig/direct.js';
import type { VariantResult } from '../lib/result.js';
import { cpuByKind, rigAdvice, rigChart, whereCpuWent } from '../reports/rig.js';

const sec = (t: number, busy: number | null, pressure: number | null): RigSecond => ({ t, busy_pct: busy, pressure_pct: pressure, runnable: 1, cpu_pct: [] });

describe('the saturation rule', () => {
  it('a quiet series is not saturated', () => {
    const s = Array.from({ length: 60 }, (_x, i) => sec(i + 1, 40 + (i % 10), 5 + (i % 7)));
    const v = judgeSaturation(s);
    assert.equal(v.saturated, false);
    assert.equal(v.busy_share, 0);
    assert.equal(v.pressure_share, 0);
  });

  it('all cores busy in more than the share of the seconds is saturated', () => {
    // 13 of 60 seconds at 95 % busy: 21.7 % > 20 %
    const s = Array.from({ length: 60 }, (_x, i) => sec(i + 1, i < 13 ? 95 : 50, 10));
    const v = judgeSaturation(s);
    assert.equal(v.saturated, true);
    assert.equal(v.busy_share, 0.217);
    // 12 of 60 is exactly 20 %: not more than the share
    const s2 = Array.from({ length: 60 }, (_x, i) => sec(i + 1, i < 12 ? 95 : 50, 10));
    assert.equal(judgeSaturation(s2).saturated, false);
  });

  it('CPU pressure alone (cores not all busy: tasks queue at wake-up) is saturated', () => {
    const s = Array.from({ length: 30 }, (_x, i) => sec(i + 1, 80, i % 2 === 0 ? SATURATION.pressurePct + 5 : 10));
    const v = judgeSaturation(s);
    assert.equal(v.saturated, true);
    assert.equal(v.busy_share, 0);
    assert.equal(v.pressure_share, 0.5);
  });

  it('seconds without a figure (no PSI on this kernel) are left out, not counted as quiet', () => {
    const s = Array.from({ length: 10 }, (_x, i) => sec(i + 1, i < 3 ? 95 : null, null));
    const v = judgeSaturation(s);
    assert.equal(v.busy_share, 1);
    assert.equal(v.pressure_share, 0);
    assert.equal(v.saturated, true);
  });

  it('takes its thresholds as a parameter and says them in its rule', () => {
    const s = Array.from({ length: 10 }, (_x, i) => sec(i + 1, 70, 10));
    assert.equal(judgeSaturation(s, { busyPct: 60, pressurePct: 100, share: 0.5 }).saturated, true);
    assert.match(judgeSaturation(s).rule, /90 % busy.*40 %.*20 %/);
  });
});

/** Raw samples 1 s apart: `comp` µs of CPU per second per component, machine ticks of 2 cores. */
function raw(n: number, comp: number[], busyShare: number, pressureShare: number, start = 0): RawSample[] {
  const out: RawSample[] = [];
  for (let k = 0; k <= n; k++) {
    out.push({
      atMs: start + k * 1000,
      cpuUs: comp.map((c) => c * k),
      // 2 cores × 100 ticks a second
      machine: { total: 200 * k, idle: Math.round(200 * (1 - busyShare)) * k, steal: 2 * k },
      pressureUs: pressureShare * 1e6 * k,
      runnable: 3,
    });
  }
  return out;
}

describe('summarizeRig', () => {
  const components = [
    { name: 'proxy 1', kind: 'proxy' as const },
    { name: 'proxy 2', kind: 'proxy' as const },
    { name: 'generator', kind: 'generator' as const },
  ];

  it('charges each component its CPU over the measured window only, in % of a core and µs/request', () => {
    // 5 s warm-up at a different rate, then 10 s measured
    const warm = raw(5, [100_000, 100_000, 50_000], 0.3, 0.01);
    const base = warm.at(-1)!;
    const meas = raw(10, [400_000, 300_000, 250_000], 0.6, 0.2).slice(1).map((s) => ({
      ...s,
      atMs: s.atMs + 5000,
      cpuUs: s.cpuUs.map((c, j) => (c ?? 0) + base.cpuUs[j]!),
      machine: { total: s.machine!.total + base.machine!.total, idle: s.machine!.idle + base.machine!.idle, steal: s.machine!.steal + base.machine!.steal },
      pressureUs: s.pressureUs! + base.pressureUs!,
    }));
    const r = summarizeRig({ samples: [...warm, ...meas], measureAtMs: 5000, components, cores: 2, requests: 10_000, intervalMs: 1000, warmupS: 5 });
    assert.deepEqual(
      r.components.map((c) => [c.name, c.cpu_pct, c.us_per_req]),
      [
        ['proxy 1', 40, 400],
        ['proxy 2', 30, 300],
        ['generator', 25, 250],
      ],
    );
    assert.equal(r.machine.busy_p50_pct, 60);
    assert.equal(r.machine.pressure_p50_pct, 20);
    assert.equal(r.machine.steal_pct, 1);
    // 60 % of 2 cores = 120 % of one core; ours 95 %: 25 % was somebody else's
    assert.equal(r.machine.other_pct, 25);
    // the series keeps the warm-up (t ≤ 0) for the charts, the verdict reads the window only
    assert.equal(r.series.length, 15);
    assert.equal(r.series[0].t, -4);
    assert.equal(r.series.at(-1)!.t, 10);
    assert.deepEqual(r.series.at(-1)!.cpu_pct, [40, 30, 25]);
    assert.equal(r.saturation.saturated, false);
  });

  it('a counter that goes back (a restarted process) gives no figure for that second, not a negative one', () => {
    const s = raw(3, [100_000], 0.5, 0);
    s[2] = { ...s[2], cpuUs: [10] };
    const r = summarizeRig({ samples: s, measureAtMs: 0, components: components.slice(0, 1), cores: 2, requests: 100, intervalMs: 1000, warmupS: 0 });
    assert.deepEqual(
      r.series.map((x) => x.cpu_pct[0]),
      [10, null, 30],
    );
  });

  it('interleaved rounds: the time between pause and resume (another target\'s round) is left out', () => {
    const a = raw(3, [200_000], 0.5, 0.1);
    // 10 s of another target's load (1 s of CPU a second), then this target's second round
    const b = raw(3, [200_000], 0.5, 0.1).map((x, k) => ({
      ...x,
      atMs: x.atMs + 13_000,
      cpuUs: [x.cpuUs[0]! + 600_000 + 10_000_000],
      machine: { total: x.machine!.total + 2600, idle: x.machine!.idle + 300, steal: 0 },
      pressureUs: x.pressureUs! + 5e6,
      ...(k === 0 ? { resumed: true } : {}),
    }));
    const r = summarizeRig({ samples: [...a, ...b], measureAtMs: 0, components: components.slice(0, 1), cores: 2, requests: 1000, intervalMs: 1000, warmupS: 0 });
    assert.equal(r.series.length, 6);
    assert.equal(r.components[0].cpu_pct, 20);
    assert.equal(r.components[0].us_per_req, 1200);
    assert.equal(r.machine.busy_p50_pct, 50);
  });

  it('a saturated window gives the reason, the advice and an unreliable variant', () => {
    const s = raw(20, [900_000, 800_000, 300_000], 0.97, 0.6);
    const rig = summarizeRig({ samples: s, measureAtMs: 0, components, cores: 2, requests: 20_000, intervalMs: 1000, warmupS: 0 });
    assert.equal(rig.saturation.saturated, true);
    const reasons = rigReasons(rig);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0], /machine was saturated.*busy p50 97 %.*pressure p50 60 %/);
    const v = withRig({ name: 'x', reliable: true, unreliable_reasons: [] } as unknown as VariantResult, rig);
    assert.equal(v.reliable, false);
    assert.deepEqual(v.unreliable_reasons, reasons);
    assert.equal(v.rig, rig);
    assert.match(rigAdvice(v)!, /97 % busy.*waited for a CPU 60 %.*largest user: proxy, 170 %.*own cores/);
    assert.equal(whereCpuWent(rig), 'where the CPU went: proxy 170 %, generator 30 % of one core; machine 97 % busy (p50 of 2 cores, max 97 %), CPU pressure 60 %');
    assert.deepEqual(
      cpuByKind(rig).map((k) => [k.kind, k.count]),
      [
        ['proxy', 2],
        ['generator', 1],
      ],
    );
    const chart = rigChart(rig);
    assert.deepEqual(chart.labels, ['proxy', 'generator']);
    assert.equal(chart.stacks[0][0], 170);
    assert.equal(chart.stacks[1][0], 200);
    assert.equal(chart.machine[0], 194);
  });

  it('a quiet window leaves the variant as it was', () => {
    const s = raw(20, [100_000, 100_000, 50_000], 0.3, 0.05);
    const rig = summarizeRig({ samples: s, measureAtMs: 0, components, cores: 2, requests: 2000, intervalMs: 1000, warmupS: 0 });
    const v = withRig({ name: 'x', reliable: true, unreliable_reasons: [] } as unknown as VariantResult, rig);
    assert.equal(v.reliable, true);
    assert.equal(rigAdvice(v), null);
  });
});

describe('the /proc readers', () => {
  it('read this process, the machine and (where the kernel has it) CPU pressure', () => {
    const a = processCpuUs(process.pid, false)!;
    // spin until the kernel has charged a tick (10 ms of CPU; on a starved machine that takes a while), at most 3 s
    const t0 = Date.now();
    let b = a;
    while (b === a && Date.now() - t0 < 3000) {
      for (let i = 0; i < 1e5; i++) Math.sqrt(Math.random());
      b = processCpuUs(process.pid, false)!;
    }
    assert.ok(b > a, `CPU time grows while spinning: ${a} → ${b}`);
    assert.ok(treeCpuUs([process.pid], true, true)! >= b);
    assert.equal(processCpuUs(2 ** 22 + 12345, false), null);
    const m = machineCpu()!;
    assert.ok(m.total > m.idle && m.idle >= 0);
    assert.deepEqual(machineCpu('cpu  10 0 5 80 5 0 0 3 0 0\ncpu0 1\n'), { total: 103, idle: 85, steal: 3 });
    assert.deepEqual(cpuPressure('some avg10=55.10 avg60=1.00 avg300=0.00 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'), { avg10: 55.1, totalUs: 123456 });
  });

  it('the sampler charges a busy process its CPU over the measured window', async () => {
    const rig = new RigSampler([{ name: 'generator', kind: 'generator', pids: [process.pid], tree: false }], { cores: 2, intervalMs: 200 }).start();
    await new Promise((r) => setTimeout(r, 250));
    rig.markMeasured();
    const u0 = process.cpuUsage();
    const w0 = performance.now();
    const t0 = Date.now();
    // spin ~300 ms, yielding so the sampler's timer runs
    while (Date.now() - t0 < 300) {
      const t1 = Date.now();
      while (Date.now() - t1 < 20) Math.sqrt(Math.random());
      await new Promise((r) => setImmediate(r));
    }
    const s = rig.stop(100);
    const u = process.cpuUsage(u0);
    const wallUs = (performance.now() - w0) * 1000;
    // the same CPU the kernel reports to the process itself, within /proc's 10 ms ticks
    const ownUs = u.user + u.system;
    const rigUs = s.components[0].us_per_req! * 100;
    assert.ok(Math.abs(rigUs - ownUs) <= 30_000 + ownUs * 0.1, `rig ${rigUs} µs vs process.cpuUsage ${ownUs} µs`);
    assert.ok(Math.abs(s.components[0].cpu_pct! - (ownUs / wallUs) * 100) <= 15, `${s.components[0].cpu_pct} % of a core`);
    assert.ok(s.series.some((x) => x.t <= 0), 'the warm-up is in the series');
    assert.ok(s.series.some((x) => x.t > 0));
  });
});

describe('the steady window', () => {
  const series = (p99: (t: number) => number, n = 60) => Array.from({ length: n }, (_x, i) => ({ t: i + 1, p99_ms: p99(i + 1) }));

  it('a flat series is steady, with a ratio near 1', () => {
    const w = steadyWindow(series((t) => 60 + (t % 5)))!;
    assert.equal(w.steady, true);
    assert.ok(Math.abs(w.ratio - 1) < 0.05, String(w.ratio));
  });

  it('a first half still warming up (the 4-instance run: p99 ~1 s for 30 s, then ~100 ms) is not', () => {
    const w = steadyWindow(series((t) => (t <= 30 ? 1000 : 100)))!;
    assert.equal(w.steady, false);
    assert.equal(w.ratio, 0.1);
    assert.equal(w.p99_first_half_ms, 1000);
    assert.equal(w.p99_second_half_ms, 100);
  });

  it('a degrading window is not steady either; a few slow seconds (GC) do not make a half', () => {
    assert.equal(steadyWindow(series((t) => (t <= 30 ? 50 : 90)))!.steady, false);
    const spikes = steadyWindow(series((t) => (t % 10 === 3 ? 900 : 60)))!;
    assert.equal(spikes.steady, true);
    assert.equal(spikes.ratio, 1);
  });

  it('odd lengths compare equal halves; seconds without a p99 are left out; too short is null', () => {
    const w = steadyWindow([...series((t) => (t <= 3 ? 10 : 30), 7), { t: 8, p99_ms: null }])!;
    assert.equal(w.p99_first_half_ms, 10);
    assert.equal(w.p99_second_half_ms, 30);
    assert.equal(steadyWindow(series(() => 1, 3)), null);
  });
});

describe('the rig\'s components', () => {
  it('a local PostgreSQL by URL is found by its listening port (its postmaster); a remote one is not sampled', { skip: process.env.DATABASE_URL ? false : 'DATABASE_URL is not set' }, () => {
    const u = new URL(process.env.DATABASE_URL!);
    const pid = localPostmaster(process.env.DATABASE_URL!);
    if (!['127.0.0.1', 'localhost'].includes(u.hostname)) return assert.equal(pid, null);
    assert.ok(pid, 'the postmaster of the local server');
    assert.match(readFileSync(`/proc/${pid}/comm`, 'utf8'), /postgres|postmaster/);
    assert.equal(localPostmaster('postgres://db.example.com:5432/x'), null);
    const c = rigComponents({ proxyPids: [1, 2], proxyPrimary: 3, upstreamPid: 4, postgres: { url: process.env.DATABASE_URL!, embedded: false }, redisPid: null });
    assert.deepEqual(c.map((x) => x.name), ['proxy 1', 'proxy 2', 'proxy primary', 'generator', 'upstream', 'PostgreSQL']);
    assert.deepEqual(c.at(-1)!.pids, [pid]);
    assert.equal(c.at(-1)!.reaped, true);
  });
});

describe('the direct baseline', () => {
  it('is two halves of a twelfth of the window each (1–7.5 s), and the gateway\'s overhead over it is per percentile', () => {
    assert.deepEqual(directPlan(60_000, 5_000), { durationMs: 5_000, warmupMs: 3_000 });
    assert.deepEqual(directPlan(3_000, 500), { durationMs: 1_000, warmupMs: 1_000 });
    assert.deepEqual(directPlan(300_000, 5_000), { durationMs: 7_500, warmupMs: 3_000 });
    assert.deepEqual(overheadOverDirect({ p50: 1.5, p95: 9, p99: 20, mean: 3 }, { p50: 0.5, p95: 2, p99: 7.25, mean: 1 }), { p50: 1, p95: 7, p99: 12.75, mean: 2 });
    assert.equal(overheadOverDirect(null, { p50: 1, p95: 1, p99: 1, mean: 1 }), null);
  });
});
