// Trials: what the gate compares. A trial is one short run reduced to a few figures that cancel
// the machine's speed (CPU µs per request; latency divided by the same run's `direct`
// variant, i.e. load sent straight to the fake upstream). Two runs on a slow and a fast
// runner give similar figures; raw milliseconds would not.
//
// Files the gate reads (all JSON):
//  - a RunResult (`gatebench/result@1`): one trial, or one trial per distinct `settings.trial`
//    when its variants carry that setting (a runner that ran N trials in one result);
//  - a trials file `{schema: 'gatebench/trials@1', scenario, trials: TrialRecord[]}`;
//  - a baseline `{schema: 'gatebench/baseline@1', scenario, created, trials: TrialRecord[]}`.
import { ERR_INVALID_RESULT } from '../lib/errors.js';
import { failureCount, RESULT_SCHEMA, type RunResult, type VariantResult } from '../lib/result.js';
import { isResultSchema, readJsonFile, resultFromJson } from '../lib/result-file.js';

export { readJsonFile };

export const BASELINE_SCHEMA = 'gatebench/baseline@1';
export const TRIALS_SCHEMA = 'gatebench/trials@1';

export interface TrialRecord {
  /** where it came from: a run id, `file#3`, `base-2` … */
  label?: string;
  /** figure name → value; null when the run could not measure it */
  figures: Record<string, number | null>;
}

export interface TrialsFile {
  schema: typeof TRIALS_SCHEMA | typeof BASELINE_SCHEMA;
  scenario: string;
  created?: string;
  /** free-form provenance: commit, machine, tool version */
  meta?: Record<string, unknown>;
  /**
   * Set on the two files `bench gate --base-dir --save-trials` writes: the interleaved run's id.
   * Trial i of each ran back to back, so two files with the same id are gated as paired rounds.
   */
  rounds?: string;
  trials: TrialRecord[];
}

/** The name of the calibration variant: load straight to the fake upstream, no gateway. */
export const DIRECT_VARIANT = 'direct';

/** The calibration variant: named `direct`, or a target whose kind/type is `direct`. */
export const isDirect = (v: VariantResult): boolean =>
  v.name === DIRECT_VARIANT || [v.settings?.target, v.settings?.kind, v.settings?.type].includes(DIRECT_VARIANT);

/**
 * Figures of one gateway variant. `direct` (same run) divides latencies so that a slow machine
 * slows both and the ratio stays put.
 */
export function variantFigures(v: VariantResult, direct: VariantResult | undefined): Record<string, number | null> {
  const f: Record<string, number | null> = {};
  const num = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  f.cpu_us_per_req = num(v.gateway_cpu_us_per_req);
  // The gateway's CPU per request ÷ the load generator's, both over the same window. A VM's
  // speed drifts by ±10% from one trial to the next (with the host's load, not ours); the
  // generator runs on the same machine at the same moments and is the same kind of work (HTTP
  // over loopback), so the ratio keeps the gateway's cost and loses much of the drift.
  const answered = v.requests - failureCount(v.failures);
  const genUs = num(v.loadgen?.cpu_us);
  f.cpu_rel_loadgen = f.cpu_us_per_req !== null && genUs !== null && genUs > 0 && answered > 0 ? f.cpu_us_per_req / (genUs / answered) : null;
  f.overhead_p50 = num(v.overhead_ms?.p50);
  f.overhead_p99 = num(v.overhead_ms?.p99);
  if (direct) {
    const rel = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : null);
    f.latency_p50_rel = rel(v.latency_ms?.p50, direct.latency_ms?.p50);
    f.latency_p99_rel = rel(v.latency_ms?.p99, direct.latency_ms?.p99);
    // overhead relative to the machine: the direct run's median latency is a clock of its speed
    f.overhead_p50_rel = rel(v.overhead_ms?.p50, direct.latency_ms?.p50);
  }
  return f;
}

