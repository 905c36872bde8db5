// The fake upstream as a child process (`bench upstream`), shared by every variant of a run
// (restarted only when a variant's latency model differs); its counters are reset between
// variants and read for the integrity checks.
import { request } from 'undici';
import { benchCli, startService } from '../../lib/process.js';
import type { Registry } from './registry.js';
import type { Scenario } from '../scenario-load.js';

// The stats shape is the fake upstream's own (type-only import: nothing of it is loaded here).
import type { SinkCount, UpstreamStats } from '../../fake-upstream/types.js';
export type { SinkCount, UpstreamStats };

export interface UpstreamHandle {
  url: string;
  pid: number;
  latency: string;
  stats(): Promise<UpstreamStats>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** The model routes: what a gateway forwards (each must leave a spend row and a callback event). */
export const MODEL_ROUTES = ['/chat/completions', '/v1/chat/completions', '/openai/deployments/:model/chat/completions', '/v1/completions', '/v1/embeddings'];

export function upstreamArgs(u: Scenario['upstream'], latency: string): string[] {
  const args = ['upstream', '--port', '0', '--latency', latency];
  if (u.ttft) args.push('--ttft', u.ttft);
  if (u.interTokenMs !== null) args.push('--inter-token-ms', String(u.interTokenMs));
  for (const [status, rate] of Object.entries(u.errorRate)) args.push('--error-rate', `${status}=${rate}`);
  if (u.hangRate > 0) args.push('--hang-rate', String(u.hangRate));
  if (u.config) args.push('--config', u.config);
  if (u.concurrency) args.push('--concurrency', String(u.concurrency));
  return args;
}

export async function startUpstream(registry: Registry, u: Scenario['upstream'], latency: string, log: (m: string) => void): Promise<UpstreamHandle> {
  const [node, pre] = benchCli();
  const svc = await startService<{ url: string; pid: number }>('fake upstream', node, [...pre, ...upstreamArgs(u, latency)], { timeoutMs: 20_000, onSpawn: (c) => registry.trackChild(c) });
  const url = svc.ready.url;
  log(`upstream: ${url} (latency ${latency})`);
  const stop = async () => {
    await svc.stop(10_000);
  };
  const unregister = registry.add('upstream', stop);
  return {
    url,
    pid: svc.ready.pid ?? svc.pid,
    latency,
    async stats() {
      const res = await request(`${url}/__gatebench/stats`);
      return (await res.body.json()) as UpstreamStats;
    },
    async reset() {
      const res = await request(`${url}/__gatebench/reset`, { method: 'POST' });
      await res.body.dump();
    },
    async stop() {
      unregister();
      await stop();
    },
  };
}

export function modelRequests(s: UpstreamStats): number {
  let n = 0;
  for (const r of MODEL_ROUTES) n += s.byRoute[r] ?? 0;
  return n;
}
