// The metrics a threshold may name: every numeric path of a VariantResult (lib/result.ts)
// plus two derived ones (failures = sum of the failures record, failure_rate). Checked when
// the threshold is parsed, so a typo fails `bench validate` instead of silently never firing.
import { failureCount, type Percentiles, type VariantResult } from '../../lib/result.js';
import { OVERHEAD_HEADER } from '../../lib/measure.js';

export const PERCENTILE_KEYS = ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean', 'count'] as const;
const PERCENTILE_GROUPS = ['latency_ms', 'latency_uncorrected_ms', 'overhead_ms', 'overhead_ledger_ms', 'ttfb_ms', 'ttft_ms'] as const;
const SCALARS = ['requests', 'rps', 'current_rps', 'duration_s', 'gateway_cpu_us_per_req', 'gateway_rss_mb', 'failures', 'failure_rate'] as const;
const LOADGEN_KEYS = ['cpu_percent', 'event_loop_delay_p99_ms', 'rss_mb'] as const;

/** Every metric name, for error messages. `failures.<kind>` and `headers_ms.<header>.<pNN>` are open-ended. */
export const METRIC_FORMS = [
  ...PERCENTILE_GROUPS.map((g) => `${g}.<${PERCENTILE_KEYS.join('|')}>`),
  ...SCALARS,
  'failures.<kind>',
  `headers_ms.<header>.<${PERCENTILE_KEYS.join('|')}>`,
  ...LOADGEN_KEYS.map((k) => `loadgen.${k}`),
];

const has = (list: readonly string[], s: string | undefined): boolean => s !== undefined && list.includes(s);

/**
 * Why `path` is not a metric (and at which segment, 0-based), or null when it is one.
 */
export function checkMetric(path: string[]): { segment: number; message: string } | null {
  const [head, a, b] = path;
  const joined = path.join('.');
  const pctList = PERCENTILE_KEYS.join(', ');
  if (has(PERCENTILE_GROUPS, head)) {
    if (path.length === 1) return { segment: 0, message: `${head} needs a statistic: ${head}.p99 (one of ${pctList})` };
    if (!has(PERCENTILE_KEYS, a)) return { segment: 1, message: `unknown statistic "${a}" in ${joined}: expected one of ${pctList}` };
    if (path.length > 2) return { segment: 2, message: `${head}.${a} has no field "${b}"` };
    return null;
  }
  if (head === 'failures') {
    if (path.length > 2) return { segment: 2, message: `failures.${a} has no field "${b}"` };
    return null; // failures, or failures.<kind> (e.g. failures.500, failures.timeout)
  }
  if (has(SCALARS, head)) {
    if (path.length > 1) return { segment: 1, message: `${head} is a number and has no field "${a}"` };
    return null;
  }
  if (head === 'headers_ms') {
    if (path.length < 3) return { segment: path.length - 1, message: `expected headers_ms.<header>.<statistic>, e.g. headers_ms.${OVERHEAD_HEADER}.p99` };
    if (!has(PERCENTILE_KEYS, b)) return { segment: 2, message: `unknown statistic "${b}" in ${joined}: expected one of ${pctList}` };
    if (path.length > 3) return { segment: 3, message: `${path.slice(0, 3).join('.')} has no field "${path[3]}"` };
    return null;
  }
  if (head === 'loadgen') {
    if (!has(LOADGEN_KEYS, a)) return { segment: Math.min(1, path.length - 1), message: `expected loadgen.${LOADGEN_KEYS.join(' | loadgen.')}` };
    if (path.length > 2) return { segment: 2, message: `loadgen.${a} has no field "${b}"` };
    return null;
  }
  return { segment: 0, message: `unknown metric "${joined}": expected one of ${METRIC_FORMS.join(', ')}` };
}

/** What reading a metric gave: a number, or why there is none (never throws). */
export type MetricValue = { value: number } | { missing: string };

function fromPercentiles(p: Percentiles | null | undefined, group: string, key: string): MetricValue {
  if (p === null || p === undefined) return { missing: `${group} was not measured for this variant` };
  const v = (p as unknown as Record<string, unknown>)[key];
  return typeof v === 'number' && Number.isFinite(v) ? { value: v } : { missing: `${group}.${key} is not a number` };
}

/** Reads a (checked) metric path from a variant. */
export function readMetric(v: VariantResult, path: string[]): MetricValue {
  const [head, a, b] = path;
  if (has(PERCENTILE_GROUPS, head)) {
    return fromPercentiles((v as unknown as Record<string, Percentiles | null | undefined>)[head], head, a);
  }
  if (head === 'headers_ms') return fromPercentiles(v.headers_ms?.[a], `headers_ms.${a}`, b);
  if (head === 'failures') {
    if (a !== undefined) return { value: v.failures?.[a] ?? 0 };
    return { value: failureCount(v.failures) };
  }
  if (head === 'failure_rate') {
    if (!(v.requests > 0)) return { missing: 'failure_rate is undefined: the variant made no requests' };
    return { value: failureCount(v.failures) / v.requests };
  }
  if (head === 'loadgen') {
    const x = v.loadgen?.[a as (typeof LOADGEN_KEYS)[number]];
    return typeof x === 'number' ? { value: x } : { missing: `loadgen.${a} was not measured` };
  }
  const x = (v as unknown as Record<string, unknown>)[head];
  if (typeof x === 'number' && Number.isFinite(x)) return { value: x };
  return { missing: `${head} was not measured for this variant${head.startsWith('gateway_') ? ' (the gateway does not run locally)' : ''}` };
}
