// Starting and stopping a target's processes: a free port, a child in its own process group
// (so a shell command's children stop with it), readiness by an output line or an HTTP
// answer, and a stop that escalates SIGTERM → SIGKILL and waits for the exit.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'undici';

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

export interface Service {
  child: ChildProcess;
  pid: number;
  /** the last ~8 KB of stdout + stderr, for error messages */
  tail(): string;
  exited(): boolean;
  stop(graceMs?: number): Promise<void>;
}

const TAIL = 8192;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Spawns a child in its own process group, keeping a short tail of its output. */
export function spawnService(cmd: string, args: string[], opts: SpawnOptions = {}): Service {
  const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  let done = child.exitCode !== null;
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8').replace(ANSI, '')).slice(-TAIL);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', () => {
    done = true;
  });
  // spawn errors (ENOENT) arrive as 'error'; keep them in the tail so callers can report them
  child.once('error', (err) => {
    done = true;
    tail += `\n${err.message}`;
  });
  // one stop per service: a second call waits for the first instead of signalling a pid
  // (or group) that may since belong to another process
  let stopping: Promise<void> | null = null;
  return {
    child,
    pid: child.pid ?? -1,
    tail: () => tail,
    exited: () => done,
    stop: (graceMs = 5000) => (stopping ??= stopChild(child, graceMs, () => done)),
  };
}

function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig); // the whole group we created (detached: true)
  } catch {
    try {
      child.kill(sig);
    } catch {
      /* already gone */
    }
  }
}

async function stopChild(child: ChildProcess, graceMs: number, isDone: () => boolean): Promise<void> {
  if (child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => {
    if (isDone()) resolve();
    else child.once('exit', () => resolve());
  });
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  // the leader may exit before its group (a shell's children): make sure nothing remains
  signalGroup(child, 'SIGKILL');
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** Resolves with the first output line matching `re`; rejects on exit or timeout. */
export function waitForOutput(svc: Service, re: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8').replace(ANSI, '');
      const m = re.exec(buf);
      if (m) finish(null, m);
      else if (buf.length > 65536) buf = buf.slice(-8192);
    };
    const onExit = () => finish(new Error(`${what} exited before it was ready: ${lastLines(svc.tail())}`));
    const timer = setTimeout(() => finish(new Error(`${what} was not ready after ${timeoutMs} ms: ${lastLines(svc.tail())}`)), timeoutMs);
    const finish = (err: Error | null, m?: RegExpExecArray) => {
      clearTimeout(timer);
      svc.child.stdout?.off('data', onData);
      svc.child.stderr?.off('data', onData);
      svc.child.off('exit', onExit);
      svc.child.off('error', onExit);
      if (err) reject(err);
      else resolve(m!);
    };
    svc.child.stdout?.on('data', onData);
    svc.child.stderr?.on('data', onData);
    svc.child.once('exit', onExit);
    svc.child.once('error', onExit); // spawn failed (ENOENT): no 'exit' follows
    if (svc.exited()) onExit();
  });
}

/** Polls `url` until any HTTP answer; rejects when the service exits or on timeout. */
export async function waitForHttp(url: string, svc: Service | null, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (svc?.exited()) throw new Error(`${what} exited before it was ready: ${lastLines(svc.tail())}`);
    try {
      const r = await request(url, { method: 'GET', headersTimeout: 2000, bodyTimeout: 2000 });
      await r.body.dump();
      return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${what} was not ready after ${timeoutMs} ms${svc ? `: ${lastLines(svc.tail())}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function lastLines(s: string, n = 5): string {
  const lines = s.trim().split('\n').filter(Boolean);
  return lines.slice(-n).join(' | ') || '(no output)';
}

/** Whether an executable is on PATH (or is a path that exists). */
export async function onPath(cmd: string): Promise<string | null> {
  const { access, constants } = await import('node:fs/promises');
  const { delimiter, join } = await import('node:path');
  const dirs = cmd.includes('/') ? [''] : (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/usr/local/sbin', '/sbin']);
  for (const d of dirs) {
    const p = d ? join(d, cmd) : cmd;
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}
