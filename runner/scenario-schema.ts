// The scenario file's schema (zod). Every object is strict so that a misspelt key is an
// error instead of a silently ignored setting. Durations stay strings here ("30s") and are
// checked by a refinement; runner/scenario-load.ts resolves them to milliseconds, so the
// schema converts cleanly to JSON Schema (scenarios/schema.json) for editors.
import { z } from 'zod';
import { tryParseDurationMs } from '../lib/duration.js';
import { compareSchema, gatewayTargetsSchema } from './targets/targets-schema.js';
import { capacitySchema } from './capacity/capacity-schema.js';

const posInt = (what = 'a positive integer') =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const nonNegNum = z.number({ error: 'expected a number >= 0' }).min(0, { error: 'expected a number >= 0' });
const fraction = z.number({ error: 'expected a fraction between 0 and 1' }).min(0, { error: 'expected a fraction between 0 and 1' }).max(1, { error: 'expected a fraction between 0 and 1' });

export const durationSchema = z
  .union([z.string(), z.number()], { error: 'expected a duration like 30s, 5m or 500ms' })
  .refine((v) => tryParseDurationMs(v) !== null, { error: 'expected a duration like 30s, 5m or 500ms' })
  .meta({ description: 'A duration: 500ms, 30s, 5m, 1h (a bare number is seconds)' });

/** `fixed:50`, `uniform:10-50`, `normal:50,10`, `lognormal:50,200` — the fake upstream's --latency syntax. */
export const LATENCY_RE = /^(fixed:\d+(\.\d+)?|uniform:\d+(\.\d+)?-\d+(\.\d+)?|normal:\d+(\.\d+)?,\d+(\.\d+)?|lognormal:\d+(\.\d+)?,\d+(\.\d+)?)$/;
const latencySpec = z
  .string({ error: 'expected a latency model like fixed:50, uniform:10-50, normal:50,10 or lognormal:50,200' })
  .regex(LATENCY_RE, { error: 'expected a latency model like fixed:50, uniform:10-50, normal:50,10 or lognormal:50,200' });

export const CALLBACKS = ['gcs_bucket', 'langsmith', 'webhook'] as const;
const callbackName = z.enum(CALLBACKS, { error: `expected one of ${CALLBACKS.join(', ')}` });
/** `none`, one callback, or a list of them. */
const callbacksSchema = z.union([z.literal('none'), callbackName, z.array(callbackName)], {
  error: `expected none, one of ${CALLBACKS.join(', ')}, or a list of them`,
});

// Regexes rather than unions of literals: one clear message, and they survive into JSON Schema.
const databaseSchema = z
  .string({ error: 'expected embedded or a postgres:// URL' })
  .regex(/^(embedded|postgres(ql)?:\/\/.+)$/, { error: 'expected embedded or a postgres:// URL' });
/** `on` = spawn redis-server when it is on PATH, else use REDIS_URL. */
const redisSchema = z
  .string({ error: 'expected off, spawn, on or a redis:// URL' })
  .regex(/^(off|spawn|on|rediss?:\/\/.+)$/, { error: 'expected off, spawn, on or a redis:// URL' });

export const upstreamSchema = z.strictObject({
  latency: latencySpec.optional().meta({ description: 'latency model of a non-streamed answer' }),
  ttft: latencySpec.optional().meta({ description: 'time to first token of a stream' }),
  inter_token_ms: nonNegNum.optional(),
  error_rate: z.partialRecord(z.enum(['429', '500', '503'], { error: 'expected a status 429, 500 or 503' }), fraction).optional(),
  hang_rate: fraction.optional(),
  config: z.string().optional().meta({ description: 'a fake-upstream config file (bench upstream --config)' }),
  concurrency: z.number({ error: 'expected an integer >= 0' }).int({ error: 'expected an integer >= 0' }).min(0, { error: 'expected an integer >= 0' }).optional().meta({ description: 'requests served at once; more wait in line (bench upstream --concurrency; 0 = no limit)' }),
});

