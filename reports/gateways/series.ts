// Data for the HTML report's overhead chart of a gateway comparison: every target's overhead
// distribution on one chart, on the nines grid of lib/measure.ts (x = −log10(1−p): 0 = p0,
// 1 = p90, 2 = p99, 3 = p99.9) — the ledger's overhead, measured the same way for every target.
import { ninesDistribution, OVERHEAD_HEADER, type NinesDistribution } from '../../lib/measure.js';
import type { RunResult } from '../../lib/result.js';

export type { NinesDistribution };

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

export function gatewayOverheadSeries(result: RunResult): OverheadSeries {
  const vs = result.variants;
  return {
    variants: vs.map((v) => v.name),
    overhead: vs.map((v) => ninesDistribution(v.histograms.overhead_ledger)),
    latency: vs.map((v) => ninesDistribution(v.histograms.latency)),
    overhead_header: vs.map((v) => ninesDistribution(v.histograms.headers?.[OVERHEAD_HEADER])),
  };
}
