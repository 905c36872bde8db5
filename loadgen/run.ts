// One load run: validates the options, compiles the templates, starts the executor,
// samples a per-second time series, stops on time (or on signal/stop()), ramps down,
// and builds the result with aggregate(). Emits 'second' and 'done'.
import { EventEmitter } from 'node:events';
import type { SecondSample } from '../lib/result.js';
import { ERR_INVALID_CONFIG } from '../lib/errors.js';
import { aggregate, encode, type LoadResult, type Recorded } from './aggregate.js';
import { validateLoadOptions, type LoadOptions, type ResolvedLoadOptions } from './config.js';
import { ClosedExecutor } from './executors/closed.js';
import { OpenExecutor } from './executors/open.js';
import type { Executor, ExecutorContext } from './executors/types.js';
import { attachProgress } from './progress.js';
import { Recorder, writeErrorLog, type ErrorEntry, type RequestTimes } from './recorder.js';
import { SelfMonitor } from './self-monitor.js';
import { compileTemplates, makePicker } from './template.js';
import { WorkerRun } from './workers.js';

export interface SecondTotals {
  requests: number;
  failures: number;
  p50_ms: number;
  p99_ms: number;
}

export interface LoadRun {
  /** `hist`: the second's latency histogram, encoded, when the options ask for secondHistograms */
  on(event: 'second', cb: (s: SecondSample, totals: SecondTotals, hist?: string) => void): this;
  on(event: 'done', cb: (r: LoadResult) => void): this;
  /** the result; resolves also when stopped early (signal or stop()) */
  readonly result: Promise<LoadResult>;
  /** Stops sending now; in-flight requests finish (up to gracefulStopMs), a result follows. */
  stop(): void;
  /** (id, sent_us, received_us) per request when recordRequestTimes was set; after 'done'. */
  requestTimes(): RequestTimes | null;
  /** what was recorded, before aggregation (for merging worker threads); after 'done' */
  recorded(): Recorded | null;
  /** the error-log entries kept (written to errorLog.path when it has one); after 'done' */
  errorEntries(): readonly ErrorEntry[];
}

class Run extends EventEmitter implements LoadRun {
  readonly result: Promise<LoadResult>;
  private readonly rec: Recorder;
  private readonly executor: Executor;
  private readonly monitor = new SelfMonitor();
  private readonly timeseries: SecondSample[] = [];
  private readonly names: string[];
  private readonly t0: number;
  private readonly measureFrom: number;
  private endAt: number;
  private stopped = false;
  private secTimer: NodeJS.Timeout | null = null;
  private endTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private secIndex = 0;
  private stopResolve!: () => void;
  private recordedData: Recorded | null = null;

  constructor(private readonly o: ResolvedLoadOptions) {
    super();
    const targets = o.targets.map((t) => new URL(t));
    const base = targets[0].pathname.replace(/\/+$/, '');
    if (targets.some((u) => u.pathname.replace(/\/+$/, '') !== base))
      throw ERR_INVALID_CONFIG(['targets', '1'], ['targets: every target must have the same base path']);
    // the table's rows carry the path the user wrote; the request carries the base path too
    const templates = o.templates.map((t) => ({ ...t, name: t.name ?? t.path, path: base + t.path }));
    const { compiled, names } = compileTemplates(templates);
    const methods = names.map((n) => compiled.find((c) => c.name === n)!.method);
    const open = o.model.kind === 'open';
    this.names = names;
    this.rec = new Recorder({ names, methods, headers: o.recordHeaders, open, errorLog: o.errorLog, requestTimes: o.recordRequestTimes ? o.requestTimesCapacity : 0, requestHeader: o.recordRequestHeader });
    this.t0 = performance.now();
    this.measureFrom = this.t0 + o.warmupMs;
    this.endAt = this.measureFrom + o.durationMs;
    let seq = o.seqStart;
    const step = o.seqStep;
    const ctx: ExecutorContext = {
      targets,
      rec: this.rec,
      pick: makePicker(compiled),
      idHeader: o.requestIdHeader,
      requestTimeoutMs: o.requestTimeoutMs,
      measureFrom: this.measureFrom,
      endAt: this.endAt,
      nextSeq: () => {
        const s = seq;
        seq += step;
        return s;
      },
    };
    this.executor = o.model.kind === 'open' ? new OpenExecutor(ctx, o.model) : new ClosedExecutor(ctx, o.model);
    const stopSignal = new Promise<void>((r) => (this.stopResolve = r));
    this.result = this.drive(stopSignal);
    // a rejected result must not crash a caller that only listens to events
    this.result.catch(() => undefined);
    // the time series (and so the progress line) counts seconds of the measured window
    if (o.progress) attachProgress(this, o.durationMs / 1000);
  }

  requestTimes(): RequestTimes | null {
    return this.rec.times;
  }

  recorded(): Recorded | null {
    return this.recordedData;
  }

  errorEntries(): readonly ErrorEntry[] {
    return this.rec.errorLog.entries;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopResolve();
  }

