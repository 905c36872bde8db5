// One proxied request (chat completion or embeddings), from the raw body to the last byte:
// auth, validation by a cheap scan, routing, the upstream call (this object IS the undici
// dispatch handler: no stream objects, no closures per request), retries across the group,
// fallbacks, cooldown, the response (JSON passed through as the same bytes; SSE passed
// through chunk by chunk with backpressure), and the accounting when the response closes.
//
// Timing (all performance.now(), ms, fractional):
//   start       the raw 'request' event (headers parsed, before body parsing and auth)
//   upstreamMs  sum over attempts of request written → complete upstream body (JSON and
//               errors), or request written → upstream headers (streams; the rest of a stream
//               is added later). "Written" is undici's onRequestSent, right after the write
//               syscall: building and writing the upstream request is the proxy's work, not
//               time waited on the upstream (an attempt that fails before it is written counts
//               from dispatch: it waited on a connection)
//   header x-litellm-overhead-duration-ms = (now when our headers are written − start) − upstreamMs
//   header x-litellm-response-duration-ms = now when our headers are written − start
//   RequestRecord.overheadMs = (response 'close' − start) − upstreamMs (incl. the stream tail)
// A header has to leave before the last byte, so the header value stops at the headers;
// for a JSON answer the body follows in the same write, so the two differ by microseconds.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { BodyScan, Kind, scanBody } from './body-scan.js';
import type { Deployment } from './deployment.js';
import type { AuthContext, AuthOutcome, CachedResponse } from './hooks.js';
import { errorBody, proxyError, upstreamErrorBody, upstreamFailure, type ProxyError } from './openai-error.js';
import type { ProxyState } from './state-types.js';
import { isPromise } from './http-util.js';
import { authorizationOf } from './auth.js';
import { buildRecord } from './request-record.js';
import { spliceBuffer } from './slab.js';
import { injectCpu, INJECT_CPU_US } from './fault-injection.js';

export type StampedRequest = IncomingMessage & { gbStart?: number };
type TrackedResponse = ServerResponse & { gbCtx?: ProxyRequest };

export const enum Endpoint {
  Chat = 0,
  Embeddings = 1,
}

const OTHER_MODEL = 'other';
const CLIENT_CLOSED = 499;

function onResponseClose(this: TrackedResponse): void {
  const ctx = this.gbCtx;
  if (ctx !== undefined) ctx.closed();
}

export class ProxyRequest implements Dispatcher.DispatchHandler {
  readonly callId = randomUUID();
  readonly start: number;
  readonly scan = new BodyScan();
  body: Buffer | null = null;
  auth: AuthContext | null = null;
  /** metrics label: a configured group or "other" */
  label = OTHER_MODEL;
  group: Deployment[] | null = null;
  /** the deployment the current attempt went to */
  deployment: Deployment | null = null;
  tried: Deployment[] | null = null;
  retriesLeft = 0;
  attempts = 0;
  fallbackIndex = 0;
  fallbacks: string[] | null = null;
  // current attempt: when it was dispatched, then when its request was written
  tDispatch = 0;
  upstreamMs = 0;
  upStatus = 0;
  upContentType: string | null = null;
  chunks: Buffer[] = [];
  chunkBytes = 0;
  piping = false;
  upstreamActive = false;
  abortUpstream: ((err?: Error) => void) | null = null;
  resume: (() => void) | null = null;
  usageBuf: Buffer | null = null;
  // outcome
  clientGone = false;
  status = 0;
  errorKind: string | null = null;
  cacheHit = false;
  cacheKey: string | null = null;
  // request body, when read by the fast path (fast-path.ts) rather than fastify
  maxBodyBytes = Infinity;
  bodyChunks: Buffer[] | null = null;
  bodyBytes = 0;

  constructor(
    readonly state: ProxyState,
    readonly req: StampedRequest,
    readonly res: ServerResponse,
    readonly endpoint: Endpoint,
  ) {
    this.start = req.gbStart ?? performance.now();
    (res as TrackedResponse).gbCtx = this;
    res.on('close', onResponseClose); // 'close' comes once; on() saves once()'s wrapper
    state.active++;
  }

