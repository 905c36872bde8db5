// The virtual-key auth path: token → in-process LRU (positive and negative entries, TTL
// user_api_key_cache_ttl) → Redis (shared by instances) → PostgreSQL. A cached key is
// answered synchronously (no Promise). Key rules are checked on every call, from the cached row.
//
// Status codes (the seam allows 401 | 403 | 429):
// - unknown, deleted or expired key: 401 (LiteLLM: 401)
// - model not in the key's models: 401, code key_model_access_denied (LiteLLM's choice)
// - spend ≥ max_budget: 429, code budget_exceeded (LiteLLM answers 400; OpenAI uses 429
//   insufficient_quota for the same situation, and 400 is not a seam status)
import type { AuthContext, AuthOutcome } from '../hooks.js';
import { hashKey, type KeyRow, type KeyStore } from './keys.js';
import { TtlLru } from './lru.js';
import type { RedisHandle } from './redis.js';

interface Entry {
  keyHash: string;
  /** null = negative entry (no such key) */
  row: KeyRow | null;
  ctx: AuthContext | null;
  /** spend recorded by this instance since the row was read */
  localSpend: number;
}

const INVALID: AuthOutcome = { ok: false, status: 401, message: 'Authentication Error, Invalid proxy server token passed.', code: 'invalid_api_key' };

export class KeyAuth {
  private readonly lru: TtlLru<Entry>;
  private readonly byHash = new Map<string, Entry>();
  /** lookups in flight: a burst of calls with one uncached key makes one lookup */
  private readonly inflight = new Map<string, Promise<Entry | AuthOutcome>>();
  counters = { hits: 0, misses: 0, redisHits: 0, dbLookups: 0, lookupErrors: 0 };

  constructor(
    private readonly store: KeyStore,
    private readonly redis: RedisHandle | null,
    private readonly ttlMs: number,
    maxEntries = 100_000,
  ) {
    this.lru = new TtlLru<Entry>(maxEntries, ttlMs);
  }

  authenticate(token: string, modelGroup: string | null): AuthOutcome | Promise<AuthOutcome> {
    const now = Date.now();
    const e = this.lru.get(token, now);
    if (e !== undefined) {
      this.counters.hits++;
      return this.judge(e, modelGroup, now);
    }
    this.counters.misses++;
    let p = this.inflight.get(token);
    if (p === undefined) {
      p = this.lookup(token).finally(() => this.inflight.delete(token));
      this.inflight.set(token, p);
    }
    return p.then((r) => ('keyHash' in r ? this.judge(r, modelGroup, Date.now()) : r));
  }

  private judge(e: Entry, modelGroup: string | null, now: number): AuthOutcome {
    const row = e.row;
    if (row === null || e.ctx === null) return INVALID;
    if (row.expiresAt !== null && row.expiresAt <= now) return { ok: false, status: 401, message: `Authentication Error - Expired Key. Key expired at ${new Date(row.expiresAt).toISOString()}`, code: 'expired_key' };
    if (row.models !== null && modelGroup !== null && !row.models.includes(modelGroup) && !row.models.includes('*')) {
      return { ok: false, status: 401, message: `Authentication Error - key not allowed to access model. This key can only access models=${JSON.stringify(row.models)}. Tried to access ${modelGroup}`, code: 'key_model_access_denied' };
    }
    if (row.maxBudget !== null && row.spend + e.localSpend >= row.maxBudget) {
      return { ok: false, status: 429, message: `Budget has been exceeded! Current cost: ${row.spend + e.localSpend}, Max budget: ${row.maxBudget}`, code: 'budget_exceeded' };
    }
    return { ok: true, auth: e.ctx };
  }

  /** The cache entry, or a refusal that must not be cached (lookup failed). */
  private async lookup(token: string): Promise<Entry | AuthOutcome> {
    const keyHash = hashKey(token);
    let row: KeyRow | null | undefined;
    const r = this.redis;
    const rkey = r ? `${r.prefix}auth:${keyHash}` : '';
    if (r !== null && r.ready) {
      try {
        const s = await r.client.get(rkey);
        if (s !== null) {
          row = JSON.parse(s) as KeyRow | null;
          this.counters.redisHits++;
        }
      } catch {
        r.counters.commandFailures++;
      }
    }
    if (row === undefined) {
      this.counters.dbLookups++;
      try {
        row = await this.store.get(keyHash);
      } catch (err) {
        // Database unreachable: refuse this call but cache nothing, so the key works again as
        // soon as the database does.
        this.counters.lookupErrors++;
        return { ok: false, status: 401, message: `Authentication Error - key lookup failed: ${(err as Error).message}`, code: 'auth_lookup_failed' };
      }
      if (r !== null && r.ready && this.ttlMs > 0) r.client.set(rkey, JSON.stringify(row), 'PX', this.ttlMs).catch(() => r.counters.commandFailures++);
    }
    return this.remember(token, keyHash, row);
  }

  private remember(token: string, keyHash: string, row: KeyRow | null): Entry {
    const ctx: AuthContext | null = row === null ? null : { keyHash, isMaster: false, models: row.models, rpmLimit: row.rpmLimit, tpmLimit: row.tpmLimit, alias: row.alias };
    const prev = this.byHash.get(keyHash);
    const e: Entry = { keyHash, row, ctx, localSpend: 0 };
    if (prev && prev.row && row && prev.row.spend === row.spend) e.localSpend = prev.localSpend;
    if (this.ttlMs > 0) this.lru.set(token, e, Date.now());
    if (row !== null) this.byHash.set(keyHash, e);
    else this.byHash.delete(keyHash);
    if (this.byHash.size > 2 * this.lru.size + 1000) this.byHash.clear();
    return e;
  }

  /** Counts spend made by this instance against the cached row (budget checks between reads). */
  addSpend(keyHash: string, spend: number): void {
    const e = this.byHash.get(keyHash);
    if (e !== undefined) e.localSpend += spend;
  }

  hasTpmLimit(keyHash: string): boolean {
    const e = this.byHash.get(keyHash);
    return e !== undefined && e.ctx !== null && e.ctx.tpmLimit !== null;
  }

  /** Forget a key here and in Redis (update/delete). */
  async invalidate(keyHashes: string[]): Promise<void> {
    const set = new Set(keyHashes);
    this.lru.deleteWhere((e) => set.has(e.keyHash));
    for (const h of keyHashes) this.byHash.delete(h);
    const r = this.redis;
    if (r !== null && r.ready && keyHashes.length > 0) {
      await r.client.del(...keyHashes.map((h) => `${r.prefix}auth:${h}`)).catch(() => r.counters.commandFailures++);
      await r.client.publish(`${r.prefix}auth:invalidate`, keyHashes.join(',')).catch(() => r.counters.commandFailures++);
    }
  }

  /** Called for invalidations published by other instances. */
  dropLocal(keyHashes: string[]): void {
    const set = new Set(keyHashes);
    this.lru.deleteWhere((e) => set.has(e.keyHash));
    for (const h of keyHashes) this.byHash.delete(h);
  }

  get size(): number {
    return this.lru.size;
  }
}