  private async drive(stopSignal: Promise<void>): Promise<LoadResult> {
    const o = this.o;
    const onAbort = () => this.stop();
    if (o.signal?.aborted) this.stop();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const measureStart = () => {
      this.rec.measuring = true;
      this.rec.resetSecond();
      this.monitor.begin();
      this.secTimer = setTimeout(() => this.sampleSecond(), 1000);
    };
    const warmTimer = o.warmupMs > 0 ? setTimeout(measureStart, o.warmupMs) : null;
    if (!warmTimer) measureStart();
    this.endTimer = setTimeout(() => this.stop(), this.endAt - performance.now());
    this.sweepTimer = setInterval(() => this.sweep(), Math.min(100, o.requestTimeoutMs / 4));
    this.executor.start(this.t0);

    await stopSignal;
    const stoppedAt = performance.now();
    if (warmTimer) clearTimeout(warmTimer);
    if (this.endTimer) clearTimeout(this.endTimer);
    if (this.secTimer) clearTimeout(this.secTimer);
    // the stop timer and the last second's sample are due together: take the sample
    if (this.rec.measuring && stoppedAt >= this.measureFrom + (this.secIndex + 1) * 1000 - 20) this.sampleSecond(false);
    this.executor.stop();
    // ramp-down: let in-flight requests finish, then cut the rest and count them
    const grace = o.model.gracefulStopMs ?? 5000;
    let graceTimer: NodeJS.Timeout | null = null;
    const cut = new Promise<void>((r) => (graceTimer = setTimeout(r, grace)));
    await Promise.race([this.executor.idle(), cut]);
    if (graceTimer) clearTimeout(graceTimer);
    for (const ex of this.executor.exchanges()) if (ex.busy) ex.cut('cut_at_end');
    await Promise.race([this.executor.idle(), new Promise((r) => setTimeout(r, 1000))]);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    o.signal?.removeEventListener('abort', onAbort);
    const self = this.monitor.end();
    await this.executor.close();

    const rec = this.rec;
    const recorded: Recorded = {
      names: this.names,
      methods: rec.byName.map((b) => b.method),
      latency: rec.latency,
      latencyUncorrected: rec.latencyUncorrected,
      ttfb: rec.ttfb,
      ttft: rec.ttft,
      itl: rec.itl,
      headerNames: rec.headerNames,
      headers: rec.headers,
      byName: rec.byName,
      requests: rec.requests,
      failures: rec.failures,
      failureCount: rec.failureCount,
      promptTokens: rec.promptTokens,
      completionTokens: rec.completionTokens,
      open: o.model.kind === 'open' ? { intended: rec.intended, late: rec.late, dropped: rec.dropped } : null,
      // the window the load was scheduled for (a late stop timer must not stretch it)
      durationS: Math.max(0, Math.min(stoppedAt, this.endAt) - this.measureFrom) / 1000,
      timeseries: this.timeseries,
      overheadHeader: o.overheadHeader,
      self,
      utilization: this.monitor.utilization,
    };
    this.recordedData = recorded;
    const result = aggregate(recorded);
    if (rec.times && rec.times.overflow > 0) (result.notes ??= []).push(`request-times store full: ${rec.times.overflow} requests not kept`);
    if (o.errorLog?.path) await writeErrorLog(o.errorLog.path, rec.errorLog.entries);
    this.emit('done', result);
    return result;
  }

  /** Per-second sample of the measured window; timers aligned to the window, no drift. */
  private sampleSecond(rearm = true): void {
    const rec = this.rec;
    this.secIndex++;
    const h = rec.second;
    const hist = this.o.secondHistograms ? encode(h) : undefined;
    const s: SecondSample = {
      t: this.secIndex,
      requests: rec.secRequests,
      failures: rec.secFailures,
      p50_ms: h.totalCount ? h.getValueAtPercentile(50) / 1000 : null,
      p99_ms: h.totalCount ? h.getValueAtPercentile(99) / 1000 : null,
      users: rec.users,
      in_flight: rec.inFlight,
    };
    rec.resetSecond();
    this.timeseries.push(s);
    this.monitor.sampleRss();
    if (this.listenerCount('second') > 0) {
      const all = rec.latency;
      this.emit('second', s, {
        requests: rec.requests,
        failures: rec.failureCount,
        p50_ms: all.totalCount ? all.getValueAtPercentile(50) / 1000 : 0,
        p99_ms: all.totalCount ? all.getValueAtPercentile(99) / 1000 : 0,
      }, hist);
    }
    const next = this.measureFrom + (this.secIndex + 1) * 1000;
    if (rearm && next <= this.endAt + 1) this.secTimer = setTimeout(() => this.sampleSecond(), Math.max(0, next - performance.now()));
  }

  /** Cuts requests older than requestTimeoutMs: one sweep timer instead of a timer per request. */
  private sweep(): void {
    const limit = performance.now() - this.o.requestTimeoutMs;
    const exs = this.executor.exchanges();
    for (let i = 0; i < exs.length; i++) {
      const ex = exs[i];
      if (ex.busy && (ex.sentAt || ex.intendedAt) < limit) ex.cut('timeout');
    }
  }
}

/** Starts a run on this thread, or across `workers` worker threads (loadgen/workers.ts). */
export function startLoad(opts: LoadOptions | ResolvedLoadOptions): LoadRun {
  const o = validateLoadOptions(opts);
  return o.workers > 1 ? new WorkerRun(o) : new Run(o);
}

/** A run on this thread only (worker-thread.ts runs one per worker). */
export function startLocalLoad(o: ResolvedLoadOptions): LoadRun {
  return new Run(o);
}
