// The reference proxy as a child process (`bench proxy --instances N`), fresh for every
// variant: its LiteLLM-style config is built from the scenario (or the user's config with
// the database, Redis and callbacks of the variant put in), written to the run's temp dir;
// the seed's setup (a virtual key, the `db-openai-endpoint` model) is done through its API.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { parse, stringify } from 'yaml';
import { ERR_FILE_READ, ERR_SERVICE_START, ERR_SERVICE_TIMEOUT } from '../../lib/errors.js';
import { benchCli, startService } from '../../lib/process.js';
import type { Registry } from './registry.js';

export interface ProxyStartOptions {
  /** inline config, path, or null for the seed's config */
  config: Record<string, unknown> | string | null;
  instances: number;
  upstreamUrl: string;
  databaseUrl: string;
  redis: { host: string; port: number } | null;
  callbacks: string[];
  masterKey: string;
  dir: string;
  log: (m: string) => void;
  /** the callbacks' tenant at the fake upstream's sinks (interleaved variants share one upstream) */
  tenant?: string;
}

export interface ProxyHandle {
  urls: string[];
  pids: number[];
  /** the primary process: its process tree holds every instance */
  pid: number;
  configFile: string;
  stop(graceMs?: number): Promise<number | null>;
  tail(): string;
}

function substitute(v: unknown, upstream: string): unknown {
  if (typeof v === 'string') return v.replaceAll('{{upstream}}', upstream);
  if (Array.isArray(v)) return v.map((x) => substitute(x, upstream));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, upstream)]));
  return v;
}

/** The seed's config (LiteLLM's benchmark page), pointed at the fake upstream. */
export function seedConfig(upstreamUrl: string): Record<string, unknown> {
  return {
    model_list: [{ model_name: 'fake-openai-endpoint', litellm_params: { model: 'openai/any', api_base: `${upstreamUrl}/v1`, api_key: 'test' } }],
  };
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as Obj) } : {});

export function buildProxyConfig(o: Omit<ProxyStartOptions, 'dir' | 'log' | 'instances'>): Obj {
  let base: unknown;
  if (o.config === null) base = seedConfig(o.upstreamUrl);
  else if (typeof o.config === 'string') {
    try {
      base = parse(readFileSync(o.config, 'utf8'));
    } catch (err) {
      throw ERR_FILE_READ([o.config, (err as Error).message]);
    }
  } else base = o.config;
  const cfg = obj(substitute(base, o.upstreamUrl));
  const general = obj(cfg.general_settings);
  general.master_key ??= o.masterKey;
  general.database_url = o.databaseUrl;
  cfg.general_settings = general;
  const router = obj(cfg.router_settings);
  for (const k of ['redis_host', 'redis_port', 'redis_password', 'redis_url']) delete router[k];
  if (o.redis) {
    // redis_host/redis_port rather than redis_url: the seed's page measured ~80 RPS more
    router.redis_host = o.redis.host;
    router.redis_port = o.redis.port;
  }
  cfg.router_settings = router;
  const ls = obj(cfg.litellm_settings);
  ls.callbacks = o.callbacks;
  cfg.litellm_settings = ls;
  return cfg;
}

export function callbackEnv(upstreamUrl: string, tenant?: string): NodeJS.ProcessEnv {
  // a tenant names the proxy at the upstream's sinks (the bucket, the API key, ?tenant=), so
  // that proxies sharing one upstream have their callback events counted apart
  return {
    GCS_BUCKET_NAME: tenant ?? 'gatebench',
    STORAGE_EMULATOR_HOST: upstreamUrl,
    LANGSMITH_BASE_URL: upstreamUrl,
    LANGSMITH_API_KEY: tenant ?? 'gatebench-fake-key',
    GATEBENCH_WEBHOOK_URL: tenant ? `${upstreamUrl}/webhook?tenant=${encodeURIComponent(tenant)}` : `${upstreamUrl}/webhook`,
    GATEBENCH_UPSTREAM_URL: upstreamUrl,
  };
}

