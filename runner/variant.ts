// One variant: reset the upstream's counters, start a fresh proxy on a fresh database (and
// Redis), do the seed's setup through the API, run the load (warm-up, then the measured
// window) while sampling the gateway's CPU and RSS from /proc, stop the proxy (it drains
// and flushes), then check integrity: spend rows and callback events = requests answered.
import { sampleProcesses } from '../lib/proc-stats.js';
import { RigSampler } from '../lib/rig/sampler.js';
import { withRig } from '../lib/rig/verdict.js';
import { overheadOverDirect } from '../lib/rig/direct.js';
import { steadyWindow } from '../lib/rig/steady-window.js';
import { directResult, emptyDirect, runDirectHalf } from './direct-baseline.js';
import { rigComponents } from './rig-components.js';
import { failureCount, type Percentiles, type VariantResult } from '../lib/result.js';
import { percentilesOf, startLoad, type LoadRun, type RequestTimes } from '../loadgen/index.js';
import { fetchLedger, ledgerOverhead, type LedgerFetch } from './targets/ledger-overhead.js';
import type { LedgerRow } from './targets/types.js';
import { loadOptionsFor } from './load-options.js';
import type { Variant } from './matrix.js';
import type { Scenario } from './scenario-load.js';
import { variantDatabase, type PostgresHandle } from './services/postgres.js';
import { setupThroughApi, startProxy } from './services/proxy.js';
import { startRedis, type RedisPlan } from './services/redis.js';
import type { Registry } from './services/registry.js';
import { modelRequests, type UpstreamHandle, type UpstreamStats } from './services/upstream.js';
import { collectSeconds, shardShare, type ShardRun } from '../shard/run-share.js';
import { waitForStart } from '../shard/spec.js';

export interface VariantContext {
  scenario: Scenario;
  registry: Registry;
  upstream: UpstreamHandle;
  postgres: PostgresHandle;
  redisPlan: RedisPlan;
  runId: string;
  index: number;
  dir: string;
  cpus: number;
  signal: AbortSignal;
  progress: boolean;
  /** run the direct baseline before the variant's load (default true) */
  directBaseline?: boolean;
  log: (m: string) => void;
  /** bench run --shard: run this share of the load, from the --start-at instant */
  shard?: ShardRun;
}

const SAMPLE_MS = 500;

const SINK_OF: Record<string, keyof UpstreamStats['sinks']> = { gcs_bucket: 'gcs', langsmith: 'langsmith', webhook: 'webhook' };

/**
 * Upstream requests that were repeats of a request the gateway had already sent: retries reach
 * the upstream again with the same request id (its ledger shows the duplicates), and requests
 * the upstream hung on were retried after the timeout (hangs never reach the ledger). The
 * gateway answered the client once for all of them, and writes one spend row.
 */
export function retriedAttempts(ledger: readonly LedgerRow[] | null, stats: UpstreamStats): number {
  let repeats = 0;
  if (ledger !== null) {
    const ids = new Set<string>();
    for (const e of ledger) {
      if (e.id === null) continue;
      if (ids.has(e.id)) repeats++;
      else ids.add(e.id);
    }
  }
  return repeats + (stats.byStatus.hang ?? 0);
}

export function integrityChecks(stats: UpstreamStats, spendRows: number, callbacks: string[], retried = 0): NonNullable<VariantResult['integrity']> {
  const items = { gcs: stats.sinks.gcs?.items ?? 0, langsmith: stats.sinks.langsmith?.items ?? 0, webhook: stats.sinks.webhook?.items ?? 0 };
  return integrityOf(modelRequests(stats) - retried, items, spendRows, callbacks);
}

/** Spend rows and every callback's events against the requests the gateway answered. */
export function integrityOf(answered: number, sinkItems: Record<keyof UpstreamStats['sinks'], number>, spendRows: number, callbacks: string[]): NonNullable<VariantResult['integrity']> {
  const checks = [{ name: 'spend log rows = requests answered', expected: answered, actual: spendRows, ok: spendRows === answered }];
  for (const cb of callbacks) {
    const sink = SINK_OF[cb];
    if (!sink) continue;
    const got = sinkItems[sink] ?? 0;
    checks.push({ name: `${cb} events = requests answered`, expected: answered, actual: got, ok: got === answered });
  }
  return { ok: checks.every((c) => c.ok), checks };
}

/** The gateway's overhead measured without its help: client times joined with the upstream's ledger. */
function ledgerOverheadMs(ledger: LedgerFetch | null, times: RequestTimes | null, notes: string[]): Percentiles | null {
  if (!ledger || !times || times.count === 0) return null;
  const o = ledgerOverhead(times, ledger.entries);
  if (o.unmatched > 0 || ledger.dropped > 0) notes.push(`ledger overhead: ${o.unmatched} request(s) not found in the upstream's ledger${ledger.dropped ? `, ${ledger.dropped} ledger entries dropped` : ''}`);
  return o.matched > 0 ? percentilesOf(o.total) : null;
}

async function readLedger(upstreamUrl: string, notes: string[]): Promise<LedgerFetch | null> {
  try {
    return await fetchLedger(upstreamUrl);
  } catch (err) {
    notes.push(`the upstream's ledger could not be read: ${(err as Error).message}`);
    return null;
  }
}

