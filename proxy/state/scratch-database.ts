// A throwaway PostgreSQL database for tests and benchmarks: a fresh database on the server of
// DATABASE_URL (dropped afterwards, connections and all), or, with no DATABASE_URL, an embedded
// PostgreSQL of its own (stopped afterwards). Never used by the proxy itself.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

async function adminQuery(base: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** `prefix` names the database (`gb_test`, `gb_bench`, …) so a leftover says who made it. */
export async function scratchDatabase(prefix: string, base = process.env.DATABASE_URL): Promise<ScratchDatabase> {
  if (!base) {
    const e = await startEmbeddedPostgres();
    return { url: e.url, drop: () => e.stop() };
  }
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(base, `CREATE DATABASE ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => adminQuery(base, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
