// Reads the state-related parts of a LiteLLM-style config (general_settings, litellm_settings,
// router_settings) into one plain settings object. Accepts the raw object shape so the state
// modules do not depend on the proxy's parsed config types; `os.environ/VAR` values resolve here.

export interface RawConfig {
  general_settings?: Record<string, unknown> | null;
  litellm_settings?: Record<string, unknown> | null;
  router_settings?: Record<string, unknown> | null;
  [k: string]: unknown;
}

export interface RedisSettings {
  url: string | null;
  host: string;
  port: number;
  password: string | null;
}

export interface CallbackSettings {
  /** names from callbacks / success_callback (success events) */
  success: string[];
  /** names from callbacks / failure_callback (failure events) */
  failure: string[];
  webhookUrl: string | null;
}

export interface StateSettings {
  databaseUrl: string | null;
  poolSize: number;
  batchWriteMs: number;
  authCacheTtlMs: number;
  disableSpendLogs: boolean;
  redis: RedisSettings | null;
  /** litellm_settings.cache was asked for (cacheEnabled is false when no Redis could be found for it) */
  cacheRequested: boolean;
  cacheEnabled: boolean;
  cacheTtlS: number | null;
  cacheNamespace: string | null;
  cacheRedis: RedisSettings | null;
  callbacks: CallbackSettings;
}

function env(v: unknown): unknown {
  if (typeof v === 'string' && v.startsWith('os.environ/')) return process.env[v.slice('os.environ/'.length)];
  return v;
}
function str(v: unknown): string | null {
  const r = env(v);
  return typeof r === 'string' && r !== '' ? r : typeof r === 'number' ? String(r) : null;
}
function num(v: unknown, dflt: number): number {
  const r = env(v);
  const n = typeof r === 'number' ? r : typeof r === 'string' && r.trim() !== '' ? Number(r) : NaN;
  return Number.isFinite(n) ? n : dflt;
}
function bool(v: unknown): boolean {
  const r = env(v);
  return r === true || r === 'true' || r === 'True' || r === '1';
}
function names(v: unknown): string[] {
  const r = env(v);
  if (typeof r === 'string') return [r];
  return Array.isArray(r) ? r.filter((x): x is string => typeof x === 'string') : [];
}

function redisFrom(o: Record<string, unknown>, prefix: '' | 'redis_'): RedisSettings | null {
  const url = str(o[`${prefix}url`]) ?? (prefix === 'redis_' ? null : str(o.redis_url));
  const host = str(o[`${prefix}host`]);
  if (!url && !host) return null;
  return { url, host: host ?? '127.0.0.1', port: num(o[`${prefix}port`], 6379), password: str(o[`${prefix}password`]) };
}

export function readSettings(cfg: RawConfig, databaseUrl?: string): StateSettings {
  const g = cfg.general_settings ?? {};
  const l = cfg.litellm_settings ?? {};
  const r = cfg.router_settings ?? {};
  const cp = (l.cache_params ?? {}) as Record<string, unknown>;
  const routerRedis = redisFrom(r, 'redis_');
  const cacheOn = bool(l.cache) && (str(cp.type) ?? 'redis') === 'redis';
  const cacheRedis = cacheOn ? (redisFrom(cp, '') ?? routerRedis ?? redisFrom({ url: process.env.REDIS_URL, host: process.env.REDIS_HOST, port: process.env.REDIS_PORT, password: process.env.REDIS_PASSWORD }, '')) : null;
  const all = names(l.callbacks);
  const success = [...new Set([...all, ...names(l.success_callback)])];
  const failure = [...new Set([...all, ...names(l.failure_callback)])];
  const cbs = (l.callback_settings ?? {}) as Record<string, Record<string, unknown> | undefined>;
  return {
    databaseUrl: databaseUrl ?? str(g.database_url) ?? process.env.DATABASE_URL ?? null,
    poolSize: Math.max(1, num(g.database_connection_pool_limit, 10)),
    batchWriteMs: Math.max(0.05, num(g.proxy_batch_write_at, 10)) * 1000,
    authCacheTtlMs: Math.max(0, num(g.user_api_key_cache_ttl ?? l.user_api_key_cache_ttl, 60)) * 1000,
    disableSpendLogs: bool(g.disable_spend_logs),
    redis: routerRedis ?? cacheRedis,
    cacheRequested: bool(l.cache),
    cacheEnabled: cacheOn && cacheRedis !== null,
    cacheTtlS: cp.ttl === undefined ? null : num(cp.ttl, 0) || null,
    cacheNamespace: str(cp.namespace),
    cacheRedis,
    callbacks: { success, failure, webhookUrl: str(cbs.webhook?.url) ?? process.env.GATEBENCH_WEBHOOK_URL ?? null },
  };
}
