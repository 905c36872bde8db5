// Which processes the rig sampler watches during a variant: each proxy instance, the load
// generator (this process, worker threads included), the fake upstream, PostgreSQL (the
// embedded server's tree, or a local server's postmaster tree when it can be found) and a
// spawned Redis.
import { pidListeningOn } from '../lib/rig/proc-read.js';
import type { RigComponentSpec } from '../lib/rig/sampler.js';

export interface RigProcesses {
  /** one pid per proxy instance */
  proxyPids: readonly number[];
  /** the proxy's primary (supervisor) when it is a process of its own */
  proxyPrimary?: number;
  upstreamPid: number;
  postgres?: { pid?: number; url: string; embedded: boolean } | null;
  redisPid?: number | null;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** The postmaster of a PostgreSQL URL on this machine, or null (remote, or not visible). */
export function localPostmaster(url: string): number | null {
  try {
    const u = new URL(url);
    if (!LOCAL_HOSTS.has(u.hostname)) return null;
    return pidListeningOn(Number(u.port || 5432));
  } catch {
    return null;
  }
}

export function rigComponents(p: RigProcesses): RigComponentSpec[] {
  const out: RigComponentSpec[] = [];
  p.proxyPids.forEach((pid, i) => out.push({ name: p.proxyPids.length > 1 ? `proxy ${i + 1}` : 'proxy', kind: 'proxy', pids: [pid], tree: false }));
  if (p.proxyPrimary !== undefined && !p.proxyPids.includes(p.proxyPrimary)) {
    out.push({ name: 'proxy primary', kind: 'proxy', pids: [p.proxyPrimary], tree: false });
  }
  out.push({ name: 'generator', kind: 'generator', pids: [process.pid], tree: false });
  out.push({ name: 'upstream', kind: 'upstream', pids: [p.upstreamPid], tree: false });
  if (p.postgres) {
    const pid = p.postgres.embedded ? p.postgres.pid : localPostmaster(p.postgres.url);
    // backends come and go with connections: their CPU stays in the postmaster's cutime
    if (pid) out.push({ name: 'PostgreSQL', kind: 'postgres', pids: [pid], tree: true, reaped: true });
  }
  if (p.redisPid) out.push({ name: 'Redis', kind: 'redis', pids: [p.redisPid], tree: false });
  return out;
}
