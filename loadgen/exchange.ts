// One request/response exchange, as an undici dispatch handler. Exchanges are long-lived
// and reused (one per closed-model user; a free list in the open model), so a request
// allocates no handler, no promise and no response stream.
//
// WHY the legacy handler methods (onConnect/onHeaders/onData/onComplete/onError): undici 7
// wraps handlers of the new API (onRequestStart…) in an UnwrapHandler that parses every
// response's raw headers into an object; the legacy API hands us the raw Buffer[] and we
// only look at the headers we record.
import type { Dispatcher } from 'undici';
import type { CompiledTemplate } from './template.js';
import { newBodyBuffer, newRequestId, renderBody, renderHeaders } from './template.js';
import type { Recorder } from './recorder.js';
import { SseState } from './sse.js';
import { msToUs } from '../lib/measure.js';

export interface ExchangeOwner {
  rec: Recorder;
  idHeader: boolean;
  requestTimeoutMs: number;
  nextSeq(): number;
  /** called once per exchange end (any outcome); the owner decides what comes next */
  done(ex: Exchange): void;
}

const now = () => performance.now();

export class Exchange {
  busy = false;
  template: CompiledTemplate | null = null;
  id = '';
  /** intended send time (open model) or dispatch time (closed), performance.now() ms */
  intendedAt = 0;
  sentAt = 0;
  headersAt = 0;
  /** the first recorded header's value (ms) of this response, for the request-times store */
  headerMs = Number.NaN;
  status = 0;
  measured = false;
  /** the exchange ended in onComplete (a whole response), not in onError */
  answered = false;
  /** the request was cut on purpose (timeout or end of run): the kind to count */
  cutKind = '';
  private abortFn: ((err?: Error) => void) | null = null;
  private bodyBufs: Array<Buffer | null> = [];
  private headerBufs: string[][] = [];
  private errChunks: Buffer[] | null = null;
  private sse: SseState | null = null;
  private readonly dispatchOpts: Dispatcher.DispatchOptions = { method: 'GET', path: '/', headers: [], body: null, headersTimeout: 0, bodyTimeout: 0 };

  constructor(
    readonly owner: ExchangeOwner,
    public dispatcher: Dispatcher,
    /** extra state the owner keeps (the closed-model user) */
    public tag: unknown = null,
  ) {}

  /** Sends one request built from `t`; `intendedAt` is the time the send was meant to start. */
  send(t: CompiledTemplate, intendedAt: number, measured: boolean): void {
    const owner = this.owner;
    this.busy = true;
    this.template = t;
    this.intendedAt = intendedAt;
    this.sentAt = 0;
    this.headerMs = Number.NaN;
    this.headersAt = 0;
    this.status = 0;
    this.answered = false;
    this.cutKind = '';
    this.measured = measured;
    this.errChunks = null;
    this.abortFn = null;
    this.sse = t.stream ? (this.sse ?? new SseState()).reset() : null;
    const id = newRequestId();
    this.id = id;
    const seq = t.fixedLength < 0 ? owner.nextSeq() : 0;
    const o = this.dispatchOpts;
    o.method = t.method;
    o.path = t.path;
    let hdrs = this.headerBufs[t.index];
    if (hdrs === undefined) hdrs = this.headerBufs[t.index] = t.staticHeaders.slice();
    o.headers = renderHeaders(t, id, seq, owner.idHeader, hdrs);
    if (t.hasBody) {
      let reuse = this.bodyBufs[t.index] ?? null;
      if (reuse === null && t.fixedLength >= 0) reuse = this.bodyBufs[t.index] = newBodyBuffer(t);
      o.body = renderBody(t, id, seq, reuse);
    } else o.body = null;
    owner.rec.inFlight++;
    try {
      this.dispatcher.dispatch(o, this);
    } catch (err) {
      this.onError(err as Error);
    }
  }

