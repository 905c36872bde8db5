// The shapes every target kind shares. A target is something the load generator can send
// chat completions to; the comparison run measures each one on the same fake upstream.
import type { Histogram } from 'hdr-histogram-js';
import type { LoadgenSelf } from '../../lib/result.js';
import { parseDurationMs } from '../../lib/duration.js';
import type { Registry } from '../services/registry.js';

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
  /** the run's registry: every process a target starts is tracked, so a second Ctrl-C (the
   *  registry's synchronous last resort) reaches it too */
  registry?: Registry;
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
  /** the target's overhead header per request, µs (NaN where absent); only when asked for */
  headerUs?: ArrayLike<number> | null;
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

/** A target that could not run here, and why (the comparison goes on without it). */
export interface SkippedTarget {
  name: string;
  target: TargetKind;
  unavailable: string;
}

/** The spec's start_timeout, else the context's, else the kind's default. */
export function startTimeout(spec: { start_timeout?: string | number }, ctx: TargetContext, dflt: number): number {
  return spec.start_timeout !== undefined ? parseDurationMs(spec.start_timeout) : (ctx.startTimeoutMs ?? dflt);
}
