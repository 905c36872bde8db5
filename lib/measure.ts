// The measurement vocabulary every room shares: the overhead header's name and label, the HDR
// histogram (µs) and its encoding, ms ↔ µs, percentiles, and the "nines" grid the charts use.
// One definition so the load generator, the runner, the renderers and the gate cannot drift.
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { Percentiles } from './result.js';

/** The header a gateway reports its own overhead in (LiteLLM's name, so its users' scripts work). */
export const OVERHEAD_HEADER = 'x-litellm-overhead-duration-ms';
/** The header with the whole time the gateway held the request. */
export const RESPONSE_DURATION_HEADER = 'x-litellm-response-duration-ms';
/** How the seed page's Locust table names the overhead row. */
export const OVERHEAD_LABEL = 'LiteLLM Overhead Duration (ms)';
/** Display names of well-known recorded headers. */
export const HEADER_LABELS: Readonly<Record<string, string>> = { [OVERHEAD_HEADER]: OVERHEAD_LABEL };

/** The largest value a histogram tracks: one hour in µs. */
export const MAX_US = 3_600_000_000;

/** µs, 1 µs .. 1 h, 3 significant digits. The JS 32-bit-bucket build: measured ~75 ns a
 * record here; WebAssembly is ~17 ns but needs async init and explicit destroy(), and
 * neither matters next to the ~10 µs a request costs. */
export function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: MAX_US, numberOfSignificantValueDigits: 3, bitBucketSize: 32, useWebAssembly: false });
}

/** ms → a recordable µs value: rounded, at least 1 µs (0 is below the histogram's range), at most 1 h. */
export function msToUs(ms: number): number {
  const us = Math.round(ms * 1000);
  return us < 1 ? 1 : us > MAX_US ? MAX_US : us;
}

export function usToMs(us: number): number {
  return us / 1000;
}

export function decode(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded, 32, false);
}

export function encode(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

/** Merges encoded histograms (e.g. one per load-generator process) into one. */
export function mergeEncoded(...encoded: string[]): string {
  const out = newHistogram();
  for (const e of encoded) out.add(decode(e));
  return encode(out);
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Percentiles in ms of a histogram of µs values; all zero when empty (count says so). */
export function percentilesOf(h: Histogram): Percentiles {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 };
  const at = (p: number) => usToMs(h.getValueAtPercentile(p));
  return {
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: usToMs(h.maxValue),
    mean: round3(usToMs(h.mean)),
    count: h.totalCount,
  };
}

export function percentilesOrNull(h: Histogram | null | undefined): Percentiles | null {
  return h && h.totalCount > 0 ? percentilesOf(h) : null;
}

/** A percentile distribution on the "nines" grid: x = −log10(1 − p/100), 0 = p0, 1 = p90, 2 = p99, 3 = p99.9. */
export interface NinesDistribution {
  nines: number[];
  ms: (number | null)[];
}

/** The distribution of an encoded histogram (µs) in steps of 0.05 nines, up to what its count supports (≤ 5). */
export function ninesDistribution(encoded: string | undefined): NinesDistribution | null {
  if (!encoded) return null;
  const h = decode(encoded);
  if (h.totalCount === 0) return null;
  const maxNines = Math.min(5, Math.max(1, Math.log10(h.totalCount)));
  const nines: number[] = [];
  const ms: (number | null)[] = [];
  for (let n = 0; n <= maxNines + 1e-9; n += 0.05) {
    nines.push(Math.round(n * 100) / 100);
    ms.push(usToMs(h.getValueAtPercentile(100 * (1 - 10 ** -n))));
  }
  return { nines, ms };
}
