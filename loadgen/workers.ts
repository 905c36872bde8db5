// A run spread over worker threads, for rates one core cannot drive. The load is split
// evenly (splitLoad: users and spawn rate, or rate, stages and connections); each worker runs
// an ordinary single-thread Run (worker-thread.ts) and sends back what it recorded, with every
// histogram encoded; this thread decodes, adds and aggregates them with the same pure
// aggregate() a single run uses, so a merged result is exact, not an average of percentiles.
// Workers start on one clock: each loads its modules, says ready, and all begin at a common
// instant, so their warm-up and measured windows (and per-second samples) line up.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Histogram } from 'hdr-histogram-js';
import type { LoadgenSelf, SecondSample } from '../lib/result.js';
import { aggregate, decode, encode, type LoadResult, type Recorded } from './aggregate.js';
import type { ResolvedLoadOptions } from './config.js';
import { attachProgress } from './progress.js';
import { ErrorLog, newHistogram, RequestTimes, writeErrorLog, type ErrorEntry } from './recorder.js';
import type { LoadRun, SecondTotals } from './run.js';
import { SelfMonitor } from './self-monitor.js';
import { maxShares, splitShares } from './split.js';

const WORKER_JS = new URL('./worker-thread.js', import.meta.url);

/** What a worker sends at the end: its Recorded with histograms encoded, and its side stores. */
export interface RecordedWire extends Omit<Recorded, 'latency' | 'latencyUncorrected' | 'ttfb' | 'ttft' | 'itl' | 'headers' | 'byName'> {
  latency: string;
  latencyUncorrected: string | null;
  ttfb: string;
  ttft: string;
  itl: string;
  headers: string[];
  byName: Array<{ latency: string; requests: number; failures: number }>;
  errors: ErrorEntry[];
  times: { ids: string[]; sentUs: Float64Array; receivedUs: Float64Array; headerUs: Float64Array | null; overflow: number } | null;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'second'; s: SecondSample; hist: string }
  | { type: 'done'; wire: RecordedWire }
  | { type: 'error'; message: string };

/** The share of worker i of n (n ≤ users for the closed model: a worker has at least one user). */
export function splitLoad(o: ResolvedLoadOptions): ResolvedLoadOptions[] {
  const n = Math.min(o.workers, maxShares(o));
  // the error log's bounds are the run's: each worker keeps up to all of them, the merge cuts
  const errorLog = o.errorLog ? { maxEntries: o.errorLog.maxEntries, maxBytes: o.errorLog.maxBytes } : undefined;
  const common = { workers: 1, secondHistograms: true, progress: false, signal: undefined, errorLog };
  return splitShares(o, n).map((share) => ({ ...share, ...common }));
}

function addEncoded(into: Histogram, enc: string): void {
  into.add(decode(enc));
}

/** Merges the workers' records into one Recorded (histograms added, counters summed). */
export function mergeRecorded(wires: readonly RecordedWire[], self: LoadgenSelf, timeseries: SecondSample[]): Recorded {
  const w0 = wires[0];
  const h = () => newHistogram();
  const out: Recorded = {
    names: w0.names,
    methods: w0.methods,
    latency: h(),
    latencyUncorrected: w0.latencyUncorrected !== null ? h() : null,
    ttfb: h(),
    ttft: h(),
    itl: h(),
    headerNames: w0.headerNames,
    headers: w0.headerNames.map(h),
    byName: w0.byName.map(() => ({ latency: h(), requests: 0, failures: 0 })),
    requests: 0,
    failures: {},
    failureCount: 0,
    promptTokens: 0,
    completionTokens: 0,
    open: w0.open ? { intended: 0, late: 0, dropped: 0 } : null,
    durationS: 0,
    timeseries,
    overheadHeader: w0.overheadHeader,
    self,
  };
  for (const w of wires) {
    addEncoded(out.latency, w.latency);
    if (out.latencyUncorrected && w.latencyUncorrected) addEncoded(out.latencyUncorrected, w.latencyUncorrected);
    addEncoded(out.ttfb, w.ttfb);
    addEncoded(out.ttft, w.ttft);
    addEncoded(out.itl, w.itl);
    w.headers.forEach((e, i) => addEncoded(out.headers[i], e));
    w.byName.forEach((b, i) => {
      addEncoded(out.byName[i].latency, b.latency);
      out.byName[i].requests += b.requests;
      out.byName[i].failures += b.failures;
    });
    out.requests += w.requests;
    for (const [k, v] of Object.entries(w.failures)) out.failures[k] = (out.failures[k] ?? 0) + v;
    out.failureCount += w.failureCount;
    out.promptTokens += w.promptTokens;
    out.completionTokens += w.completionTokens;
    if (out.open && w.open) {
      out.open.intended += w.open.intended;
      out.open.late += w.open.late;
      out.open.dropped += w.open.dropped;
    }
    // the windows are aligned: the longest is the run's
    out.durationS = Math.max(out.durationS, w.durationS);
  }
  return out;
}

