// The open model, as k6's arrival-rate executors and wrk2: sends spaced evenly at `rate`
// per second (or a step profile of `stages`), whatever the target does. A send whose
// connections are all busy queues in the undici Pool and goes out when one frees, and its
// latency is measured from its INTENDED send time (coordinated omission corrected, wrk2's
// definition); the latency from the actual send is kept too (uncorrected). Sends beyond
// `maxInFlight` outstanding requests are dropped and counted; sends that go out more than
// `lateThresholdMs` after their intended time are counted as late.
import { Pool } from 'undici';
import type { ResolvedOpenModel } from '../config.js';
import { Exchange, type ExchangeOwner } from '../exchange.js';
import type { Executor, ExecutorContext } from './types.js';

export class OpenExecutor implements Executor, ExchangeOwner {
  readonly rec;
  readonly idHeader;
  readonly requestTimeoutMs;
  private readonly pools: Pool[];
  private readonly free: Exchange[] = [];
  private readonly all: Exchange[] = [];
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  private t0 = 0;
  private sent = 0;
  private outstanding = 0;
  private idleWaiter: (() => void) | null = null;
  private readonly tick = () => this.schedule();
  /** stage boundaries (ms from start) and their intervals (ms between sends; Infinity = pause) */
  private readonly stageEnds: number[] = [];
  private readonly stageIntervals: number[] = [];

  constructor(
    private readonly ctx: ExecutorContext,
    private readonly model: ResolvedOpenModel,
  ) {
    this.rec = ctx.rec;
    this.idHeader = ctx.idHeader;
    this.requestTimeoutMs = ctx.requestTimeoutMs;
    this.pools = ctx.targets.map((u) => new Pool(u.origin, { connections: model.connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 }));
    if (model.stages) {
      let end = 0;
      for (const s of model.stages) {
        this.stageEnds.push((end += s.durationMs));
        this.stageIntervals.push(s.rate > 0 ? 1000 / s.rate : Infinity);
      }
    } else {
      this.stageEnds.push(Infinity);
      this.stageIntervals.push(1000 / model.rate!);
    }
    if (model.stages) {
      // the last stage's rate holds after it: its end is open
      this.stageEnds[this.stageEnds.length - 1] = Infinity;
    }
  }

  nextSeq(): number {
    return this.ctx.nextSeq();
  }

  start(t0: number): void {
    this.t0 = t0;
    this.schedule();
  }

  private stage = 0;
  private stageStart = 0;
  private k = 0;

  /** Intended time of the k-th send of the current stage: computed, not accumulated, so
   * float drift never adds or loses a send at a stage boundary. Infinity when no more. */
  private nextIntended(): number {
    for (;;) {
      const interval = this.stageIntervals[this.stage];
      const offset = this.stageStart + this.k * interval;
      const stageEnd = this.stageEnds[this.stage];
      if (interval !== Infinity && offset < stageEnd - 1e-6) return this.t0 + offset;
      if (this.stage === this.stageEnds.length - 1) {
        // after the last stage its rate holds (a rate of 0 ends the sends)
        if (interval === Infinity) return Infinity;
        return this.t0 + offset;
      }
      this.stageStart = stageEnd;
      this.stage++;
      this.k = 0;
    }
  }

  private schedule(): void {
    this.timer = null;
    if (this.stopping) return;
    const now = performance.now();
    const end = this.ctx.endAt;
    const rec = this.rec;
    let intended = this.nextIntended();
    while (intended <= now && intended < end) {
      this.k++;
      const measured = intended >= this.ctx.measureFrom;
      if (measured) rec.intended++;
      if (this.outstanding >= this.model.maxInFlight) {
        if (measured) rec.dropped++;
      } else {
        this.outstanding++;
        let ex = this.free.pop();
        if (ex === undefined) {
          ex = new Exchange(this, this.pools[0]);
          this.all.push(ex);
        }
        ex.dispatcher = this.pools[this.sent++ % this.pools.length];
        ex.send(this.ctx.pick(), intended, measured);
      }
      intended = this.nextIntended();
    }
    if (intended < end) this.timer = setTimeout(this.tick, Math.max(0, intended - performance.now()));
  }

  done(ex: Exchange): void {
    this.outstanding--;
    if (ex.measured && ex.sentAt > 0 && ex.sentAt - ex.intendedAt > this.model.lateThresholdMs) this.rec.late++;
    this.free.push(ex);
    if (this.stopping) this.checkIdle();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    // sends intended before now (and before the end) still go out, late: a stop timer that
    // fires before a lagging scheduler must not silently lose them
    this.schedule();
    if (this.timer) clearTimeout(this.timer);
    this.stopping = true;
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.idleWaiter && this.outstanding <= 0) {
      const w = this.idleWaiter;
      this.idleWaiter = null;
      w();
    }
  }

  exchanges(): readonly Exchange[] {
    return this.all;
  }

  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiter = resolve;
      this.checkIdle();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
