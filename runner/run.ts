// `bench run`: a whole scenario. Loads and validates it, expands the variants, checks
// every prerequisite before starting anything, then runs one variant (or, with
// `compare.interleave: false`, each in turn) on one upstream and PostgreSQL with a fresh proxy —
// or a matrix's variants side by side in rounds (runner/interleave). Teardown runs in reverse
// order on success, error and Ctrl-C (which also writes the partial result); nothing —
// process or temp dir — is left behind.
import { EXIT_INTERRUPTED } from '../lib/exit-codes.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { machineInfo } from '../lib/machine.js';
import { RESULT_SCHEMA, type InterleavedExtras, type RunResult, type VariantResult } from '../lib/result.js';
import { renderHtml } from '../reports/html.js';
import { renderMarkdown } from '../reports/markdown.js';
import { expandMatrix, filterVariants, type Variant } from './matrix.js';
import { applyOverrides, loadScenario, type Overrides, type Scenario } from './scenario-load.js';
import { startPostgres, type PostgresHandle } from './services/postgres.js';
import { planRedis, type RedisPlan } from './services/redis.js';
import { buildProxyConfig, callbackEnv } from './services/proxy.js';
import { parseProxyConfig } from '../proxy/config.js';
import { Registry } from './services/registry.js';
import { startUpstream, type UpstreamHandle } from './services/upstream.js';
import { runVariant } from './variant.js';
import { runInterleaved } from './interleave/run.js';
import { interleaves } from './interleave/plan.js';
import { shardInfo, type ShardRun } from '../shard/run-share.js';
import { hostname } from 'node:os';

export interface RunOptions {
  file: string;
  overrides?: Overrides;
  variants?: string;
  /** output directory; default results/<run-id> */
  out?: string;
  progress?: boolean;
  log?: (m: string) => void;
  /** aborts the run (Ctrl-C does this too when handleSigint is set) */
  signal?: AbortSignal;
  handleSigint?: boolean;
  /** bench run --shard: one share of the load (one variant), written with a `shard` field for bench merge */
  shard?: ShardRun;
  /** the same load straight to the upstream before each variant (default true) */
  directBaseline?: boolean;
}

export interface RunOutcome {
  result: RunResult;
  dir: string;
  files: string[];
  interrupted: boolean;
  errors: string[];
}

/** The fields every result of a run begins with: the run's identity, machine and times (`partial` when cut short). */
export function resultHead(scenarioFile: string, runId: string, start: Date, partial: boolean, machine = machineInfo()): Omit<RunResult, 'variants'> {
  return {
    schema: RESULT_SCHEMA,
    scenario: scenarioFile,
    run_id: runId,
    machine,
    start_time: start.toISOString(),
    end_time: new Date().toISOString(),
    ...(partial ? { partial: true } : {}),
  };
}

export function makeRunId(name: string, now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-').replace(/Z$/, '')}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export interface Plan {
  scenario: Scenario;
  variants: Variant[];
  redis: RedisPlan[];
}

/** Everything that can be known before starting a process: throws on a bad scenario, filter or missing tool. */
export function planRun(file: string, overrides: Overrides = {}, filter?: string, env: NodeJS.ProcessEnv = process.env): Plan {
  const scenario = applyOverrides(loadScenario(file, env), overrides);
  const variants = filterVariants(expandMatrix(scenario), filter);
  const redis = variants.map((v) => planRedis(v.settings.redis, env));
  // a proxy config given by path is read now, so a typo fails before anything starts
  // and every proxy config (by path or inline) is validated as the proxy will, with every
  // problem listed and exit 2 — not after PostgreSQL and the upstream have started
  if (scenario.proxy.config !== null) validateProxyConfig(scenario.proxy.config, scenario.proxy.masterKey);
  return { scenario, variants, redis };
}

