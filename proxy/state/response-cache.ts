// Exact-match response cache in Redis. Key = sha256(model group, request body minus the
// top-level members that do not change the answer: user, metadata, stream_options,
// litellm_metadata, request_id — isVolatileKey in body-scan.ts). No parse, no re-serialising:
// - a body without any of them is hashed as received, bytes as they are (one hash);
// - otherwise the proxy's body scan has the byte ranges of the other members, and the key
//   hashes `{` + those members, as written, joined by `,` + `}`. A compact body without the
//   volatile members is exactly those bytes, so both hash the same.
// Whitespace and key order matter (it is an exact-match cache); everything that changes the
// answer (model, messages, temperature, max_tokens, tools, stream, …) is part of the key.
// (The seed's every request carries "user": parsing and re-stringifying its 11 KB body here
// cost ~30 µs a request, the largest item of the Redis path.)
import { createHash } from 'node:crypto';
import { BodyScan, scanBody } from '../body-scan.js';
import type { CachedResponse } from '../hooks.js';
import type { RedisHandle } from './redis.js';

const OPEN = Buffer.from('{');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from('}');

/** The cache key of `rawBody`; `scan` is the proxy's scan of it (scanned here when omitted or made without members). */
export function cacheKeyOf(modelGroup: string, rawBody: Buffer, scan?: BodyScan): string {
  const h = createHash('sha256').update(modelGroup).update('\n');
  const sc = scan?.recordMembers ? scan : scanBody(rawBody, new BodyScan(true));
  if (!sc.hasVolatile || sc.error !== null) return h.update(rawBody).digest('hex');
  const kept = sc.kept ?? [];
  h.update(OPEN);
  for (let i = 0; i < kept.length; i += 2) {
    if (i > 0) h.update(COMMA);
    h.update(rawBody.subarray(kept[i], kept[i + 1]));
  }
  return h.update(CLOSE).digest('hex');
}

export class ResponseCache {
  /** the key computed by get(), reused by set() for the same body buffer */
  private readonly keys = new WeakMap<Buffer, string>();
  counters = { hits: 0, misses: 0, sets: 0, skipped: 0 };
  private readonly ttlS: number;
  private readonly ns: string;

  constructor(
    private readonly redis: RedisHandle,
    ttlS: number | null,
    namespace: string | null,
  ) {
    this.ttlS = ttlS ?? 600;
    this.ns = `${redis.prefix}${namespace ? `${namespace}:` : ''}cache:`;
  }

  get(modelGroup: string, rawBody: Buffer, scan?: BodyScan): CachedResponse | null | Promise<CachedResponse | null> {
    const r = this.redis;
    if (!r.ready) {
      this.counters.skipped++;
      return null;
    }
    const key = cacheKeyOf(modelGroup, rawBody, scan);
    this.keys.set(rawBody, key);
    return r.client.getBuffer(this.ns + key).then(
      (v) => {
        if (v === null) {
          this.counters.misses++;
          return null;
        }
        this.counters.hits++;
        return decode(v, key);
      },
      () => {
        r.counters.commandFailures++;
        return null;
      },
    );
  }

  set(modelGroup: string, rawBody: Buffer, status: number, contentType: string, body: Buffer): void {
    const r = this.redis;
    if (!r.ready || status < 200 || status >= 300) return;
    const key = this.keys.get(rawBody) ?? cacheKeyOf(modelGroup, rawBody);
    const head = Buffer.from(`${status}\n${contentType}\n`);
    this.counters.sets++;
    r.client.set(this.ns + key, Buffer.concat([head, body]), 'EX', this.ttlS).catch(() => r.counters.commandFailures++);
  }
}

function decode(v: Buffer, cacheKey: string): CachedResponse | null {
  const a = v.indexOf(10);
  const b = a === -1 ? -1 : v.indexOf(10, a + 1);
  if (b === -1) return null;
  return { status: Number(v.subarray(0, a).toString()), contentType: v.subarray(a + 1, b).toString(), body: v.subarray(b + 1), cacheKey };
}
