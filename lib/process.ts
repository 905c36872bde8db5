// The one process toolkit: a free port, a PATH lookup, a service spawned in its own process
// group and awaited until it prints its READY line (or a probe answers), and a group of stop
// callbacks run in reverse order. The runner, the gateway targets, bench/ and the tests all
// start their processes through here, so a child is started, awaited, reported and stopped
// one way everywhere.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { request } from 'undici';
import { ERR_SERVICE_START, ERR_SERVICE_TIMEOUT } from './errors.js';

/** A port that was free a moment ago (for servers that cannot listen on port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The executable's path: `cmd` itself when it contains a slash, else the first match on PATH (and the sbin dirs, where nginx lives). */
export function findOnPath(cmd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = cmd.includes('/') ? [''] : (env.PATH ?? '').split(delimiter).concat(['/usr/local/sbin', '/usr/sbin', '/sbin']);
  for (const d of dirs) {
    const p = d ? join(d, cmd) : cmd;
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** `READY {json}` — the line `bench proxy`, `bench upstream` and our helpers print when they serve. */
export function parseReadyLine<T = Record<string, unknown>>(line: string): T | null {
  const i = line.indexOf('READY {');
  if (i < 0) return null;
  try {
    return JSON.parse(line.slice(i + 6)) as T;
  } catch {
    return null;
  }
}

/** The last lines of a tail, on one line (for error messages). */
export function lastLines(s: string, n = 5): string {
  const lines = s.trim().split('\n').filter(Boolean);
  return lines.slice(-n).join(' | ') || '(no output)';
}

/** A probe that is ready when `url` gives any HTTP answer. */
export function httpProbe(url: string): () => Promise<true | null> {
  return async () => {
    try {
      const r = await request(url, { method: 'GET', headersTimeout: 2000, bodyTimeout: 2000 });
      await r.body.dump();
      return true;
    } catch {
      return null;
    }
  };
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stop signals the whole process group, not just the leader (a shell command's children) */
  termGroup?: boolean;
  /** called with the child right after spawn (the runner's registry tracks it for a last-resort kill) */
  onSpawn?: (child: ChildProcess) => void;
  /** every line the child writes to stderr */
  log?: (line: string) => void;
}

export interface ReadyOptions<T> {
  /** a line (stdout or stderr) → the ready value, or null; default: parseReadyLine */
  line?: (line: string) => T | null;
  /** instead of a line: polled every 100 ms until it returns a value */
  probe?: () => Promise<T | null>;
  timeoutMs?: number;
}

export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** the last lines the child wrote (stdout and stderr, without colours) */
  tail(): string;
  exited(): boolean;
  /** resolves with the exit code (128 when killed by a signal) */
  readonly exit: Promise<number | null>;
  /** resolves with the first ready value; rejects (coded errors, the child's last output in the problems) on exit or timeout */
  waitReady<T>(o?: ReadyOptions<T>): Promise<T>;
  /** SIGTERM, up to graceMs for the exit, then SIGKILL; then the group is killed so no child outlives it. One stop per service. */
  stop(graceMs?: number): Promise<number | null>;
}

const TAIL_LINES = 40;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Spawns `cmd` in its own process group (a terminal's Ctrl-C reaches only us, and we stop it in order). */
export function spawnService(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Service {
  const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  opts.onSpawn?.(child);
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let spawnError: Error | null = null;
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    // spawn errors (ENOENT) arrive as 'error' and no 'exit' follows
    child.once('error', (err) => {
      spawnError = err;
      lines.push(err.message);
      resolve(null);
    });
  });
  let done = false;
  void exit.then(() => (done = true));
  const feed = (isErr: boolean) => {
    let buf = '';
    return (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(ANSI, '');
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();
        if (isErr) opts.log?.(line);
        for (const l of listeners) l(line);
      }
      if (buf.length > 65536) buf = buf.slice(-8192);
    };
  };
  child.stdout!.setEncoding('utf8').on('data', feed(false));
  child.stderr!.setEncoding('utf8').on('data', feed(true));
  const tail = () => lines.join('\n');
  const lastOutput = () => (tail() ? [`last output:\n${tail()}`] : []);

  const signal = (sig: NodeJS.Signals, group: boolean) => {
    if (child.pid === undefined) return;
    try {
      if (group) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      /* already gone */
    }
  };
  let stopping: Promise<number | null> | null = null;
  const stop = (graceMs = 30_000): Promise<number | null> =>
    (stopping ??= (async () => {
      if (!done) {
        signal('SIGTERM', opts.termGroup === true);
        const timer = setTimeout(() => signal('SIGKILL', true), graceMs);
        await exit;
        clearTimeout(timer);
      }
      // the leader may exit before its group (a shell's children, a proxy's instances)
      signal('SIGKILL', true);
      child.stdout?.destroy();
      child.stderr?.destroy();
      return exit;
    })());

  const waitReady = <T>(o: ReadyOptions<T> = {}): Promise<T> => {
    const timeoutMs = o.timeoutMs ?? 30_000;
    const parse = o.line ?? ((line: string) => parseReadyLine(line) as T | null);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null, v?: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        listeners.delete(onLine);
        if (err) reject(err);
        else resolve(v as T);
      };
      const onLine = (line: string) => {
        if (o.probe) return;
        let v: T | null = null;
        try {
          v = parse(line);
        } catch {
          v = null;
        }
        if (v !== null) finish(null, v);
      };
      const timer = setTimeout(() => finish(ERR_SERVICE_TIMEOUT([name, String(timeoutMs)], lastOutput())), timeoutMs);
      listeners.add(onLine);
      for (const line of lines) onLine(line); // printed before we listened
      void exit.then((code) => {
        if (spawnError) finish(ERR_SERVICE_START([name, spawnError.message], lastOutput()));
        else finish(ERR_SERVICE_START([name, `exited with code ${code} before it was ready`], lastOutput()));
      });
      if (o.probe) {
        const probe = o.probe;
        const poll = async (): Promise<void> => {
          if (settled) return;
          const v = await probe().catch(() => null);
          if (v !== null) finish(null, v);
          else if (!settled) setTimeout(() => void poll(), 100);
        };
        setTimeout(() => void poll(), 50);
      }
    });
  };

  return { name, child, pid: child.pid ?? -1, tail, exited: () => done, exit, waitReady, stop };
}

