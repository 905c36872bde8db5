// The shapes every target kind shares. A target is something the load generator can send
// chat completions to; the comparison run measures each one on the same fake upstream.
import type { Histogram } from 'hdr-histogram-js';
import type { LoadgenSelf, Percentiles } from '../../lib/result.js';
import type { RigSection } from '../../lib/rig/types.js';
import { parseDurationMs } from '../../lib/duration.js';

export const TARGET_KINDS = ['reference', 'portkey', 'nginx', 'direct', 'url', 'litellm'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** What a target's start() gets: where the shared fake upstream is and a private temp dir. */
export interface TargetContext {
  /** the fake upstream's base URL, e.g. http://127.0.0.1:41234 (no trailing slash) */
  upstreamUrl: string;
  /** a directory the target may write (configs, pid files); removed by the caller */
  tmpDir: string;
  /** model name the load template sends (configs written for gateways route it) */
  model?: string;
  /** how long to wait for the target to be ready */
  startTimeoutMs?: number;
  /** progress lines (stderr); never on the hot path */
  log?: (line: string) => void;
}

export interface StartedTarget {
  name: string;
  kind: TargetKind;
  /** origins (scheme://host:port) the load is spread over, one per instance */
  baseUrls: string[];
  /** path of chat completions on this target (the load template's path is replaced by it) */
  chatPath: string;
  /** extra request headers this target needs (Portkey's provider headers, api keys) */
  headers: Record<string, string>;
  /** local processes charged with CPU and RSS; empty when the target is remote or shared */
  pids: number[];
  /** response header in which the gateway reports its own overhead (ms), if any */
  overheadHeader?: string;
  stop(): Promise<void>;
}

export interface Unavailable {
  unavailable: string;
}

export type StartOutcome = StartedTarget | Unavailable;

export function isUnavailable(o: StartOutcome): o is Unavailable {
  return (o as Unavailable).unavailable !== undefined;
}

/** Per request wall-clock µs as the load generator recorded it (loadgen's RequestTimes). */
export interface ClientTimes {
  ids: readonly string[];
  sentUs: ArrayLike<number>;
  receivedUs: ArrayLike<number>;
  count: number;
}

/** One ledger entry of the fake upstream. */
export type { LedgerEntry as LedgerRow } from '../../fake-upstream/types.js';

/** What one load round against one target hands back to the comparison. */
export interface RoundOutput {
  requests: number;
  failures: Record<string, number>;
  /** measured seconds of this round */
  durationS: number;
  /** client latency, µs */
  latency: Histogram;
  /** the target's own overhead header, µs (null when it sends none) */
  overheadHeader: Histogram | null;
  times: ClientTimes | null;
  /** the load generator's view of itself this round (was it the bottleneck?) */
  loadgen?: LoadgenSelf;
  reliable?: boolean;
  unreliable_reasons?: string[];
}

/** Runs one round of load against a target (the loadgen behind a small interface). */
export type RunRound = (target: StartedTarget, durationMs: number, round: number) => Promise<RoundOutput>;

/** A target's figures over all its rounds: the columns of the comparison table. */
export interface TargetResult {
  name: string;
  target: TargetKind;
  requests: number;
  failures: Record<string, number>;
  failed: number;
  duration_s: number;
  rps: number;
  latency_ms: Percentiles;
  /** the gateway's own header (reference, LiteLLM); null when it sends none */
  overhead_ms: Percentiles | null;
  /** client latency − upstream holding time, joined on the request id */
  overhead_ledger_ms: Percentiles | null;
  overhead_request_path_ms: Percentiles | null;
  overhead_response_path_ms: Percentiles | null;
  /** client requests with no ledger entry (the gateway lost the id, or the ledger dropped it) */
  ledger_unmatched: number;
  gateway_cpu_us_per_req: number | null;
  gateway_rss_mb: number | null;
  rounds: number;
  /** false when the load generator was the bottleneck in any of this target's rounds */
  reliable: boolean;
  unreliable_reasons: string[];
  /** the load generator's worst round for this target */
  loadgen: LoadgenSelf | null;
  /** where the CPU went during this target's rounds (optional: lib/rig) */
  rig?: RigSection | null;
  /** encoded HDR histograms (µs) so results merge and re-render losslessly */
  histograms: { latency: string; overhead_header?: string; overhead_ledger?: string; request_path?: string; response_path?: string };
}

export interface SkippedTarget {
  name: string;
  target: TargetKind;
  unavailable: string;
}

export interface ComparisonResult {
  schema: 'gatebench/gateways@1';
  round_ms: number;
  rounds: number;
  order: string[];
  targets: TargetResult[];
  skipped: SkippedTarget[];
}

/** The spec's start_timeout, else the context's, else the kind's default. */
export function startTimeout(spec: { start_timeout?: string | number }, ctx: TargetContext, dflt: number): number {
  return spec.start_timeout !== undefined ? parseDurationMs(spec.start_timeout) : (ctx.startTimeoutMs ?? dflt);
}
