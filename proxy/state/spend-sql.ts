// The batch statement for spend logs: column arrays through unnest (17 parameters whatever the
// batch size), ON CONFLICT (request_id) DO NOTHING, and the spend of the rows actually inserted
// added to gb_keys in the same statement — replaying a batch never double-counts spend.
import type pg from 'pg';
import type { RequestRecord } from '../hooks.js';

const INSERT = `
WITH v AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::bool[],
                       $9::int[], $10::int[], $11::float8[], $12::float8[], $13::float8[], $14::float8[], $15::float8[],
                       $16::bool[], $17::text[])
    AS t(request_id, key_hash, model_group, deployment_id, api_base, status, error_kind, stream, prompt_tokens,
         completion_tokens, spend, start_ms, end_ms, duration_ms, overhead_ms, cache_hit, end_user)
), ins AS (
  INSERT INTO gb_spend_logs (request_id, key_hash, model_group, deployment_id, api_base, status, error_kind, stream,
    prompt_tokens, completion_tokens, total_tokens, spend, start_time, end_time, duration_ms, overhead_ms, cache_hit, end_user)
  SELECT request_id, key_hash, model_group, deployment_id, api_base, status, error_kind, stream, prompt_tokens,
    completion_tokens, prompt_tokens + completion_tokens, spend, to_timestamp(start_ms / 1000.0), to_timestamp(end_ms / 1000.0),
    duration_ms, overhead_ms, cache_hit, end_user
  FROM v
  ON CONFLICT (request_id) DO NOTHING
  RETURNING key_hash, spend
), upd AS (
  UPDATE gb_keys k SET spend = k.spend + s.total
  FROM (SELECT key_hash, sum(spend) AS total FROM ins WHERE key_hash IS NOT NULL AND spend <> 0 GROUP BY key_hash) s
  WHERE k.key_hash = s.key_hash
  RETURNING 1
)
SELECT count(*)::int AS n FROM ins`;

// disable_spend_logs: no rows, key totals only
const SPEND_ONLY = `
UPDATE gb_keys k SET spend = k.spend + s.total
FROM (SELECT h AS key_hash, sum(x) AS total FROM unnest($1::text[], $2::float8[]) AS t(h, x)
      WHERE h IS NOT NULL AND x <> 0 GROUP BY h) s
WHERE k.key_hash = s.key_hash`;

const int = (v: number) => (Number.isFinite(v) ? Math.round(v) : 0);
const num = (v: number) => (Number.isFinite(v) ? v : 0);

/** Returns the number of rows inserted (duplicates excluded). */
export async function writeBatch(pool: pg.Pool, rows: RequestRecord[], spendOnly: boolean): Promise<number> {
  const n = rows.length;
  const cols: unknown[][] = Array.from({ length: 17 }, () => new Array<unknown>(n));
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    cols[0][i] = String(r.requestId);
    cols[1][i] = r.keyHash;
    cols[2][i] = r.modelGroup ?? '';
    cols[3][i] = r.deploymentId;
    cols[4][i] = r.apiBase;
    cols[5][i] = int(r.status);
    cols[6][i] = r.errorKind;
    cols[7][i] = r.stream === true;
    cols[8][i] = int(r.promptTokens);
    cols[9][i] = int(r.completionTokens);
    cols[10][i] = num(r.spend);
    cols[11][i] = num(r.startTimeMs);
    cols[12][i] = num(r.endTimeMs);
    cols[13][i] = num(r.durationMs);
    cols[14][i] = num(r.overheadMs);
    cols[15][i] = r.cacheHit === true;
    cols[16][i] = r.user;
  }
  if (spendOnly) {
    await pool.query(SPEND_ONLY, [cols[1], cols[10]]);
    return n;
  }
  const r = await pool.query<{ n: number }>(INSERT, cols);
  return r.rows[0]?.n ?? 0;
}