export const proxySchema = z.strictObject({
  instances: posInt().optional(),
  workers: posInt().optional().meta({ description: 'worker processes per instance (informational: one process per instance)' }),
  config: z
    .union([z.string(), z.record(z.string(), z.unknown())], { error: 'expected a path to a LiteLLM-style config or the config inline' })
    .optional(),
  database: databaseSchema.optional(),
  redis: redisSchema.optional(),
  callbacks: callbacksSchema.optional(),
  master_key: z.string().min(1).optional(),
  /** create a virtual key and the db model through the management API before the load */
  setup: z
    .strictObject({
      key: z.boolean().optional(),
      model: z.string().min(1).optional().meta({ description: 'model name created through POST /model/new' }),
    })
    .optional(),
});

export const templateSchema = z.strictObject({
  name: z.string().min(1).optional(),
  method: z.enum(['GET', 'POST', 'PUT']).optional(),
  path: z.string().startsWith('/', { error: 'expected a path starting with /' }).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** `seed` = the seed's ~11 KB prompt starting with a uuid; or a JSON body */
  body: z.union([z.literal('seed'), z.record(z.string(), z.unknown())]).optional(),
  stream: z.boolean().optional(),
  weight: posInt().optional(),
});

const stageSchema = z.strictObject({ duration: durationSchema, target: nonNegNum });

export const loadSchema = z.strictObject({
  model: z.enum(['closed', 'open'], { error: 'expected closed or open' }).optional(),
  users: posInt().optional(),
  spawn_rate: z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' }).optional(),
  wait: z
    .strictObject({
      between: z.tuple([nonNegNum, nonNegNum], { error: 'expected [min, max] seconds' }).optional(),
      constant: nonNegNum.optional(),
      constant_pacing: nonNegNum.optional(),
    })
    .optional(),
  rate: z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' }).optional(),
  stages: z.array(stageSchema).min(1).optional(),
  max_in_flight: posInt().optional(),
  workers: posInt().max(64, { error: 'expected at most 64' }).optional().meta({ description: 'load-generator worker threads sharing the load (default 1)' }),
  duration: durationSchema.optional(),
  timeout: durationSchema.optional(),
  requests: z.array(templateSchema).min(1, { error: 'expected at least one request template' }).optional(),
  record_headers: z.array(z.string().min(1)).optional(),
});

export const matrixSchema = z.strictObject({
  instances: z.array(posInt()).min(1).optional(),
  workers: z.array(posInt()).min(1).optional(),
  redis: z.array(redisSchema).min(1).optional(),
  callbacks: z.array(callbacksSchema).min(1).optional(),
  database: z.array(databaseSchema).min(1).optional(),
  users: z.array(posInt()).min(1).optional(),
  latency: z.array(latencySpec).min(1).optional(),
});

export const warmupSchema = z.union([durationSchema, z.strictObject({ duration: durationSchema })]);

/** Thresholds are parsed and evaluated by reports/thresholds: a list of expressions, or k6's map of metric → condition(s). */
export const thresholdsSchema = z.union(
  [z.array(z.string()), z.record(z.string(), z.union([z.string(), z.array(z.string())]))],
  { error: 'expected a list like ["latency_ms.p99 < 250"] or a map of metric → condition' },
);

export const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  upstream: upstreamSchema.optional(),
  proxy: proxySchema.optional(),
  load: loadSchema.optional(),
  matrix: matrixSchema.optional(),
  warmup: warmupSchema.optional(),
  thresholds: thresholdsSchema.optional(),
  /** the gateway comparison (runner/targets owns these schemas) */
  targets: gatewayTargetsSchema.optional(),
  compare: compareSchema.optional(),
  /** the capacity search over the targets (runner/capacity owns the schema) */
  capacity: capacitySchema.optional(),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type RedisSetting = z.infer<typeof redisSchema>;
export type CallbacksSetting = z.infer<typeof callbacksSchema>;
export type TemplateInput = z.infer<typeof templateSchema>;
export type MatrixInput = z.infer<typeof matrixSchema>;

/** The JSON Schema written to scenarios/schema.json (checked by a test to be up to date). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
