// PostgreSQL pool and schema migrations. Migrations run under a session advisory lock so N
// instances starting at once apply each step exactly once; schema_migrations records them.
import pg from 'pg';

const MIGRATION_LOCK = 727_274_001; // arbitrary, constant: "gatebench migrations"

const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE IF NOT EXISTS gb_keys (
  key_hash     text PRIMARY KEY,
  key_alias    text,
  models       text[],
  max_budget   double precision,
  spend        double precision NOT NULL DEFAULT 0,
  rpm_limit    integer,
  tpm_limit    integer,
  expires_at   timestamptz,
  metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS gb_spend_logs (
  request_id        text PRIMARY KEY,
  key_hash          text,
  model_group       text NOT NULL,
  deployment_id     text,
  api_base          text,
  status            integer NOT NULL,
  error_kind        text,
  stream            boolean NOT NULL,
  prompt_tokens     integer NOT NULL,
  completion_tokens integer NOT NULL,
  total_tokens      integer NOT NULL,
  spend             double precision NOT NULL,
  start_time        timestamptz NOT NULL,
  end_time          timestamptz NOT NULL,
  duration_ms       double precision NOT NULL,
  overhead_ms       double precision NOT NULL,
  cache_hit         boolean NOT NULL,
  end_user          text
);
CREATE INDEX IF NOT EXISTS gb_spend_logs_key_start ON gb_spend_logs (key_hash, start_time);
CREATE TABLE IF NOT EXISTS gb_models (
  model_id       text PRIMARY KEY,
  model_name     text NOT NULL,
  litellm_params jsonb NOT NULL,
  model_info     jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);`,
  },
];

export function createPool(url: string, max: number, onError: (e: Error) => void): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 3000, idleTimeoutMillis: 30_000 });
  // An idle client losing its server (restart, pg_terminate_backend) emits on the pool: without
  // a listener that would crash the process.
  pool.on('error', onError);
  return pool;
}

export async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
        applied.push(m.version);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    }
  } finally {
    client.release();
  }
  return applied;
}
