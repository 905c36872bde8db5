// One registry of everything a run starts — child processes, temporary directories, stop
// callbacks — so teardown is one call in reverse order, on success, error and Ctrl-C, and
// a last synchronous sweep on process exit kills what an interrupted teardown missed.
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';

interface Entry {
  name: string;
  stop: () => Promise<void>;
}

export class Registry {
  private readonly entries: Entry[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly dirs = new Set<string>();
  private exitHook: (() => void) | null = null;

  constructor() {
    this.exitHook = () => this.killSync();
    process.on('exit', this.exitHook);
  }

  /** Registers a stop callback; teardown runs them last-in first-out. Returns an unregister. */
  add(name: string, stop: () => Promise<void>): () => void {
    const e = { name, stop };
    this.entries.push(e);
    return () => {
      const i = this.entries.indexOf(e);
      if (i >= 0) this.entries.splice(i, 1);
    };
  }

  trackChild(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  trackDir(dir: string): void {
    this.dirs.add(dir);
  }

  async removeDir(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
    this.dirs.delete(dir);
  }

  /** Stops one registered entry now (and unregisters it). */
  async stopOne(name: string): Promise<void> {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i].name !== name) continue;
      const [e] = this.entries.splice(i, 1);
      await e.stop();
      return;
    }
  }

  /** Everything, in reverse order; errors are collected, not thrown midway. */
  async teardown(): Promise<string[]> {
    const errors: string[] = [];
    while (this.entries.length > 0) {
      const e = this.entries.pop()!;
      try {
        await e.stop();
      } catch (err) {
        errors.push(`${e.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.killSync();
    for (const d of this.dirs) await rm(d, { recursive: true, force: true }).catch(() => {});
    this.dirs.clear();
    if (this.exitHook) process.off('exit', this.exitHook);
    this.exitHook = null;
    return errors;
  }

  /** Last resort: SIGKILL every tracked process group and remove the temp dirs, synchronously. */
  killSync(): void {
    for (const c of this.children) {
      if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) continue;
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        try {
          c.kill('SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    this.children.clear();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}
