// Answering a request: whole JSON answers, latency timers, faults, and the ledger's record of
// when the answer left. Shared by the server (server.ts) and the route handlers (handlers.ts,
// stream.ts, sinks.ts) — a module of its own so that they import it, not the server.
import { performance } from 'node:perf_hooks';
import { FAULT_429, FAULT_500, FAULT_503, FAULT_HANG, FAULT_NONE, FAULT_RESET } from './faults.js';
import { ERR_BODY, tooLargeBody } from './responses.js';
import type { UpReq, UpRes, Upstream } from './server.js';

const ORIGIN_US = performance.timeOrigin * 1000;
/** Wall-clock µs, comparable across processes on one machine (same formula everywhere). */
export function nowUs(): number {
  return ORIGIN_US + performance.now() * 1000;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * True when the latency timer of `res` fired before its due time, and re-arms it for the rest.
 * Node counts a timer from the event loop's cached clock, taken when the iteration began, so
 * a timer set late in an iteration fires up to ~1 ms early by performance.now(); a `fixed:50`
 * answer must never leave in 49.8 ms.
 */
export function firedEarly(res: UpRes, fn: (res: UpRes) => void): boolean {
  const left = res.gbDue - performance.now();
  if (left <= 0) return false;
  res.gbTimer = setTimeout(fn, Math.ceil(left), res);
  return true;
}

/** Writes a whole JSON answer (string or buffer) and counts its status. */
export function send(res: UpRes, status: number, body: string | Buffer, headers: Record<string, string> = JSON_HEADERS): void {
  res.up!.statusCounts[status]++;
  res.writeHead(status, {
    ...headers,
    'content-length': typeof body === 'string' ? String(Buffer.byteLength(body)) : String(body.length),
  });
  res.end(body);
  if (res.gbLedger) ended(res);
}

/** The hot path's send: content-type json, status 200, a prebuilt body. */
export function sendJson200(res: UpRes, body: string): void {
  res.up!.statusCounts[200]++;
  // Node writes the header block and the body in one write with `end`.
  res.writeHead(200, ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body))]);
  res.end(body);
  if (res.gbLedger) ended(res);
}

export function sendTooLarge(res: UpRes): void {
  send(res, 413, tooLargeBody(res.up!.opts.bodyLimitBytes));
}

/** Sends res.gbBody after the latency timer fired. */
export function sendDelayed(res: UpRes): void {
  if (firedEarly(res, sendDelayed)) return;
  const up = res.up!;
  up.pending.delete(res);
  res.gbTimer = null;
  if (res.destroyed) return;
  sendJson200(res, res.gbBody);
  res.gbBody = '';
}

/** Answers 200 with `body` now or after `delayMs`. */
export function answerAfter(res: UpRes, delayMs: number, body: string): void {
  if (delayMs <= 0) return sendJson200(res, body);
  res.gbBody = body;
  res.up!.pending.add(res);
  res.gbDue = performance.now() + delayMs;
  res.gbTimer = setTimeout(sendDelayed, delayMs, res);
}

/** Applies a fault; true when the request was taken care of (error, hang or reset). */
export function applyFault(up: Upstream, req: UpReq, res: UpRes): boolean {
  const f = up.faults.next();
  if (f === FAULT_NONE) return false;
  if (f === FAULT_429) send(res, 429, ERR_BODY.rateLimit);
  else if (f === FAULT_500) send(res, 500, ERR_BODY.server);
  else if (f === FAULT_503) send(res, 503, ERR_BODY.overloaded);
  else if (f === FAULT_HANG) {
    up.hangs++;
    up.hung.add(res);
    res.once('close', onHungClose);
  } else if (f === FAULT_RESET) {
    up.resets++;
    if (res.gbLedger) {
      res.gbLedger = false;
      recordLedger(res, 0);
    }
    req.socket.destroy();
  }
  return true;
}

function onHungClose(this: UpRes): void {
  this.up!.hung.delete(this);
}

/**
 * Called right after res.end() on a model route: the ledger's 'left'. An answer that fits the
 * socket (every JSON answer here) is with the kernel when end() returns, so it is recorded now,
 * without a 'finish' listener per request; one still queued behind backpressure is recorded
 * at 'finish', when its last byte is out.
 */
export function ended(res: UpRes): void {
  res.gbLedger = false;
  if (res.writableFinished) recordLedger(res, res.statusCode);
  else res.once('finish', onFinish);
}

function onFinish(this: UpRes): void {
  recordLedger(this, this.statusCode);
}

export function recordLedger(res: UpRes, status: number): void {
  const ledger = res.up!.ledger;
  if (res.gbUuid) ledger.recordUuid(res.gbU0, res.gbU1, res.gbU2, res.gbU3, res.gbRoute, status, res.gbArrived, nowUs());
  else ledger.record(res.gbId, res.gbRoute, status, res.gbArrived, nowUs());
}
