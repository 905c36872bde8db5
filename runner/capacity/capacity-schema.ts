// The scenario's `capacity:` section (zod) and its resolved form: how the capacity search
// (runner/capacity/search.ts) climbs and bisects each target's open-model arrival rate.
// It only makes sense beside `targets:` (runner/scenario-load.ts checks the pair).
import { z } from 'zod';
import { parseDurationMs, tryParseDurationMs } from '../../lib/duration.js';
import { DEFAULT_SLOS_MS, type SearchOptions } from './search.js';

const positive = (what: string) => z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const posInt = z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
const duration = z
  .union([z.string(), z.number()], { error: 'expected a duration like 10s or 500ms' })
  .refine((v) => tryParseDurationMs(v) !== null, { error: 'expected a duration like 10s or 500ms' });

export const capacitySchema = z
  .strictObject({
    slos_ms: z.array(positive('a p99 SLO in ms > 0')).min(1, { error: 'expected at least one SLO' }).optional().meta({ description: 'p99 SLOs in ms (default [1, 5, 10, 50, 100])' }),
    start_rate: positive('a rate > 0 (req/s)').optional().meta({ description: 'first offered rate, req/s (default 50)' }),
    growth: z.number({ error: 'expected a factor > 1' }).gt(1, { error: 'expected a factor > 1' }).optional().meta({ description: 'factor between growth steps (default 2)' }),
    max_rate: positive('a rate > 0 (req/s)').optional().meta({ description: 'never offer more than this, req/s (default 20000)' }),
    resolution: z.number({ error: 'expected a fraction between 0 and 1' }).gt(0, { error: 'expected a fraction between 0 and 1' }).lt(1, { error: 'expected a fraction between 0 and 1' }).optional().meta({ description: 'a bracket narrower than this (hi/lo − 1) is not split further (default 0.1)' }),
    max_failure_ratio: z.number({ error: 'expected a fraction between 0 and 1' }).min(0, { error: 'expected a fraction between 0 and 1' }).max(1, { error: 'expected a fraction between 0 and 1' }).optional().meta({ description: 'a step failing more than this share broke every SLO (default 0.01)' }),
    step: duration.optional().meta({ description: 'measured length of one step at least (default 5s)' }),
    min_samples: posInt.optional().meta({ description: 'a step lasts long enough for this many requests at its rate, up to max_step (default 1500: p99 then rests on 15 requests)' }),
    max_step: duration.optional().meta({ description: 'longest a step is made to collect min_samples (default 10s)' }),
    confirm_margin: z
      .union([z.number({ error: 'expected a fraction >= 0, or null' }).min(0, { error: 'expected a fraction >= 0, or null' }), z.null()])
      .optional()
      .meta({ description: 'a break that bounds a frontier is measured again when a higher rate kept that SLO or its p99 is within this fraction above the SLO, and a third time if the two disagree: the median counts (default 0.25; null: never)' }),
    step_warmup: duration.optional().meta({ description: 'unmeasured load before each step (default 1s)' }),
    max_steps: posInt.optional().meta({ description: 'measurements per target at most, re-measurements included (default 12)' }),
    max_duration: duration.optional().meta({ description: 'no step starts once the run (from its start, the targets’ start-up included) has lasted this long; every search then ends with max-duration (default: no limit)' }),
    on_saturation: z
      .enum(['stop', 'note'], { error: 'expected stop or note' })
      .optional()
      .meta({ description: 'a step on a saturated machine ends the search (stop, the default) or is kept and noted (note: a shared machine where you want figures anyway)' }),
    connections: posInt.optional().meta({ description: 'keep-alive connections of the open-model generator (default 100)' }),
  })
  .meta({ description: 'capacity search: per target, the highest rate whose p99 stays within each SLO (needs targets:)' });

export type CapacityInput = z.output<typeof capacitySchema>;

export interface CapacitySettings {
  search: SearchOptions;
  /** the shortest measured step; a low rate's step is longer (stepLengthMs) */
  stepMs: number;
  minSamples: number;
  maxStepMs: number;
  /** no step starts once the run has lasted this long; null: no limit */
  maxDurationMs: number | null;
  stepWarmupMs: number;
  connections: number;
  /** `stop`: a saturated step is untrusted and ends the search; `note`: kept, its reasons recorded */
  onSaturation: 'stop' | 'note';
}

export function resolveCapacity(c: CapacityInput): CapacitySettings {
  return {
    search: {
      slosMs: [...(c.slos_ms ?? DEFAULT_SLOS_MS)].sort((a, b) => a - b),
      startRate: c.start_rate ?? 50,
      growth: c.growth ?? 2,
      maxRate: c.max_rate ?? 20_000,
      resolution: c.resolution ?? 0.1,
      maxFailureRatio: c.max_failure_ratio ?? 0.01,
      maxSteps: c.max_steps ?? 12,
      confirmMargin: c.confirm_margin === undefined ? 0.25 : c.confirm_margin,
    },
    stepMs: parseDurationMs(c.step ?? '5s'),
    minSamples: c.min_samples ?? 1500,
    maxStepMs: parseDurationMs(c.max_step ?? '10s'),
    maxDurationMs: c.max_duration === undefined ? null : parseDurationMs(c.max_duration),
    stepWarmupMs: parseDurationMs(c.step_warmup ?? '1s'),
    connections: c.connections ?? 100,
    onSaturation: c.on_saturation ?? 'stop',
  };
}

/**
 * How long a step at `rate` is measured: `step`, or long enough for `min_samples` requests when
 * that is longer (a p99 of 300 requests is decided by 3 of them: one VM stall breaks it), but
 * never beyond `max_step` (the time budget) — and never below `step` however high the rate.
 */
export function stepLengthMs(c: Pick<CapacitySettings, 'stepMs' | 'minSamples' | 'maxStepMs'>, rate: number): number {
  const forSamples = Math.ceil((c.minSamples / rate) * 1000);
  return Math.max(c.stepMs, Math.min(c.maxStepMs, forSamples));
}
