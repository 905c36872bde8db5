// One registry of everything a run starts — child processes, temporary directories, stop
// callbacks — so teardown is one call in reverse order, on success, error and Ctrl-C, and
// a last synchronous sweep on process exit kills what an interrupted teardown missed.
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { StopGroup } from '../../lib/process.js';

export class Registry extends StopGroup {
  private readonly children = new Set<ChildProcess>();
  private readonly dirs = new Set<string>();
  private exitHook: (() => void) | null = null;

  constructor() {
    super();
    this.exitHook = () => this.killSync();
    process.on('exit', this.exitHook);
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

  /** Every stop callback (add(), last-in first-out), then any process and temp dir left. */
  async teardown(): Promise<string[]> {
    const errors = await this.stopAll();
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
