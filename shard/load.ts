// `bench load` as one shard of a bigger run (--shard I/N, --start-at), and/or driven by a
// scenario's load (--scenario: users, wait, rate, stages, requests, thresholds — the file a
// Kubernetes ConfigMap carries) at a gateway that runs elsewhere. The shard runs its even share
// (loadgen/split.ts, the worker threads' split), waits for the common instant, and writes a
// `gatebench/result@1` result with every histogram encoded (per-second ones too) and a `shard`
// field, ready for `bench merge`. Without --shard it is the whole load, judged by the
// scenario's thresholds (exit 99).
import { renderSeedTable } from '../reports/seed-table.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ERR_FILE_READ, ERR_INVALID_ARG, ERR_INVALID_SCENARIO } from '../lib/errors.js';
import { tryParseDurationMs } from '../lib/duration.js';
import { machineInfo } from '../lib/machine.js';
import { RESULT_SCHEMA, type RunResult } from '../lib/result.js';
import { buildLoadOptions, type LoadFlags } from '../loadgen/command.js';
import { startLoad, validateLoadOptions, type LoadOptions, type ResolvedLoadOptions } from '../loadgen/index.js';
import { maxShares, shareOf } from '../loadgen/split.js';
import { parseThresholdSpec, enforceThresholds } from '../reports/thresholds/index.js';
import { loadOptionsFor } from '../runner/load-options.js';
import { loadScenario } from '../runner/scenario-load.js';
import { loadDigest, resolveShard, resolveStartAt, waitForStart, type ShardSpec } from './spec.js';

export interface ShardLoadFlags extends LoadFlags {
  shard?: string;
  startAt?: string;
  scenario?: string;
  out?: string;
}

/** What defines the load, for the digest: header values (keys) left out. */
function digestOf(o: ResolvedLoadOptions, scenarioText: string | null): string {
  const templates = o.templates.map((t) => ({ ...t, headers: Object.keys(t.headers).sort() }));
  return loadDigest({ scenarioText, model: o.model, durationMs: o.durationMs, warmupMs: o.warmupMs, templates, recordHeaders: o.recordHeaders, overheadHeader: o.overheadHeader, seqStart: o.seqStart, seqStep: o.seqStep });
}

interface Prepared {
  options: LoadOptions;
  scenarioName: string;
  scenarioText: string | null;
  thresholds: unknown;
}

/** `cliSources`: which of --duration/--warmup/--timeout the user gave (commander's defaults must not override a scenario). */
async function prepare(url: string, f: ShardLoadFlags, cliSources: { duration: boolean; warmup: boolean; timeout: boolean }, signal: AbortSignal): Promise<Prepared> {
  if (!f.scenario) return { options: await buildLoadOptions(url, f), scenarioName: 'bench load', scenarioText: null, thresholds: undefined };
  const clash = (['users', 'spawnRate', 'wait', 'rate', 'body', 'seedBody', 'method', 'path', 'stream', 'workers'] as const).filter((k) => f[k] !== undefined);
  if (clash.length > 0) throw ERR_INVALID_ARG(['--scenario', `the scenario defines the load; drop ${clash.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`]);
  let text: string;
  try {
    text = readFileSync(f.scenario, 'utf8');
  } catch (err) {
    throw ERR_FILE_READ([f.scenario, (err as Error).message]);
  }
  const s = loadScenario(f.scenario);
  if (s.targets.length > 0) throw ERR_INVALID_SCENARIO([f.scenario, '1'], ['targets: a gateway comparison runs with bench run, not bench load --scenario']);
  const th = parseThresholdSpec(s.thresholds);
  if (th.problems.length > 0) throw ERR_INVALID_SCENARIO([f.scenario, String(th.problems.length)], th.problems);
  const targets = url.split(',').map((u) => u.trim()).filter(Boolean);
  // the gateway's key: GATEBENCH_API_KEY, else the scenario's master key (never written to the result)
  const key = process.env.GATEBENCH_API_KEY || s.proxy.masterKey;
  const o = loadOptionsFor(s, s.load.users, targets, key, signal, false);
  const options: LoadOptions = { ...o, recordRequestTimes: false };
  delete options.requestTimesCapacity;
  // flags the user gave override the scenario; a bad one is refused, not ignored
  const problems: string[] = [];
  const dur = (flag: string, v: string | undefined): number | undefined => {
    const ms = tryParseDurationMs(v);
    if (ms === null) problems.push(`--${flag}: invalid duration ${JSON.stringify(v)} (like 500ms, 30s, 5m)`);
    return ms ?? undefined;
  };
  if (cliSources.duration) options.durationMs = dur('duration', f.duration) ?? options.durationMs;
  if (cliSources.warmup) options.warmupMs = dur('warmup', f.warmup) ?? options.warmupMs;
  if (cliSources.timeout) options.requestTimeoutMs = dur('timeout', f.timeout) ?? options.requestTimeoutMs;
  if (problems.length > 0) throw ERR_INVALID_ARG(['arguments', `${problems.length} problem(s)`], problems);
  if (f.recordHeader.length > 0) options.recordHeaders = f.recordHeader;
  return { options, scenarioName: s.name, scenarioText: text, thresholds: s.thresholds };
}

