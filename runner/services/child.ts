// Spawning a service as a child process and waiting for its READY line on stderr
// (`READY {"service":…}`), with a timeout and the child's last output in the error.
// Children run in their own process group (detached) so a terminal's Ctrl-C reaches only
// the runner, which then stops them in order; the registry kills the group as a last resort.
import { spawn, type ChildProcess } from 'node:child_process';
import { ERR_SERVICE_START, ERR_SERVICE_TIMEOUT } from '../../lib/errors.js';
import type { Registry } from './registry.js';

export interface SpawnedService<T> {
  child: ChildProcess;
  ready: T;
  /** the last lines the child wrote to stderr (for error messages) */
  tail(): string;
  /** SIGTERM, wait up to graceMs for the exit, then SIGKILL the group. Resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

const TAIL_LINES = 40;

export function spawnService<T>(
  registry: Registry,
  name: string,
  command: string,
  args: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    readyTimeoutMs?: number;
    readyLine?: (line: string) => T | null;
    /** instead of a READY line: polled every 100 ms until it returns a value */
    readyProbe?: () => Promise<T | null>;
    log?: (line: string) => void;
  } = {},
): Promise<SpawnedService<T>> {
  const timeoutMs = opts.readyTimeoutMs ?? 30_000;
  const child = spawn(command, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  registry.trackChild(child);
  const lines: string[] = [];
  const tail = () => lines.join('\n');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  const parse =
    opts.readyLine ??
    ((line: string) => {
      const i = line.indexOf('READY ');
      if (i < 0) return null;
      return JSON.parse(line.slice(i + 6)) as T;
    });
  let buf = '';
  let onReady: ((v: T) => void) | null = null;
  // stdout only feeds the tail (redis-server logs there); READY lines come on stderr
  let outBuf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    outBuf += chunk;
    let nl: number;
    while ((nl = outBuf.indexOf('\n')) >= 0) {
      lines.push(outBuf.slice(0, nl));
      outBuf = outBuf.slice(nl + 1);
      if (lines.length > TAIL_LINES) lines.shift();
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
      opts.log?.(line);
      if (onReady && !opts.readyProbe) {
        let v: T | null = null;
        try {
          v = parse(line);
        } catch {
          v = null;
        }
        if (v !== null) {
          const f = onReady;
          onReady = null;
          f(v);
        }
      }
    }
  });
  const stop = async (graceMs = 30_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    try {
      child.kill('SIGTERM');
    } catch {
      /* gone */
    }
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const r = await Promise.race([exited, killed]);
    clearTimeout(timer);
    if (r === 'timeout') {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      return exited;
    }
    // the service's own children (instances) share its group: make sure none outlive it
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* group already empty */
    }
    return r;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      onReady = null;
      void stop(2000).then(() => reject(ERR_SERVICE_TIMEOUT([name, String(timeoutMs)], tail() ? [`last output:\n${tail()}`] : [])));
    }, timeoutMs);
    onReady = (v) => {
      clearTimeout(timer);
      resolve({ child, ready: v, tail, stop, exited });
    };
    child.once('error', (err) => {
      clearTimeout(timer);
      onReady = null;
      reject(ERR_SERVICE_START([name, err.message]));
    });
    if (opts.readyProbe) {
      const probe = opts.readyProbe;
      const poll = async (): Promise<void> => {
        if (!onReady) return;
        const v = await probe().catch(() => null);
        if (!onReady) return;
        if (v !== null) {
          const f = onReady;
          onReady = null;
          f(v);
          return;
        }
        setTimeout(() => void poll(), 100);
      };
      setTimeout(() => void poll(), 50);
    }
    void exited.then((code) => {
      if (!onReady) return;
      clearTimeout(timer);
      onReady = null;
      reject(ERR_SERVICE_START([name, `exited with code ${code} before it was ready`], tail() ? [`last output:\n${tail()}`] : []));
    });
  });
}

/** `node dist/cli/bench.js` — the runner's own CLI, whatever the current directory. */
export function benchCli(): [string, string[]] {
  return [process.execPath, [new URL('../../cli/bench.js', import.meta.url).pathname]];
}