  /** Collects a body chunk; false once the body is over maxBodyBytes. */
  addBodyChunk(chunk: Buffer): boolean {
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.maxBodyBytes) return false;
    if (this.bodyChunks === null) this.bodyChunks = [chunk];
    else this.bodyChunks.push(chunk);
    return true;
  }

  takeBody(): Buffer | null {
    const c = this.bodyChunks;
    this.bodyChunks = null;
    if (c === null) return null;
    return c.length === 1 ? c[0] : Buffer.concat(c, this.bodyBytes);
  }

  run(body: unknown): void {
    // auth comes first (a wrong key gets 401 whatever the body), but hooks.authenticate
    // wants the model group, so the body is scanned before: the scan cannot fail loudly.
    if (Buffer.isBuffer(body)) {
      this.body = body;
      // the member ranges are only for the response cache's key
      this.scan.recordMembers = this.state.hooks.cacheGet !== undefined;
      scanBody(body, this.scan);
    }
    const model = this.scan.modelKind === Kind.String ? this.scan.model : null;
    // authorizationOf refuses a duplicated Authorization header (node would keep the first)
    const outcome = this.state.auth.check(authorizationOf(this.req.rawHeaders), model);
    if (isPromise(outcome)) outcome.then((o) => this.authorized(o), (err: unknown) => this.hookFailed(err));
    else this.authorized(outcome);
  }

  private invalid(): ProxyError | null {
    const scan = this.scan;
    if (this.body === null || this.body.length === 0) return proxyError(400, 'the request body must be a JSON object', 'invalid_body');
    if (scan.error !== null) return proxyError(400, scan.error, scan.errorCode ?? 'invalid_json', scan.errorParam ?? undefined);
    if (scan.modelKind !== Kind.String || !scan.model) return proxyError(400, '`model` is required and must be a string', 'invalid_value', 'model');
    if (this.endpoint === Endpoint.Chat) {
      if (scan.messagesKind !== Kind.Array) return proxyError(400, '`messages` is required and must be an array', 'invalid_value', 'messages');
      const sk = scan.streamKind;
      if (sk !== Kind.Missing && sk !== Kind.True && sk !== Kind.False && sk !== Kind.Null) return proxyError(400, '`stream` must be a boolean', 'invalid_type', 'stream');
    } else if (scan.inputKind !== Kind.String && scan.inputKind !== Kind.Array) {
      return proxyError(400, '`input` is required and must be a string or an array', 'invalid_value', 'input');
    }
    return null;
  }

  private hookFailed(err: unknown): void {
    this.fail(proxyError(500, `internal error: ${err instanceof Error ? err.message : String(err)}`, 'internal_error'));
  }

  private authorized(o: AuthOutcome): void {
    if (!o.ok) return this.fail(proxyError(o.status, o.message, o.code));
    const invalid = this.invalid();
    if (invalid !== null) return this.fail(invalid);
    const auth = o.auth;
    this.auth = auth;
    const model = this.scan.model as string;
    const group = this.state.router.groups.get(model);
    if (group === undefined) {
      return this.fail(proxyError(404, `model ${JSON.stringify(model)} not found: this proxy serves ${this.state.router.modelNames().map((m) => JSON.stringify(m)).join(', ') || 'no models'}`, 'model_not_found', 'model'));
    }
    this.label = model;
    this.group = group;
    if (auth.models !== null && !auth.models.includes(model)) {
      return this.fail(proxyError(401, `this key may not call model ${JSON.stringify(model)}`, 'key_model_access_denied', 'model'));
    }
    const hooks = this.state.hooks;
    if (hooks.checkLimits !== undefined) {
      const limit = hooks.checkLimits(auth, model);
      if (isPromise(limit)) limit.then((l) => this.limited(l), (err: unknown) => this.hookFailed(err));
      else this.limited(limit);
    } else this.limited(null);
  }

  private limited(l: AuthOutcome | null): void {
    if (l !== null && !l.ok) return this.fail(proxyError(l.status, l.message, l.code));
    const hooks = this.state.hooks;
    if (hooks.cacheGet !== undefined && !this.scan.stream) {
      const hit = hooks.cacheGet(this.scan.model as string, this.body as Buffer, this.scan);
      if (isPromise(hit)) hit.then((h) => this.cached(h), () => this.cached(null));
      else this.cached(hit);
    } else this.cached(null);
  }

  private cached(hit: CachedResponse | null): void {
    if (this.clientGone) return;
    if (hit !== null) {
      this.cacheHit = true;
      this.cacheKey = hit.cacheKey;
      return this.respond(hit.status, hit.contentType, hit.body);
    }
    const group = this.group as Deployment[];
    const router = this.state.router;
    const d = router.pick(group, null, Date.now());
    this.retriesLeft = d.maxRetries ?? router.settings.numRetries;
    this.fallbacks = router.settings.fallbacks.get(this.scan.model as string) ?? null;
    this.dispatch(d);
  }

  private dispatch(d: Deployment): void {
    if (INJECT_CPU_US > 0 && this.attempts === 0) injectCpu();
    this.deployment = d;
    this.attempts++;
    if (this.tried !== null) this.tried.push(d);
    else if (this.group !== null && this.group.length > 1) this.tried = [d];
    const scan = this.scan;
    let body = this.body as Buffer;
    // the client names the group; the upstream must see the deployment's model
    if (scan.model !== d.upstreamModel) {
      body = spliceBuffer(body, scan.modelStart, scan.modelEnd, d.upstreamModelJson);
    }
    const stream = scan.stream;
    const timeout = (stream ? (d.streamTimeoutMs ?? d.timeoutMs) : d.timeoutMs) ?? this.state.router.settings.timeoutMs;
    this.upStatus = 0;
    this.upContentType = null;
    this.chunks = [];
    this.chunkBytes = 0;
    this.abortUpstream = null;
    this.upstreamActive = true;
    d.inFlight++;
    this.tDispatch = performance.now();
    try {
      d.pool.dispatch(
        {
          path: this.endpoint === Endpoint.Chat ? d.chatPath : d.embeddingsPath,
          method: 'POST',
          headers: d.headers,
          body,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        },
        this,
      );
    } catch (err) {
      this.onError(err as Error);
    }
  }

  // ---- undici dispatch handler ----

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.clientGone) abort(new Error('client closed the connection'));
  }

  onRequestSent(): void {
    this.tDispatch = performance.now();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    this.upStatus = statusCode;
    this.resume = resume;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const k = rawHeaders[i];
      if (k.length === 12 && (k[0] | 0x20) === 0x63 && k.toString('latin1').toLowerCase() === 'content-type') {
        this.upContentType = rawHeaders[i + 1].toString('latin1');
        break;
      }
    }
    if (this.scan.stream && statusCode === 200 && !this.clientGone) {
      const now = performance.now();
      this.upstreamMs += now - this.tDispatch;
      this.tDispatch = now;
      this.piping = true;
      this.writeHead(200, this.upContentType ?? 'text/event-stream', -1, now);
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (!this.piping) {
      this.chunks.push(chunk);
      this.chunkBytes += chunk.length;
      return true;
    }
    if (this.state.hooks.onRequestDone !== undefined && chunk.indexOf('"usage"') >= 0) this.usageBuf = chunk;
    const ok = this.res.write(chunk);
    if (!ok) this.res.once('drain', this.resume as () => void);
    return ok;
  }

  onComplete(): void {
    const d = this.deployment as Deployment;
    d.inFlight--;
    this.upstreamActive = false;
    const now = performance.now();
    this.upstreamMs += now - this.tDispatch;
    if (this.piping) {
      this.res.end();
      return;
    }
    const status = this.upStatus;
    if (status < 400) {
      const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.chunkBytes);
      const hooks = this.state.hooks;
      if (hooks.cacheSet !== undefined && status === 200 && !this.scan.stream) {
        hooks.cacheSet(this.scan.model as string, this.body as Buffer, status, this.upContentType ?? 'application/json', body);
      }
      if (hooks.onRequestDone !== undefined) this.usageBuf = body;
      return this.respond(status, this.upContentType ?? 'application/json', body);
    }
    const body = Buffer.concat(this.chunks, this.chunkBytes);
    if (status === 429 || status >= 500 || status === 408) return this.retryOrFail(`upstream_${status}`, { status, body });
    this.errorKind = `upstream_${status}`;
    this.respond(status, 'application/json', upstreamErrorBody(status, body));
  }

  onError(err: Error): void {
    const d = this.deployment as Deployment;
    if (this.upstreamActive) {
      d.inFlight--;
      this.upstreamActive = false;
      this.upstreamMs += performance.now() - this.tDispatch;
    }
    if (this.clientGone) return;
    const code = (err as { code?: string }).code ?? '';
    const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
    if (this.piping) {
      // the status is gone already: end the stream with an SSE error event
      this.errorKind = timedOut ? 'stream_timeout' : 'upstream_stream_error';
      const e = proxyError(timedOut ? 504 : 502, `upstream stream failed: ${err.message}`, this.errorKind);
      this.res.end(`data: ${errorBody(e).toString()}\n\n`);
      return;
    }
    this.retryOrFail(timedOut ? 'upstream_timeout' : 'upstream_connection_error', upstreamFailure(code, err.message, d.apiBase));
  }

  // ---- retries, fallbacks ----

  private retryOrFail(kind: string, failure: ProxyError | { status: number; body: Buffer }): void {
    const router = this.state.router;
    const now = Date.now();
    router.markFailure(this.deployment as Deployment, now);
    if (this.retriesLeft > 0) {
      this.retriesLeft--;
      return this.dispatch(router.pick(this.group as Deployment[], this.tried, now));
    }
    const fallbacks = this.fallbacks;
    while (fallbacks !== null && this.fallbackIndex < fallbacks.length) {
      const group = router.groups.get(fallbacks[this.fallbackIndex++]);
      if (group === undefined) continue;
      this.group = group;
      this.tried = null;
      const d = router.pick(group, null, now);
      this.retriesLeft = d.maxRetries ?? router.settings.numRetries;
      return this.dispatch(d);
    }
    this.errorKind = kind;
    if ('body' in failure) this.respond(failure.status, 'application/json', upstreamErrorBody(failure.status, failure.body));
    else this.respond(failure.status, 'application/json', errorBody(failure));
  }

  // ---- responding ----

  fail(e: ProxyError): void {
    if (this.errorKind === null) this.errorKind = e.code ?? e.type;
    this.respond(e.status, 'application/json', errorBody(e));
  }

  private respond(status: number, contentType: string, body: Buffer): void {
    if (this.clientGone || this.res.headersSent) return;
    this.writeHead(status, contentType, body.length, performance.now());
    this.res.end(body);
  }

  private writeHead(status: number, contentType: string, length: number, now: number): void {
    this.status = status;
    const d = this.deployment;
    const held = now - this.start;
    const headers: string[] = [
      'content-type', contentType,
      'x-litellm-call-id', this.callId,
      'x-litellm-model-id', d !== null ? d.id : '',
      'x-litellm-model-api-base', d !== null ? d.apiBase : '',
      'x-litellm-attempted-retries', this.attempts > 1 ? String(this.attempts - 1) : '0',
      'x-litellm-overhead-duration-ms', (held - this.upstreamMs).toFixed(3),
      'x-litellm-response-duration-ms', held.toFixed(3),
    ];
    if (length >= 0) headers.push('content-length', String(length));
    else headers.push('cache-control', 'no-cache');
    if (this.cacheHit) headers.push('x-litellm-cache-hit', 'True', 'x-litellm-cache-key', this.cacheKey ?? '');
    this.res.writeHead(status, headers);
  }

  // ---- accounting, once the response is done or the client went away ----

  closed(): void {
    const res = this.res;
    (res as TrackedResponse).gbCtx = undefined;
    if (!res.writableFinished) {
      this.clientGone = true;
      if (this.status === 0 || !res.writableEnded) this.status = CLIENT_CLOSED;
      this.errorKind ??= 'client_closed';
      if (this.upstreamActive && this.abortUpstream !== null) this.abortUpstream(new Error('client closed the connection'));
    }
    const state = this.state;
    state.active--;
    const end = performance.now();
    const durationMs = end - this.start;
    const overheadMs = durationMs - this.upstreamMs;
    state.metrics.record(this.label, this.status, durationMs, overheadMs, this.upstreamMs);
    const onDone = state.hooks.onRequestDone;
    if (onDone !== undefined) onDone(buildRecord(this, end, durationMs, overheadMs));
  }
}
