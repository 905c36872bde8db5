// `bench proxy` as a real process for the reliability and security tests (its RSS is read
// from /proc, it can be SIGTERMed), plus a raw-TCP client that sends exact bytes.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startService } from '../../lib/process.js';

export const BENCH = fileURLToPath(new URL('../../cli/bench.js', import.meta.url));

export interface SpawnedProxy {
  child: ChildProcess;
  urls: string[];
  pids: number[];
  stderr(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code */
  stop(): Promise<number | null>;
}

export async function spawnProxy(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<SpawnedProxy> {
  // all of stderr, not just a tail: the security tests search it for leaked keys
  let err = '';
  const svc = await startService<{ urls: string[]; pids: number[] }>('bench proxy', process.execPath, [BENCH, 'proxy', ...args], {
    env,
    timeoutMs: 30_000,
    log: (line) => (err += `${line}\n`),
  });
  return { child: svc.child, urls: svc.ready.urls, pids: svc.ready.pids, stderr: () => err, stop: () => svc.stop(10_000) };
}

/** Resident set size of a process, MB (Linux /proc). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Open file descriptors (sockets included) of a process. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** the whole answer as received */
  raw: string;
}

/** Sends `bytes` on a fresh connection and reads until the server closes it (or `timeoutMs`). */
export function sendRaw(url: string, bytes: Buffer, timeoutMs = 15_000): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: u.hostname, port: Number(u.port) });
    const parts: Buffer[] = [];
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      const raw = Buffer.concat(parts).toString('latin1');
      if (raw.length === 0) return reject(err ?? new Error('connection closed without an answer'));
      resolve(parseResponse(raw));
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    sock.on('data', (d: Buffer) => {
      parts.push(d);
      // a complete answer with a content-length: no need to wait for the close
      const raw = Buffer.concat(parts).toString('latin1');
      const he = raw.indexOf('\r\n\r\n');
      const cl = /\r\ncontent-length: *(\d+)/i.exec(raw.slice(0, he));
      if (he >= 0 && cl && raw.length - he - 4 >= Number(cl[1])) finish();
    });
    sock.on('end', () => finish());
    sock.on('close', () => finish());
    sock.on('error', (e) => finish(e));
    sock.write(bytes);
  });
}

function parseResponse(raw: string): RawResponse {
  const he = raw.indexOf('\r\n\r\n');
  const head = he >= 0 ? raw.slice(0, he) : raw;
  const lines = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? NaN);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
  }
  let body = he >= 0 ? raw.slice(he + 4) : '';
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  else if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  return { status, headers, body: Buffer.from(body, 'latin1').toString('utf8'), raw };
}

function dechunk(s: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const nl = s.indexOf('\r\n', i);
    if (nl < 0) return out;
    const n = parseInt(s.slice(i, nl), 16);
    if (!(n > 0)) return out;
    out += s.slice(nl + 2, nl + 2 + n);
    i = nl + 2 + n + 2;
  }
}
