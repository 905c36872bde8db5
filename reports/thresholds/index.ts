// Public face of thresholds: parse a scenario's `thresholds:` (every problem listed, each with
// its path and column), evaluate them after a run, render the lines, and fail with exit 99.
import { ERR_THRESHOLDS } from '../../lib/errors.js';
import type { RunResult } from '../../lib/result.js';
import { evaluateThresholds, type ThresholdEvaluation } from './evaluate.js';
import { parseThreshold, type Threshold } from './parser.js';
import { renderCheck, renderThresholdReport } from './render.js';
import { ThresholdSyntaxError } from './tokenizer.js';

export { parseThreshold, selectorText, type Op, type Selector, type Threshold } from './parser.js';
export { ThresholdSyntaxError, tokenize } from './tokenizer.js';
export { evaluateThresholds, selects, variantLabel, type ThresholdCheck, type ThresholdEvaluation } from './evaluate.js';
export { renderThresholdReport, renderCheck, formatValue } from './render.js';
export { checkMetric, readMetric, METRIC_FORMS } from './metrics.js';

export interface ParsedThresholds {
  thresholds: Threshold[];
  /** `thresholds[2]: "latency_ms.p99 = 250": column 16: expected an operator …` */
  problems: string[];
}

function problemText(path: string, text: string, err: unknown): string {
  if (err instanceof ThresholdSyntaxError) return `${path}: ${JSON.stringify(text)}: column ${err.column}: ${err.message}`;
  return `${path}: ${err instanceof Error ? err.message : String(err)}`;
}

/** Parses a list of threshold strings; collects every problem instead of stopping at the first. */
export function parseThresholds(list: readonly unknown[], path = 'thresholds'): ParsedThresholds {
  const thresholds: Threshold[] = [];
  const problems: string[] = [];
  list.forEach((item, i) => {
    const p = `${path}[${i}]`;
    if (typeof item !== 'string') {
      problems.push(`${p}: expected a string like "latency_ms.p99 < 250", found ${JSON.stringify(item)}`);
      return;
    }
    try {
      thresholds.push(parseThreshold(item));
    } catch (err) {
      problems.push(problemText(p, item, err));
    }
  });
  return { thresholds, problems };
}

/**
 * A scenario's `thresholds:` in either form:
 *  - a list of whole expressions: `["latency_ms.p99 < 250", "failures == 0"]`
 *  - k6's map of metric → condition(s): `{ "latency_ms.p99": "< 250", "variant[instances=4].rps": [">= 1000"] }`
 */
export function parseThresholdSpec(spec: unknown, path = 'thresholds'): ParsedThresholds {
  if (spec === undefined || spec === null) return { thresholds: [], problems: [] };
  if (Array.isArray(spec)) return parseThresholds(spec, path);
  if (typeof spec !== 'object') {
    return { thresholds: [], problems: [`${path}: expected a list of thresholds like "latency_ms.p99 < 250" or a map of metric → condition`] };
  }
  const out: ParsedThresholds = { thresholds: [], problems: [] };
  for (const [metric, conds] of Object.entries(spec as Record<string, unknown>)) {
    const list = Array.isArray(conds) ? conds : [conds];
    list.forEach((cond, i) => {
      const p = `${path}[${JSON.stringify(metric)}]${Array.isArray(conds) ? `[${i}]` : ''}`;
      if (typeof cond !== 'string') {
        out.problems.push(`${p}: expected a condition like "< 250" (an operator and a limit), found ${JSON.stringify(cond)}`);
        return;
      }
      const text = `${metric} ${cond.trim()}`;
      try {
        out.thresholds.push(parseThreshold(text));
      } catch (err) {
        out.problems.push(problemText(p, text, err));
      }
    });
  }
  return out;
}

/**
 * Evaluates, prints the lines to `write` (stderr by default) and throws GB_ERR_THRESHOLDS
 * (exit 99) listing each failed check when any failed. What `bench run` calls after a run.
 */
export function enforceThresholds(
  thresholds: Threshold[],
  result: RunResult,
  write: (s: string) => void = (s) => process.stderr.write(s),
): ThresholdEvaluation {
  const evaluation = evaluateThresholds(thresholds, result);
  if (evaluation.checks.length > 0) write(renderThresholdReport(evaluation));
  const failed = evaluation.checks.filter((c) => !c.ok);
  if (failed.length > 0) throw ERR_THRESHOLDS([String(failed.length)], failed.map(renderCheck));
  return evaluation;
}
