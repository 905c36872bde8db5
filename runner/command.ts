// Handlers of `bench run` and `bench validate` (cli/commands/{run,validate}.ts wire flags here).
import { EXIT_INTERRUPTED } from '../lib/exit-codes.js';
import { parseDurationMs } from '../lib/duration.js';
import { ERR_INTEGRITY, ERR_INVALID_ARG } from '../lib/errors.js';
import { renderConsole } from '../reports/console.js';
import { enforceThresholds, parseThresholdSpec } from '../reports/thresholds/index.js';
import { expandMatrix } from './matrix.js';
import { parseScenario } from './scenario-load.js';
import { planRun, runScenario } from './run.js';
import { runGatewaysScenario } from './gateways-run.js';
import { runCapacityScenario } from './capacity/run.js';
import { readFileSync } from 'node:fs';
import { shardRunFor } from '../shard/run-plan.js';
import { ERR_FILE_READ, ERR_INVALID_SCENARIO } from '../lib/errors.js';

export interface RunFlags {
  duration?: string;
  users?: string;
  spawnRate?: string;
  warmup?: string;
  variants?: string;
  out?: string;
  json?: boolean;
  dryRun?: boolean;
  shard?: string;
  startAt?: string;
}

function positiveNumber(flag: string, v: string | undefined, int: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (int && !Number.isInteger(n))) throw ERR_INVALID_ARG([flag, `expected a positive ${int ? 'integer' : 'number'}, got ${JSON.stringify(v)}`]);
  return n;
}

export async function runCommand(file: string, f: RunFlags): Promise<void> {
  const overrides = {
    durationMs: f.duration === undefined ? undefined : parseDurationMs(f.duration),
    warmupMs: f.warmup === undefined ? undefined : parseDurationMs(f.warmup),
    users: positiveNumber('--users', f.users, true),
    spawnRate: positiveNumber('--spawn-rate', f.spawnRate, false),
  };
  if (f.dryRun) {
    const plan = planRun(file, overrides, f.variants);
    process.stdout.write(`${plan.variants.map((v, i) => `${v.name}\t${JSON.stringify(v.settings)}\tredis: ${plan.redis[i].kind}`).join('\n')}\n`);
    return;
  }
  const plan = planRun(file, overrides, f.variants);
  const shard = shardRunFor(plan, f.shard, f.startAt);
  // a gateway comparison (`targets:`) is a run like any other from here on: the same result,
  // the same files and the same thresholds (shardRunFor refuses a sharded comparison)
  // a capacity search (`capacity:` beside `targets:`) likewise
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const out = plan.scenario.capacity
    ? await runCapacityScenario(plan.scenario, { out: f.out, log, handleSigint: true })
    : plan.scenario.targets.length > 0
      ? await runGatewaysScenario(plan.scenario, { out: f.out, log, handleSigint: true })
      : await runScenario({ file, overrides, variants: f.variants, out: f.out, progress: process.stderr.isTTY === true && !f.json, handleSigint: true, ...(shard ? { shard } : {}) });
  if (f.json) process.stdout.write(`${JSON.stringify(out.result)}\n`);
  else process.stdout.write(renderConsole(out.result));
  process.stderr.write(`results: ${out.files.join(', ')}\n`);
  if (out.interrupted) {
    process.exitCode = EXIT_INTERRUPTED;
    return;
  }
  // a shard alone is not the run: bench merge judges the thresholds on the merged figures
  if (shard) return;
  // thresholds are printed (and their failure kept) even when a variant lost data
  let thresholdError: unknown = null;
  try {
    enforceThresholds(parseThresholdSpec(plan.scenario.thresholds).thresholds, out.result);
  } catch (err) {
    thresholdError = err;
  }
  // thresholds judge unreliable variants too (CI keeps its verdict), but say so beside them
  const unreliable = out.result.variants.filter((v) => !v.reliable);
  if (unreliable.length > 0 && plan.scenario.thresholds != null) {
    process.stderr.write(`thresholds: judged on unreliable figures for ${unreliable.map((v) => v.name).join(', ')} — ${unreliable[0].unreliable_reasons[0] ?? 'see the notes'}\n`);
  }
  const lost = out.result.variants.filter((v) => v.integrity && !v.integrity.ok);
  if (lost.length === 0 && thresholdError) throw thresholdError;
  if (lost.length > 0) throw ERR_INTEGRITY([`${lost.map((v) => v.name).join(', ')} lost data`], lost.flatMap((v) => v.integrity!.checks.filter((c) => !c.ok).map((c) => `${v.name}: ${c.name}: expected ${c.expected}, got ${c.actual}`)));
}

export function validateCommand(files: string[]): void {
  let bad = 0;
  const all: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw ERR_FILE_READ([file, (err as Error).message]);
    }
    const { scenario, problems } = parseScenario(text, file);
    if (scenario) {
      const n = expandMatrix(scenario).length;
      process.stdout.write(`${file}: ok (${n} variant${n === 1 ? '' : 's'})\n`);
    } else {
      bad++;
      for (const p of problems) all.push(`${file}: ${p}`);
    }
  }
  if (bad > 0) throw ERR_INVALID_SCENARIO([files.length === 1 ? files[0] : `${bad} of ${files.length} scenario files`, String(all.length)], all);
}
