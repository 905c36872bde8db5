// The proxy's state: PostgreSQL keys and spend logs, Redis cache / auth cache / shared limits,
// logging callbacks — behind the ProxyHooks seam (proxy/hooks.ts). One call builds it all:
//   const state = await createStateHooks({ config });
//   proxy hooks = state.hooks; app.register(state.managementPlugin, { isMaster, addDeployment });
//   /metrics ← state.metrics(); SIGTERM → await state.close().
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { AuthOutcome, ProxyHooks, RequestRecord } from '../hooks.js';
import { KeyAuth } from './auth.js';
import { Callbacks } from './callbacks.js';
import { createPool, migrate } from './db.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { KeyStore } from './keys.js';
import { Limiter } from './limits.js';
import { createManagementPlugin, type ManagementPluginOptions } from './management-routes.js';
import { ModelStore, ModelSync } from './models.js';
import { connectRedis, subscribe, type RedisHandle } from './redis.js';
import { ResponseCache } from './response-cache.js';
import { readSettings, type RawConfig, type RedisSettings } from './settings.js';
import { SpendLog } from './spend-log.js';

export { startEmbeddedPostgres } from './embedded-postgres.js';
export { registerPromMetrics } from './prom.js';
export type { RawConfig } from './settings.js';

export interface StateOptions {
  /** the raw LiteLLM-style config object (general_settings, litellm_settings, router_settings) */
  config: RawConfig;
  /** wins over general_settings.database_url and DATABASE_URL; none anywhere → embedded PostgreSQL owned by this state */
  databaseUrl?: string;
  /** prefix of every Redis key (default "gb:"); instances sharing it share cache, auth cache and limits */
  redisKeyPrefix?: string;
  /** where spend-log rows spill when the database is down too long (default: a dir under the OS temp dir, per database) */
  spillDir?: string;
  log?: (msg: string) => void;
  /** spend-log batch size (default 1000) and queue bound before spilling (default 100000) */
  spendBatchSize?: number;
  spendMaxQueue?: number;
  /** close(): how long to retry a down database / unreachable sinks before spilling (default 10000 ms) */
  closeTimeoutMs?: number;
  /** logging callbacks: batch size (default 512), interval (default 1000 ms), queue bound (default 100000) */
  callbackBatchSize?: number;
  callbackIntervalMs?: number;
  callbackMaxQueue?: number;
  /** in-process auth cache entries (default 100000) */
  authCacheMax?: number;
  /** how often gb_models is polled for models added through other instances (default 5000 ms; 0 = never) */
  modelSyncMs?: number;
}

export interface State {
  hooks: ProxyHooks;
  managementPlugin: FastifyPluginAsync<ManagementPluginOptions>;
  metrics(): Record<string, number>;
  close(): Promise<void>;
  /** the database actually used (an embedded one when none was configured) */
  databaseUrl: string;
  /**
   * Per-deployment rpm/tpm limits shared by all instances (not in the ProxyHooks seam yet): the
   * router calls it for a picked deployment with litellm_params.rpm / tpm; a non-null answer means
   * "over its limit this minute, pick another or answer 429". Tokens are counted from onRequestDone.
   */
  checkDeploymentLimits(deploymentId: string, rpm: number | null, tpm: number | null): AuthOutcome | null | Promise<AuthOutcome | null>;
}

const sameRedis = (a: RedisSettings, b: RedisSettings) => a.url === b.url && a.host === b.host && a.port === b.port && a.password === b.password;

