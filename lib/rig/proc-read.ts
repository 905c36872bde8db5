// The raw counters the rig sampler reads once a second (Linux /proc): a process tree's CPU
// time, the machine's CPU time by state, CPU pressure and runnable tasks. Each function
// returns null where the file is missing or unreadable (not Linux, no PSI, another user's
// process), so a run on such a machine simply has fewer rig figures.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { processTree, statFields, ticksToUs } from '../proc-stats.js';

/**
 * CPU µs of one process; with `reaped`, plus the CPU of the children it has waited for
 * (cutime/cstime): PostgreSQL forks a backend per connection, and a backend that exits
 * between two samples would otherwise take its CPU with it (the postmaster reaps it, so its
 * time moves into the postmaster's cutime and the tree's sum stays continuous).
 */
export function processCpuUs(pid: number, reaped: boolean): number | null {
  const f = statFields(pid);
  if (f === null) return null;
  let ticks = Number(f[11]) + Number(f[12]);
  if (reaped) ticks += Number(f[13]) + Number(f[14]);
  return ticksToUs(ticks);
}

/** Summed CPU µs of the pids and, with `tree`, their descendants; null when none is alive. */
export function treeCpuUs(pids: readonly number[], tree: boolean, reaped: boolean): number | null {
  const all = tree ? new Set(pids.flatMap((p) => processTree(p))) : new Set(pids);
  let sum = 0;
  let alive = 0;
  for (const p of all) {
    const us = processCpuUs(p, reaped);
    if (us === null) continue;
    sum += us;
    alive++;
  }
  return alive > 0 ? sum : null;
}

export interface MachineCpu {
  /** all cores, ticks */
  total: number;
  /** idle + iowait, ticks */
  idle: number;
  /** stolen by the hypervisor, ticks (counted as busy: the cores were not ours) */
  steal: number;
}

/** The first line of /proc/stat: every core's time by state. */
export function machineCpu(text?: string): MachineCpu | null {
  let s = text;
  if (s === undefined) {
    try {
      s = readFileSync('/proc/stat', 'utf8');
    } catch {
      return null;
    }
  }
  const line = s.slice(0, s.indexOf('\n'));
  if (!line.startsWith('cpu ')) return null;
  // user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
  const v = line.slice(4).trim().split(/\s+/).slice(0, 8).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { total, idle: v[3] + (v[4] ?? 0), steal: v[7] ?? 0 };
}

/** /proc/pressure/cpu: the `some` line's stall total (µs) and avg10 (%); null without PSI. */
export function cpuPressure(text?: string): { totalUs: number; avg10: number } | null {
  let s = text;
  if (s === undefined) {
    try {
      s = readFileSync('/proc/pressure/cpu', 'utf8');
    } catch {
      return null;
    }
  }
  const m = /^some avg10=([\d.]+) .*total=(\d+)/m.exec(s);
  return m ? { avg10: Number(m[1]), totalUs: Number(m[2]) } : null;
}

/** Runnable tasks right now (the 4th field of /proc/loadavg, "running/total"). */
export function runnableTasks(): number | null {
  try {
    const f = readFileSync('/proc/loadavg', 'utf8').split(' ')[3];
    return Number(f.slice(0, f.indexOf('/')));
  } catch {
    return null;
  }
}

/**
 * The pid of the process listening on a local TCP port (the postmaster of a local
 * PostgreSQL given by URL), or null when it cannot be seen: the socket's inode from
 * /proc/net/tcp{,6}, then the process holding it (reading another user's fds needs root).
 */
export function pidListeningOn(port: number): number | null {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      // local_address is c[1] (ADDR:PORT), st is c[3] (0A = LISTEN), inode c[9]
      if (c.length > 9 && c[3] === '0A' && c[1].endsWith(`:${hex}`)) inodes.add(c[9]);
    }
  }
  if (inodes.size === 0) return null;
  let procs: string[];
  try {
    procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const p of procs) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${p}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1])) return Number(p);
    }
  }
  return null;
}

