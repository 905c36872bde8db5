// The fake upstream's HTTP server: plain node:http, no framework. Per-request state lives
// in fields of our IncomingMessage/ServerResponse subclasses and event handlers are
// module-level functions using `this`, so the hot path allocates no closures. Answering
// (send, latency timers, faults, the ledger's 'left') is answer.ts, shared with the handlers.
import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { StartedUpstream, UpstreamOptions, UpstreamStats } from './types.js';
import { Ledger } from './ledger.js';
import { compileLatency, isZero, type Sampler } from './latency.js';
import { createFaults, type FaultDecider } from './faults.js';
import { createRng, type Rng } from './random.js';
import { Bodies, notFoundBody, type StreamShape } from './responses.js';
import { isModelRoute, routeOf, ROUTE_COUNT, ROUTE_NAMES, R_HEALTH, R_MODELS, R_NOT_FOUND } from './routes.js';
import { handleModelBody } from './handlers.js';
import { handleSinkBody, SinkCounters } from './sinks.js';
import { handleAdmin } from './admin.js';
import { nowUs, send, sendTooLarge } from './answer.js';
import { rawHeader } from './raw-header.js';
import { ServiceCapacity } from './capacity.js';

const HEALTH_BODY = Buffer.from('{"status":"healthy"}');

export class UpReq extends IncomingMessage {
  up: Upstream | null = null;
  gbRes: UpRes | null = null;
  gbFirst: Buffer | null = null;
  gbChunks: Buffer[] | null = null;
  gbLen = 0;
  gbOver = false;
}

export class UpRes extends ServerResponse<UpReq> {
  up: Upstream | null = null;
  gbRoute = 0;
  gbArrived = 0;
  gbId: string | null = null;
  /** the id is the uuid in gbU0..gbU3 (see body-scan uuidWords) */
  gbUuid = false;
  gbU0 = 0;
  gbU1 = 0;
  gbU2 = 0;
  gbU3 = 0;
  /** a body waiting for its latency timer */
  gbBody = '';
  /** streaming: the shape, the chunk head, next token, prompt tokens, include_usage */
  gbShape: StreamShape | null = null;
  gbHead = '';
  gbTok = 0;
  gbPromptTokens = 0;
  gbUsage = false;
  gbTimer: NodeJS.Timeout | null = null;
  /** performance.now() at which the pending timer's answer is due */
  gbDue = 0;
  /** a model route with the ledger on: record when the answer has left (answer.ts `ended`) */
  gbLedger = false;
}

export class Upstream {
  readonly opts: UpstreamOptions;
  readonly server: Server<typeof UpReq, typeof UpRes>;
  readonly ledger: Ledger;
  readonly bodies: Bodies;
  readonly faults: FaultDecider;
  readonly rng: Rng;
  readonly latency: Sampler;
  readonly latencyZero: boolean;
  readonly ttft: Sampler;
  readonly ttftZero: boolean;
  readonly interTokenMs: number;
  /** the service capacity (--concurrency), null without one */
  readonly capacity: ServiceCapacity | null;
  readonly sinks = new SinkCounters();
  requests = 0;
  readonly routeCounts = new Float64Array(ROUTE_COUNT);
  readonly statusCounts = new Float64Array(600);
  resets = 0;
  hangs = 0;
  /** responses waiting on a timer (so close() can clear them) */
  readonly pending = new Set<UpRes>();
  /** hung responses (so close() ends them) */
  readonly hung = new Set<UpRes>();
  closed = false;

  constructor(opts: UpstreamOptions) {
    this.opts = opts;
    this.rng = createRng(opts.faults.seed);
    this.ledger = new Ledger(opts.ledgerCapacity, ROUTE_NAMES);
    this.bodies = new Bodies(opts.completionTokens);
    this.faults = createFaults(opts.faults);
    this.latency = compileLatency(opts.latency, this.rng);
    this.latencyZero = isZero(opts.latency);
    this.ttft = compileLatency(opts.stream.ttft, this.rng);
    this.ttftZero = isZero(opts.stream.ttft);
    this.interTokenMs = Math.max(0, opts.stream.interTokenMs);
    this.capacity = opts.concurrency > 0 ? new ServiceCapacity(opts.concurrency) : null;
    this.server = createServer<typeof UpReq, typeof UpRes>({ IncomingMessage: UpReq, ServerResponse: UpRes, keepAliveTimeout: 65_000 }, onRequest);
    (this.server as unknown as { up: Upstream }).up = this;
  }