  /** Aborts the in-flight request, counting it as `kind` ('timeout', 'cut_at_end'). */
  cut(kind: string): void {
    if (!this.busy || this.cutKind) return;
    this.cutKind = kind;
    if (this.abortFn) this.abortFn(new Error(kind));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    // undici calls onConnect right before writing the request: the actual send time.
    this.sentAt = now();
    if (this.cutKind) abort(new Error(this.cutKind));
  }

  onHeaders(statusCode: number, raw: Buffer[], _resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.headersAt = now();
    this.status = statusCode;
    const rec = this.owner.rec;
    if (statusCode >= 400) {
      if (this.measured && rec.wantsErrorBody()) this.errChunks = [];
      return true;
    }
    if (!this.measured) return true;
    const names = rec.headerNames;
    if (names.length > 0) {
      for (let i = 0; i < raw.length; i += 2) {
        const k = raw[i];
        for (let j = 0; j < names.length; j++) {
          if (k.length === names[j].length && k.toString('latin1').toLowerCase() === names[j]) {
            const v = Number.parseFloat(raw[i + 1].toString('latin1'));
            if (Number.isFinite(v) && v >= 0) {
              rec.headers[j].recordValue(msToUs(v));
              if (j === 0) this.headerMs = v;
            }
          }
        }
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.errChunks !== null) this.errChunks.push(chunk);
    else if (this.sse !== null && this.status < 400) this.sse.push(chunk, now());
    return true;
  }

  onComplete(): void {
    const end = now();
    const rec = this.owner.rec;
    rec.inFlight--;
    const t = this.template!;
    if (this.measured) {
      if (this.status >= 400) {
        rec.failure(t.nameIndex, String(this.status));
        if (this.errChunks !== null) rec.logError(t.name, String(this.status), Buffer.concat(this.errChunks).toString());
      } else {
        rec.success(t.nameIndex, end - this.intendedAt, end - (this.sentAt || this.intendedAt));
        rec.ttfb.recordValue(msToUs(this.headersAt - this.intendedAt));
        const s = this.sse;
        if (s !== null) {
          if (s.firstTokenAt > 0) rec.ttft.recordValue(msToUs(s.firstTokenAt - this.intendedAt));
          for (let i = 0; i < s.gapCount; i++) rec.itl.recordValue(msToUs(s.gaps[i]));
          rec.promptTokens += s.promptTokens;
          rec.completionTokens += s.completionTokens;
        }
        if (rec.times !== null) rec.times.add(this.id, this.sentAt || this.intendedAt, end, this.headerMs);
      }
    }
    this.answered = true;
    this.finish();
  }

  onError(err: Error): void {
    const rec = this.owner.rec;
    rec.inFlight--;
    if (this.measured) {
      const kind = this.cutKind || errorKind(err);
      rec.failure(this.template!.nameIndex, kind);
      rec.logError(this.template!.name, kind, err.message);
    }
    this.finish();
  }

  private finish(): void {
    this.busy = false;
    this.abortFn = null;
    this.errChunks = null;
    this.owner.done(this);
  }
}


/** Error kinds by their usual names (Locust and autocannon users know ECONNRESET etc.). */
export function errorKind(err: Error & { code?: string; cause?: unknown }): string {
  let e: (Error & { code?: string; cause?: unknown }) | undefined = err;
  for (let depth = 0; e && depth < 3; depth++) {
    switch (e.code) {
      case 'UND_ERR_HEADERS_TIMEOUT':
      case 'UND_ERR_BODY_TIMEOUT':
      case 'UND_ERR_CONNECT_TIMEOUT':
      case 'ETIMEDOUT':
        return 'timeout';
      case 'UND_ERR_SOCKET':
      case 'ECONNRESET':
      case 'EPIPE':
        return 'ECONNRESET';
      case undefined:
        break;
      default:
        if (e.code !== 'UND_ERR_ABORTED') return e.code;
    }
    e = e.cause as typeof e;
  }
  return err.name === 'AbortError' ? 'aborted' : 'error';
}
