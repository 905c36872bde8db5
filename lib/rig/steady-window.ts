// Is the measured window steady? The per-second p99 of its second half against its first
// half. A window whose first seconds are still warming up (JIT, connection pools, a first
// spend-log flush) shows a ratio well below 1; one that degrades (a queue building, memory
// growing) well above. Pure: a per-second series in, a verdict out.
import type { SecondSample } from '../result.js';

/** The steady band: neither half's p99 more than 1.5× the other's. */
export const STEADY_MAX_RATIO = 1.5;

export interface SteadyWindow {
  /** median of the per-second p99s of the first half of the window, ms */
  p99_first_half_ms: number;
  p99_second_half_ms: number;
  /** second half / first half */
  ratio: number;
  steady: boolean;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The halves' p99, each the median of its seconds' p99 (one slow second — a GC pause — does
 * not make a half; a run of them does). Null with fewer than 4 seconds that have a p99.
 */
export function steadyWindow(series: readonly Pick<SecondSample, 't' | 'p99_ms'>[], maxRatio = STEADY_MAX_RATIO): SteadyWindow | null {
  const xs = series.filter((s) => s.p99_ms !== null && s.p99_ms > 0).sort((a, b) => a.t - b.t);
  if (xs.length < 4) return null;
  const half = xs.length >> 1;
  const first = median(xs.slice(0, half).map((s) => s.p99_ms!));
  const second = median(xs.slice(xs.length - half).map((s) => s.p99_ms!));
  const ratio = second / first;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return { p99_first_half_ms: r2(first), p99_second_half_ms: r2(second), ratio: r2(ratio), steady: ratio <= maxRatio && ratio >= 1 / maxRatio };
}
