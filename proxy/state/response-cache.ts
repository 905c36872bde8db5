// Exact-match response cache in Redis. Key = sha256(model group, request body minus the fields
// that do not change the answer). Normalisation, chosen so a MISS costs one hash and one GET:
// - a body that contains none of the volatile field names as keys (`"user":`, checked with
//   Buffer.indexOf, no parse) is hashed as received, bytes as they are;
// - otherwise the body is parsed, `user`, `metadata`, `stream_options`, `litellm_metadata`,
//   `request_id` are removed, and the rest is re-serialised with JSON.stringify (key order kept).
//   A compact body without those fields hashes the same either way.
// So whitespace and key order matter (it is an exact-match cache); everything that changes the
// answer (model, messages, temperature, max_tokens, tools, stream, …) is part of the key.
import { createHash } from 'node:crypto';
import type { CachedResponse } from '../hooks.js';
import type { RedisHandle } from './redis.js';

const VOLATILE = ['user', 'metadata', 'stream_options', 'litellm_metadata', 'request_id'];
// `"user":` (name then colon, as compact JSON writes a key) so that `"role":"user"` does not
// count; a false positive only costs the parse path, a false negative (`"user" :`) a miss.
const VOLATILE_MARKS = VOLATILE.map((f) => Buffer.from(`"${f}":`));

export function cacheKeyOf(modelGroup: string, rawBody: Buffer): string {
  const h = createHash('sha256').update(modelGroup).update('\n');
  let volatile = false;
  for (let i = 0; i < VOLATILE_MARKS.length; i++) {
    if (rawBody.indexOf(VOLATILE_MARKS[i]) !== -1) {
      volatile = true;
      break;
    }
  }
  if (!volatile) return h.update(rawBody).digest('hex');
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return h.update(rawBody).digest('hex');
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const o = parsed as Record<string, unknown>;
    for (const f of VOLATILE) delete o[f];
  }
  return h.update(JSON.stringify(parsed)).digest('hex');
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

  get(modelGroup: string, rawBody: Buffer): CachedResponse | null | Promise<CachedResponse | null> {
    const r = this.redis;
    if (!r.ready) {
      this.counters.skipped++;
      return null;
    }
    const key = cacheKeyOf(modelGroup, rawBody);
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