export async function runVariant(v: Variant, ctx: VariantContext): Promise<VariantResult> {
  const { scenario: s, registry, upstream, log } = ctx;
  const notes: string[] = [];
  if (v.settings.instances > ctx.cpus) {
    notes.push(`${v.settings.instances} instances on ${ctx.cpus} CPU cores: instances outnumber cores (and share them with the load generator and the upstream), so latency includes CPU contention`);
  }
  await upstream.reset();
  const db = await variantDatabase(ctx.postgres, `${ctx.runId}_${ctx.index}`, log);
  const dropDb = registry.add('variant database', () => db.drop());
  const redis = await startRedis(registry, ctx.redisPlan, log);
  const proxy = await startProxy(registry, {
    config: s.proxy.config,
    instances: v.settings.instances,
    upstreamUrl: upstream.url,
    databaseUrl: db.url,
    redis,
    callbacks: v.settings.callbacks,
    masterKey: s.proxy.masterKey,
    dir: ctx.dir,
    log,
  });
  const key = await setupThroughApi(proxy, { masterKey: s.proxy.masterKey, upstreamUrl: upstream.url, model: s.proxy.setup.model, key: s.proxy.setup.key });
  const withDirect = ctx.directBaseline !== false;
  const directAcc = emptyDirect();
  if (withDirect) {
    await runDirectHalf(directAcc, s, v.settings.users, upstream.url, key, ctx.signal, log, 'before');
    // the baseline's requests are no gateway's: integrity and the ledger start after it
    await upstream.reset();
  }

  const loadOptions = loadOptionsFor(s, v.settings.users, proxy.urls, key, ctx.signal, ctx.progress);
  const share = ctx.shard ? shardShare(loadOptions, ctx.shard.spec) : loadOptions;
  if (ctx.shard) ctx.shard.started = await waitForStart(ctx.shard.startAt, ctx.signal, log);

  // CPU is charged over the measured window only; RSS peaks over the whole variant.
  let peakRss = 0;
  let cpuStart: number | null = null;
  const sampler = setInterval(() => {
    const x = sampleProcesses([proxy.pid]);
    if (x.rssBytes > peakRss) peakRss = x.rssBytes;
  }, SAMPLE_MS);
  // the rig: every component's CPU and the machine's, once a second (lib/rig)
  const rig = new RigSampler(
    rigComponents({ proxyPids: proxy.pids, proxyPrimary: proxy.pid, upstreamPid: upstream.pid, postgres: ctx.postgres, redisPid: redis?.pid ?? null }),
    { cores: ctx.cpus, warmupS: s.warmup.durationMs / 1000 },
  ).start();
  const warmTimer = setTimeout(() => {
    cpuStart = sampleProcesses([proxy.pid]).cpuUs;
    rig.markMeasured();
  }, s.warmup.durationMs);
  if (s.warmup.durationMs === 0) {
    cpuStart = sampleProcesses([proxy.pid]).cpuUs;
    rig.markMeasured();
  }
  log(`load: ${s.load.model === 'closed' ? `${v.settings.users} users, spawn rate ${s.load.spawnRate}/s` : 'open model'}, warm-up ${s.warmup.durationMs / 1000} s, measured ${s.load.durationMs / 1000} s`);
  let result: VariantResult;
  let cpuEnd: number;
  let times: ReturnType<LoadRun['requestTimes']> = null;
  let rigSection = null;
  try {
    const run = startLoad(share);
    const seconds = ctx.shard ? collectSeconds(run) : null;
    result = await run.result;
    const kept = seconds?.(result.timeseries);
    if (kept) result = { ...result, histograms: { ...result.histograms, seconds: kept } };
    cpuEnd = sampleProcesses([proxy.pid]).cpuUs;
    rigSection = rig.stop(result.requests - failureCount(result.failures));
    times = run.requestTimes();
  } finally {
    clearTimeout(warmTimer);
    clearInterval(sampler);
    rig.cancel();
  }
  const last = sampleProcesses([proxy.pid]);
  if (last.rssBytes > peakRss) peakRss = last.rssBytes;

  // Stop the proxy: SIGTERM drains and flushes spend logs and callbacks, then count.
  const code = await proxy.stop();
  if (code !== 0 && code !== null) notes.push(`the proxy exited with code ${code}`);
  await redis?.stop();
  const stats = await upstream.stats();
  const ledgerRows = await readLedger(upstream.url, notes);
  const ledger = ledgerOverheadMs(ledgerRows, times, notes);
  // the second half of the direct baseline, now that the gateway's counts and ledger are read
  if (withDirect) await runDirectHalf(directAcc, s, v.settings.users, upstream.url, key, ctx.signal, log, 'after');
  const direct = withDirect ? directResult(directAcc) : null;
  const rows = await db.spendRows();
  dropDb();
  await db.drop();
  const integrity = integrityChecks(stats, rows, v.settings.callbacks, retriedAttempts(ledgerRows?.entries ?? null, stats));
  const answered = result.requests - failureCount(result.failures);
  const cpuUs = cpuStart === null ? null : cpuEnd - cpuStart;
  return withRig({
    ...result,
    name: v.name,
    settings: { ...v.settings, axes: v.axes, redis_resolved: ctx.redisPlan.kind, database_resolved: ctx.postgres.embedded ? 'embedded' : 'url' },
    overhead_ledger_ms: ledger,
    steady_window: steadyWindow(result.timeseries),
    ...(withDirect ? { direct, overhead_over_direct_ms: overheadOverDirect(ledger, direct?.overhead_ledger_ms) } : {}),
    gateway_cpu_us_per_req: cpuUs !== null && answered > 0 ? Math.round((cpuUs / answered) * 10) / 10 : null,
    gateway_rss_mb: Math.round((peakRss / 1048576) * 10) / 10,
    integrity,
    notes: [...(result.notes ?? []), ...notes],
  }, rigSection);
}
