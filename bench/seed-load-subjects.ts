// What `npm run bench:seed-load` measures, each as a Subject that runs one measured window at
// the seed's load and returns the CPU its processes spent and the requests served in it.
//   - generators (ours, autocannon) run as child processes against a minimal node:http server
//     in this process, which counts the requests: one count and one CPU clock for both;
//   - servers (fake upstream, proxies, their floors) run as child processes, driven by our
//     generator in this process, whose run has the measured window's timers on this loop.
// CPU: the /proc utime+stime delta of the subject's process tree over the window.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Service } from '../lib/process.js';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { sampleProcesses } from '../lib/proc-stats.js';
import { startLoad, type RequestTemplateConfig } from '../loadgen/index.js';
import { SEED_TEMPLATE } from '../loadgen/seed.js';
import { BENCH_JS } from './proxy-common.js';

/** The seed's load: 1000 users, spawned 500 a second, each waiting 0.5–1 s between requests. */
export const SEED_USERS = 1000;
export const SEED_SPAWN_RATE = 500;
const AUTOCANNON = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));

export interface WindowResult {
  cpuUs: number;
  requests: number;
  seconds: number;
  failures: number;
}

export interface Subject {
  name: string;
  /** one window: `warmupS` not counted (spawn ramp, JIT), then `seconds` measured */
  measure(warmupS: number, seconds: number): Promise<WindowResult>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

// ------------------------------------------------------------ generators

/** The sink the generators load: node:http, reads the body, a small JSON answer, counts. */
export class CountingServer {
  served = 0;
  failures = 0;
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    const answer = Buffer.from('{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}');
    this.server = createServer((req, res) => {
      req.on('data', () => {});
      req.on('end', () => {
        this.served++;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
        res.end(answer);
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** A generator child process: started per window, measured after its warm-up, then stopped. */
function generatorSubject(name: string, sink: CountingServer, argv: (totalS: number) => string[]): Subject {
  return {
    name,
    async measure(warmupS, seconds) {
      // a child first loads its modules and (ours, the floor) ramps its users up over 2 s: its
      // warm-up starts after that. It runs past the window, which must close while it still sends.
      const settle = warmupS + 2;
      const child = spawn(process.execPath, argv(settle + seconds + 5), { stdio: 'ignore' });
      try {
        await sleep(settle * 1000);
        const a = sampleProcesses([child.pid!]);
        const n0 = sink.served;
        const t0 = performance.now();
        await sleep(seconds * 1000);
        const b = sampleProcesses([child.pid!]);
        const n1 = sink.served;
        if (child.exitCode !== null) throw new Error(`${name} exited early (${child.exitCode})`);
        return { cpuUs: b.cpuUs - a.cpuUs, requests: n1 - n0, seconds: (performance.now() - t0) / 1000, failures: 0 };
      } finally {
        child.kill('SIGKILL');
        await exited(child);
      }
    },
  };
}

/** `bench load --seed-body` at the seed's load, as a user runs it. */
export function ourGenerator(sink: CountingServer): Subject {
  return generatorSubject('gatebench load', sink, (s) => [
    BENCH_JS, 'load', `${sink.url}/chat/completions`, '--seed-body', '--users', String(SEED_USERS), '--spawn-rate', String(SEED_SPAWN_RATE),
    '--wait', '0.5-1', '--duration', `${s}s`, '--json',
  ]);
}

/** autocannon with as many connections as users, at `rate()` req/s over all of them, the seed body. */
export function autocannonGenerator(sink: CountingServer, bodyFile: string, rate: () => number): Subject {
  return generatorSubject('autocannon', sink, (s) => [
    AUTOCANNON, '-c', String(SEED_USERS), '-R', String(Math.round(rate())), '-d', String(s), '-m', 'POST',
    '-H', 'content-type=application/json', '-H', 'authorization=Bearer sk-1234567890', '-i', bodyFile, '-j', `${sink.url}/chat/completions`,
  ]);
}

// ------------------------------------------------------------ servers

export interface Running {
  urls: string[];
  /** processes whose CPU is charged (their descendants too) */
  pids: number[];
  services: Service[];
}

/** A server (or a set of instances) driven by our generator in this process at the seed's load. */
export function serverSubject(name: string, target: Running, token: string): Subject {
  const template: RequestTemplateConfig = { ...SEED_TEMPLATE, headers: { Authorization: `Bearer ${token}` } };
  return {
    name,
    async measure(warmupS, seconds) {
      const run = startLoad({
        targets: target.urls,
        model: { kind: 'closed', users: SEED_USERS, spawnRate: SEED_SPAWN_RATE, wait: { between: [0.5, 1] }, gracefulStopMs: 2000 },
        warmupMs: warmupS * 1000,
        durationMs: seconds * 1000,
        templates: [template],
      });
      // the run's own window timers are on this loop: sample at the same instants
      let a: { cpuUs: number } | null = null;
      let b: { cpuUs: number } | null = null;
      const ta = setTimeout(() => (a = sampleProcesses(target.pids)), warmupS * 1000);
      const tb = setTimeout(() => (b = sampleProcesses(target.pids)), (warmupS + seconds) * 1000);
      const r = await run.result;
      clearTimeout(ta);
      clearTimeout(tb);
      // the run may end a hair before our timer (its own was armed first): its ramp-down is ms
      b ??= sampleProcesses(target.pids);
      if (a === null) throw new Error(`${name}: the run ended before its warm-up did`);
      const failures = Object.values(r.failures).reduce((x, y) => x + y, 0);
      return { cpuUs: b.cpuUs - (a as { cpuUs: number }).cpuUs, requests: r.requests, seconds: r.duration_s, failures };
    },
  };
}

/** The same arrival pattern on bare node:net sockets (bench/seed-load-floor.ts). */
export function floorGenerator(sink: CountingServer, bodyFile: string): Subject {
  const script = fileURLToPath(new URL('./seed-load-floor.js', import.meta.url));
  return generatorSubject('node:net floor', sink, (s) => [script, `${sink.url}/chat/completions`, String(s), bodyFile]);
}