export async function createStateHooks(opts: StateOptions): Promise<State> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[state] ${m}\n`));
  const s = readSettings(opts.config ?? {}, opts.databaseUrl);
  let embedded: EmbeddedPostgres | null = null;
  let url = s.databaseUrl;
  if (url === null) {
    log('no database_url / DATABASE_URL: starting an embedded PostgreSQL');
    // stopped by close(), after the spend logs are flushed into it
    embedded = await startEmbeddedPostgres({ stopOnSignals: false, log: () => {} });
    url = embedded.url;
  }
  const pool: pg.Pool = createPool(url, s.poolSize, () => {}); // errors surface on the next query
  const prefix = opts.redisKeyPrefix ?? 'gb:';
  const redisHandles: RedisHandle[] = [];
  const subs: Redis[] = [];
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end().catch(() => {});
    if (embedded) await embedded.stop();
    throw err;
  }
  if (s.cacheRequested && !s.cacheEnabled) log('litellm_settings.cache is on but no Redis is configured for it (cache_params type redis with host/port or url, router_settings redis_*, or REDIS_HOST/REDIS_URL): the response cache is off');
  const redis = s.redis ? connectRedis(s.redis, prefix, log) : null;
  if (redis) redisHandles.push(redis);
  let cacheRedis: RedisHandle | null = null;
  if (s.cacheEnabled && s.cacheRedis) {
    cacheRedis = redis && s.redis && sameRedis(s.redis, s.cacheRedis) ? redis : connectRedis(s.cacheRedis, prefix, log);
    if (cacheRedis !== redis) redisHandles.push(cacheRedis);
  }

  // Let the first requests find Redis connected (bounded: a down Redis never blocks start-up).
  await Promise.all(redisHandles.map((h) => h.whenReady(2000)));

  const keys = new KeyStore(pool);
  const models = new ModelStore(pool);
  const auth = new KeyAuth(keys, redis, s.authCacheTtlMs, opts.authCacheMax ?? 100_000);
  const modelSync = new ModelSync(models, opts.modelSyncMs ?? 5000, log);
  if (redis) {
    subs.push(subscribe(redis, { [`${prefix}auth:invalidate`]: (m) => auth.dropLocal(m.split(',')), [`${prefix}models:changed`]: () => void modelSync.sync() }));
  }
  const announceModel = (id: string) => {
    if (redis?.ready) redis.client.publish(`${prefix}models:changed`, id).catch(() => redis.counters.commandFailures++);
  };
  const limiter = new Limiter(redis);
  const cache = cacheRedis ? new ResponseCache(cacheRedis, s.cacheTtlS, s.cacheNamespace) : null;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 10_000;
  const spend = new SpendLog(pool, {
    batchMs: s.batchWriteMs,
    batchSize: opts.spendBatchSize ?? 1000,
    maxQueue: opts.spendMaxQueue ?? 100_000,
    spillDir: opts.spillDir ?? join(tmpdir(), 'gatebench-spend-spill', createHash('sha256').update(url).digest('hex').slice(0, 12)),
    disabled: s.disableSpendLogs,
    closeTimeoutMs,
    log,
  });
  void spend.flush(); // replays spill files left by an earlier run
  const callbacks = new Callbacks(s.callbacks, {
    batchSize: opts.callbackBatchSize ?? 512,
    intervalMs: opts.callbackIntervalMs ?? 1000,
    maxQueue: opts.callbackMaxQueue ?? 100_000,
    log,
  });
  const spendOnly = s.disableSpendLogs;
  const tpmDeps = limiter.tpmDeployments;
  const cbActive = callbacks.active;

  const onRequestDone = (r: RequestRecord): void => {
    const h = r.keyHash;
    if (h !== null) {
      if (r.spend > 0) auth.addSpend(h, r.spend);
      if (auth.hasTpmLimit(h)) limiter.addTokens(h, r.promptTokens + r.completionTokens);
    }
    const d = r.deploymentId;
    if (d !== null && tpmDeps.size > 0 && tpmDeps.has(d)) limiter.addTokens(`dep:${d}`, r.promptTokens + r.completionTokens);
    if (!spendOnly || (h !== null && r.spend > 0)) spend.push(r);
    if (cbActive) callbacks.push(r);
  };

  const hooks: ProxyHooks = {
    authenticate: (token, modelGroup) => auth.authenticate(token, modelGroup),
    checkLimits: (a) => limiter.check(a),
    onRequestDone,
    loadDeployments: async () => {
      const list = await models.list();
      modelSync.markSeen(list);
      return list;
    },
    close: () => close(),
  };
  if (cache) {
    hooks.cacheGet = (modelGroup, rawBody, scan) => cache.get(modelGroup, rawBody, scan);
    hooks.cacheSet = (modelGroup, rawBody, status, contentType, body) => cache.set(modelGroup, rawBody, status, contentType, body);
  }

  let closing: Promise<void> | null = null;
  function close(): Promise<void> {
    closing ??= (async () => {
      modelSync.stop();
      await Promise.all([spend.close(), callbacks.close(closeTimeoutMs)]);
      for (const sub of subs) sub.disconnect();
      await Promise.all(redisHandles.map((h) => h.close()));
      await pool.end().catch(() => {});
      if (embedded) await embedded.stop();
    })();
    return closing;
  }

  function metrics(): Record<string, number> {
    const m: Record<string, number> = {};
    const sp = spend.snapshot();
    for (const [k, v] of Object.entries(sp)) m[`spend_logs_${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`] = v;
    const a = auth.counters;
    m.auth_cache_hits = a.hits;
    m.auth_cache_misses = a.misses;
    m.auth_cache_size = auth.size;
    m.auth_redis_hits = a.redisHits;
    m.auth_db_lookups = a.dbLookups;
    m.auth_lookup_errors = a.lookupErrors;
    m.redis_configured = redis ? 1 : 0;
    m.redis_up = redis?.ready ? 1 : 0;
    m.redis_errors = redisHandles.reduce((n, h) => n + h.counters.errors, 0);
    m.redis_down_events = redisHandles.reduce((n, h) => n + h.counters.downEvents, 0);
    m.redis_command_failures = redisHandles.reduce((n, h) => n + h.counters.commandFailures, 0);
    if (cache) {
      m.cache_hits = cache.counters.hits;
      m.cache_misses = cache.counters.misses;
      m.cache_sets = cache.counters.sets;
      m.cache_skipped = cache.counters.skipped;
    }
    m.limits_rejected_rpm = limiter.counters.rejectedRpm;
    m.limits_rejected_tpm = limiter.counters.rejectedTpm;
    m.limits_local_checks = limiter.counters.localChecks;
    for (const [name, c] of Object.entries(callbacks.snapshot())) for (const [k, v] of Object.entries(c)) m[`callback_${name}_${k}`] = v;
    return m;
  }

  return {
    hooks,
    managementPlugin: createManagementPlugin({ keys, models, modelSync, auth, announceModel }),
    metrics,
    close,
    databaseUrl: url,
    checkDeploymentLimits: (id, rpm, tpm) => limiter.checkDeployment(id, rpm, tpm),
  };
}
