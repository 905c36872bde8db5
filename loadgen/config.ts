// The load generator's configuration: plain validated data (zod), kept apart from the
// runtime objects that execute it (executors/, run.ts). validateLoadOptions reports every
// problem with its path, not only the first, as a GbError (exit code 2).
import { z } from 'zod';
import { ERR_INVALID_CONFIG } from '../lib/errors.js';
import { zodProblems } from '../lib/zod-problems.js';
import { OVERHEAD_HEADER } from '../lib/measure.js';

const positive = z.number().positive();
const seconds = z.number().nonnegative();

/** Locust's wait_time functions, in seconds. */
export const waitSchema = z.union([
  z.object({ between: z.tuple([seconds, seconds]).refine(([a, b]) => a <= b, 'between: min must be <= max') }).strict(),
  z.object({ constant: seconds }).strict(),
  /** each iteration (request + wait) takes at least this many seconds */
  z.object({ constant_pacing: seconds }).strict(),
  /** this many iterations per second per user, at most */
  z.object({ constant_throughput: positive }).strict(),
]);
export type WaitConfig = z.infer<typeof waitSchema>;

export const closedModelSchema = z
  .object({
    kind: z.literal('closed'),
    users: z.number().int().positive(),
    /** users started per second (Locust's spawn rate / ramp-up) */
    spawnRate: positive,
    wait: waitSchema.default({ constant: 0 }),
    /** at the end, in-flight requests may finish for this long; then they are cut and counted */
    gracefulStopMs: z.number().nonnegative().default(5000),
  })
  .strict();
export type ClosedModelConfig = z.input<typeof closedModelSchema>;

export const stageSchema = z.object({ rate: z.number().nonnegative(), durationMs: positive }).strict();

export const openModelSchema = z
  .object({
    kind: z.literal('open'),
    /** requests per second (all targets together) */
    rate: positive.optional(),
    /** step profile: each stage holds its rate for its duration; the last rate holds after */
    stages: z.array(stageSchema).min(1).optional(),
    /** keep-alive connections per target (wrk2's -c); sends queue behind busy connections */
    connections: z.number().int().positive().default(100),
    /** sends beyond this many outstanding requests are dropped and counted */
    maxInFlight: z.number().int().positive().default(10_000),
    /** a send that starts this much after its intended time counts as late. 2 ms, not 1:
     * Node's timers have 1 ms granularity on top of libuv's cached loop time, so an
     * on-time send routinely starts ~1 ms after its intended time */
    lateThresholdMs: z.number().nonnegative().default(2),
    gracefulStopMs: z.number().nonnegative().default(5000),
  })
  .strict()
  .refine((m) => (m.rate === undefined) !== (m.stages === undefined), { message: 'give exactly one of rate or stages' });
export type OpenModelConfig = z.input<typeof openModelSchema>;

const headerValue = z.string();
export const templateSchema = z
  .object({
    /** row of the table; default: the path */
    name: z.string().min(1).optional(),
    method: z.string().regex(/^[A-Z]+$/, 'an upper-case HTTP method').default('POST'),
    path: z.string().startsWith('/').default('/'),
    headers: z.record(z.string(), headerValue).default({}),
    /** JSON body; strings may hold {{uuid}}, {{seq}}, {{env.NAME}}, {{repeat N "text"}} */
    body: z.unknown().optional(),
    /** a raw (non-JSON) body; same placeholders */
    rawBody: z.string().optional(),
    weight: z.number().positive().default(1),
    /** read the response as Server-Sent Events (TTFT, inter-token latency, usage tokens) */
    stream: z.boolean().default(false),
  })
  .strict()
  .refine((t) => t.body === undefined || t.rawBody === undefined, { message: 'give body or rawBody, not both' });
export type RequestTemplateConfig = z.input<typeof templateSchema>;
export type RequestTemplate = z.output<typeof templateSchema>;

const targetSchema = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'expected an http(s) URL');

export const loadOptionsSchema = z
  .object({
    targets: z.array(targetSchema).min(1),
    model: z.union([closedModelSchema, openModelSchema]),
    durationMs: positive,
    /** excluded from statistics; runs before durationMs */
    warmupMs: z.number().nonnegative().default(0),
    templates: z.array(templateSchema).min(1),
    recordHeaders: z.array(z.string().min(1)).default([]),
    /** which recorded header is the gateway overhead (result.overhead_ms) */
    overheadHeader: z.string().min(1).default(OVERHEAD_HEADER),
    requestTimeoutMs: positive.default(30_000),
    /** send the request id as x-request-id */
    requestIdHeader: z.boolean().default(true),
    /** without a path the entries are kept, not written (a worker thread sends them to the main thread) */
    errorLog: z
      .object({ path: z.string().min(1).optional(), maxEntries: z.number().int().positive().default(100), maxBytes: z.number().int().positive().default(1_000_000) })
      .strict()
      .optional(),
    recordRequestTimes: z.boolean().default(false),
    /** with recordRequestTimes: keep each request's value of the first recordHeaders header too
     *  (a gateway's overhead for that request, paired with the ledger's); off: nothing kept */
    recordRequestHeader: z.boolean().default(false),
    /** bound of the request-times store (entries) */
    requestTimesCapacity: z.number().int().positive().default(2_000_000),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'expected an AbortSignal').optional(),
    progress: z.boolean().default(false),
    /** worker threads sharing the load (users, rate, connections split evenly), for rates beyond
     *  one core; their histograms are merged losslessly. 1 = everything on this thread */
    workers: z.number().int().positive().max(64).default(1),
    /** `{{seq}}` values are seqStart, seqStart + seqStep, …: each worker thread its own residue */
    seqStart: z.number().int().nonnegative().default(0),
    seqStep: z.number().int().positive().default(1),
    /** 'second' events carry the second's latency histogram, encoded (for worker threads) */
    secondHistograms: z.boolean().default(false),
  })
  .strict();

export type LoadOptions = z.input<typeof loadOptionsSchema>;
export type ResolvedLoadOptions = z.output<typeof loadOptionsSchema>;
export type ResolvedClosedModel = z.output<typeof closedModelSchema>;
export type ResolvedOpenModel = z.output<typeof openModelSchema>;


export function validateLoadOptions(input: unknown, source = 'load options'): ResolvedLoadOptions {
  const r = loadOptionsSchema.safeParse(input);
  if (!r.success) {
    const problems = zodProblems(r.error);
    throw ERR_INVALID_CONFIG([source, String(problems.length)], problems);
  }
  return r.data;
}
