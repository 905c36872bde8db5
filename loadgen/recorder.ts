// Everything a run records, in one object the exchanges write into: HDR histograms (µs),
// counters, the per-second window, the bounded error log and request-times store.
// Plain fields and methods, no closures, no Maps on the success path.
import { writeFile } from 'node:fs/promises';
import type { Histogram } from 'hdr-histogram-js';
import { msToUs, newHistogram } from '../lib/measure.js';

// re-exported: the load generator's tests and workers build histograms through here
export { newHistogram };

export interface NameStats {
  latency: Histogram;
  requests: number;
  failures: number;
  method: string;
}

export interface ErrorEntry {
  time: string;
  name: string;
  kind: string;
  body: string;
}

/** (id, sent_us, received_us) wall-clock µs per request, bounded; typed arrays, no objects.
 *  With `withHeader`, also the first recorded response header's value (µs, NaN when absent):
 *  a gateway's own overhead figure for that very request, to pair with the ledger's. */
export class RequestTimes {
  readonly ids: string[] = [];
  readonly sentUs: Float64Array;
  readonly receivedUs: Float64Array;
  readonly headerUs: Float64Array | null;
  count = 0;
  overflow = 0;
  constructor(
    readonly capacity: number,
    withHeader = false,
  ) {
    this.sentUs = new Float64Array(capacity);
    this.receivedUs = new Float64Array(capacity);
    this.headerUs = withHeader ? new Float64Array(capacity) : null;
  }
  add(id: string, sentMs: number, receivedMs: number, headerMs = Number.NaN): void {
    if (this.count >= this.capacity) {
      this.overflow++;
      return;
    }
    const origin = performance.timeOrigin;
    this.ids.push(id);
    this.sentUs[this.count] = (origin + sentMs) * 1000;
    this.receivedUs[this.count] = (origin + receivedMs) * 1000;
    if (this.headerUs !== null) this.headerUs[this.count] = headerMs * 1000;
    this.count++;
  }
}

/** The error log's entries, bounded in count and bytes (a body is cut to the room left). */
export class ErrorLog {
  readonly entries: ErrorEntry[] = [];
  private bytes = 0;
  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  wants(): boolean {
    return this.entries.length < this.maxEntries && this.bytes < this.maxBytes;
  }

  /** Keeps `e` if there is room (call wants() first to skip building it). */
  keep(e: ErrorEntry): void {
    if (!this.wants()) return;
    const room = this.maxBytes - this.bytes;
    const body = e.body.length > room ? e.body.slice(0, room) : e.body;
    this.bytes += body.length + e.name.length + e.kind.length + 32;
    this.entries.push(body === e.body ? e : { ...e, body });
  }
}

export class Recorder {
  measuring = false;
  readonly latency = newHistogram();
  readonly latencyUncorrected: Histogram | null;
  readonly ttfb = newHistogram();
  readonly ttft = newHistogram();
  readonly itl = newHistogram();
  readonly headerNames: string[];
  readonly headers: Histogram[];
  readonly byName: NameStats[];
  requests = 0;
  failureCount = 0;
  readonly failures: Record<string, number> = Object.create(null) as Record<string, number>;
  promptTokens = 0;
  completionTokens = 0;
  // open model
  intended = 0;
  late = 0;
  dropped = 0;
  // live state (always, also during warm-up)
  inFlight = 0;
  users = 0;
  // current second
  readonly second = newHistogram();
  secRequests = 0;
  secFailures = 0;
  readonly errorLog: ErrorLog;
  readonly times: RequestTimes | null;

  constructor(opts: { names: string[]; methods: string[]; headers: string[]; open: boolean; errorLog?: { maxEntries: number; maxBytes: number }; requestTimes?: number; requestHeader?: boolean }) {
    this.latencyUncorrected = opts.open ? newHistogram() : null;
    this.headerNames = opts.headers.map((h) => h.toLowerCase());
    this.headers = this.headerNames.map(() => newHistogram());
    this.byName = opts.names.map((_n, i) => ({ latency: newHistogram(), requests: 0, failures: 0, method: opts.methods[i] }));
    this.errorLog = new ErrorLog(opts.errorLog ? opts.errorLog.maxEntries : 0, opts.errorLog ? opts.errorLog.maxBytes : 0);
    this.times = opts.requestTimes ? new RequestTimes(opts.requestTimes, opts.requestHeader === true && this.headerNames.length > 0) : null;
  }

  /** A completed exchange (any status). `ms` is corrected latency, `uncorrectedMs` from the actual send. */
  success(nameIndex: number, ms: number, uncorrectedMs: number): void {
    const us = msToUs(ms);
    this.requests++;
    this.secRequests++;
    this.latency.recordValue(us);
    this.second.recordValue(us);
    this.byName[nameIndex].latency.recordValue(us);
    this.byName[nameIndex].requests++;
    if (this.latencyUncorrected !== null) this.latencyUncorrected.recordValue(msToUs(uncorrectedMs));
  }

  failure(nameIndex: number, kind: string): void {
    this.requests++;
    this.secRequests++;
    this.failureCount++;
    this.secFailures++;
    this.failures[kind] = (this.failures[kind] ?? 0) + 1;
    this.byName[nameIndex].requests++;
    this.byName[nameIndex].failures++;
  }

  /** Whether the error log still wants a body (so the exchange buffers it at all). */
  wantsErrorBody(): boolean {
    return this.errorLog.wants();
  }

  logError(name: string, kind: string, body: string): void {
    if (this.errorLog.wants()) this.errorLog.keep({ time: new Date().toISOString(), name, kind, body });
  }

  resetSecond(): void {
    this.second.reset();
    this.secRequests = 0;
    this.secFailures = 0;
  }
}

/** The error log's file: one line per entry, `time name kind body` (newlines in the body escaped). */
export async function writeErrorLog(path: string, entries: readonly ErrorEntry[]): Promise<void> {
  const lines = entries.map((e) => `${e.time} ${e.name} ${e.kind} ${e.body.replace(/\n/g, '\\n')}\n`);
  await writeFile(path, lines.join(''));
}
