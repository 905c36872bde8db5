// Evaluates parsed thresholds against a run's result. Never throws on a result that lacks a
// figure: a threshold on something that was not measured fails with a message saying so,
// because a silent pass would hide exactly the regression the threshold was written for.
import type { RunResult, VariantResult } from '../../lib/result.js';
import { readMetric } from './metrics.js';
import { selectorText, type Op, type Selector, type Threshold } from './parser.js';

export interface ThresholdCheck {
  threshold: string;
  /** the variant's name, or null when the selector matched no variant */
  variant: string | null;
  /** the variant's settings as `key=value,…` (or its name when it has none) */
  variant_label: string;
  metric: string;
  value: number | null;
  op: Op;
  limit: number;
  ok: boolean;
  /** why there is no value (metric not measured, no variant matched) */
  message?: string;
}

export interface ThresholdEvaluation {
  passed: boolean;
  checks: ThresholdCheck[];
}

export function compare(value: number, op: Op, limit: number): boolean {
  switch (op) {
    case '<': return value < limit;
    case '<=': return value <= limit;
    case '>': return value > limit;
    case '>=': return value >= limit;
    case '==': return value === limit;
    case '!=': return value !== limit;
  }
}

/** A setting as a selector compares it: lists joined with + (an empty list of callbacks is `none`, as the runner labels it). */
function settingText(v: unknown): string {
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.join('+');
  return String(v);
}

/** The variant as the report names it: the runner names variants by the matrix values they vary (`instances=4,redis=off`). */
export function variantLabel(v: VariantResult): string {
  if (v.name) return v.name;
  return Object.entries(v.settings ?? {})
    .filter(([, x]) => typeof x !== 'object' || Array.isArray(x))
    .map(([k, x]) => `${k}=${settingText(x)}`)
    .join(',');
}

/** Whether a variant is one the selector names. `name=` also matches the variant's name. */
export function selects(s: Selector, v: VariantResult): boolean {
  if (s.kind === 'all') return true;
  if (s.kind === 'name') return v.name === s.name;
  return s.match.every(({ key, value }) => {
    const setting = v.settings?.[key];
    if (setting === undefined) return key === 'name' && v.name === value;
    return settingText(setting) === value;
  });
}

export function evaluateThresholds(thresholds: Threshold[], result: RunResult): ThresholdEvaluation {
  const checks: ThresholdCheck[] = [];
  for (const t of thresholds) {
    const metric = t.metric.join('.');
    const variants = result.variants.filter((v) => selects(t.selector, v));
    if (variants.length === 0) {
      checks.push({
        threshold: t.source, variant: null, variant_label: '-', metric, value: null, op: t.op, limit: t.limit, ok: false,
        message: `no variant matches ${selectorText(t.selector)}; variants are ${result.variants.map((v) => variantLabel(v)).join(' | ') || '(none)'}`,
      });
      continue;
    }
    for (const v of variants) {
      const read = readMetric(v, t.metric);
      const base = { threshold: t.source, variant: v.name, variant_label: variantLabel(v), metric, op: t.op, limit: t.limit };
      if ('missing' in read) checks.push({ ...base, value: null, ok: false, message: read.missing });
      else checks.push({ ...base, value: read.value, ok: compare(read.value, t.op, t.limit) });
    }
  }
  return { passed: checks.every((c) => c.ok), checks };
}
