// rpm/tpm limits per key (and per deployment), per one-minute window, shared by every instance through Redis (one
// Lua script call: INCR the request counter, EXPIRE on first use, read the token counter).
// Redis down → in-process counters (per-instance limits) until it is back.
import type { AuthContext, AuthOutcome } from '../hooks.js';
import type { RedisHandle } from './redis.js';

const SCRIPT = `
local r = redis.call('INCR', KEYS[1])
if r == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local t = redis.call('GET', KEYS[2])
return {r, tonumber(t) or 0}`;

interface LocalWindow {
  minute: number;
  requests: number;
  tokens: number;
}

type Limits = Pick<AuthContext, 'rpmLimit' | 'tpmLimit'>;
type RedisWithLimit = RedisHandle['client'] & { gbLimit(k1: string, k2: string, ttl: number): Promise<[number, number]> };

export class Limiter {
  private readonly local = new Map<string, LocalWindow>();
  counters = { rejectedRpm: 0, rejectedTpm: 0, localChecks: 0, redisChecks: 0 };

  constructor(private readonly redis: RedisHandle | null) {
    if (redis) redis.client.defineCommand('gbLimit', { numberOfKeys: 2, lua: SCRIPT });
  }

  /** deployments with a tpm limit (their tokens are counted in onRequestDone) */
  readonly tpmDeployments = new Set<string>();

  check(auth: AuthContext): AuthOutcome | null | Promise<AuthOutcome | null> {
    if (auth.keyHash === null || (auth.rpmLimit === null && auth.tpmLimit === null)) return null;
    return this.count(auth.keyHash, auth);
  }

  /**
   * Per-deployment rpm/tpm (litellm_params.rpm / tpm), shared by all instances: counts one
   * request against the deployment and says whether it is over its limits (null = go ahead).
   */
  checkDeployment(deploymentId: string, rpm: number | null, tpm: number | null): AuthOutcome | null | Promise<AuthOutcome | null> {
    if (rpm === null && tpm === null) return null;
    if (tpm !== null) this.tpmDeployments.add(deploymentId);
    return this.count(`dep:${deploymentId}`, { rpmLimit: rpm, tpmLimit: tpm });
  }

  private count(id: string, auth: Limits): AuthOutcome | null | Promise<AuthOutcome | null> {
    const minute = Math.floor(Date.now() / 60_000);
    const r = this.redis;
    if (r !== null && r.ready) {
      this.counters.redisChecks++;
      const base = `${r.prefix}rl:${id}:${minute}`;
      return (r.client as RedisWithLimit).gbLimit(`${base}:r`, `${base}:t`, 120_000).then(
        (res) => this.verdict(auth, Number(res[0]), Number(res[1])),
        () => {
          r.counters.commandFailures++;
          return this.checkLocal(id, auth, minute);
        },
      );
    }
    return this.checkLocal(id, auth, minute);
  }

  private checkLocal(id: string, auth: Limits, minute: number): AuthOutcome | null {
    this.counters.localChecks++;
    const w = this.window(id, minute);
    w.requests++;
    return this.verdict(auth, w.requests, w.tokens);
  }

  private window(keyHash: string, minute: number): LocalWindow {
    let w = this.local.get(keyHash);
    if (w === undefined || w.minute !== minute) {
      if (this.local.size > 100_000) this.local.clear();
      w = { minute, requests: 0, tokens: 0 };
      this.local.set(keyHash, w);
    }
    return w;
  }

  private verdict(auth: Limits, requests: number, tokens: number): AuthOutcome | null {
    if (auth.rpmLimit !== null && requests > auth.rpmLimit) {
      this.counters.rejectedRpm++;
      return { ok: false, status: 429, message: `Rate limit exceeded: rpm limit ${auth.rpmLimit} reached (${requests} requests this minute)`, code: 'rate_limit_exceeded' };
    }
    if (auth.tpmLimit !== null && tokens >= auth.tpmLimit) {
      this.counters.rejectedTpm++;
      return { ok: false, status: 429, message: `Rate limit exceeded: tpm limit ${auth.tpmLimit} reached (${tokens} tokens this minute)`, code: 'rate_limit_exceeded' };
    }
    return null;
  }

  /** Tokens used by a finished request (only keys / deployments with a tpm limit are counted). */
  addTokens(id: string, tokens: number): void {
    if (tokens <= 0) return;
    const minute = Math.floor(Date.now() / 60_000);
    const r = this.redis;
    if (r !== null && r.ready) {
      const k = `${r.prefix}rl:${id}:${minute}:t`;
      r.client.incrby(k, tokens).catch(() => r.counters.commandFailures++);
      r.client.pexpire(k, 120_000).catch(() => r.counters.commandFailures++);
      return;
    }
    this.window(id, minute).tokens += tokens;
  }
}
