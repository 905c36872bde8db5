// Reading a result file back (`bench report`, `bench compare`, `bench gate`): a clear error for
// a file that is not a gatebench result, instead of a crash deep in a renderer. Files of the
// old gateway-comparison format (`gatebench/gateways@1`) are converted on load.
import { readFileSync } from 'node:fs';
import { ERR_FILE_READ, ERR_INVALID_RESULT } from './errors.js';
import { fromGatewaysV1, GATEWAYS_V1_SCHEMA, gatewaysV1Problems, type GatewaysV1 } from './gateways-v1.js';
import { RESULT_SCHEMA, type RunResult } from './result.js';

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // the code alone (ENOENT, EACCES): the message would repeat the path
    throw ERR_FILE_READ([file, (err as NodeJS.ErrnoException).code ?? (err as Error).message]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw ERR_INVALID_RESULT([file, `not JSON (${(err as Error).message})`]);
  }
}

/** Whether parsed JSON claims to be a run result (of either format): the gate reads other files too. */
export function isResultSchema(schema: unknown): boolean {
  return schema === RESULT_SCHEMA || schema === GATEWAYS_V1_SCHEMA;
}

/** A parsed result file, checked (every problem listed) and converted to `gatebench/result@1`. */
export function resultFromJson(file: string, data: unknown): RunResult {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw ERR_INVALID_RESULT([file, 'expected an object']);
  const schema = (data as { schema?: unknown }).schema;
  if (schema === GATEWAYS_V1_SCHEMA) {
    const problems = gatewaysV1Problems(data as Partial<GatewaysV1>);
    if (problems.length > 0) throw ERR_INVALID_RESULT([file, `${problems.length} problem(s); re-run its scenario with this version of bench run to get a ${RESULT_SCHEMA} file`], problems);
    return fromGatewaysV1(data as GatewaysV1, file);
  }
  const r = data as Partial<RunResult>;
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

export function readResult(file: string): RunResult {
  return resultFromJson(file, readJsonFile(file));
}
