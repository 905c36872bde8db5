// A gateway's overhead measured from the outside, the same way for every gateway: the load
// generator knows when it sent each request and got the answer, the fake upstream's ledger
// knows when that request arrived and left. Joined on the request id (the uuid at the start
// of the prompt):
//   overhead      = (received − sent) − (left − arrived)
//   request path  = arrived − sent        (client → gateway → upstream)
//   response path = received − left       (upstream → gateway → client)
// All values are wall-clock µs from performance.timeOrigin + now() in each process.
import type { Histogram } from 'hdr-histogram-js';
import { request } from 'undici';
import { newHistogram } from '../../lib/measure.js';
import type { ClientTimes, LedgerRow } from './types.js';

export interface LedgerOverhead {
  total: Histogram;
  requestPath: Histogram;
  responsePath: Histogram;
  matched: number;
  /** client requests the ledger has no entry for (id lost by the gateway, or dropped) */
  unmatched: number;
  /** ids the ledger holds more than once (a gateway retry): the last entry is used */
  duplicates: number;
  /** values below 1 µs (clock granularity between processes) recorded as 1 µs */
  clamped: number;
}

export function emptyOverhead(): LedgerOverhead {
  return { total: newHistogram(), requestPath: newHistogram(), responsePath: newHistogram(), matched: 0, unmatched: 0, duplicates: 0, clamped: 0 };
}

const MAX_US = 3_600_000_000;

/** Joins client times with ledger rows into `into` (new histograms when omitted). */
export function ledgerOverhead(times: ClientTimes, ledger: readonly LedgerRow[], into: LedgerOverhead = emptyOverhead()): LedgerOverhead {
  const byId = new Map<string, number>();
  for (let i = 0; i < ledger.length; i++) {
    const id = ledger[i].id;
    if (id === null) continue;
    if (byId.has(id)) into.duplicates++;
    byId.set(id, i);
  }
  const n = times.count;
  for (let i = 0; i < n; i++) {
    const k = byId.get(times.ids[i]);
    if (k === undefined) {
      into.unmatched++;
      continue;
    }
    const e = ledger[k];
    const sent = times.sentUs[i];
    const received = times.receivedUs[i];
    into.matched++;
    record(into, into.total, received - sent - (e.left_us - e.arrived_us));
    record(into, into.requestPath, e.arrived_us - sent);
    record(into, into.responsePath, received - e.left_us);
  }
  return into;
}

/**
 * Per request, the ledger's overhead minus the gateway's own header for that same request
 * (µs, in request order): what the gateway's figure leaves out — the transits on both sides of
 * it and any of its own work it does not count. Needs times recorded with their header values
 * (loadgen recordRequestHeader); requests without a ledger entry or a header are left out.
 * Pairing per request, rather than comparing two percentiles, keeps one request's contention
 * on both sides of the subtraction.
 */
export function headerGapsUs(times: ClientTimes, ledger: readonly LedgerRow[]): Float64Array {
  const h = times.headerUs;
  if (!h) return new Float64Array(0);
  const byId = new Map<string, LedgerRow>();
  for (const e of ledger) if (e.id !== null) byId.set(e.id, e);
  const out = new Float64Array(times.count);
  let n = 0;
  for (let i = 0; i < times.count; i++) {
    const e = byId.get(times.ids[i]);
    if (e === undefined || !Number.isFinite(h[i])) continue;
    out[n++] = times.receivedUs[i] - times.sentUs[i] - (e.left_us - e.arrived_us) - h[i];
  }
  return out.slice(0, n);
}

function record(o: LedgerOverhead, h: Histogram, us: number): void {
  let v = Math.round(us);
  if (v < 1) {
    o.clamped++;
    v = 1;
  } else if (v > MAX_US) v = MAX_US;
  h.recordValue(v);
}

export interface LedgerFetch {
  entries: LedgerRow[];
  /** seq to pass as `after` next time */
  next: number;
  dropped: number;
}

/**
 * A reader's place in a long-lived upstream's ledger: runs that load it again and again (an
 * interleaved matrix's slices) read on from here instead of paging the whole ledger through
 * to learn where it ends.
 */
export interface LedgerCursor {
  next: number;
}

/** Pages through the fake upstream's ledger from `after` to its end. */
export async function fetchLedger(upstreamUrl: string, after = 0, pageSize = 10_000): Promise<LedgerFetch> {
  const origin = new URL(upstreamUrl).origin;
  const entries: LedgerRow[] = [];
  let next = after;
  let dropped = 0;
  for (;;) {
    const r = await request(`${origin}/__gatebench/ledger?after=${next}&limit=${pageSize}`);
    if (r.statusCode !== 200) {
      const body = await r.body.text();
      throw new Error(`ledger of ${origin}: HTTP ${r.statusCode} ${body.slice(0, 200)}`);
    }
    const page = (await r.body.json()) as { entries: LedgerRow[]; next: number; dropped: number };
    for (const e of page.entries) entries.push(e);
    dropped = page.dropped;
    if (page.entries.length === 0) break;
    next = page.next;
    if (page.entries.length < pageSize) break;
  }
  return { entries, next, dropped };
}
