// The trial driver: runs short `bench run --json` trials and reduces each to a TrialRecord.
// Each trial is a child process of the side's OWN build (`<dir>/dist/cli/bench.js`), not an
// in-process runScenario(): base and head must each run their own proxy code, and a fresh
// process per trial keeps one trial's JIT/GC state out of the next, so trials are independent.
// Sides alternate A B B A A B … so a drift in the machine (a neighbour job starting) lands on
// both sides evenly instead of on whichever side ran last.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERR_INVALID_ARG, ERR_TRIAL_FAILED } from '../lib/errors.js';
import { EXIT_INTERRUPTED } from '../lib/exit-codes.js';
import { RESULT_SCHEMA, type RunResult } from '../lib/result.js';
import { MIN_TRIALS } from './gate.js';
import { trialsFromRunResult, type TrialRecord } from './records.js';

/** This package's root (the build that is running now). */
export const SELF_DIR = fileURLToPath(new URL('../../', import.meta.url));

export interface TrialSide {
  label: string;
  /** a checkout with a build: `<dir>/dist/cli/bench.js` */
  dir: string;
  /** extra environment, e.g. { GATEBENCH_INJECT_CPU_US: '12' } for a deliberately slowed side */
  env?: Record<string, string>;
}

export interface TrialOptions {
  scenario: string;
  /** per-trial `bench run --duration` */
  duration?: string;
  /** extra `bench run` arguments */
  args?: string[];
  /** kill a trial that takes longer (default 180 s) */
  timeoutMs?: number;
  /**
   * wall-time budget of all the rounds (ms): no round is started that would, at the pace of the
   * longest round so far, end past it — once `minRounds` rounds are in. Unbounded when absent.
   */
  budgetMs?: number;
  /** rounds that run whatever the budget (default MIN_TRIALS, the fewest a side the gate judges) */
  minRounds?: number;
  log?: (line: string) => void;
}

function benchJs(dir: string): string {
  const js = resolve(dir, 'dist/cli/bench.js');
  if (!existsSync(js)) throw ERR_INVALID_ARG(['directory', `${dir} has no build (dist/cli/bench.js): run npm ci && npm run build there`]);
  return js;
}

