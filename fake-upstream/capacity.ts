// A service capacity for the fake upstream: N servers, each holding one request for its
// latency; a request that finds all N busy waits in line (FIFO) for the first to free up.
// Beyond N ÷ latency requests a second the line grows without end — the shape of a real
// backend at its limit, which is what a capacity search must find.
//
// The line is kept in virtual time: each server's next free instant, so admitting a request
// is a scan of N numbers and one timer (the answer's own), never a queue of callbacks.

export class ServiceCapacity {
  private readonly freeAt: Float64Array;

  constructor(servers: number) {
    this.freeAt = new Float64Array(servers);
  }

  /** The delay, from now, of a request that holds a server for `holdMs` once it gets one. */
  admit(holdMs: number, now = performance.now()): number {
    const free = this.freeAt;
    let k = 0;
    for (let i = 1; i < free.length; i++) if (free[i] < free[k]) k = i;
    const start = free[k] > now ? free[k] : now;
    free[k] = start + holdMs;
    return free[k] - now;
  }

  reset(): void {
    this.freeAt.fill(0);
  }
}