/** A variant's proxy: the scenario's config with the variant's database, Redis and callbacks, registered for teardown. */
export async function startProxy(registry: Registry, o: ProxyStartOptions): Promise<ProxyHandle> {
  const cfg = buildProxyConfig(o);
  const configFile = join(o.dir, `proxy-${Date.now()}.yaml`);
  writeFileSync(configFile, stringify(cfg));
  const proxy = await spawnProxy({ configFile, instances: o.instances, env: { ...process.env, ...callbackEnv(o.upstreamUrl, o.tenant) }, registry });
  o.log(`proxy: ${o.instances} instance(s) at ${proxy.urls.join(' ')}`);
  return proxy;
}

export interface SpawnProxyOptions {
  configFile: string;
  instances: number;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** tracks the process and registers its stop for teardown (the runner); without it the caller stops it */
  registry?: Registry;
}

/** `bench proxy --config <file> --port 0 --instances N`, ready when it prints its READY line with the instances' URLs. */
export async function spawnProxy(o: SpawnProxyOptions): Promise<ProxyHandle> {
  const [node, pre] = benchCli();
  const svc = await startService<{ urls: string[]; pids: number[]; pid: number }>(
    'proxy',
    node,
    [...pre, 'proxy', '--config', o.configFile, '--port', '0', '--instances', String(o.instances)],
    { env: o.env, cwd: o.cwd, timeoutMs: o.timeoutMs ?? 60_000, onSpawn: (c) => o.registry?.trackChild(c) },
  );
  const { urls, pids } = svc.ready;
  if (!Array.isArray(urls) || urls.length === 0) {
    await svc.stop(1000);
    throw ERR_SERVICE_START(['proxy', `its READY line has no urls: ${JSON.stringify(svc.ready)}`]);
  }
  const configFile = o.configFile;
  const stop = (graceMs = 60_000) => svc.stop(graceMs);
  const unregister = o.registry?.add('proxy', async () => {
    await stop();
  });
  return {
    urls,
    pids,
    pid: svc.ready.pid ?? svc.pid,
    configFile,
    tail: svc.tail,
    async stop(graceMs?: number) {
      unregister?.();
      return stop(graceMs);
    },
  };
}

async function api(url: string, key: string, method: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await request(url, {
    method: method as 'GET' | 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  const text = await res.body.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.statusCode, json };
}

/**
 * The seed's setup through the management API: a virtual key, then the model created in
 * the database through every instance; waits until every instance lists it. Returns the key the load will use.
 */
export async function setupThroughApi(p: ProxyHandle, o: { masterKey: string; upstreamUrl: string; model: string | null; key: boolean; timeoutMs?: number }): Promise<string> {
  let key = o.masterKey;
  if (o.key) {
    const r = await api(`${p.urls[0]}/key/generate`, o.masterKey, 'POST', { key_alias: `gatebench-${Date.now()}` });
    const k = (r.json as { key?: string } | null)?.key;
    if (r.status !== 200 || !k) throw ERR_SERVICE_START(['proxy setup', `POST /key/generate answered ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`]);
    key = k;
  }
  if (o.model) {
    // Instances load database models at start: tell each one (same id, so one row).
    const body = {
      model_name: o.model,
      litellm_params: { model: 'openai/any', api_base: `${o.upstreamUrl}/v1`, api_key: 'test' },
      model_info: { id: `gatebench-${o.model}` },
    };
    for (const url of p.urls) {
      const r = await api(`${url}/model/new`, o.masterKey, 'POST', body);
      if (r.status !== 200) throw ERR_SERVICE_START(['proxy setup', `POST ${url}/model/new answered ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`]);
    }
    const deadline = Date.now() + (o.timeoutMs ?? 30_000);
    for (const url of p.urls) {
      for (;;) {
        const m = await api(`${url}/v1/models`, key, 'GET').catch(() => ({ status: 0, json: null }));
        const data = (m.json as { data?: { id: string }[] } | null)?.data ?? [];
        if (m.status === 200 && data.some((d) => d.id === o.model)) break;
        if (Date.now() > deadline) throw ERR_SERVICE_TIMEOUT([`model ${o.model} on ${url}`, String(o.timeoutMs ?? 30_000)]);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  return key;
}
