// Every error gatebench raises on purpose has a code (GB_ERR_*), a message for a person and
// the exit code the CLI ends with. Modelled on fastify's lib/errors.js: one file, so codes
// are unique and discoverable.
import { EXIT_INVALID, EXIT_THRESHOLDS, EXIT_UNEXPECTED, type ExitCode } from './exit-codes.js';

export class GbError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  /** Every problem found, each with its path (`load.users: expected a positive integer`). */
  readonly problems: string[];
  constructor(code: string, message: string, exitCode: ExitCode, problems: string[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GbError';
    this.code = code;
    this.exitCode = exitCode;
    this.problems = problems;
  }
}

function define(code: string, exitCode: ExitCode, template: (...args: string[]) => string) {
  const make = (args: string[] = [], problems: string[] = [], cause?: unknown) =>
    new GbError(code, template(...args), exitCode, problems, cause === undefined ? undefined : { cause });
  return Object.assign(make, { code });
}

export const ERR_INVALID_ARG = define('GB_ERR_INVALID_ARG', EXIT_INVALID, (what = 'argument', why = '') => `invalid ${what}${why ? `: ${why}` : ''}`);
export const ERR_INVALID_DURATION = define('GB_ERR_INVALID_DURATION', EXIT_INVALID, (value = '') => `invalid duration ${JSON.stringify(value)}: expected a number with a unit, like 500ms, 30s, 5m or 1h`);
export const ERR_INVALID_CONFIG = define('GB_ERR_INVALID_CONFIG', EXIT_INVALID, (file = 'config', n = '1') => `${file}: ${n} problem(s)`);
export const ERR_INVALID_SCENARIO = define('GB_ERR_INVALID_SCENARIO', EXIT_INVALID, (file = 'scenario', n = '1') => `${file}: ${n} problem(s)`);
export const ERR_FILE_READ = define('GB_ERR_FILE_READ', EXIT_INVALID, (file = '', why = '') => `cannot read ${file}: ${why}`);
export const ERR_MISSING_TOOL = define('GB_ERR_MISSING_TOOL', EXIT_INVALID, (tool = '', how = '') => `${tool} is needed and was not found${how ? `: ${how}` : ''}`);
export const ERR_SERVICE_START = define('GB_ERR_SERVICE_START', EXIT_UNEXPECTED, (service = '', why = '') => `${service} failed to start: ${why}`);
export const ERR_SERVICE_TIMEOUT = define('GB_ERR_SERVICE_TIMEOUT', EXIT_UNEXPECTED, (service = '', ms = '') => `${service} was not ready after ${ms} ms`);
export const ERR_INVALID_RESULT = define('GB_ERR_INVALID_RESULT', EXIT_INVALID, (file = '', why = '') => `${file} is not a gatebench result: ${why}`);
export const ERR_THRESHOLDS = define('GB_ERR_THRESHOLDS', EXIT_THRESHOLDS, (n = '1') => `${n} threshold(s) failed`);
export const ERR_GATE_FAILED = define('GB_ERR_GATE_FAILED', EXIT_THRESHOLDS, (why = '') => `performance gate failed${why ? `: ${why}` : ''}`);
export const ERR_INTEGRITY = define('GB_ERR_INTEGRITY', EXIT_THRESHOLDS, (why = '') => `integrity check failed: ${why}`);
export const ERR_TRIAL_FAILED = define('GB_ERR_TRIAL_FAILED', EXIT_UNEXPECTED, (trial = '', why = '') => `${trial} failed: ${why}`);
export const ERR_MERGE_SCENARIO = define('GB_ERR_MERGE_SCENARIO', EXIT_INVALID, (why = '') => `cannot merge shards of different runs: ${why}`);
export const ERR_MERGE_OVERLAP = define('GB_ERR_MERGE_OVERLAP', EXIT_INVALID, (why = '') => `cannot merge overlapping shards: ${why}`);
export const ERR_MERGE_MISSING = define('GB_ERR_MERGE_MISSING', EXIT_INVALID, (why = '') => `missing shard(s): ${why} (--allow-missing merges the others, marked partial)`);
export const ERR_MERGE_SKEW = define('GB_ERR_MERGE_SKEW', EXIT_INVALID, (why = '') => `shards started too far apart: ${why}`);

export function isGbError(err: unknown): err is GbError {
  return err instanceof GbError;
}
