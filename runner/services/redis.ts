// Redis for a variant: `spawn` starts redis-server from PATH on a free port (no persistence);
// `on` spawns when redis-server is on PATH, else uses REDIS_URL; a URL is used as it is.
// Whether that is possible is checked for every variant before anything starts.
import { accessSync, constants } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ERR_MISSING_TOOL } from '../../lib/errors.js';
import { findOnPath, freePort, startService } from '../../lib/process.js';
import type { Registry } from './registry.js';

export { findOnPath };

export type RedisPlan = { kind: 'off' } | { kind: 'spawn'; bin: string } | { kind: 'url'; url: string };

/** What a variant's redis setting means on this machine; throws (before anything starts) when it cannot be met. */
export function planRedis(setting: string, env: NodeJS.ProcessEnv = process.env): RedisPlan {
  if (setting === 'off') return { kind: 'off' };
  if (setting !== 'spawn' && setting !== 'on') return { kind: 'url', url: setting };
  const bin = findOnPath('redis-server', env);
  if (bin) return { kind: 'spawn', bin };
  if (setting === 'on' && env.REDIS_URL) return { kind: 'url', url: env.REDIS_URL };
  throw ERR_MISSING_TOOL([
    'redis-server',
    `the scenario asks for redis: ${setting}. Install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) so it is on PATH, ` +
      `or set redis: redis://host:port in the scenario${setting === 'on' ? ', or set REDIS_URL' : ''}`,
  ]);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    let data = '';
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      data += d.toString();
      if (data.includes('\r\n')) {
        s.end();
        resolve(data.startsWith('+PONG'));
      }
    });
    s.on('error', () => resolve(false));
  });
}

export interface RedisHandle {
  url: string;
  host: string;
  port: number;
  /** a spawned redis-server's pid (the rig samples it) */
  pid?: number;
  stop(): Promise<void>;
}

export async function startRedis(registry: Registry, plan: RedisPlan, log: (m: string) => void): Promise<RedisHandle | null> {
  if (plan.kind === 'off') return null;
  if (plan.kind === 'url') {
    const u = new URL(plan.url);
    return { url: plan.url, host: u.hostname, port: Number(u.port || 6379), stop: async () => {} };
  }
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'gb-run-redis-'));
  registry.trackDir(dir);
  // readiness: a PING that answers
  const svc = await startService<true>(
    'redis-server',
    plan.bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', ''],
    { probe: async () => ((await ping(port)) ? true : null), timeoutMs: 15_000, onSpawn: (c) => registry.trackChild(c) },
  ).catch(async (err) => {
    await registry.removeDir(dir);
    throw err;
  });
  log(`redis: spawned redis-server on 127.0.0.1:${port} (temp ${dir})`);
  const stop = async () => {
    await svc.stop(10_000);
    await registry.removeDir(dir);
  };
  registry.add('redis', stop);
  return { url: `redis://127.0.0.1:${port}`, host: '127.0.0.1', port, pid: svc.child.pid, stop };
}
