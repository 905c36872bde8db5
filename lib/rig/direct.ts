// What the gateway added over going direct: its ledger overhead minus the direct baseline's,
// percentile by percentile (the method of BerriAI's ai-gateway-bench). The direct run pays the
// rig's own floor — the generator, the loopback, the upstream's I/O outside its holding time —
// so what is left is the gateway's. Pure.
import type { Percentiles } from '../result.js';
import type { OverheadOverDirect } from './types.js';

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function overheadOverDirect(gateway: Pick<Percentiles, 'p50' | 'p95' | 'p99' | 'mean'> | null | undefined, direct: Pick<Percentiles, 'p50' | 'p95' | 'p99' | 'mean'> | null | undefined): OverheadOverDirect | null {
  if (!gateway || !direct) return null;
  return { p50: r3(gateway.p50 - direct.p50), p95: r3(gateway.p95 - direct.p95), p99: r3(gateway.p99 - direct.p99), mean: r3(gateway.mean - direct.mean) };
}

/** Each half of the direct baseline (one before the variant, one after): a twelfth of the window, 1–7.5 s; its warm-up 1–3 s. */
export function directPlan(durationMs: number, warmupMs: number): { durationMs: number; warmupMs: number } {
  return { durationMs: Math.round(Math.min(7_500, Math.max(1_000, durationMs / 12))), warmupMs: Math.round(Math.min(3_000, Math.max(1_000, warmupMs))) };
}
