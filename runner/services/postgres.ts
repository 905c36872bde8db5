// PostgreSQL for a run: an embedded server (in a child process) or the scenario's URL. Each
// variant gets a fresh database on it (CREATE DATABASE), dropped after its rows are counted;
// when the URL's user may not create databases, the variant uses the URL's database and
// integrity counts the rows it added.
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startService } from '../../lib/process.js';
import type { Registry } from './registry.js';

export interface PostgresHandle {
  /** the server's admin URL */
  url: string;
  embedded: boolean;
  /** the embedded server's process (its tree holds the postmaster and backends); the rig samples it */
  pid?: number;
  stop(): Promise<void>;
}

export interface VariantDatabase {
  url: string;
  /** gb_spend_logs rows written since the database was handed out */
  spendRows(): Promise<number>;
  drop(): Promise<void>;
}

export async function startPostgres(registry: Registry, setting: string, log: (m: string) => void): Promise<PostgresHandle> {
  if (setting !== 'embedded') return { url: setting, embedded: false, stop: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'gb-run-pg-'));
  registry.trackDir(dir);
  // as root, the embedded server runs as the `postgres` user, which must traverse the dir
  await chmod(dir, 0o755);
  const script = new URL('./pg-child.js', import.meta.url).pathname;
  const svc = await startService<{ url: string; pid?: number }>('embedded PostgreSQL', process.execPath, [script, join(dir, 'data')], {
    onSpawn: (c) => registry.trackChild(c),
    timeoutMs: 120_000,
  });
  log(`postgres: embedded at ${svc.ready.url.replace(/:[^:@/]*@/, ':***@')} (temp ${dir})`);
  const stop = async () => {
    await svc.stop(30_000);
    await registry.removeDir(dir);
  };
  registry.add('postgres', stop);
  return { url: svc.ready.url, embedded: true, pid: svc.ready.pid ?? svc.child.pid, stop };
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

async function countRows(url: string): Promise<number> {
  try {
    const rows = await query<{ n: string }>(url, 'SELECT count(*)::bigint AS n FROM gb_spend_logs');
    return Number(rows[0].n);
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return 0; // the table does not exist yet
    throw err;
  }
}

export async function variantDatabase(server: PostgresHandle, name: string, log: (m: string) => void): Promise<VariantDatabase> {
  const dbName = `gb_${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`.slice(0, 60);
  try {
    await query(server.url, `DROP DATABASE IF EXISTS ${dbName}`);
    await query(server.url, `CREATE DATABASE ${dbName}`);
    const u = new URL(server.url);
    u.pathname = `/${dbName}`;
    const url = u.toString();
    return {
      url,
      spendRows: () => countRows(url),
      drop: async () => {
        await query(server.url, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      },
    };
  } catch (err) {
    log(`postgres: cannot create a database per variant (${(err as Error).message}); using the URL's database and counting the rows each variant adds`);
    const before = await countRows(server.url);
    return { url: server.url, spendRows: async () => (await countRows(server.url)) - before, drop: async () => {} };
  }
}