  stats(): UpstreamStats {
    const byRoute: Record<string, number> = {};
    for (let i = 0; i < ROUTE_COUNT; i++) if (this.routeCounts[i] > 0) byRoute[ROUTE_NAMES[i]] = this.routeCounts[i];
    const byStatus: Record<string, number> = {};
    for (let s = 0; s < this.statusCounts.length; s++) if (this.statusCounts[s] > 0) byStatus[String(s)] = this.statusCounts[s];
    if (this.resets > 0) byStatus.reset = this.resets;
    if (this.hangs > 0) byStatus.hang = this.hangs;
    return {
      requests: this.requests,
      byRoute,
      byStatus,
      sinks: this.sinks.snapshot(),
      ...(this.sinks.tenants.size > 0 ? { sinks_by_tenant: this.sinks.byTenant() } : {}),
      ledger: { size: this.ledger.size, dropped: this.ledger.dropped, capacity: this.ledger.capacity },
    };
  }

  resetCounters(): void {
    this.requests = 0;
    this.routeCounts.fill(0);
    this.statusCounts.fill(0);
    this.resets = 0;
    this.hangs = 0;
    this.sinks.reset();
    this.ledger.clear();
    this.faults.reset();
    this.capacity?.reset();
  }

  async listen(): Promise<StartedUpstream> {
    const { host, port } = this.opts;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const addr = this.server.address();
    const actualPort = typeof addr === 'object' && addr ? addr.port : port;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    return {
      url: `http://${urlHost}:${actualPort}`,
      port: actualPort,
      stats: () => this.stats(),
      close: () => this.close(),
    };
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const res of this.pending) if (res.gbTimer) clearTimeout(res.gbTimer);
    this.pending.clear();
    for (const res of this.hung) res.socket?.destroy();
    this.hung.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

// ---------------------------------------------------------------- request entry

function onRequest(this: Server, req: UpReq, res: UpRes): void {
  const up = (this as unknown as { up: Upstream }).up;
  const arrived = nowUs();
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const route = routeOf(req.method, path);
  if (route >= ROUTE_COUNT) return handleAdmin(up, route, req, res, url);
  up.requests++;
  up.routeCounts[route]++;
  res.up = up;
  res.gbRoute = route;
  res.gbArrived = arrived;
  if (route === R_MODELS) return send(res, 200, up.bodies.models);
  if (route === R_HEALTH) return send(res, 200, HEALTH_BODY);
  if (route === R_NOT_FOUND) return send(res, 404, notFoundBody(req.method ?? 'GET', path));
  // A body route: read it. A declared length over the limit is refused before reading.
  res.gbLedger = isModelRoute(route) && up.ledger.capacity > 0;
  // rawHeaders, not req.headers: that object is built on first use, and a hot request needs none of it
  const declared = rawHeader(req, 'content-length');
  if (declared !== null && Number(declared) > up.opts.bodyLimitBytes) {
    res.shouldKeepAlive = false;
    return sendTooLarge(res);
  }
  req.up = up;
  req.gbRes = res;
  req.on('data', onData);
  req.on('end', onEnd);
}

function onData(this: UpReq, chunk: Buffer): void {
  if (this.gbOver) return;
  const len = this.gbLen + chunk.length;
  if (len > this.up!.opts.bodyLimitBytes) {
    // Keep draining (so the client can read our 413) but stop keeping bytes.
    this.gbOver = true;
    this.gbFirst = null;
    this.gbChunks = null;
    return;
  }
  this.gbLen = len;
  if (this.gbFirst === null) this.gbFirst = chunk;
  else if (this.gbChunks === null) this.gbChunks = [this.gbFirst, chunk];
  else this.gbChunks.push(chunk);
}

const EMPTY = Buffer.alloc(0);

function onEnd(this: UpReq): void {
  const res = this.gbRes!;
  if (this.gbOver) return sendTooLarge(res);
  const body = this.gbChunks !== null ? Buffer.concat(this.gbChunks, this.gbLen) : (this.gbFirst ?? EMPTY);
  this.gbFirst = null;
  this.gbChunks = null;
  const route = res.gbRoute;
  if (isModelRoute(route)) handleModelBody(this.up!, this, res, body);
  else handleSinkBody(this.up!, this, res, body);
}

