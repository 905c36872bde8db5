// Virtual keys in PostgreSQL. Only the sha256 (hex) of a key is stored; the key itself is
// returned once, by generate(). Rows are read into KeyRow, the shape the auth path caches.
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

export interface KeyRow {
  keyHash: string;
  alias: string | null;
  models: string[] | null;
  maxBudget: number | null;
  spend: number;
  rpmLimit: number | null;
  tpmLimit: number | null;
  /** epoch ms, null = never */
  expiresAt: number | null;
  metadata: Record<string, unknown>;
  createdAt: number;
}

export interface KeyFields {
  models?: string[] | null;
  maxBudget?: number | null;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  expiresAt?: number | null;
  alias?: string | null;
  metadata?: Record<string, unknown>;
  spend?: number;
}

export function hashKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newKey(): string {
  return `sk-${randomBytes(24).toString('base64url')}`;
}

interface DbRow {
  key_hash: string;
  key_alias: string | null;
  models: string[] | null;
  max_budget: number | null;
  spend: number;
  rpm_limit: number | null;
  tpm_limit: number | null;
  expires_at: Date | null;
  metadata: Record<string, unknown>;
  created_at: Date;
}

function fromDb(r: DbRow): KeyRow {
  return {
    keyHash: r.key_hash,
    alias: r.key_alias,
    models: r.models && r.models.length > 0 ? r.models : null,
    maxBudget: r.max_budget,
    spend: r.spend,
    rpmLimit: r.rpm_limit,
    tpmLimit: r.tpm_limit,
    expiresAt: r.expires_at ? r.expires_at.getTime() : null,
    metadata: r.metadata ?? {},
    createdAt: r.created_at.getTime(),
  };
}

const COLS = 'key_hash, key_alias, models, max_budget, spend, rpm_limit, tpm_limit, expires_at, metadata, created_at';

export class KeyStore {
  constructor(private readonly pool: pg.Pool) {}

  async get(keyHash: string): Promise<KeyRow | null> {
    const r = await this.pool.query<DbRow>(`SELECT ${COLS} FROM gb_keys WHERE key_hash = $1`, [keyHash]);
    return r.rows.length ? fromDb(r.rows[0]) : null;
  }

  async create(f: KeyFields): Promise<{ key: string; row: KeyRow }> {
    const key = newKey();
    const r = await this.pool.query<DbRow>(
      `INSERT INTO gb_keys (key_hash, key_alias, models, max_budget, rpm_limit, tpm_limit, expires_at, metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLS}`,
      [hashKey(key), f.alias ?? null, f.models ?? null, f.maxBudget ?? null, f.rpmLimit ?? null, f.tpmLimit ?? null, f.expiresAt == null ? null : new Date(f.expiresAt), f.metadata ?? {}],
    );
    return { key, row: fromDb(r.rows[0]) };
  }

  /** Updates the given fields only; null when the key does not exist. */
  async update(keyHash: string, f: KeyFields): Promise<KeyRow | null> {
    const sets: string[] = [];
    const vals: unknown[] = [keyHash];
    const add = (col: string, v: unknown) => {
      vals.push(v);
      sets.push(`${col} = $${vals.length}`);
    };
    if (f.alias !== undefined) add('key_alias', f.alias);
    if (f.models !== undefined) add('models', f.models);
    if (f.maxBudget !== undefined) add('max_budget', f.maxBudget);
    if (f.rpmLimit !== undefined) add('rpm_limit', f.rpmLimit);
    if (f.tpmLimit !== undefined) add('tpm_limit', f.tpmLimit);
    if (f.expiresAt !== undefined) add('expires_at', f.expiresAt === null ? null : new Date(f.expiresAt));
    if (f.metadata !== undefined) add('metadata', f.metadata);
    if (f.spend !== undefined) add('spend', f.spend);
    sets.push('updated_at = now()');
    const r = await this.pool.query<DbRow>(`UPDATE gb_keys SET ${sets.join(', ')} WHERE key_hash = $1 RETURNING ${COLS}`, vals);
    return r.rows.length ? fromDb(r.rows[0]) : null;
  }

  async delete(keyHashes: string[]): Promise<string[]> {
    const r = await this.pool.query<{ key_hash: string }>('DELETE FROM gb_keys WHERE key_hash = ANY($1::text[]) RETURNING key_hash', [keyHashes]);
    return r.rows.map((x) => x.key_hash);
  }
}

/** LiteLLM-style durations: 30s, 30m, 30h, 30d, 2w, 1mo. Null when invalid. */
export function parseKeyDurationMs(v: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w|mo)$/.exec(v.trim());
  if (!m) return null;
  const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, mo: 2.592e9 }[m[2] as 's'];
  return Number(m[1]) * unit;
}
