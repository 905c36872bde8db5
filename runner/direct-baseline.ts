// The direct baseline of a variant: the scenario's load, briefly, straight to the fake upstream
// — no gateway — right before the variant's own window, so the machine's drift falls on both.
// Its ledger overhead is the rig's floor, which the gateway's is read against.
import { directPlan } from '../lib/rig/direct.js';
import type { DirectBaseline } from '../lib/rig/types.js';
import { failureCount } from '../lib/result.js';
import { percentilesOf, startLoad } from '../loadgen/index.js';
import { loadOptionsFor } from './load-options.js';
import type { Scenario } from './scenario-load.js';
import { fetchLedger, ledgerOverhead } from './targets/ledger-overhead.js';

const pick = (p: { p50: number; p95: number; p99: number; mean: number }) => ({ p50: p.p50, p95: p.p95, p99: p.p99, mean: p.mean });

/** Runs the baseline; the caller resets the upstream's counters afterwards (these requests are no gateway's). */
export async function runDirectBaseline(s: Scenario, users: number, upstreamUrl: string, key: string, signal: AbortSignal, log: (m: string) => void): Promise<DirectBaseline | null> {
  const plan = directPlan(s.load.durationMs, s.warmup.durationMs);
  log(`direct baseline: the same load straight to the upstream, warm-up ${plan.warmupMs / 1000} s, measured ${plan.durationMs / 1000} s`);
  const seq = (await fetchLedger(upstreamUrl)).next;
  const opts = loadOptionsFor(s, users, [new URL(upstreamUrl).origin], key, signal, false);
  const run = startLoad({ ...opts, durationMs: plan.durationMs, warmupMs: plan.warmupMs, requestTimesCapacity: 500_000 });
  const r = await run.result;
  const times = run.requestTimes();
  if (signal.aborted || r.requests === 0) return null;
  const ledger = await fetchLedger(upstreamUrl, seq);
  const o = times ? ledgerOverhead(times, ledger.entries) : null;
  return {
    duration_s: r.duration_s,
    requests: r.requests,
    failures: failureCount(r.failures),
    latency_ms: pick(r.latency_ms),
    overhead_ledger_ms: o && o.matched > 0 ? pick(percentilesOf(o.total)) : null,
  };
}