interface PendingSecond {
  reports: number;
  s: SecondSample;
  hist: Histogram;
}

export class WorkerRun extends EventEmitter implements LoadRun {
  readonly result: Promise<LoadResult>;
  private readonly workers: Worker[] = [];
  private readonly seconds = new Map<number, PendingSecond>();
  private readonly timeseries: SecondSample[] = [];
  /** every measured second so far, for the progress line's p50/p99 */
  private readonly cumulative = newHistogram();
  private totals = { requests: 0, failures: 0 };
  private times: RequestTimes | null = null;
  private recordedData: Recorded | null = null;
  private errors: ErrorEntry[] = [];
  private stopped = false;

  constructor(private readonly opts: ResolvedLoadOptions) {
    super();
    this.result = this.drive();
    this.result.catch(() => undefined);
    if (opts.progress) attachProgress(this, opts.durationMs / 1000);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.workers) w.postMessage({ type: 'stop' });
  }

  requestTimes(): RequestTimes | null {
    return this.times;
  }

  recorded(): Recorded | null {
    return this.recordedData;
  }

  errorEntries(): readonly ErrorEntry[] {
    return this.errors;
  }

  private async drive(): Promise<LoadResult> {
    const opts = this.opts;
    const shares = splitLoad(opts);
    const onAbort = () => this.stop();
    const ready: Promise<void>[] = [];
    const done: Promise<RecordedWire>[] = [];
    for (const share of shares) {
      const w = new Worker(WORKER_JS, { workerData: share });
      this.workers.push(w);
      let onReady!: () => void;
      ready.push(new Promise<void>((r) => (onReady = r)));
      done.push(
        new Promise<RecordedWire>((resolve, reject) => {
          w.on('message', (m: WorkerMessage) => {
            if (m.type === 'ready') onReady();
            else if (m.type === 'second') this.onSecond(m.s, m.hist, shares.length);
            else if (m.type === 'done') resolve(m.wire);
            else reject(new Error(`load generator worker: ${m.message}`));
          });
          w.once('error', reject);
          w.once('exit', (code) => reject(new Error(`load generator worker exited with ${code} before its result`)));
        }),
      );
    }
    const monitor = new SelfMonitor();
    let measureTimer: NodeJS.Timeout | null = null;
    // a stop before 'go' is kept by the worker: it then starts and stops at once
    if (opts.signal?.aborted) this.stop();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([Promise.all(ready), Promise.all(done)]);
      // one instant for all: performance.timeOrigin + now() is the same clock in every thread
      const startAt = performance.timeOrigin + performance.now() + 20;
      // the process's CPU over the measured window, as a single-thread run counts it
      measureTimer = setTimeout(() => monitor.begin(), 20 + opts.warmupMs);
      for (const w of this.workers) w.postMessage({ type: 'go', startAt });
      const wires = await Promise.all(done);
      // CPU and RSS of the whole process (every thread); event-loop delay of the worst worker
      const own = monitor.end();
      const self: LoadgenSelf = { ...own, event_loop_delay_p99_ms: Math.max(...wires.map((w) => w.self.event_loop_delay_p99_ms)) };
      const recorded = mergeRecorded(wires, self, this.timeseries);
      this.recordedData = recorded;
      this.mergeSideStores(wires);
      // process.cpuUsage() counts all threads, so "over 80% of a core" would misjudge N busy
      // workers; each worker is judged by its own event loop's busy share instead
      const result = aggregate({ ...recorded, limits: { cpuPercent: Infinity, eventLoopP99Ms: 10 } });
      wires.forEach((w, i) => {
        if ((w.utilization ?? 0) > 0.8) {
          result.reliable = false;
          result.unreliable_reasons.push(`load generator worker ${i + 1} busy ${((w.utilization ?? 0) * 100).toFixed(0)}% of the time (over 80%): it may have been the bottleneck`);
        }
      });
      (result.notes ??= []).push(`load generated by ${shares.length} worker threads; loadgen.cpu_percent is the whole process, in % of one core`);
      if (this.times && this.times.overflow > 0) result.notes.push(`request-times store full: ${this.times.overflow} requests not kept`);
      if (opts.errorLog?.path) await writeErrorLog(opts.errorLog.path, this.errors);
      this.emit('done', result);
      return result;
    } finally {
      if (measureTimer) clearTimeout(measureTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      await Promise.all(this.workers.map((w) => w.terminate()));
    }
  }

  /** A second is emitted once every worker has reported it, merged. */
  private onSecond(s: SecondSample, hist: string, n: number): void {
    let p = this.seconds.get(s.t);
    if (!p) this.seconds.set(s.t, (p = { reports: 0, s: { ...s, requests: 0, failures: 0, users: 0, in_flight: 0 }, hist: newHistogram() }));
    p.reports++;
    p.s.requests += s.requests;
    p.s.failures += s.failures;
    p.s.users += s.users;
    p.s.in_flight += s.in_flight;
    p.hist.add(decode(hist));
    if (p.reports < n) return;
    this.seconds.delete(s.t);
    const h = p.hist;
    const merged: SecondSample = { ...p.s, p50_ms: h.totalCount ? h.getValueAtPercentile(50) / 1000 : null, p99_ms: h.totalCount ? h.getValueAtPercentile(99) / 1000 : null };
    this.timeseries.push(merged);
    this.cumulative.add(h);
    this.totals.requests += merged.requests;
    this.totals.failures += merged.failures;
    const c = this.cumulative;
    const totals: SecondTotals = {
      ...this.totals,
      p50_ms: c.totalCount ? c.getValueAtPercentile(50) / 1000 : 0,
      p99_ms: c.totalCount ? c.getValueAtPercentile(99) / 1000 : 0,
    };
    // a shard running on worker threads keeps each second's histogram for `bench merge`
    this.emit('second', merged, totals, this.opts.secondHistograms ? encode(h) : undefined);
  }

  private mergeSideStores(wires: readonly RecordedWire[]): void {
    const opts = this.opts;
    if (opts.recordRequestTimes) {
      const t = (this.times = new RequestTimes(opts.requestTimesCapacity, opts.recordRequestHeader && opts.recordHeaders.length > 0));
      const origin = performance.timeOrigin;
      for (const w of wires) {
        if (!w.times) continue;
        t.overflow += w.times.overflow;
        // add() takes ms since this thread's timeOrigin; the workers sent wall-clock µs
        for (let i = 0; i < w.times.ids.length; i++) {
          const h = w.times.headerUs ? w.times.headerUs[i] / 1000 : Number.NaN;
          t.add(w.times.ids[i], w.times.sentUs[i] / 1000 - origin, w.times.receivedUs[i] / 1000 - origin, h);
        }
      }
    }
    if (opts.errorLog) {
      // the first entries of the whole run, within the run's bounds
      const all = wires.flatMap((w) => w.errors).sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
      const log = new ErrorLog(opts.errorLog.maxEntries, opts.errorLog.maxBytes);
      for (let i = 0; i < all.length && log.wants(); i++) log.keep(all[i]);
      this.errors = log.entries;
    }
  }
}
