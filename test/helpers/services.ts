// Real PostgreSQL and Redis for tests. testDatabase(): a fresh database on DATABASE_URL's server
// (dropped afterwards), or an embedded PostgreSQL when DATABASE_URL is unset. testRedis():
// REDIS_URL when it answers, else a redis-server spawned on a free port, else a skip reason.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { findOnPath, freePort, startService } from '../../lib/process.js';
import { scratchDatabase, type ScratchDatabase } from '../../proxy/state/scratch-database.js';

export type TestDatabase = ScratchDatabase;

export function testDatabase(): Promise<TestDatabase> {
  return scratchDatabase('gb_test');
}

export type TestRedis = { url: string; prefix: string; cleanup(): Promise<void> } | { skip: string };

async function answers(url: string): Promise<boolean> {
  const c = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

export interface SpawnedRedis {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A redis-server of the test's own on a free (or given) port; null when there is no redis-server. */
export async function spawnRedis(port?: number): Promise<SpawnedRedis | null> {
  const bin = findOnPath('redis-server');
  if (!bin) return null;
  const p = port ?? (await freePort());
  const url = `redis://127.0.0.1:${p}`;
  const svc = await startService<true>('redis-server', bin, ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    probe: async () => ((await answers(url)) ? true : null),
    timeoutMs: 5000,
  });
  return {
    url,
    port: p,
    process: svc.child,
    async stop() {
      // SIGKILL at once: a test's Redis has nothing to save
      await svc.stop(0);
    },
  };
}

export async function testRedis(): Promise<TestRedis> {
  const prefix = `gbtest:${randomBytes(6).toString('hex')}:`;
  let url = process.env.REDIS_URL;
  let spawned: SpawnedRedis | null = null;
  if (!url || !(await answers(url))) {
    spawned = await spawnRedis();
    if (!spawned) return { skip: `no Redis: ${url ? `${url} does not answer and ` : 'REDIS_URL unset and '}redis-server is not on PATH` };
    url = spawned.url;
  }
  const u = url;
  return {
    url: u,
    prefix,
    async cleanup() {
      if (spawned) return spawned.stop();
      const c = new Redis(u, { maxRetriesPerRequest: 1 });
      c.on('error', () => {});
      try {
        let cursor = '0';
        do {
          const [next, keys] = await c.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await c.del(...keys);
        } while (cursor !== '0');
      } finally {
        c.disconnect();
      }
    },
  };
}
