// The ledger: when each model request arrived and left, keyed by the id the load generator
// put in the prompt. A ring buffer of typed arrays (grown by doubling up to the capacity) so
// memory stays bounded. A lowercase uuid id (the load generator's) is kept as 16 bytes in a
// typed array, so recording the common entry allocates nothing; other ids keep their string.
import type { LedgerEntry, LedgerPage } from './types.js';
import { formatUuid } from './body-scan.js';

const INITIAL = 4096;

export class Ledger {
  readonly capacity: number;
  private seqs: Float64Array;
  private arrived: Float64Array;
  private left: Float64Array;
  private status: Uint16Array;
  private routes: Uint8Array;
  private ids: Array<string | null>;
  /** 4 words per slot; valid where binary[i] = 1 */
  private words: Uint32Array;
  private binary: Uint8Array;
  private routeNames: string[];
  /** seq of the next entry (1-based seqs; `after=0` reads from the start). */
  private nextSeq = 1;
  private count = 0;
  dropped = 0;

  constructor(capacity: number, routeNames: string[]) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.routeNames = routeNames;
    const n = Math.min(this.capacity, INITIAL);
    this.seqs = new Float64Array(n);
    this.arrived = new Float64Array(n);
    this.left = new Float64Array(n);
    this.status = new Uint16Array(n);
    this.routes = new Uint8Array(n);
    this.ids = new Array<string | null>(n).fill(null);
    this.words = new Uint32Array(n * 4);
    this.binary = new Uint8Array(n);
  }

  get size(): number {
    return this.count;
  }

  /** Records an entry whose id is a string (or null). */
  record(id: string | null, route: number, status: number, arrivedUs: number, leftUs: number): void {
    const i = this.slot(route, status, arrivedUs, leftUs);
    if (i < 0) return;
    this.ids[i] = id;
    this.binary[i] = 0;
  }

  /** Records an entry whose id is the uuid held in four 32-bit words. */
  recordUuid(w0: number, w1: number, w2: number, w3: number, route: number, status: number, arrivedUs: number, leftUs: number): void {
    const i = this.slot(route, status, arrivedUs, leftUs);
    if (i < 0) return;
    this.ids[i] = null;
    this.binary[i] = 1;
    const k = i * 4;
    this.words[k] = w0;
    this.words[k + 1] = w1;
    this.words[k + 2] = w2;
    this.words[k + 3] = w3;
  }

  private slot(route: number, status: number, arrivedUs: number, leftUs: number): number {
    const cap = this.capacity;
    if (cap === 0) return -1;
    if (this.count === this.seqs.length && this.count < cap) this.grow();
    const seq = this.nextSeq++;
    // While growing, seq-1 < length so slots fill in order; once full, the oldest is overwritten.
    const i = (seq - 1) % (this.count < cap ? this.seqs.length : cap);
    if (this.count === cap) this.dropped++;
    else this.count++;
    this.seqs[i] = seq;
    this.arrived[i] = arrivedUs;
    this.left[i] = leftUs;
    this.status[i] = status;
    this.routes[i] = route;
    return i;
  }

  private grow(): void {
    // Only called before the first wrap, when slot i holds seq i+1.
    const n = Math.min(this.capacity, this.seqs.length * 2);
    const copy = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.seqs = copy(this.seqs, new Float64Array(n));
    this.arrived = copy(this.arrived, new Float64Array(n));
    this.left = copy(this.left, new Float64Array(n));
    this.status = copy(this.status, new Uint16Array(n));
    this.routes = copy(this.routes, new Uint8Array(n));
    this.words = copy(this.words, new Uint32Array(n * 4));
    this.binary = copy(this.binary, new Uint8Array(n));
    const ids = this.ids;
    this.ids = new Array<string | null>(n).fill(null);
    for (let k = 0; k < ids.length; k++) this.ids[k] = ids[k];
  }

  /** Entries with seq > after, oldest first, at most `limit`. */
  page(after: number, limit: number): LedgerPage {
    const entries: LedgerEntry[] = [];
    const first = this.nextSeq - this.count; // oldest seq still held
    let seq = Math.max(first, Math.floor(after) + 1);
    const len = this.count < this.capacity ? this.seqs.length : this.capacity;
    while (seq < this.nextSeq && entries.length < limit) {
      const i = (seq - 1) % len;
      entries.push({
        seq,
        id: this.binary[i] === 1 ? formatUuid(this.words[i * 4], this.words[i * 4 + 1], this.words[i * 4 + 2], this.words[i * 4 + 3]) : this.ids[i],
        route: this.routeNames[this.routes[i]],
        status: this.status[i],
        arrived_us: this.arrived[i],
        left_us: this.left[i],
      });
      seq++;
    }
    const next = entries.length > 0 ? entries[entries.length - 1].seq : Math.max(Math.floor(after), 0);
    return { entries, next, dropped: this.dropped };
  }

  clear(): void {
    this.nextSeq = 1;
    this.count = 0;
    this.dropped = 0;
    this.ids.fill(null);
  }
}