function shareFor(o: ResolvedLoadOptions, shard: ShardSpec | null): ResolvedLoadOptions {
  if (!shard) return o;
  if (shard.total > maxShares(o)) throw ERR_INVALID_ARG(['--shard', `${shard.total} shards of ${maxShares(o)} users: each shard needs at least one user`]);
  return { ...shareOf(o, shard.index, shard.total), secondHistograms: true };
}

export async function shardLoadCommand(url: string, f: ShardLoadFlags, cliSources: { duration: boolean; warmup: boolean; timeout: boolean }): Promise<void> {
  const shard = resolveShard(f.shard);
  const startAt = resolveStartAt(f.startAt);
  const tag = shard ? `shard ${shard.index}/${shard.total}` : 'load';
  const log = (m: string) => process.stderr.write(`${tag}: ${m}\n`);
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  try {
    const p = await prepare(url, f, cliSources, ac.signal);
    const whole = validateLoadOptions(p.options, 'bench load');
    const share = shareFor(whole, shard);
    const started = await waitForStart(startAt, ac.signal, log);
    const run = startLoad({ ...share, signal: ac.signal, progress: process.stderr.isTTY === true && !f.json });
    const seconds: string[] = [];
    run.on('second', (_s, _t, hist) => {
      if (hist) seconds.push(hist);
    });
    const v = await run.result;
    const keepSeconds = seconds.length === v.timeseries.length;
    const result: RunResult = {
      schema: RESULT_SCHEMA,
      scenario: p.scenarioName,
      run_id: `${new Date(started.startedMs).toISOString().replace(/[:.]/g, '-').replace(/Z$/, '')}-${p.scenarioName.replace(/[^A-Za-z0-9_-]/g, '_')}${shard ? `-shard-${shard.index}-of-${shard.total}` : ''}`,
      machine: machineInfo(),
      start_time: new Date(started.startedMs).toISOString(),
      end_time: new Date().toISOString(),
      ...(ac.signal.aborted ? { partial: true } : {}),
      variants: [
        {
          ...v,
          name: 'load',
          settings: { targets: whole.targets, model: share.model.kind, overhead_header: whole.overheadHeader },
          histograms: { ...v.histograms, ...(keepSeconds ? { seconds } : {}) },
        },
      ],
      ...(shard
        ? {
            shard: {
              index: shard.index,
              total: shard.total,
              start_at: startAt === null ? null : new Date(startAt).toISOString(),
              started_at: new Date(started.startedMs).toISOString(),
              skew_ms: started.skewMs,
              load_digest: digestOf(whole, p.scenarioText),
              hostname: hostname(),
            },
          }
        : {}),
      ...(p.thresholds !== undefined ? { thresholds: p.thresholds } : {}),
    };
    if (f.out) {
      const dir = resolve(f.out);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, shard ? `shard-${shard.index}-of-${shard.total}.json` : 'result.json');
      writeFileSync(file, `${JSON.stringify(result)}\n`);
      log(`result: ${file}`);
    }
    if (f.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`${renderSeedTable(v)}\n`);
    // a shard alone is not the run: its thresholds are judged by bench merge
    if (!shard && p.thresholds !== undefined) enforceThresholds(parseThresholdSpec(p.thresholds).thresholds, result);
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}