/**
 * One trial from a group of variants (a whole run, or the variants of one `settings.trial`).
 * With one gateway variant the figures are plain (`cpu_us_per_req`); with several each is
 * suffixed by the variant's name (`cpu_us_per_req[proxy-4]`) so all can be gated at once.
 */
export function trialFromVariants(variants: VariantResult[], label: string): TrialRecord {
  const direct = variants.find(isDirect);
  const gateways = variants.filter((v) => !isDirect(v));
  const figures: Record<string, number | null> = {};
  for (const g of gateways) {
    const vf = variantFigures(g, direct);
    const name = String(g.settings?.variant ?? g.name).replace(/#\d+$/, '');
    for (const [k, x] of Object.entries(vf)) figures[gateways.length === 1 ? k : `${k}[${name}]`] = x;
  }
  return { label, figures };
}

export function trialsFromRunResult(r: RunResult, label = r.run_id): TrialRecord[] {
  if (!r.variants.some((v) => v.settings?.trial !== undefined)) return [trialFromVariants(r.variants, label)];
  const groups = new Map<string, VariantResult[]>();
  for (const v of r.variants) {
    const k = String(v.settings?.trial ?? '');
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(v);
  }
  return [...groups].map(([k, vs]) => trialFromVariants(vs, `${label}#${k}`));
}

function checkTrials(file: string, trials: unknown): TrialRecord[] {
  if (!Array.isArray(trials)) throw ERR_INVALID_RESULT([file, 'trials must be a list']);
  const problems: string[] = [];
  trials.forEach((t, i) => {
    const figs = (t as TrialRecord | null)?.figures;
    if (typeof figs !== 'object' || figs === null) problems.push(`trials[${i}].figures: expected an object of figure → number`);
    else for (const [k, v] of Object.entries(figs)) if (v !== null && typeof v !== 'number') problems.push(`trials[${i}].figures.${k}: expected a number or null`);
  });
  if (problems.length > 0) throw ERR_INVALID_RESULT([file, `${problems.length} problem(s)`], problems);
  return trials as TrialRecord[];
}

/** Trials from parsed JSON of any accepted kind (see the top of this file). */
export function trialsFromJson(file: string, data: unknown): { scenario: string; trials: TrialRecord[]; rounds?: string } {
  const schema = (data as { schema?: unknown } | null)?.schema;
  if (isResultSchema(schema)) {
    // a gateway comparison's result too (also in the old gatebench/gateways@1 form)
    const r = resultFromJson(file, data);
    return { scenario: r.scenario, trials: trialsFromRunResult(r, r.run_id ?? file) };
  }
  if (schema === BASELINE_SCHEMA || schema === TRIALS_SCHEMA) {
    const t = data as TrialsFile;
    const trials = checkTrials(file, t.trials);
    if (t.rounds !== undefined && typeof t.rounds !== 'string') throw ERR_INVALID_RESULT([file, 'rounds: expected the id of an interleaved run (a string)']);
    return { scenario: t.scenario, trials, ...(t.rounds ? { rounds: t.rounds } : {}) };
  }
  throw ERR_INVALID_RESULT([file, `expected schema ${RESULT_SCHEMA}, ${TRIALS_SCHEMA} or ${BASELINE_SCHEMA}, found ${JSON.stringify(schema ?? null)}`]);
}

/**
 * Reads trials from several files and concatenates them (one side of the gate). `rounds` (see
 * TrialsFile) only for a single file: concatenated files are no longer one run's rounds.
 */
export function loadTrials(files: string[]): { scenario: string; trials: TrialRecord[]; rounds?: string } {
  const trials: TrialRecord[] = [];
  let scenario = '';
  let rounds: string | undefined;
  for (const f of files) {
    const got = trialsFromJson(f, readJsonFile(f));
    scenario ||= got.scenario;
    rounds = got.rounds;
    trials.push(...got.trials);
  }
  return { scenario, trials, ...(files.length === 1 && rounds ? { rounds } : {}) };
}
