// Data for the HTML report's overhead chart: every target's overhead distribution on one
// chart. Same shape and "nines" grid as reports/html.ts's `distribution()` (x = −log10(1−p):
// 0 = p0, 1 = p90, 2 = p99, 3 = p99.9), so html.ts can draw it with its existing
// `dist('chart-overhead-dist', …)`: variants = target names, overhead = these.
import { decode } from '../../loadgen/aggregate.js';
import type { ComparisonResult } from '../../runner/targets/types.js';

export interface NinesDistribution {
  nines: number[];
  ms: (number | null)[];
}

export interface OverheadSeries {
  /** one per target, in the table's column order (labels of the chart's lines) */
  variants: string[];
  /** ledger overhead (client latency − upstream time) by percentile; null: not measured */
  overhead: (NinesDistribution | null)[];
  /** client latency by percentile, for the latency chart */
  latency: (NinesDistribution | null)[];
  /** the gateway's own header where it sends one (reference, LiteLLM) */
  overhead_header: (NinesDistribution | null)[];
}

function ninesOf(encoded: string | undefined): NinesDistribution | null {
  if (!encoded) return null;
  const h = decode(encoded);
  if (h.totalCount === 0) return null;
  const maxNines = Math.min(5, Math.max(1, Math.log10(h.totalCount)));
  const nines: number[] = [];
  const ms: (number | null)[] = [];
  for (let n = 0; n <= maxNines + 1e-9; n += 0.05) {
    nines.push(Math.round(n * 100) / 100);
    ms.push(h.getValueAtPercentile(100 * (1 - 10 ** -n)) / 1000);
  }
  return { nines, ms };
}

export function gatewayOverheadSeries(result: ComparisonResult): OverheadSeries {
  return {
    variants: result.targets.map((t) => t.name),
    overhead: result.targets.map((t) => ninesOf(t.histograms.overhead_ledger)),
    latency: result.targets.map((t) => ninesOf(t.histograms.latency)),
    overhead_header: result.targets.map((t) => ninesOf(t.histograms.overhead_header)),
  };
}
