// CPU time and memory of other processes, read from /proc (Linux). Used by the bench
// scripts and the runner to charge a gateway its CPU µs per request and its peak RSS.
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clkTck = 0;
function ticksPerSecond(): number {
  if (clkTck) return clkTck;
  try {
    clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    clkTck = 100;
  }
  return clkTck;
}

export interface ProcSample {
  pid: number;
  /** user + system CPU time, microseconds */
  cpuUs: number;
  /** resident set size, bytes */
  rssBytes: number;
}

/**
 * The fields of /proc/<pid>/stat from field 3 (state) on, or null when the process has exited.
 * The command name (field 2) may contain spaces and parentheses: split after the last ')'.
 * So utime (field 14) is [11], stime [12], cutime [13], cstime [14], rss in pages (24) [21].
 */
export function statFields(pid: number): string[] | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Clock ticks (the unit of /proc's CPU times) as microseconds. */
export function ticksToUs(ticks: number): number {
  return (ticks * 1e6) / ticksPerSecond();
}

/** One process's CPU and RSS, or null when it has exited. */
export function sampleProcess(pid: number): ProcSample | null {
  const fields = statFields(pid);
  if (fields === null) return null;
  return { pid, cpuUs: ticksToUs(Number(fields[11]) + Number(fields[12])), rssBytes: Number(fields[21]) * 4096 };
}

/** The pid and all its descendants (through /proc/<pid>/task/<tid>/children). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        const children = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
        if (children) for (const c of children.split(' ')) stack.push(Number(c));
      } catch {
        /* the task ended meanwhile */
      }
    }
  }
  return out;
}

/** Summed CPU and RSS of a set of pids (and, with `tree`, their descendants). */
export function sampleProcesses(pids: readonly number[], tree = true): { cpuUs: number; rssBytes: number; alive: number } {
  let cpuUs = 0;
  let rssBytes = 0;
  let alive = 0;
  const all = tree ? pids.flatMap((p) => processTree(p)) : pids;
  for (const p of new Set(all)) {
    const s = sampleProcess(p);
    if (!s) continue;
    alive++;
    cpuUs += s.cpuUs;
    rssBytes += s.rssBytes;
  }
  return { cpuUs, rssBytes, alive };
}
