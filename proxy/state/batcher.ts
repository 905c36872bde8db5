// A bounded, batched, retrying sender used by the logging callbacks. push() only appends to an
// array (the request path); a timer sends batches of batchSize every intervalMs (sooner when a
// batch is full). Retryable failures (network, 429, 5xx) keep the batch at the front and back
// off; items are dropped only when the queue bound is exceeded — counted and logged, never silent.

export interface BatcherOptions {
  name: string;
  batchSize: number;
  intervalMs: number;
  maxQueue: number;
  log: (msg: string) => void;
}

export interface BatcherCounters {
  sent: number;
  requests: number;
  retried: number;
  dropped: number;
  failed: number;
  queued: number;
}

/** Thrown by a send function for answers that retrying cannot fix (4xx other than 429). */
export class PermanentError extends Error {}

export class Batcher<T> {
  private queue: T[] = [];
  private sending: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoffMs = 0;
  private failing = false;
  private dropping = false;
  private kick = false;
  readonly counters: BatcherCounters = { sent: 0, requests: 0, retried: 0, dropped: 0, failed: 0, queued: 0 };

  constructor(
    private readonly o: BatcherOptions,
    private readonly send: (items: T[]) => Promise<void>,
  ) {
    this.timer = setInterval(() => void this.flush(), o.intervalMs);
    this.timer.unref();
  }

  push(item: T): void {
    const q = this.queue;
    if (q.length >= this.o.maxQueue) {
      this.counters.dropped++;
      if (!this.dropping) {
        this.dropping = true;
        this.o.log(`callback ${this.o.name}: queue full (${this.o.maxQueue}), dropping events until it drains (counted in metrics)`);
      }
      return;
    }
    q.push(item);
    if (q.length >= this.o.batchSize && !this.kick && !this.failing) {
      this.kick = true;
      setImmediate(() => void this.flush());
    }
  }

  flush(): Promise<void> {
    this.kick = false;
    if (this.sending === null) this.sending = this.drain().finally(() => (this.sending = null));
    return this.sending;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.length <= this.o.batchSize ? this.queue : this.queue.slice(0, this.o.batchSize);
      this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
      try {
        await this.send(batch);
        this.counters.sent += batch.length;
        this.counters.requests++;
        if (this.failing) this.o.log(`callback ${this.o.name}: delivering again`);
        this.failing = false;
        this.backoffMs = 0;
        if (this.queue.length < this.o.maxQueue / 2) this.dropping = false;
      } catch (err) {
        if (err instanceof PermanentError) {
          this.counters.failed += batch.length;
          this.o.log(`callback ${this.o.name}: ${batch.length} events refused: ${err.message}`);
          continue;
        }
        this.queue = batch.concat(this.queue);
        this.counters.retried += batch.length;
        if (!this.failing) {
          this.failing = true;
          this.o.log(`callback ${this.o.name}: send failed (${(err as Error).message}); retrying with backoff`);
        }
        this.backoffMs = Math.min(this.backoffMs === 0 ? 250 : this.backoffMs * 2, 10_000);
        if (this.retryTimer === null) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            void this.flush();
          }, this.backoffMs);
          this.retryTimer.unref();
        }
        return;
      }
    }
  }

  snapshot(): BatcherCounters {
    this.counters.queued = this.queue.length;
    return this.counters;
  }

  /** Sends what is queued, retrying for up to timeoutMs; what is left then is counted as dropped. */
  async close(timeoutMs: number): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.retryTimer !== null) (clearTimeout(this.retryTimer), (this.retryTimer = null));
      await this.flush();
      if (this.queue.length === 0 || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(1, deadline - Date.now()))));
    }
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.queue.length > 0) {
      this.counters.dropped += this.queue.length;
      this.o.log(`callback ${this.o.name}: ${this.queue.length} events not delivered at close (sink unreachable)`);
      this.queue = [];
    }
  }
}
