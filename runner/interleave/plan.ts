// How a matrix's variants share the measured time when they run interleaved: pure, so the
// layout is tested without servers. load.duration stays each variant's measured time; it is
// cut into rounds, and every round gives each variant in turn one slice of it (A B C A B C …).
// Rounds are what the findings pair, so there are at least MIN_ROUNDS of them by default: a
// paired interval over fewer rounds can hardly exclude "no change" (with 5 rounds only when
// every round agrees on the sign).
import type { ClosedModelConfig, OpenModelConfig } from '../../loadgen/index.js';
import { tryParseDurationMs } from '../../lib/duration.js';
import type { CompareSettings } from '../targets/targets-schema.js';

export const MIN_ROUNDS = 5;
const DEFAULT_ROUND_MS = 10_000;
/** no round is shorter than this, whatever the duration (fewer rounds instead) */
const MIN_ROUND_MS = 1000;

export interface InterleavePlan {
  rounds: number;
  roundMs: number;
}

/** Whether the variants run interleaved: two or more, not a shard, not turned off. */
export function interleaves(variants: number, compare: CompareSettings, shard: boolean): boolean {
  return variants >= 2 && !shard && compare.interleave !== false;
}

/**
 * Rounds and round length for `durationMs` of measured load per variant. `round` and `rounds`
 * as the scenario's `compare:` gives them; by default rounds of ~10 s, at least MIN_ROUNDS.
 */
export function interleavePlan(durationMs: number, c: CompareSettings = {}): InterleavePlan {
  const round = c.round !== undefined ? tryParseDurationMs(c.round) : null;
  if (c.rounds !== undefined) return { rounds: c.rounds, roundMs: round ?? Math.max(MIN_ROUND_MS, Math.round(durationMs / c.rounds)) };
  if (round !== null) return { rounds: Math.max(1, Math.round(durationMs / round)), roundMs: round };
  const rounds = Math.max(1, Math.min(Math.max(MIN_ROUNDS, Math.round(durationMs / DEFAULT_ROUND_MS)), Math.floor(durationMs / MIN_ROUND_MS)));
  return { rounds, roundMs: Math.round(durationMs / rounds) };
}

/** Each round starts its users afresh: their ramp-up (≤ 5 s) is left out of the round's figures. */
export function rampMs(model: ClosedModelConfig | OpenModelConfig): number {
  if (model.kind !== 'closed') return 0;
  return Math.min(5000, Math.ceil((model.users / model.spawnRate) * 1000));
}

/** Round r's order: the variants rotated by r, so no variant always runs first (after a pause) or last. */
export function roundOrder(n: number, r: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = (i + r) % n;
  return out;
}
