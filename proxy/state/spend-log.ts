// Spend logs: one gb_spend_logs row per request. push() is the request path (an array push);
// a writer drains the queue every proxy_batch_write_at seconds or at batchSize rows, as one
// INSERT … SELECT FROM unnest(…) ON CONFLICT (request_id) DO NOTHING (idempotent replays) that
// also adds the newly inserted spend to gb_keys in the same statement (one transaction).
// Database down → rows stay queued and are retried with backoff; past maxQueue they spill to
// NDJSON files in spillDir, replayed (and deleted) once the database answers again. Nothing is
// dropped: rows the database rejects as invalid go to a rejected-*.ndjson file and are counted.
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import type { RequestRecord } from '../hooks.js';
import { writeBatch } from './spend-sql.js';

export interface SpendLogOptions {
  batchMs: number;
  batchSize: number;
  maxQueue: number;
  spillDir: string;
  /** disable_spend_logs: only key spend totals are updated */
  disabled: boolean;
  /** how long close() keeps retrying a down database before spilling what is left */
  closeTimeoutMs: number;
  log: (msg: string) => void;
}

export interface SpendCounters {
  recorded: number;
  written: number;
  duplicates: number;
  retried: number;
  spilled: number;
  replayed: number;
  failed: number;
  queued: number;
  dbDown: number;
}

let seq = 0;

export class SpendLog {
  private queue: RequestRecord[] = [];
  private writing: Promise<void> | null = null;
  private spillChain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoffMs = 0;
  private down = false;
  private closed = false;
  private kick = false;
  private spillPending = false;
  readonly counters: SpendCounters = { recorded: 0, written: 0, duplicates: 0, retried: 0, spilled: 0, replayed: 0, failed: 0, queued: 0, dbDown: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly o: SpendLogOptions,
  ) {
    // while the database is down the backoff timer drives retries, not this tick
    this.timer = setInterval(() => {
      if (!this.down) void this.flush();
    }, o.batchMs);
    this.timer.unref();
    // Files left by an earlier run (crash, database down at its close) are replayed at start.
    this.spillPending = true;
  }

  push(rec: RequestRecord): void {
    this.counters.recorded++;
    const q = this.queue;
    q.push(rec);
    if (q.length >= this.o.batchSize && !this.kick && !this.down) {
      this.kick = true;
      setImmediate(() => void this.flush());
    }
    if (q.length > this.o.maxQueue) this.spill();
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Writes everything queued (and replays spill files) unless the database is down. */
  flush(): Promise<void> {
    this.kick = false;
    if (this.writing === null) this.writing = this.drain().finally(() => (this.writing = null));
    return this.writing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.length <= this.o.batchSize ? this.queue : this.queue.slice(0, this.o.batchSize);
      this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
      if (!(await this.writeOrKeep(batch))) return;
    }
    if (this.spillPending) await this.replay();
  }

  /** false when the database is down (the batch is back at the front of the queue). */
  private async writeOrKeep(batch: RequestRecord[], replay = false): Promise<boolean> {
    try {
      const inserted = await writeBatch(this.pool, batch, this.o.disabled);
      this.counters.written += batch.length;
      this.counters.duplicates += batch.length - inserted;
      if (replay) this.counters.replayed += batch.length;
      if (this.down) this.o.log(`spend logs: database is back, writing ${this.queue.length} queued rows`);
      this.down = false;
      this.backoffMs = 0;
      return true;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (code.startsWith('22') || code.startsWith('23')) {
        // The database rejects the data itself: retrying cannot help; keep the rows in a file.
        this.counters.failed += batch.length;
        this.o.log(`spend logs: ${batch.length} rows rejected by the database (${(err as Error).message}), kept in ${this.o.spillDir}/rejected-*.ndjson`);
        await this.writeFileOf('rejected', batch);
        return true;
      }
      if (replay) throw err;
      this.queue = batch.concat(this.queue);
      this.counters.retried += batch.length;
      if (!this.down) {
        this.down = true;
        this.counters.dbDown++;
        this.o.log(`spend logs: database unavailable (${(err as Error).message}); ${this.queue.length} rows kept, retrying with backoff`);
      }
      if (this.queue.length > this.o.maxQueue) this.spill();
      this.scheduleRetry();
      return false;
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer !== null) return;
    this.backoffMs = Math.min(this.backoffMs === 0 ? 250 : this.backoffMs * 2, 10_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, this.backoffMs);
    this.retryTimer.unref();
  }

