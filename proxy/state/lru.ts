// A bounded LRU map with per-entry expiry. Map insertion order is the recency order: a hit
// re-inserts the entry (two Map operations), eviction drops the first key. No timers.

interface Slot<V> {
  value: V;
  until: number;
}

export class TtlLru<V> {
  private readonly map = new Map<string, Slot<V>>();
  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** The value, or undefined when absent or expired (an expired entry is removed). */
  get(key: string, now: number): V | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) return undefined;
    if (slot.until <= now) {
      this.map.delete(key);
      return undefined;
    }
    this.map.delete(key);
    this.map.set(key, slot);
    return slot.value;
  }

  set(key: string, value: V, now: number, ttlMs = this.ttlMs): void {
    this.map.delete(key);
    this.map.set(key, { value, until: now + ttlMs });
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  delete(key: string): boolean {
    return this.map.delete(key);
  }

  /** Removes every entry whose value matches (used to drop a key by its hash). */
  deleteWhere(pred: (v: V) => boolean): number {
    let n = 0;
    for (const [k, slot] of this.map) if (pred(slot.value)) (this.map.delete(k), n++);
    return n;
  }

  clear(): void {
    this.map.clear();
  }
}
