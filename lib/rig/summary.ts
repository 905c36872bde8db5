// From the rig sampler's raw counters to the `rig` section of a result. Pure: samples in,
// figures out, so it is tested with synthetic counters.
import type { MachineCpu } from './proc-read.js';
import { judgeSaturation } from './saturation.js';
import type { RigComponent, RigComponentKind, RigSecond, RigSection } from './types.js';

export interface RawSample {
  /** performance.now() of the sample */
  atMs: number;
  /** CPU µs of each component (null: not readable / not alive) */
  cpuUs: (number | null)[];
  machine: MachineCpu | null;
  /** /proc/pressure/cpu some total, µs */
  pressureUs: number | null;
  runnable: number | null;
  /** the first sample after a pause (interleaved rounds): the interval ending here is another's time */
  resumed?: boolean;
}

export interface SummaryInput {
  samples: readonly RawSample[];
  measureAtMs: number;
  components: readonly { name: string; kind: RigComponentKind }[];
  cores: number;
  /** requests answered in the measured window */
  requests: number;
  intervalMs: number;
  warmupS: number;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

export function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

function delta(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null) return null;
  const d = b - a;
  // a process restarted or its counter went back: no figure for this interval
  return d >= 0 ? d : null;
}

export function summarizeRig(i: SummaryInput): RigSection {
  const n = i.components.length;
  const series: RigSecond[] = [];
  const winCpu = new Array<number>(n).fill(0);
  const winSeen = new Array<boolean>(n).fill(false);
  let winWallUs = 0;
  let winTicks = 0;
  let winIdle = 0;
  let winSteal = 0;
  const measured: RigSecond[] = [];
  for (let k = 1; k < i.samples.length; k++) {
    const a = i.samples[k - 1];
    const b = i.samples[k];
    const dtUs = (b.atMs - a.atMs) * 1000;
    if (dtUs <= 0 || b.resumed) continue;
    const cpu = i.components.map((_c, j) => delta(a.cpuUs[j], b.cpuUs[j]));
    const dTotal = a.machine && b.machine ? b.machine.total - a.machine.total : 0;
    const dIdle = a.machine && b.machine ? b.machine.idle - a.machine.idle : 0;
    const dSteal = a.machine && b.machine ? b.machine.steal - a.machine.steal : 0;
    const dPress = delta(a.pressureUs, b.pressureUs);
    const inWindow = a.atMs >= i.measureAtMs - 1;
    if (inWindow) {
      winWallUs += dtUs;
      cpu.forEach((c, j) => {
        if (c === null) return;
        winCpu[j] += c;
        winSeen[j] = true;
      });
      if (dTotal > 0) {
        winTicks += dTotal;
        winIdle += dIdle;
        winSteal += dSteal;
      }
    }
    // a sliver of an interval (the last one, or the one cut by the window's start) is too
    // short for a per-second figure; it still counts in the window's totals above
    if (dtUs < i.intervalMs * 500) continue;
    const s: RigSecond = {
      t: r1((b.atMs - i.measureAtMs) / 1000),
      busy_pct: dTotal > 0 ? r1(((dTotal - dIdle) / dTotal) * 100) : null,
      pressure_pct: dPress === null ? null : r1(Math.min(100, (dPress / dtUs) * 100)),
      runnable: b.runnable,
      cpu_pct: cpu.map((c) => (c === null ? null : r1((c / dtUs) * 100))),
    };
    series.push(s);
    if (inWindow) measured.push(s);
  }
  const components: RigComponent[] = i.components.map((c, j) => ({
    name: c.name,
    kind: c.kind,
    cpu_pct: winSeen[j] && winWallUs > 0 ? r1((winCpu[j] / winWallUs) * 100) : null,
    us_per_req: winSeen[j] && i.requests > 0 ? r1(winCpu[j] / i.requests) : null,
  }));
  const nums = (f: (s: RigSecond) => number | null) => measured.map(f).filter((x): x is number => x !== null);
  const busy = nums((s) => s.busy_pct);
  const press = nums((s) => s.pressure_pct);
  const run = nums((s) => s.runnable);
  const ours = components.reduce((a, c) => a + (c.cpu_pct ?? 0), 0);
  const busyCores = winTicks > 0 ? ((winTicks - winIdle) / winTicks) * i.cores * 100 : null;
  return {
    interval_ms: i.intervalMs,
    warmup_s: i.warmupS,
    components,
    machine: {
      cores: i.cores,
      busy_p50_pct: quantile(busy, 0.5),
      busy_max_pct: busy.length ? Math.max(...busy) : null,
      steal_pct: winTicks > 0 ? r1((winSteal / winTicks) * 100) : null,
      pressure_p50_pct: quantile(press, 0.5),
      pressure_max_pct: press.length ? Math.max(...press) : null,
      runnable_p50: quantile(run, 0.5),
      runnable_max: run.length ? Math.max(...run) : null,
      other_pct: busyCores === null ? null : r1(Math.max(0, busyCores - ours)),
    },
    saturation: judgeSaturation(measured),
    series,
  };
}
