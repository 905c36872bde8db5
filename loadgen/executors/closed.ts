// The closed model, as Locust: `users` users started at `spawnRate` per second, each
// looping request → wait. One keep-alive connection per user (an undici Client each,
// pipelining 1), user i on target i % n, so a user is a connection as in Locust.
import { Client } from 'undici';
import type { ResolvedClosedModel } from '../config.js';
import { Exchange, type ExchangeOwner } from '../exchange.js';
import type { Executor, ExecutorContext } from './types.js';

interface User {
  index: number;
  client: Client;
  ex: Exchange;
  iterStart: number;
  timer: NodeJS.Timeout | null;
  fire: () => void;
}

export class ClosedExecutor implements Executor, ExchangeOwner {
  readonly rec;
  readonly idHeader;
  readonly requestTimeoutMs;
  private readonly users: User[] = [];
  private readonly all: Exchange[] = [];
  private stopping = false;
  private spawnTimer: NodeJS.Timeout | null = null;
  private t0 = 0;
  private idleWaiter: (() => void) | null = null;
  private readonly waitMs: (u: User) => number;
  /**
   * undici's `pipelining` for each user's Client. A user never has two requests out, so the
   * wire is the same either way; but with pipelining 1 undici holds every completed socket
   * for one loop turn (a setImmediate) before it looks at the queue again, and a user that
   * waits between requests then pays a second turn when it sends (undici's idle-socket
   * validation, which is what actually protects a request from a socket the server closed
   * while idle, and which runs whatever the pipelining). With a wait, the first hold guards
   * nothing: 2 drops it. Without a wait the next request is sent from inside the completion
   * callback, and the hold is the only turn the server has to close: 1 keeps it.
   */
  private readonly pipelining: number;

  constructor(
    private readonly ctx: ExecutorContext,
    private readonly model: ResolvedClosedModel,
  ) {
    this.rec = ctx.rec;
    this.idHeader = ctx.idHeader;
    this.requestTimeoutMs = ctx.requestTimeoutMs;
    this.waitMs = waitFunction(model.wait);
    this.pipelining = minWaitMs(model.wait) > 0 ? 2 : 1;
  }

  nextSeq(): number {
    return this.ctx.nextSeq();
  }

  start(t0: number): void {
    this.t0 = t0;
    this.spawn();
  }

  /** Starts every user that is due by now (user k at k / spawnRate seconds). */
  private spawn(): void {
    if (this.stopping) return;
    const elapsed = (performance.now() - this.t0) / 1000;
    const due = Math.min(this.model.users, Math.floor(elapsed * this.model.spawnRate) + 1);
    while (this.users.length < due) this.addUser();
    if (this.users.length < this.model.users) {
      const nextAt = (this.users.length / this.model.spawnRate) * 1000;
      this.spawnTimer = setTimeout(() => this.spawn(), Math.max(1, this.t0 + nextAt - performance.now()));
    }
  }

  private addUser(): void {
    const index = this.users.length;
    const target = this.ctx.targets[index % this.ctx.targets.length];
    const client = new Client(target.origin, { pipelining: this.pipelining, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 });
    const user: User = { index, client, ex: null as unknown as Exchange, iterStart: 0, timer: null, fire: () => this.iterate(user) };
    user.ex = new Exchange(this, client, user);
    this.users.push(user);
    this.all.push(user.ex);
    this.rec.users++;
    this.iterate(user);
  }

  private iterate(user: User): void {
    user.timer = null;
    if (this.stopping) return;
    const at = performance.now();
    user.iterStart = at;
    user.ex.send(this.ctx.pick(), at, at >= this.ctx.measureFrom);
  }

  done(ex: Exchange): void {
    const user = ex.tag as User;
    if (this.stopping) {
      this.rec.users--;
      this.checkIdle();
      return;
    }
    const wait = this.waitMs(user);
    if (wait > 0) {
      // whole ms: Node keeps one timer list per distinct duration, fractional ones would each get their own
      user.timer = setTimeout(user.fire, Math.round(wait));
    } else if (ex.answered) {
      // No wait after a whole answer: send the next request from inside undici's completion
      // callback. undici (pipelining 1) holds it for one loop turn anyway, to see whether the
      // server closes the socket; a setImmediate of ours would add a turn and leave the
      // socket looking idle, so undici would spend a third turn validating it.
      this.iterate(user);
    } else {
      // after an error, a turn of ours: a dispatch that fails at once would otherwise recurse
      setImmediate(user.fire);
    }
  }

  stop(): void {
    this.stopping = true;
    if (this.spawnTimer) clearTimeout(this.spawnTimer);
    for (const u of this.users) {
      if (u.timer) {
        clearTimeout(u.timer);
        u.timer = null;
      }
      if (!u.ex.busy) this.rec.users--;
    }
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.idleWaiter && this.rec.inFlight <= 0) {
      const w = this.idleWaiter;
      this.idleWaiter = null;
      w();
    }
  }

  exchanges(): readonly Exchange[] {
    return this.all;
  }

  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiter = resolve;
      this.checkIdle();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.users.map((u) => u.client.destroy().catch(() => undefined)));
  }
}

/** The least a wait can be, ms (0 when a user may send again at once). */
function minWaitMs(w: ResolvedClosedModel['wait']): number {
  if ('between' in w) return w.between[0] * 1000;
  if ('constant' in w) return w.constant * 1000;
  return 0;
}

/** Locust's wait_time functions, returning milliseconds. */
function waitFunction(w: ResolvedClosedModel['wait']): (u: User) => number {
  if ('between' in w) {
    const [a, b] = w.between;
    return () => (a + Math.random() * (b - a)) * 1000;
  }
  if ('constant' in w) {
    const c = w.constant * 1000;
    return () => c;
  }
  const pace = 'constant_pacing' in w ? w.constant_pacing * 1000 : 1000 / w.constant_throughput;
  return (u) => pace - (performance.now() - u.iterStart);
}
