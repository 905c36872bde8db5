// The fake OpenAI upstream: public API. See server.ts for the HTTP side.
import { DEFAULT_OPTIONS, type StartedUpstream, type UpstreamOptions } from './types.js';
import { Upstream } from './server.js';

export type { LatencyModel, FaultSpec, UpstreamOptions, StartedUpstream, UpstreamStats, SinkCount, LedgerEntry, LedgerPage } from './types.js';
export { DEFAULT_OPTIONS } from './types.js';
export { loadUpstreamConfigFile, parseLatencySpec, parseErrorRates } from './config.js';

/** Fills defaults (nested `stream` too) without mutating the caller's object. */
export function resolveOptions(opts: Partial<UpstreamOptions> = {}): UpstreamOptions {
  return {
    ...DEFAULT_OPTIONS,
    ...opts,
    stream: { ...DEFAULT_OPTIONS.stream, ...(opts.stream ?? {}) },
    faults: { ...(opts.faults ?? {}) },
  };
}

/** Starts a fake upstream; resolves once it listens. */
export function startUpstream(opts: Partial<UpstreamOptions> = {}): Promise<StartedUpstream> {
  return new Upstream(resolveOptions(opts)).listen();
}
