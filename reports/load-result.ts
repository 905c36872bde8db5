// Reading a result.json back (for `bench report` and `bench compare`): a clear error for a
// file that is not a gatebench result, instead of a crash deep in a renderer.
import { readFileSync } from 'node:fs';
import { ERR_FILE_READ, ERR_INVALID_RESULT } from '../lib/errors.js';
import { RESULT_SCHEMA, type RunResult } from '../lib/result.js';

export function readResult(file: string): RunResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw ERR_FILE_READ([file, (err as Error).message]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw ERR_INVALID_RESULT([file, `not JSON (${(err as Error).message})`]);
  }
  const r = data as Partial<RunResult>;
  if (!r || typeof r !== 'object') throw ERR_INVALID_RESULT([file, 'expected an object']);
  if (r.schema !== RESULT_SCHEMA) throw ERR_INVALID_RESULT([file, `schema is ${JSON.stringify(r.schema)}, expected ${RESULT_SCHEMA}`]);
  if (!Array.isArray(r.variants)) throw ERR_INVALID_RESULT([file, 'variants is missing']);
  const problems: string[] = [];
  r.variants.forEach((v, i) => {
    if (typeof v?.name !== 'string') problems.push(`variants[${i}].name: expected a string`);
    if (!v?.latency_ms || typeof v.latency_ms.p50 !== 'number') problems.push(`variants[${i}].latency_ms: expected percentiles`);
    if (!Array.isArray(v?.timeseries)) problems.push(`variants[${i}].timeseries: expected an array`);
  });
  if (problems.length > 0) throw ERR_INVALID_RESULT([file, `${problems.length} problem(s)`], problems);
  return r as RunResult;
}