/** One `bench run <scenario> --json` of the given build; resolves with the RunResult. */
export async function runBenchJson(side: TrialSide, opts: TrialOptions): Promise<RunResult> {
  const js = benchJs(side.dir);
  // the trial's report files are not wanted (the JSON comes on stdout): keep them out of results/
  const out = mkdtempSync(join(tmpdir(), 'gatebench-trial-'));
  let interrupted = false;
  const args = [js, 'run', resolve(opts.scenario), '--json', '--out', out, ...(opts.duration ? ['--duration', opts.duration] : []), ...(opts.args ?? [])];
  return new Promise<RunResult>((resolveRun, reject) => {
    const child = spawn(process.execPath, args, { cwd: side.dir, env: { ...process.env, ...side.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    // Ctrl-C or a CI timeout's SIGTERM: the trial tears its own stack down (bench run handles
    // both); wait for it, remove its output dir, then leave with 130 — rather than die at once
    // and leave the dir (and, on a SIGTERM sent to this process alone, a trial still running).
    const onSignal = (sig: NodeJS.Signals) => {
      interrupted = true;
      child.kill(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    child.once('close', () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
    const out: Buffer[] = [];
    let errTail = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      errTail = (errTail + b.toString('utf8')).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs ?? 180_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = Buffer.concat(out).toString('utf8');
      // 99 = the scenario's own thresholds failed: the trial is still a measurement
      if (code !== 0 && code !== 99) {
        reject(ERR_TRIAL_FAILED([`${side.label} trial`, `bench run exited with ${code ?? signal}`], errTail.trim().split('\n').slice(-10)));
        return;
      }
      try {
        const r = JSON.parse(text) as RunResult;
        if (r.schema !== RESULT_SCHEMA) throw new Error(`schema ${JSON.stringify(r.schema)}`);
        resolveRun(r);
      } catch (err) {
        reject(ERR_TRIAL_FAILED([`${side.label} trial`, `bench run --json printed no result (${(err as Error).message})`], errTail.trim().split('\n').slice(-10)));
      }
    });
  }).finally(() => {
    rmSync(out, { recursive: true, force: true });
    if (interrupted) process.exit(EXIT_INTERRUPTED);
  });
}

/** The order of sides for n rounds: A B, B A, A B … (ABBA counterbalancing). */
export function interleaveOrder(rounds: number): Array<0 | 1> {
  const order: Array<0 | 1> = [];
  for (let i = 0; i < rounds; i++) order.push(...(i % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const)));
  return order;
}

/**
 * Whether to start round `done + 1` of `rounds`: always below `minRounds`, else only when it
 * would end within the budget at the pace of the longest round so far. The longest, not the
 * mean: a runner slowed by a neighbour stays slow for a while, and ending a round or two early
 * costs the gate little power, while overrunning costs the whole job its time limit.
 */
export function startNextRound(done: number, rounds: number, elapsedMs: number, longestRoundMs: number, budgetMs?: number, minRounds = MIN_TRIALS): boolean {
  if (done >= rounds) return false;
  if (done < minRounds || budgetMs === undefined) return true;
  return elapsedMs + longestRoundMs <= budgetMs;
}

/**
 * Runs `round(i)` for i = 0 … rounds-1 while startNextRound allows it. The one place the
 * budget is kept, for both drivers below.
 */
async function runRounds(rounds: number, opts: TrialOptions, round: (i: number) => Promise<void>): Promise<void> {
  const t0 = Date.now();
  let longest = 0;
  let done = 0;
  while (startNextRound(done, rounds, Date.now() - t0, longest, opts.budgetMs, opts.minRounds)) {
    const r0 = Date.now();
    await round(done);
    longest = Math.max(longest, Date.now() - r0);
    done++;
  }
  if (done < rounds) {
    opts.log?.(`stopped after ${done} of ${rounds} rounds: another would end past the ${((opts.budgetMs ?? 0) / 1000).toFixed(0)} s budget (${((Date.now() - t0) / 1000).toFixed(0)} s so far)`);
  }
}

/**
 * Runs up to `rounds` trials of each side, interleaved, within `opts.budgetMs`; one record per
 * trial (labels `base-3`, `head-3`). Stops only between rounds, so both sides have as many
 * trials and round i's pair stays intact.
 */
export async function runInterleaved(
  sides: [TrialSide, TrialSide],
  rounds: number,
  opts: TrialOptions,
): Promise<[TrialRecord[], TrialRecord[]]> {
  const got: [TrialRecord[], TrialRecord[]] = [[], []];
  const order = interleaveOrder(rounds);
  await runRounds(rounds, opts, async (r) => {
    for (let i = 2 * r; i < 2 * r + 2; i++) {
      const side = sides[order[i]];
      const n = got[order[i]].length + 1;
      opts.log?.(`trial ${i + 1}/${order.length}: ${side.label} #${n}`);
      got[order[i]].push(...trialsFromRunResult(await runBenchJson(side, opts), `${side.label}-${n}`));
    }
  });
  return got;
}

/**
 * Runs up to `n` trials of one side in a row (`bench baseline update`, and a gate against a
 * committed baseline), within `opts.budgetMs`: here a round is one trial.
 */
export async function runTrials(side: TrialSide, n: number, opts: TrialOptions): Promise<TrialRecord[]> {
  const out: TrialRecord[] = [];
  await runRounds(n, opts, async (i) => {
    opts.log?.(`trial ${i + 1}/${n}: ${side.label}`);
    out.push(...trialsFromRunResult(await runBenchJson(side, opts), `${side.label}-${i + 1}`));
  });
  return out;
}
