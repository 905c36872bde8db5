// `bench proxy`: load and validate the config, start one proxy (or N processes), print the
// READY line the runner parses, and drain on SIGTERM/SIGINT.
//
// --instances N runs N OS processes on N ports (--port P → P..P+N-1; --port 0 → N free
// ports), not node:cluster on one port: on Linux node:cluster cannot use SO_REUSEPORT and
// balances connections round-robin through the primary, which costs the primary CPU per
// connection and hides part of the gateway's cost; with N ports a load generator spreads
// its users over the instances exactly. The primary is then only a supervisor: it forks
// proxy/worker.js N times, waits for each to report its URL over IPC, writes READY, and
// forwards SIGTERM. With --instances 1 the proxy runs in the command's own process.
import { fork, type ChildProcess } from 'node:child_process';
import { ERR_INVALID_ARG, ERR_SERVICE_START } from '../lib/errors.js';
import { loadProxyConfigFile, type ProxyConfig } from './config.js';
import { startInstance, type InstanceOptions } from './instance.js';
import { wantsState } from './state-loader.js';

export interface ProxyFlags {
  config?: string;
  port: string;
  host: string;
  instances: string;
  connections?: string;
}

function intFlag(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw ERR_INVALID_ARG([`--${name}`, `expected an integer >= ${min}, got ${JSON.stringify(value)}`]);
  return n;
}

function ready(urls: string[], pids: number[]): void {
  process.stderr.write(`READY ${JSON.stringify({ service: 'proxy', urls, pids, pid: process.pid })}\n`);
}

export async function runProxyCommand(flags: ProxyFlags): Promise<void> {
  if (!flags.config) throw ERR_INVALID_ARG(['--config', 'a LiteLLM-style config file is required']);
  const port = intFlag('port', flags.port, 0);
  const instances = intFlag('instances', flags.instances, 1);
  const connections = flags.connections !== undefined ? intFlag('connections', flags.connections, 1) : null;
  if (port !== 0 && port + instances - 1 > 65535) throw ERR_INVALID_ARG(['--port', `${port}+${instances - 1} is past 65535`]);
  // Validate once here, so that a bad file exits 2 with every problem before any fork.
  const config = await loadProxyConfigFile(flags.config);
  const opts: InstanceOptions = { configPath: flags.config, port, host: flags.host, connections };
  const signals = signalGate();
  if (instances === 1) {
    const inst = await startInstance(opts);
    ready([inst.url], [process.pid]);
    signals.ready(async () => {
      await inst.close();
      process.exit(0);
    });
    return;
  }
  await runPrimary(opts, instances, config, signals);
}

/**
 * SIGTERM/SIGINT handling from the first moment: a signal during start-up (while an embedded
 * PostgreSQL initialises, say) must not kill the process by default and leave the cluster and
 * its temp dir behind. It is held until start-up ends; then the drain runs at once.
 */
function signalGate(): { ready(drain: () => Promise<void>): void } {
  let pending = false;
  let run: (() => void) | null = null;
  const handler = () => {
    if (run !== null) run();
    else pending = true;
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return {
    ready(drain) {
      let draining = false;
      run = () => {
        if (draining) return;
        draining = true;
        drain().catch((err: unknown) => {
          process.stderr.write(`bench proxy: drain failed: ${err instanceof Error ? err.message : String(err)}\n`);
          process.exit(1);
        });
      };
      if (pending) run();
    },
  };
}

/**
 * N instances must share one database (a key made on one is valid on all; spend rows land in
 * one table). With state wanted and no database configured, the primary starts the embedded
 * PostgreSQL, hands its URL to the workers, and stops it only after every worker has exited,
 * because workers flush their spend logs into it while they drain.
 */
async function sharedDatabase(config: ProxyConfig): Promise<{ env: NodeJS.ProcessEnv; stop(): Promise<void> }> {
  if (!wantsState(config) || config.general_settings.database_url || process.env.DATABASE_URL) {
    return { env: process.env, stop: async () => {} };
  }
  const { startEmbeddedPostgres } = await import('./state/embedded-postgres.js');
  process.stderr.write('bench proxy: no database_url / DATABASE_URL: starting an embedded PostgreSQL shared by the instances\n');
  const pg = await startEmbeddedPostgres({ stopOnSignals: false });
  return { env: { ...process.env, DATABASE_URL: pg.url }, stop: () => pg.stop() };
}

async function runPrimary(opts: InstanceOptions, n: number, config: ProxyConfig, signals: ReturnType<typeof signalGate>): Promise<void> {
  const workerPath = new URL('./worker.js', import.meta.url);
  const db = await sharedDatabase(config);
  const children: ChildProcess[] = [];
  let stopping = false;
  const started = Promise.all(
    Array.from({ length: n }, (_, i) => {
      const child = fork(workerPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: db.env });
      children.push(child);
      return new Promise<{ url: string; pid: number }>((resolve, reject) => {
        child.once('message', (m: { type?: string; url?: string; error?: string }) => {
          if (m.type === 'ready' && m.url) resolve({ url: m.url, pid: child.pid as number });
          else reject(ERR_SERVICE_START([`proxy instance ${i}`, m.error ?? 'no ready message']));
        });
        child.once('exit', (code) => {
          if (!stopping) reject(ERR_SERVICE_START([`proxy instance ${i}`, `exited with code ${code}`]));
        });
        child.send({ ...opts, port: opts.port === 0 ? 0 : opts.port + i });
      });
    }),
  );
  let up: { url: string; pid: number }[];
  try {
    up = await started;
  } catch (err) {
    stopping = true;
    for (const c of children) c.kill('SIGKILL');
    await db.stop();
    throw err;
  }
  for (const c of children) {
    c.on('exit', (code, signal) => {
      if (!stopping) process.stderr.write(`bench proxy: instance ${c.pid} exited (${signal ?? code})\n`);
    });
  }
  ready(
    up.map((u) => u.url),
    up.map((u) => u.pid),
  );
  signals.ready(async () => {
    stopping = true;
    const exits = children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve(c.exitCode ?? 0) : new Promise<number>((r) => c.once('exit', (code) => r(code ?? 1)))));
    for (const c of children) c.kill('SIGTERM');
    const codes = await Promise.all(exits);
    await db.stop();
    process.exit(codes.every((c) => c === 0) ? 0 : 1);
  });
}
