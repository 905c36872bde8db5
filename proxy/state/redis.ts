// One ioredis client shared by the auth cache, the response cache and the limiters. Redis is
// optional at all times: commands are never queued while it is down (enableOfflineQueue off,
// no per-request retries, a short command timeout), callers check `ready` synchronously and
// fall back to in-process state, and the outage is logged once per episode.
import { Redis } from 'ioredis';
import type { RedisSettings } from './settings.js';

export interface RedisHandle {
  client: Redis;
  /** key prefix for every key this module writes */
  prefix: string;
  /** true while the connection is usable (status 'ready') */
  readonly ready: boolean;
  counters: { errors: number; downEvents: number; commandFailures: number };
  /** resolves when connected, or after timeoutMs / a first error (start-up never waits longer) */
  whenReady(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export function connectRedis(s: RedisSettings, prefix: string, log: (m: string) => void): RedisHandle {
  const common = {
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 500,
    connectTimeout: 2000,
    // reconnect forever, at most every second: Redis is picked up again when it returns
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
    lazyConnect: false,
  };
  const client = s.url ? new Redis(s.url, common) : new Redis({ ...common, host: s.host, port: s.port, password: s.password ?? undefined });
  let down = false;
  let closing = false;
  const handle: RedisHandle = {
    client,
    prefix,
    get ready() {
      return client.status === 'ready';
    },
    counters: { errors: 0, downEvents: 0, commandFailures: 0 },
    whenReady(timeoutMs) {
      if (client.status === 'ready') return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          client.off('ready', done);
          client.off('error', done);
          resolve(client.status === 'ready');
        };
        const timer = setTimeout(done, timeoutMs);
        client.once('ready', done);
        client.once('error', done);
      });
    },
    async close() {
      closing = true;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
  const where = s.url ?? `${s.host}:${s.port}`;
  client.on('error', (e: Error) => {
    handle.counters.errors++;
    if (!down && !closing) {
      down = true;
      handle.counters.downEvents++;
      log(`redis ${where} unavailable (${e.message}): serving without the response cache, with per-instance limits, until it returns`);
    }
  });
  client.on('close', () => {
    if (!down && !closing) {
      down = true;
      handle.counters.downEvents++;
      log(`redis ${where} connection closed: serving without the response cache, with per-instance limits, until it returns`);
    }
  });
  client.on('ready', () => {
    if (down) log(`redis ${where} is back`);
    down = false;
  });
  return handle;
}

/** A subscriber connection (its own, as Redis requires) that re-subscribes after reconnects. */
export function subscribe(h: RedisHandle, handlers: Record<string, (msg: string) => void>): Redis {
  const sub = h.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, enableAutoPipelining: false, commandTimeout: undefined });
  sub.on('error', () => {}); // the main client already reports outages
  sub.on('message', (ch: string, msg: string) => handlers[ch]?.(msg));
  sub.subscribe(...Object.keys(handlers)).catch(() => {});
  return sub;
}