function validateProxyConfig(config: string | Record<string, unknown>, masterKey: string): void {
  const placeholder = 'http://127.0.0.1:1';
  const cfg = buildProxyConfig({ config, upstreamUrl: placeholder, databaseUrl: 'postgres://127.0.0.1:1/gatebench', redis: null, callbacks: [], masterKey });
  // the variables the runner sets for the proxy (callbackEnv) are set for the check too
  const env = callbackEnv(placeholder);
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(env)) {
    saved[k] = process.env[k];
    process.env[k] ??= env[k];
  }
  try {
    parseProxyConfig(cfg, typeof config === 'string' ? config : 'proxy.config');
  } finally {
    for (const k of Object.keys(saved)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

export function writeResultFiles(result: RunResult, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, 'result.json'), join(dir, 'report.md'), join(dir, 'report.html')];
  writeFileSync(files[0], `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(files[1], renderMarkdown(result));
  writeFileSync(files[2], renderHtml(result));
  return files;
}

export async function runScenario(opts: RunOptions): Promise<RunOutcome> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const plan = planRun(opts.file, opts.overrides, opts.variants);
  const { scenario } = plan;
  const machine = machineInfo();
  const start = new Date();
  // a shard's own id: shards sharing one PostgreSQL get variant databases of their own
  const runId = `${makeRunId(scenario.name, start)}${opts.shard ? `-shard-${opts.shard.spec.index}-of-${opts.shard.spec.total}` : ''}`;
  const outDir = resolve(opts.out ?? join('results', runId));
  const ac = new AbortController();
  let interrupted = false;
  const onAbort = () => {
    interrupted = true;
    ac.abort();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let sigints = 0;
  const registry = new Registry();
  const onSigint = () => {
    sigints++;
    if (sigints === 1) {
      log('interrupted: stopping the load, tearing everything down and writing the partial result (Ctrl-C again to kill now)');
      onAbort();
    } else {
      registry.killSync();
      process.exit(EXIT_INTERRUPTED);
    }
  };
  // SIGTERM (a CI job's timeout) ends a run the same way as Ctrl-C
  if (opts.handleSigint) {
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
  }

  const results: VariantResult[] = [];
  const errors: string[] = [];
  let failure: unknown = null;
  let interleaved: InterleavedExtras | null = null;
  try {
    const dir = await mkdtemp(join(tmpdir(), 'gb-run-'));
    registry.trackDir(dir);
    log(`run ${runId}: ${plan.variants.length} variant(s) of ${scenario.file} (temp ${dir})`);
    if (interleaves(plan.variants.length, scenario.compare, opts.shard !== undefined)) {
      // a matrix: variants side by side in rounds, so their differences are paired (runner/interleave)
      const out = await runInterleaved(plan, { registry, runId: runId.replace(/[^A-Za-z0-9]/g, '').slice(-24), dir, cpus: machine.cpus, signal: ac.signal, directBaseline: opts.directBaseline ?? true, log });
      results.push(...out.variants);
      interleaved = out.interleaved;
    }
    const postgres = new Map<string, PostgresHandle>();
    let upstream: UpstreamHandle | null = null;
    for (let i = 0; i < plan.variants.length && !ac.signal.aborted && interleaved === null; i++) {
      const v = plan.variants[i];
      log(`── variant ${i + 1}/${plan.variants.length}: ${v.name}`);
      let pg = postgres.get(v.settings.database);
      if (!pg) {
        pg = await startPostgres(registry, v.settings.database, log);
        postgres.set(v.settings.database, pg);
      }
      if (!upstream || upstream.latency !== v.settings.latency) {
        await upstream?.stop();
        upstream = await startUpstream(registry, scenario.upstream, v.settings.latency, log);
      }
      if (ac.signal.aborted) break;
      results.push(
        await runVariant(v, {
          scenario,
          registry,
          upstream,
          postgres: pg,
          redisPlan: plan.redis[i],
          runId: runId.replace(/[^A-Za-z0-9]/g, '').slice(-24),
          index: i,
          dir,
          cpus: machine.cpus,
          signal: ac.signal,
          progress: opts.progress ?? false,
          directBaseline: opts.directBaseline ?? true,
          log,
          ...(opts.shard ? { shard: opts.shard } : {}),
        }),
      );
    }
  } catch (err) {
    failure = err;
  } finally {
    errors.push(...(await registry.teardown()));
    if (opts.handleSigint) {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
    opts.signal?.removeEventListener('abort', onAbort);
  }
  for (const e of errors) log(`teardown: ${e}`);
  const result: RunResult = {
    ...resultHead(scenario.file, runId, start, Boolean(interrupted || failure), machine),
    variants: results,
    ...(interleaved ? { interleaved } : {}),
    ...(opts.shard && shardInfo(opts.shard, hostname()) ? { shard: shardInfo(opts.shard, hostname()), thresholds: scenario.thresholds } : {}),
  };
  if (failure) {
    // keep what was measured before the failure, then report the failure itself
    if (results.length > 0) writeResultFiles(result, outDir);
    throw failure;
  }
  const files = writeResultFiles(result, outDir);
  return { result, dir: outDir, files, interrupted, errors };
}
