import { ERR_INVALID_DURATION } from './errors.js';

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)(us|ms|s|m|h)?$/;

/** Parses `500ms`, `30s`, `5m`, `1h` or a bare number of seconds into milliseconds. */
export function parseDurationMs(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw ERR_INVALID_DURATION([String(value)]);
    return value * 1000;
  }
  const m = DURATION_RE.exec(value.trim());
  if (!m) throw ERR_INVALID_DURATION([value]);
  return Number(m[1]) * UNITS[m[2] ?? 's'];
}

/** The same, returning null instead of throwing (for validators that collect every problem). */
export function tryParseDurationMs(value: unknown): number | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  try {
    return parseDurationMs(value);
  } catch {
    return null;
  }
}
