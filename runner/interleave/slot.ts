// One variant of an interleaved run: its services (a fresh database, Redis, the proxy with
// the variant's callbacks) stay up for the whole run, and each of its rounds is added to its
// totals. The upstream is shared by every variant and the direct baseline, so what it counted
// is read right before and after each of this variant's rounds (counts and ledger), and the
// callbacks' events by the variant's tenant at the sinks.
import { availableParallelism } from 'node:os';
import { sampleProcesses } from '../../lib/proc-stats.js';
import type { RoundFigures, VariantResult } from '../../lib/result.js';
import { RigSampler } from '../../lib/rig/sampler.js';
import { startLoad } from '../../loadgen/index.js';
import { loadOptionsFor } from '../load-options.js';
import type { Variant } from '../matrix.js';
import { variantDatabase, type VariantDatabase } from '../services/postgres.js';
import { setupThroughApi, startProxy, type ProxyHandle } from '../services/proxy.js';
import { startRedis, type RedisHandle } from '../services/redis.js';
import { modelRequests } from '../services/upstream.js';
import { rigComponents } from '../rig-components.js';
import type { VariantContext } from '../variant.js';
import { emptyOverhead, fetchLedger, ledgerOverhead, type LedgerCursor, type LedgerOverhead } from '../targets/ledger-overhead.js';

/** What a sequential variant gets, less what only it uses (its index, progress, shard, …). */
export type SlotContext = Pick<VariantContext, 'scenario' | 'registry' | 'upstream' | 'postgres' | 'redisPlan' | 'runId' | 'dir' | 'signal' | 'log'> & {
  /** where this upstream's ledger was last read to (shared by every reader of that upstream) */
  ledger: LedgerCursor;
};

export interface Slot {
  v: Variant;
  index: number;
  /** the proxy's name at the upstream's sinks */
  tenant: string;
  ctx: SlotContext;
  db: VariantDatabase;
  /** takes the database's drop off the teardown list (the caller drops it itself) */
  forgetDb: () => void;
  redis: RedisHandle | null;
  proxy: ProxyHandle;
  key: string;
  rig: RigSampler;
  /** each measured round's load result, in round order */
  rounds: VariantResult[];
  figures: RoundFigures[];
  ledger: LedgerOverhead;
  cpuUs: number;
  /** upstream requests during this variant's rounds: what its CPU is charged per */
  cpuRequests: number;
  peakRss: number;
  /** model requests the upstream counted during this variant's loads (warm-up included) */
  upstreamRequests: number;
  hangs: number;
  /** request ids the upstream saw from this variant: a second sighting is a retry */
  ids: Set<string>;
  repeats: number;
  reasons: string[];
}

export async function startSlot(v: Variant, index: number, ctx: SlotContext): Promise<Slot> {
  const s = ctx.scenario;
  const tenant = `gatebench-${ctx.runId}-${index}`;
  const db = await variantDatabase(ctx.postgres, `${ctx.runId}_${index}`, ctx.log);
  const forgetDb = ctx.registry.add(`variant database ${index}`, () => db.drop());
  const redis = await startRedis(ctx.registry, ctx.redisPlan, ctx.log);
  const proxy = await startProxy(ctx.registry, {
    config: s.proxy.config,
    instances: v.settings.instances,
    upstreamUrl: ctx.upstream.url,
    databaseUrl: db.url,
    redis,
    callbacks: v.settings.callbacks,
    masterKey: s.proxy.masterKey,
    dir: ctx.dir,
    log: ctx.log,
    tenant,
  });
  const key = await setupThroughApi(proxy, { masterKey: s.proxy.masterKey, upstreamUrl: ctx.upstream.url, model: s.proxy.setup.model, key: s.proxy.setup.key });
  const rig = new RigSampler(
    rigComponents({ proxyPids: proxy.pids, proxyPrimary: proxy.pid, upstreamPid: ctx.upstream.pid, postgres: ctx.postgres, redisPid: redis?.pid ?? null }),
    { cores: availableParallelism() },
  );
  return {
    v, index, tenant, ctx, db, forgetDb, redis, proxy, key, rig,
    rounds: [], figures: [], ledger: emptyOverhead(), cpuUs: 0, cpuRequests: 0, peakRss: 0,
    upstreamRequests: 0, hangs: 0, ids: new Set(), repeats: 0, reasons: [],
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Loads the variant for `durationMs` after a `rampMs` ramp-up (neither recorded when `round` is
 * null: the warm-up). The upstream's counts and ledger around it are this variant's.
 */
export async function loadSlot(slot: Slot, round: number | null, durationMs: number, rampMs: number): Promise<void> {
  const { ctx, v } = slot;
  const before = await ctx.upstream.stats();
  // what came since the last reader (nothing, or a direct slice) is not this variant's
  const seq = (await fetchLedger(ctx.upstream.url, ctx.ledger.next)).next;
  const cpu0 = sampleProcesses([slot.proxy.pid]);
  const opts = loadOptionsFor(ctx.scenario, v.settings.users, slot.proxy.urls, slot.key, ctx.signal, false);
  if (round !== null) slot.rig.resume();
  let result: VariantResult;
  let times;
  try {
    const run = startLoad({ ...opts, durationMs, warmupMs: rampMs, requestTimesCapacity: 1_000_000 });
    result = await run.result;
    times = run.requestTimes();
  } finally {
    if (round !== null) slot.rig.pause();
  }
  const cpu1 = sampleProcesses([slot.proxy.pid]);
  slot.peakRss = Math.max(slot.peakRss, cpu0.rssBytes, cpu1.rssBytes);
  const after = await ctx.upstream.stats();
  const page = await fetchLedger(ctx.upstream.url, seq);
  ctx.ledger.next = page.next;
  slot.upstreamRequests += modelRequests(after) - modelRequests(before);
  slot.hangs += (after.byStatus.hang ?? 0) - (before.byStatus.hang ?? 0);
  for (const e of page.entries) {
    if (e.id === null) continue;
    if (slot.ids.has(e.id)) slot.repeats++;
    else slot.ids.add(e.id);
  }
  if (round === null || ctx.signal.aborted) return;
  const cpuUs = Math.max(0, cpu1.cpuUs - cpu0.cpuUs);
  const seen = page.entries.length > 0 ? page.entries.length : result.requests;
  slot.cpuUs += cpuUs;
  slot.cpuRequests += seen;
  if (times) ledgerOverhead(times, page.entries, slot.ledger);
  for (const why of result.unreliable_reasons) slot.reasons.push(`round ${round + 1}: ${why}`);
  slot.rounds.push(result);
  const header = result.overhead_ms;
  slot.figures.push({
    requests: result.requests,
    rps: result.rps,
    latency_p50_ms: result.latency_ms.p50,
    latency_p99_ms: result.latency_ms.p99,
    overhead_p50_ms: header?.p50 ?? null,
    overhead_p99_ms: header?.p99 ?? null,
    cpu_us_per_req: seen > 0 ? round1(cpuUs / seen) : null,
  });
}
