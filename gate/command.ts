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

function trialOptions(o: { scenario?: string; duration?: string; budget?: string }): TrialOptions {
  if (o.duration !== undefined) parseDurationMs(o.duration); // fail now, not after the first trial
  const budgetMs = o.budget === undefined ? undefined : tryParseDurationMs(o.budget);
  if (budgetMs === null) throw ERR_INVALID_ARG(['--budget', `expected a duration like 170s or 3m, found ${JSON.stringify(o.budget)}`]);
  return { scenario: o.scenario as string, duration: o.duration, log, ...(budgetMs !== undefined ? { budgetMs } : {}) };
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
async function gatherTrials(candidates: string[], o: GateCommandOptions): Promise<{ scenario: string; baseline: TrialRecord[]; candidate: TrialRecord[]; paired?: boolean }> {
  if (o.scenario === undefined) {
    if (o.baseDir !== undefined) throw ERR_INVALID_ARG(['--base-dir', 'needs --scenario (the scenario both builds run)']);
    if (candidates.length === 0) throw ERR_INVALID_ARG(['arguments', 'give candidate result files, or --scenario to run trials now']);
    if (o.baseline === undefined) throw ERR_INVALID_ARG(['--baseline', 'required: the baseline file to compare the candidates with']);
    const cand = loadTrials(candidates);
    const base = loadTrials([o.baseline]);
    // the two sides of one interleaved run (--save-trials): round i of each ran back to back
    const paired = cand.rounds !== undefined && cand.rounds === base.rounds;
    if (o.unpaired && !paired) throw ERR_INVALID_ARG(['--unpaired', UNPAIRED_MISUSE]);
    return { scenario: cand.scenario, baseline: base.trials, candidate: cand.trials, paired };
  }
  if (candidates.length > 0) throw ERR_INVALID_ARG(['arguments', 'candidate files and --scenario exclude each other']);
  const rounds = positiveInt('--trials', o.trials, 8);
  const opts = trialOptions(o);
  const head = { label: 'head', dir: resolve(o.headDir ?? SELF_DIR) };
  if (o.baseDir !== undefined) {
    if (o.baseline !== undefined) throw ERR_INVALID_ARG(['--baseline', 'with --base-dir the baseline is measured now; drop one of them']);
    log(`${rounds} interleaved trials a side: base ${resolve(o.baseDir)} vs head ${head.dir}`);
    const [baseline, candidate] = await runInterleaved([{ label: 'base', dir: resolve(o.baseDir) }, head], rounds, opts);
    // round i of each side ran back to back: the gate pairs them (GateOptions.paired)
    return { scenario: o.scenario, baseline, candidate, paired: true };
  }
  if (o.baseline === undefined) throw ERR_INVALID_ARG(['--baseline', 'required with --scenario unless --base-dir gives a base build to run']);
  const baseline = loadTrials([o.baseline]).trials;
  return { scenario: o.scenario, baseline, candidate: await runTrials(head, rounds, opts) };
}

export async function gateCommand(candidates: string[], o: GateCommandOptions): Promise<GateReport> {
  const tolerance = o.tolerance === undefined ? 0.1 : parseTolerance(o.tolerance);
  if (o.statistic !== undefined && !STATISTICS.includes(o.statistic as Statistic)) {
    throw ERR_INVALID_ARG(['--statistic', `expected one of ${STATISTICS.join(', ')}, found ${JSON.stringify(o.statistic)}`]);
  }
  let confidence: number | undefined;
  if (o.confidence !== undefined) {
    confidence = Number(o.confidence.replace(/%$/, '')) / (o.confidence.endsWith('%') ? 100 : 1);
    if (!(confidence > 0.5 && confidence < 1)) throw ERR_INVALID_ARG(['--confidence', `expected a level like 95% or 0.95, found ${JSON.stringify(o.confidence)}`]);
  }
  const figures = o.figures?.split(',').map((s) => s.trim()).filter(Boolean);
  const seed = o.seed === undefined ? undefined : positiveInt('--seed', o.seed, 1);
  // running trials against a committed baseline: say so before the first trial, not after the last
  if (o.unpaired && o.scenario !== undefined && o.baseDir === undefined) throw ERR_INVALID_ARG(['--unpaired', UNPAIRED_MISUSE]);
  const { scenario, baseline, candidate, paired } = await gatherTrials(candidates, o);
  if (o.saveTrials !== undefined) {
    mkdirSync(o.saveTrials, { recursive: true });
    // one id on both files keeps the rounds' pairing when the files are gated again
    const rounds = paired ? `${new Date().toISOString()}-${randomUUID().slice(0, 8)}` : undefined;
    writeFileSync(join(o.saveTrials, 'baseline.trials.json'), JSON.stringify(trialsFile(scenario, baseline, TRIALS_SCHEMA, undefined, rounds), null, 2) + '\n');
    writeFileSync(join(o.saveTrials, 'candidate.trials.json'), JSON.stringify(trialsFile(scenario, candidate, TRIALS_SCHEMA, undefined, rounds), null, 2) + '\n');
  }
  const report = runGate(baseline, candidate, { tolerance, figures, seed, confidence, statistic: o.statistic as Statistic | undefined, paired: paired === true && !o.unpaired });
  const table = renderGateTable(report);
  if (o.json) {
    process.stderr.write(table);
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    process.stdout.write(table);
  }
  const md = renderGateMarkdown(report, `gatebench performance gate${scenario ? `: ${scenario}` : ''}`);
  if (o.markdown !== undefined) writeFile(o.markdown, md);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, md + '\n');
  if (o.junit !== undefined) writeFile(o.junit, renderGateJUnit(report));
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
export async function baselineUpdateCommand(scenario: string, o: BaselineUpdateOptions): Promise<string> {
  const name = o.name ?? basename(scenario, extname(scenario));
  if (!/^[\w.-]+$/.test(name)) throw ERR_INVALID_ARG(['--name', `use letters, digits, . _ - only, found ${JSON.stringify(name)}`]);
  let trials: TrialRecord[];
  if (o.from !== undefined && o.from.length > 0) {
    trials = loadTrials(o.from).trials;
  } else {
    const n = positiveInt('--trials', o.trials, 10);
    trials = await runTrials({ label: 'baseline', dir: SELF_DIR }, n, trialOptions({ scenario, duration: o.duration }));
  }
  if (trials.length === 0) throw ERR_INVALID_ARG(['input', 'no trials to write']);
  const file = join(o.dir ?? 'reports/baselines', `${name}.json`);
  const meta = { tool: 'gatebench', commit: process.env.GITHUB_SHA ?? null, duration: o.duration ?? null, node: process.version };
  writeFile(file, JSON.stringify(trialsFile(name, trials, BASELINE_SCHEMA, meta), null, 2) + '\n');
  const figs = [...new Set(trials.flatMap((t) => Object.keys(t.figures)))];
  const medians = figs.map((f) => {
    const xs = trials.map((t) => t.figures[f]).filter((x): x is number => typeof x === 'number');
    return xs.length ? `${f} ${median(xs).toPrecision(4)}` : `${f} –`;
  });
  process.stderr.write(`wrote ${file}: ${trials.length} trial(s); medians: ${medians.join(', ')}\n`);
  return file;
}
