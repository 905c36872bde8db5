// Handlers of `bench gate` and `bench baseline update` (cli/commands/{gate,baseline}.ts only
// wire flags to these). Files and trial runs in, report files out, GB_ERR_GATE_FAILED (exit
// 99) when a figure regressed.
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ERR_GATE_FAILED, ERR_INVALID_ARG } from '../lib/errors.js';
import { parseDurationMs, tryParseDurationMs } from '../lib/duration.js';
import { MIN_TRIALS, runGate, parseTolerance, type GateReport } from './gate.js';
import { BASELINE_SCHEMA, TRIALS_SCHEMA, loadTrials, type TrialRecord, type TrialsFile } from './records.js';
import { renderGateJUnit, renderGateMarkdown, renderGateTable, summaryLine } from './render.js';
import { STATISTICS, median, type Statistic } from './stats.js';
import { SELF_DIR, runInterleaved, runTrials, type TrialOptions } from './trials.js';

export interface GateCommandOptions {
  baseline?: string;
  scenario?: string;
  baseDir?: string;
  headDir?: string;
  trials?: string;
  duration?: string;
  budget?: string;
  tolerance?: string;
  figures?: string;
  statistic?: string;
  confidence?: string;
  seed?: string;
  markdown?: string;
  junit?: string;
  saveTrials?: string;
  json?: boolean;
  unpaired?: boolean;
}

const log = (line: string): void => {
  process.stderr.write(`gate: ${line}\n`);
};

function positiveInt(flag: string, text: string | undefined, dflt: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw ERR_INVALID_ARG([flag, `expected a positive integer, found ${JSON.stringify(text)}`]);
  return n;
}

function trialOptions(flags: { scenario?: string; duration?: string; budget?: string }): TrialOptions {
  if (flags.duration !== undefined) parseDurationMs(flags.duration); // fail now, not after the first trial
  const budgetMs = flags.budget === undefined ? undefined : tryParseDurationMs(flags.budget);
  if (budgetMs === null) throw ERR_INVALID_ARG(['--budget', `expected a duration like 170s or 3m, found ${JSON.stringify(flags.budget)}`]);
  return { scenario: flags.scenario as string, duration: flags.duration, log, ...(budgetMs !== undefined ? { budgetMs } : {}) };
}

