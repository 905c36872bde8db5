// The direct baseline of a variant: the scenario's load, briefly, straight to the fake upstream
// — no gateway — in two halves, one right before the variant's load and one right after it, so
// the machine's drift over the variant falls on the baseline too (D V D). Its ledger overhead
// is the rig's floor, which the gateway's is read against.
import type { Histogram } from 'hdr-histogram-js';
import { directPlan } from '../lib/rig/direct.js';
import type { DirectBaseline } from '../lib/rig/types.js';
import { failureCount } from '../lib/result.js';
import { decode, percentilesOf, startLoad } from '../loadgen/index.js';
import { newHistogram } from '../lib/measure.js';
import { loadOptionsFor } from './load-options.js';
import type { Scenario } from './scenario-load.js';
import { emptyOverhead, fetchLedger, ledgerOverhead, type LedgerCursor, type LedgerOverhead } from './targets/ledger-overhead.js';

/** What the halves add up: histograms, so the merged percentiles are exact. */
export interface DirectAcc {
  durationS: number;
  requests: number;
  failures: number;
  latency: Histogram;
  ledger: LedgerOverhead;
}

export function emptyDirect(): DirectAcc {
  return { durationS: 0, requests: 0, failures: 0, latency: newHistogram(), ledger: emptyOverhead() };
}

/**
 * One half of the baseline into `acc`. The caller resets the upstream's counters after the first
 * half (these requests are no gateway's) and runs the second after reading them.
 */
export async function runDirectHalf(acc: DirectAcc, s: Scenario, users: number, upstreamUrl: string, key: string, signal: AbortSignal, log: (m: string) => void, which: string, slice?: { durationMs: number; warmupMs: number }, cursor?: LedgerCursor): Promise<void> {
  if (signal.aborted) return;
  // an interleaved run gives the baseline a slice of every round instead of two halves
  const plan = slice ?? directPlan(s.load.durationMs, s.warmup.durationMs);
  log(`direct baseline (${which}): the same load straight to the upstream, warm-up ${plan.warmupMs / 1000} s, measured ${plan.durationMs / 1000} s`);
  const seq = (await fetchLedger(upstreamUrl, cursor?.next ?? 0)).next;
  const opts = loadOptionsFor(s, users, [new URL(upstreamUrl).origin], key, signal, false);
  const run = startLoad({ ...opts, durationMs: plan.durationMs, warmupMs: plan.warmupMs, requestTimesCapacity: 500_000 });
  const r = await run.result;
  const times = run.requestTimes();
  if (signal.aborted || r.requests === 0) return;
  acc.durationS += r.duration_s;
  acc.requests += r.requests;
  acc.failures += failureCount(r.failures);
  acc.latency.add(decode(r.histograms.latency));
  const page = await fetchLedger(upstreamUrl, seq);
  if (cursor) cursor.next = page.next;
  if (times) ledgerOverhead(times, page.entries, acc.ledger);
}

const pick = (p: { p50: number; p95: number; p99: number; mean: number }) => ({ p50: p.p50, p95: p.p95, p99: p.p99, mean: p.mean });

export function directResult(acc: DirectAcc): DirectBaseline | null {
  if (acc.requests === 0) return null;
  return {
    duration_s: Math.round(acc.durationS * 1000) / 1000,
    requests: acc.requests,
    failures: acc.failures,
    latency_ms: pick(percentilesOf(acc.latency)),
    overhead_ledger_ms: acc.ledger.matched > 0 ? pick(percentilesOf(acc.ledger.total)) : null,
  };
}