/** A started service and its ready value. */
export type Started<T> = Service & { ready: T };

/** spawnService + waitReady; a service that never becomes ready is stopped before the error is thrown. */
export async function startService<T = Record<string, unknown>>(name: string, cmd: string, args: string[], opts: SpawnOptions & ReadyOptions<T> = {}): Promise<Started<T>> {
  const svc = spawnService(name, cmd, args, opts);
  try {
    const ready = await svc.waitReady<T>(opts);
    return Object.assign(svc, { ready });
  } catch (err) {
    await svc.stop(2000);
    throw err;
  }
}

/** Every message of an error, its problems included (the child's last output sits there). */
export function errorText(err: unknown): string {
  const e = err as { message?: string; problems?: string[] };
  return [e?.message ?? String(err), ...(e?.problems ?? [])].join('\n');
}

/** Stop callbacks run last-in first-out: what started last stops first. Errors are collected, not thrown midway. */
export class StopGroup {
  private readonly entries: { name: string; stop: () => Promise<unknown> }[] = [];

  /** Registers a stop callback. Returns an unregister. */
  add(name: string, stop: () => Promise<unknown>): () => void {
    const e = { name, stop };
    this.entries.push(e);
    return () => {
      const i = this.entries.indexOf(e);
      if (i >= 0) this.entries.splice(i, 1);
    };
  }

  /** Stops the last-registered entry of that name now (and unregisters it). */
  async stopOne(name: string): Promise<void> {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i].name !== name) continue;
      const [e] = this.entries.splice(i, 1);
      await e.stop();
      return;
    }
  }

  /** Everything, in reverse order; returns `name: error` for each stop that failed. */
  async stopAll(): Promise<string[]> {
    const errors: string[] = [];
    while (this.entries.length > 0) {
      const e = this.entries.pop()!;
      try {
        await e.stop();
      } catch (err) {
        errors.push(`${e.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return errors;
  }
}

/** `node dist/cli/bench.js` — this build's CLI, whatever the current directory. */
export function benchCli(): [string, string[]] {
  return [process.execPath, [new URL('../cli/bench.js', import.meta.url).pathname]];
}