function writeFile(file: string, text: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

function trialsFile(scenario: string, trials: TrialRecord[], schema: TrialsFile['schema'], meta?: Record<string, unknown>, rounds?: string): TrialsFile {
  return { schema, scenario, created: new Date().toISOString(), ...(meta ? { meta } : {}), ...(rounds ? { rounds } : {}), trials };
}

const UNPAIRED_MISUSE = 'only means something for interleaved rounds: --base-dir, or the two files that --save-trials wrote from such a run';

/** Gets both sides' trials from files or by running them (see docs/gate.md for the modes). */
async function gatherTrials(candidates: string[], flags: GateCommandOptions): Promise<{ scenario: string; baseline: TrialRecord[]; candidate: TrialRecord[]; paired?: boolean }> {
  if (flags.scenario === undefined) {
    if (flags.baseDir !== undefined) throw ERR_INVALID_ARG(['--base-dir', 'needs --scenario (the scenario both builds run)']);
    if (candidates.length === 0) throw ERR_INVALID_ARG(['arguments', 'give candidate result files, or --scenario to run trials now']);
    if (flags.baseline === undefined) throw ERR_INVALID_ARG(['--baseline', 'required: the baseline file to compare the candidates with']);
    const cand = loadTrials(candidates);
    const base = loadTrials([flags.baseline]);
    // the two sides of one interleaved run (--save-trials): round i of each ran back to back
    const paired = cand.rounds !== undefined && cand.rounds === base.rounds;
    if (flags.unpaired && !paired) throw ERR_INVALID_ARG(['--unpaired', UNPAIRED_MISUSE]);
    return { scenario: cand.scenario, baseline: base.trials, candidate: cand.trials, paired };
  }
  if (candidates.length > 0) throw ERR_INVALID_ARG(['arguments', 'candidate files and --scenario exclude each other']);
  const rounds = positiveInt('--trials', flags.trials, 8);
  const opts = trialOptions(flags);
  const head = { label: 'head', dir: resolve(flags.headDir ?? SELF_DIR) };
  if (flags.baseDir !== undefined) {
    if (flags.baseline !== undefined) throw ERR_INVALID_ARG(['--baseline', 'with --base-dir the baseline is measured now; drop one of them']);
    log(`${rounds} interleaved trials a side: base ${resolve(flags.baseDir)} vs head ${head.dir}`);
    const [baseline, candidate] = await runInterleaved([{ label: 'base', dir: resolve(flags.baseDir) }, head], rounds, opts);
    // round i of each side ran back to back: the gate pairs them (GateOptions.paired)
    return { scenario: flags.scenario, baseline, candidate, paired: true };
  }
  if (flags.baseline === undefined) throw ERR_INVALID_ARG(['--baseline', 'required with --scenario unless --base-dir gives a base build to run']);
  const baseline = loadTrials([flags.baseline]).trials;
  return { scenario: flags.scenario, baseline, candidate: await runTrials(head, rounds, opts) };
}

export async function gateCommand(candidates: string[], flags: GateCommandOptions): Promise<GateReport> {
  const tolerance = flags.tolerance === undefined ? 0.1 : parseTolerance(flags.tolerance);
  if (flags.statistic !== undefined && !STATISTICS.includes(flags.statistic as Statistic)) {
    throw ERR_INVALID_ARG(['--statistic', `expected one of ${STATISTICS.join(', ')}, found ${JSON.stringify(flags.statistic)}`]);
  }
  let confidence: number | undefined;
  if (flags.confidence !== undefined) {
    confidence = Number(flags.confidence.replace(/%$/, '')) / (flags.confidence.endsWith('%') ? 100 : 1);
    if (!(confidence > 0.5 && confidence < 1)) throw ERR_INVALID_ARG(['--confidence', `expected a level like 95% or 0.95, found ${JSON.stringify(flags.confidence)}`]);
  }
  const figures = flags.figures?.split(',').map((s) => s.trim()).filter(Boolean);
  const seed = flags.seed === undefined ? undefined : positiveInt('--seed', flags.seed, 1);
  // running trials against a committed baseline: say so before the first trial, not after the last
  if (flags.unpaired && flags.scenario !== undefined && flags.baseDir === undefined) throw ERR_INVALID_ARG(['--unpaired', UNPAIRED_MISUSE]);
  const { scenario, baseline, candidate, paired } = await gatherTrials(candidates, flags);
  if (flags.saveTrials !== undefined) {
    mkdirSync(flags.saveTrials, { recursive: true });
    // one id on both files keeps the rounds' pairing when the files are gated again
    const rounds = paired ? `${new Date().toISOString()}-${randomUUID().slice(0, 8)}` : undefined;
    writeFileSync(join(flags.saveTrials, 'baseline.trials.json'), JSON.stringify(trialsFile(scenario, baseline, TRIALS_SCHEMA, undefined, rounds), null, 2) + '\n');
    writeFileSync(join(flags.saveTrials, 'candidate.trials.json'), JSON.stringify(trialsFile(scenario, candidate, TRIALS_SCHEMA, undefined, rounds), null, 2) + '\n');
  }
  const report = runGate(baseline, candidate, { tolerance, figures, seed, confidence, statistic: flags.statistic as Statistic | undefined, paired: paired === true && !flags.unpaired });
  const table = renderGateTable(report);
  if (flags.json) {
    process.stderr.write(table);
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    process.stdout.write(table);
  }
  const md = renderGateMarkdown(report, `gatebench performance gate${scenario ? `: ${scenario}` : ''}`);
  if (flags.markdown !== undefined) writeFile(flags.markdown, md);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, md + '\n');
  if (flags.junit !== undefined) writeFile(flags.junit, renderGateJUnit(report));
  if (report.figures.every((f) => f.verdict === 'insufficient data')) {
    // a gate that can judge nothing must not look green: that is the blind gate the issue is about
    throw ERR_INVALID_ARG(['input', `too few trials to judge any figure (at least ${MIN_TRIALS} a side)`], [
      `baseline: ${report.figures[0]?.n_baseline ?? 0} trial(s), candidate: ${report.figures[0]?.n_candidate ?? 0} trial(s)`,
    ]);
  }
  if (!report.passed) throw ERR_GATE_FAILED([summaryLine(report).replace(/^gate FAILED: /, '')]);
  return report;
}

export interface BaselineUpdateOptions {
  trials?: string;
  duration?: string;
  name?: string;
  dir?: string;
  from?: string[];
}

/** `bench baseline update <scenario>`: N trials of this build (or --from result files) → reports/baselines/<name>.json. */
export async function baselineUpdateCommand(scenario: string, flags: BaselineUpdateOptions): Promise<string> {
  const name = flags.name ?? basename(scenario, extname(scenario));
  if (!/^[\w.-]+$/.test(name)) throw ERR_INVALID_ARG(['--name', `use letters, digits, . _ - only, found ${JSON.stringify(name)}`]);
  let trials: TrialRecord[];
  if (flags.from !== undefined && flags.from.length > 0) {
    trials = loadTrials(flags.from).trials;
  } else {
    const n = positiveInt('--trials', flags.trials, 10);
    trials = await runTrials({ label: 'baseline', dir: SELF_DIR }, n, trialOptions({ scenario, duration: flags.duration }));
  }
  if (trials.length === 0) throw ERR_INVALID_ARG(['input', 'no trials to write']);
  const file = join(flags.dir ?? 'reports/baselines', `${name}.json`);
  const meta = { tool: 'gatebench', commit: process.env.GITHUB_SHA ?? null, duration: flags.duration ?? null, node: process.version };
  writeFile(file, JSON.stringify(trialsFile(name, trials, BASELINE_SCHEMA, meta), null, 2) + '\n');
  const figs = [...new Set(trials.flatMap((t) => Object.keys(t.figures)))];
  const medians = figs.map((f) => {
    const xs = trials.map((t) => t.figures[f]).filter((x): x is number => typeof x === 'number');
    return xs.length ? `${f} ${median(xs).toPrecision(4)}` : `${f} –`;
  });
  process.stderr.write(`wrote ${file}: ${trials.length} trial(s); medians: ${medians.join(', ')}\n`);
  return file;
}
