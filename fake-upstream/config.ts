// Options from a YAML file (`bench upstream --config f.yaml`) and from CLI flag strings.
// Every problem is reported with its path, all at once (GbError problems[]).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ERR_FILE_READ, ERR_INVALID_ARG, ERR_INVALID_CONFIG } from '../lib/errors.js';
import type { LatencyModel, UpstreamOptions } from './types.js';
import { zodProblems } from '../lib/zod-problems.js';

const num = z.number().finite().nonnegative();
const rate = z.number().min(0).max(1);

const latencyObject = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), ms: num }).strict(),
  z.object({ kind: z.literal('uniform'), min: num, max: num }).strict().refine((v) => v.max >= v.min, { message: 'max must be >= min', path: ['max'] }),
  z.object({ kind: z.literal('normal'), mean: num, stddev: num }).strict(),
  z.object({ kind: z.literal('lognormal'), median: z.number().positive(), p99: z.number().positive() }).strict().refine((v) => v.p99 >= v.median, { message: 'p99 must be >= median', path: ['p99'] }),
]);

/** A latency model as an object or as the flag syntax ('fixed:50', 'uniform:10-50', …). */
const latency = z.union([
  latencyObject,
  z.string().transform((s, ctx) => {
    const m = tryParseLatencySpec(s);
    if (typeof m === 'string') {
      ctx.addIssue({ code: 'custom', message: m });
      return z.NEVER;
    }
    return m;
  }),
]);

const schema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    latency,
    stream: z.object({ ttft: latency, interTokenMs: num }).partial().strict(),
    completionTokens: z.number().int().min(1).max(100_000),
    faults: z
      .object({
        errorRates: z.object({ 429: rate, 500: rate, 503: rate }).partial().strict(),
        hangRate: rate,
        resetRate: rate,
        mode: z.enum(['random', 'every-nth']),
        seed: z.number().int(),
      })
      .partial()
      .strict(),
    ledgerCapacity: z.number().int().min(0).max(100_000_000),
    bodyLimitBytes: z.number().int().positive(),
    concurrency: z.number().int().min(0).max(1_000_000),
  })
  .partial()
  .strict();


/** Reads a YAML (or JSON) file into upstream options; throws GbError listing every problem. */
export function loadUpstreamConfigFile(path: string): Partial<UpstreamOptions> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw ERR_FILE_READ([path, err instanceof Error ? err.message : String(err)]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw ERR_INVALID_CONFIG([path, '1'], [`(yaml): ${err instanceof Error ? err.message : String(err)}`]);
  }
  // YAML keys like `500:` arrive as strings; zod's object keys are strings too, so this matches.
  const result = schema.safeParse(doc);
  if (!result.success) {
    const problems = zodProblems(result.error);
    throw ERR_INVALID_CONFIG([path, String(problems.length)], problems);
  }
  return result.data as Partial<UpstreamOptions>;
}

const NUM = '(\\d+(?:\\.\\d+)?)';
const FIXED = new RegExp(`^(?:fixed:)?${NUM}$`);
const UNIFORM = new RegExp(`^uniform:${NUM}-${NUM}$`);
const NORMAL = new RegExp(`^normal:${NUM},${NUM}$`);
const LOGNORMAL = new RegExp(`^lognormal:${NUM},${NUM}$`);
const LATENCY_HELP = "expected 'fixed:50', 'uniform:10-50', 'normal:50,10' (mean,stddev) or 'lognormal:50,200' (median,p99), in ms";

/** The model, or a message saying what is wrong. */
function tryParseLatencySpec(spec: string): LatencyModel | string {
  const s = spec.trim();
  let m = FIXED.exec(s);
  if (m) return { kind: 'fixed', ms: Number(m[1]) };
  if ((m = UNIFORM.exec(s))) {
    const min = Number(m[1]);
    const max = Number(m[2]);
    return max >= min ? { kind: 'uniform', min, max } : `${JSON.stringify(spec)}: uniform max must be >= min`;
  }
  if ((m = NORMAL.exec(s))) return { kind: 'normal', mean: Number(m[1]), stddev: Number(m[2]) };
  if ((m = LOGNORMAL.exec(s))) {
    const median = Number(m[1]);
    const p99 = Number(m[2]);
    if (median <= 0) return `${JSON.stringify(spec)}: lognormal median must be > 0`;
    return p99 >= median ? { kind: 'lognormal', median, p99 } : `${JSON.stringify(spec)}: lognormal p99 must be >= median`;
  }
  return `${JSON.stringify(spec)}: ${LATENCY_HELP}`;
}

/** Parses the --latency / --ttft flag syntax; throws GbError (exit 2). */
export function parseLatencySpec(spec: string, flag = '--latency'): LatencyModel {
  const m = tryParseLatencySpec(spec);
  if (typeof m === 'string') throw ERR_INVALID_ARG([flag, m]);
  return m;
}

/** Parses '500=0.05,429=0.01'; throws GbError (exit 2). */
export function parseErrorRates(spec: string, flag = '--error-rate'): Partial<Record<429 | 500 | 503, number>> {
  const out: Partial<Record<429 | 500 | 503, number>> = {};
  for (const part of spec.split(',')) {
    const m = /^\s*(429|500|503)\s*=\s*(\d+(?:\.\d+)?|\.\d+)\s*$/.exec(part);
    if (!m) throw ERR_INVALID_ARG([flag, `${JSON.stringify(part)}: expected STATUS=RATE with STATUS one of 429, 500, 503 and RATE in [0, 1], e.g. 500=0.05,429=0.01`]);
    const r = Number(m[2]);
    if (r > 1) throw ERR_INVALID_ARG([flag, `${JSON.stringify(part)}: rate must be in [0, 1]`]);
    out[Number(m[1]) as 429 | 500 | 503] = r;
  }
  return out;
}
