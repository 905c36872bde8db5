// The state features' share of the proxy's CPU per request, for `npm run bench:proxy`: the
// same load as the master-key-only row, through proxies that each add one more feature —
//   1. a virtual key (auth from PostgreSQL, then the in-process cache) and spend logs,
//   2. + Redis: the response cache's miss path (every prompt starts with a fresh uuid) and
//      the key's rpm/tpm limits shared through Redis,
//   3. + a logging callback (webhook, to the fake upstream's sink).
// PostgreSQL: a fresh database on DATABASE_URL, else the embedded one. Redis: REDIS_URL or
// 127.0.0.1:6379; without one the Redis rows are skipped, saying so.
import { Redis } from 'ioredis';
import { scratchDatabase } from '../proxy/state/scratch-database.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { MASTER_KEY, startService, stop, type Service, type Target } from './proxy-common.js';

interface Ctx {
  upstreamUrl: string;
  dir: string;
  configHead: string;
}


async function reachableRedis(): Promise<string | null> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, enableOfflineQueue: false, retryStrategy: () => null });
  try {
    await r.connect();
    await r.ping();
    return url;
  } catch {
    return null;
  } finally {
    r.disconnect();
  }
}

export async function generateKey(url: string): Promise<string> {
  const res = await fetch(`${url}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    // limits high enough never to refuse, so the limit check runs on every request
    body: JSON.stringify({ key_alias: 'bench', rpm_limit: 2_000_000_000, tpm_limit: 2_000_000_000 }),
  });
  if (!res.ok) throw new Error(`/key/generate answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

export interface StateTargets {
  targets: Target[];
  stop(): Promise<void>;
}

/** Starts one proxy per stacked feature (each with its own virtual key); stop() stops them and drops the database. */
export async function startStateTargets(ctx: Ctx): Promise<StateTargets> {
  const db = await scratchDatabase('gb_bench');
  const namespace = `gbbench${process.pid}`;
  const redisUrl = await reachableRedis();
  const targets: Target[] = [];
  const children: Service[] = [];
  const start = async (name: string, yaml: string) => {
    const cfg = join(ctx.dir, `config-${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(cfg, ctx.configHead + yaml);
    const proxy = await startService(['proxy', '--config', cfg, '--port', '0']);
    children.push(proxy);
    const url = (proxy.ready.urls as string[])[0];
    targets.push({ name, url, pids: proxy.ready.pids as number[], token: await generateKey(url) });
  };
  const stopAll = async () => {
    await Promise.all(children.map(stop));
    await db.drop();
    if (redisUrl) await deleteNamespace(redisUrl, namespace);
  };
  try {
    const general = `general_settings:\n  master_key: ${MASTER_KEY}\n  database_url: ${db.url}\n  proxy_batch_write_at: 1\n`;
    await start('+ virtual key (cached) + spend logs', general);
    if (!redisUrl) {
      process.stderr.write('  Redis not reachable (REDIS_URL or 127.0.0.1:6379): the Redis and callback rows are skipped\n');
      return { targets, stop: stopAll };
    }
    // A short TTL: every request is a miss that stores ~11 KB; keep the shared Redis small.
    const redis = `router_settings:\n  redis_url: ${redisUrl}\nlitellm_settings:\n  cache: true\n  cache_params: { type: redis, ttl: 5, namespace: ${namespace} }\n`;
    await start('+ Redis (cache miss, shared limits)', general + redis);
    process.env.GATEBENCH_WEBHOOK_URL = `${ctx.upstreamUrl}/webhook`;
    await start('+ a callback (webhook)', `${general}${redis}  callbacks: [webhook]\n`);
    return { targets, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function deleteNamespace(url: string, namespace: string): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `*${namespace}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
