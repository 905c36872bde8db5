// Terminal lines for a threshold evaluation: one line a check, failures first, so the line
// that explains a red CI job is the first thing in the log.
import type { ThresholdCheck, ThresholdEvaluation } from './evaluate.js';

export function formatValue(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 100) return x.toFixed(1);
  if (abs >= 1) return x.toFixed(2).replace(/\.?0+$/, '');
  return x.toPrecision(3).replace(/\.?0+$/, '');
}

export function renderCheck(c: ThresholdCheck): string {
  const mark = c.ok ? '✓' : '✗';
  const where = `[${c.variant_label}]`;
  if (c.value === null) return `${mark} ${c.threshold}  ${where} ${c.message ?? 'no value'}`;
  return `${mark} ${c.threshold}  ${where} measured ${formatValue(c.value)} limit ${formatValue(c.limit)}`;
}

export function renderThresholdReport(e: ThresholdEvaluation): string {
  if (e.checks.length === 0) return 'no thresholds\n';
  const failed = e.checks.filter((c) => !c.ok);
  const lines = [...failed, ...e.checks.filter((c) => c.ok)].map(renderCheck);
  lines.push(
    failed.length === 0
      ? `thresholds: all ${e.checks.length} check(s) passed`
      : `thresholds: ${failed.length} of ${e.checks.length} check(s) failed`,
  );
  return lines.join('\n') + '\n';
}
