// Samples the rig once a second while a variant (or a gateway target) runs: the CPU of every
// component and the machine's busy share, CPU pressure and runnable tasks. Reading /proc
// for a few process trees takes well under a millisecond, once a second, in the generator's
// process: small next to the load it drives. The raw samples become the `rig` section
// through the pure summarizeRig().
import { cpuPressure, machineCpu, runnableTasks, treeCpuUs, type MachineCpu } from './proc-read.js';
import { summarizeRig, type RawSample } from './summary.js';
import type { RigComponentKind, RigSection } from './types.js';

export interface RigComponentSpec {
  name: string;
  kind: RigComponentKind;
  pids: readonly number[];
  /** include descendants (PostgreSQL's backends, a gateway's workers) */
  tree: boolean;
  /** include the CPU of reaped children (cutime): for trees whose children come and go */
  reaped?: boolean;
}

export class RigSampler {
  private readonly samples: RawSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private measureAt: number | null = null;

  constructor(
    private readonly components: readonly RigComponentSpec[],
    private readonly o: { cores: number; intervalMs?: number; warmupS?: number },
  ) {}

  get intervalMs(): number {
    return this.o.intervalMs ?? 1000;
  }

  private sample(resumed = false): void {
    const machine: MachineCpu | null = machineCpu();
    const p = cpuPressure();
    this.samples.push({
      ...(resumed ? { resumed } : {}),
      atMs: performance.now(),
      cpuUs: this.components.map((c) => treeCpuUs(c.pids, c.tree, c.reaped ?? false)),
      machine,
      pressureUs: p?.totalUs ?? null,
      runnable: runnableTasks(),
    });
  }

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** The measured window starts now: a sample here so the window's figures start at it. */
  markMeasured(): void {
    this.sample();
    this.measureAt = performance.now();
    // re-phase the seconds on the window's start, so per-second rows line up with the load's
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = setInterval(() => this.sample(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Interleaved rounds (the gateway comparison): a sample now, then nothing until resume(). */
  pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  /** Samples again; the time since pause() belongs to another target and is left out. */
  resume(): void {
    this.sample(true);
    if (this.measureAt === null) this.measureAt = this.samples.at(-1)!.atMs;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** The summary so far, without sampling again (after pause()). */
  summary(requests: number): RigSection {
    return summarizeRig({
      samples: this.samples,
      measureAtMs: this.measureAt ?? this.samples[0]?.atMs ?? 0,
      components: this.components.map((c) => ({ name: c.name, kind: c.kind })),
      cores: this.o.cores,
      requests,
      intervalMs: this.intervalMs,
      warmupS: this.o.warmupS ?? 0,
    });
  }

  /** Stops sampling (a last sample now) and summarises the measured window. */
  stop(requests: number): RigSection {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return this.summary(requests);
  }

  /** Stops without a summary (an error path). */
  cancel(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
