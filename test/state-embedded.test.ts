// The embedded PostgreSQL: starts with real binaries (as root via a postgres user), accepts
// queries, and leaves no process and no temp directory after stop() — nor when the proxy
// that started it is stopped in the middle of its start-up.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import pg from 'pg';
import { startEmbeddedPostgres } from '../proxy/state/embedded-postgres.js';
import { createStateHooks } from '../proxy/state/index.js';
import { startService } from '../lib/process.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function postmasterPid(dataDir: string): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  return Number((await readFile(`${dataDir}/postmaster.pid`, 'utf8')).split('\n')[0]);
}

test('embedded PostgreSQL starts, answers, stops and leaves nothing behind', async () => {
  const events = ['SIGINT', 'SIGTERM', 'beforeExit', 'message'] as const;
  const counts = () => events.map((e) => process.listenerCount(e));
  const before = counts();
  const e = await startEmbeddedPostgres({ stopOnSignals: false });
  assert.deepEqual(counts(), before, "embedded-postgres's signal/beforeExit hooks are removed: the caller owns shutdown");
  let stopped = false;
  try {
    const pid = await postmasterPid(e.dataDir);
    assert.ok(alive(pid), 'postmaster runs');
    const c = new pg.Client({ connectionString: e.url });
    await c.connect();
    const r = await c.query<{ one: number }>('SELECT 1 AS one');
    await c.end();
    assert.equal(r.rows[0].one, 1);
    await e.stop();
    stopped = true;
    assert.equal(alive(pid), false, 'postmaster is gone after stop');
    assert.equal(existsSync(e.dataDir), false, 'data dir removed');
    assert.equal(existsSync(e.dataDir.replace(/\/data$/, '')), false, 'temp dir removed');
  } finally {
    if (!stopped) await e.stop();
  }
});

test('createStateHooks with no database configured runs on its own embedded PostgreSQL', async (t) => {
  const saved = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL;
  t.after(() => {
    if (saved !== undefined) process.env.DATABASE_URL = saved;
  });
  const state = await createStateHooks({ config: {}, log: () => {} });
  const url = new URL(state.databaseUrl);
  const c = new pg.Client({ connectionString: state.databaseUrl });
  await c.connect();
  const r = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('gb_keys','gb_spend_logs','gb_models','schema_migrations')");
  await c.end();
  assert.equal(r.rows[0].n, 4, 'schema migrated');
  await state.close();
  const c2 = new pg.Client({ connectionString: state.databaseUrl, connectionTimeoutMillis: 1000 });
  c2.on('error', () => {});
  await assert.rejects(c2.connect(), 'the embedded server is stopped by close()');
  assert.ok(url.port);
});

test('a process that only runs the embedded PostgreSQL stops it on SIGTERM and exits (default stopOnSignals)', async (t) => {
  const mod = fileURLToPath(new URL('../proxy/state/embedded-postgres.js', import.meta.url));
  const script = `import { startEmbeddedPostgres } from ${JSON.stringify(mod)};
const e = await startEmbeddedPostgres();
process.stdout.write(JSON.stringify({ dataDir: e.dataDir }) + '\\n');
setInterval(() => {}, 1 << 30);`;
  const svc = await startService<{ dataDir: string }>('embedded PostgreSQL script', process.execPath, ['--input-type=module', '-e', script], {
    line: (l) => (l.startsWith('{"dataDir"') ? (JSON.parse(l) as { dataDir: string }) : null),
    timeoutMs: 120_000,
  });
  t.after(() => svc.stop(1000));
  const { child, exit: exited } = svc;
  const { dataDir } = svc.ready;
  const pid = await postmasterPid(dataDir);
  assert.ok(alive(pid));
  child.kill('SIGTERM');
  assert.equal(await exited, 143);
  assert.equal(alive(pid), false, 'postmaster stopped');
  assert.equal(existsSync(dataDir.replace(/\/data$/, '')), false, 'temp dir removed');
});

test('bench proxy SIGTERMed while its embedded PostgreSQL starts leaves no process and no temp dir', async (t) => {
  // A private TMPDIR: the embedded cluster's temp dir is made in it, so "nothing left" is
  // checkable while other test files make clusters of their own.
  const tmp = mkdtempSync(join(tmpdir(), 'gb-sigterm-startup-'));
  chmodSync(tmp, 0o755); // initdb runs as the postgres user and reads its password file here
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const cfg = join(tmp, 'proxy.yaml');
  writeFileSync(cfg, 'model_list:\n  - model_name: m\n    litellm_params: { model: openai/m, api_base: http://127.0.0.1:9/v1 }\nlitellm_settings:\n  callbacks: [webhook]\n');
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
  delete env.DATABASE_URL;
  delete env.GATEBENCH_WEBHOOK_URL;
  const bench = fileURLToPath(new URL('../cli/bench.js', import.meta.url));
  const child = spawn(process.execPath, [bench, 'proxy', '--config', cfg, '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('starting an embedded PostgreSQL')) resolve();
    });
    child.once('exit', () => reject(new Error(`bench proxy exited before starting PostgreSQL: ${err}`)));
  });
  // the cluster is being initialised now (initdb takes seconds): stop the proxy mid-start
  await new Promise((r) => setTimeout(r, 200));
  child.kill('SIGTERM');
  const code = await exited;
  assert.ok(code === 0 || code === 143, `exit code ${code}: ${err}`);
  assert.deepEqual(readdirSync(tmp).filter((n) => n.startsWith('gb-pg-')), [], `no cluster dir left in ${tmp}`);
  const left = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(tmp);
    } catch {
      return false;
    }
  });
  assert.deepEqual(left, [], 'no process runs from the cluster dir');
});