  /** Moves the whole queue to an NDJSON file (queue bound exceeded, or close with the db down). */
  private spill(): void {
    const rows = this.queue;
    if (rows.length === 0) return;
    this.queue = [];
    this.counters.spilled += rows.length;
    this.spillPending = true;
    this.o.log(`spend logs: ${rows.length} rows spilled to ${this.o.spillDir} (queue bound ${this.o.maxQueue}); replayed when the database is back`);
    this.spillChain = this.spillChain.then(() => this.writeFileOf('spend', rows));
  }

  private async writeFileOf(kind: 'spend' | 'rejected', rows: RequestRecord[]): Promise<void> {
    const name = `${kind}-${process.pid}-${Date.now()}-${++seq}.ndjson`;
    let text = '';
    for (let i = 0; i < rows.length; i++) text += `${JSON.stringify(rows[i])}\n`;
    // write then rename: a replayer never sees a half-written file
    const tmp = join(this.o.spillDir, `.${name}.tmp`);
    await mkdir(this.o.spillDir, { recursive: true }); // created on first use only
    await writeFile(tmp, text);
    await rename(tmp, join(this.o.spillDir, name));
  }

  private async replay(): Promise<void> {
    await this.spillChain;
    this.spillPending = false;
    const files = (await readdir(this.o.spillDir).catch(() => [] as string[])).filter((f) => f.startsWith('spend-') && f.endsWith('.ndjson'));
    for (const f of files) {
      // Claim the file by renaming it: with instances sharing spillDir, only one replays it
      // (and ON CONFLICT makes even a double replay harmless).
      const claimed = join(this.o.spillDir, `.replaying-${process.pid}-${f}`);
      try {
        await rename(join(this.o.spillDir, f), claimed);
      } catch {
        continue;
      }
      const rows: RequestRecord[] = [];
      for (const line of (await readFile(claimed, 'utf8')).split('\n')) {
        if (line === '') continue;
        try {
          rows.push(JSON.parse(line) as RequestRecord);
        } catch {
          this.counters.failed++;
        }
      }
      try {
        for (let i = 0; i < rows.length; i += this.o.batchSize) await this.writeOrKeep(rows.slice(i, i + this.o.batchSize), true);
        await unlink(claimed);
        this.o.log(`spend logs: replayed ${rows.length} rows from ${f}`);
      } catch (err) {
        await rename(claimed, join(this.o.spillDir, f)).catch(() => {});
        this.spillPending = true;
        if (!this.down) {
          this.down = true;
          this.counters.dbDown++;
          this.o.log(`spend logs: replay of ${f} failed (${(err as Error).message}); retrying with backoff`);
        }
        this.scheduleRetry();
        return;
      }
    }
  }

  snapshot(): SpendCounters {
    this.counters.queued = this.queue.length;
    return this.counters;
  }

  /** Final flush: retry a down database for closeTimeoutMs, then spill what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + this.o.closeTimeoutMs;
    for (;;) {
      if (this.retryTimer !== null) (clearTimeout(this.retryTimer), (this.retryTimer = null));
      await this.flush();
      if (this.queue.length === 0 && !this.down) break;
      if (Date.now() >= deadline) {
        this.spill();
        break;
      }
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(1, deadline - Date.now()))));
    }
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    await this.spillChain;
  }
}
