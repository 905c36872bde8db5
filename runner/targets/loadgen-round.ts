// The comparison's RunRound backed by the real load generator: the same template, model and
// per-round warm-up for every target; only the base URLs, the chat path and the target's
// headers change. Request times are recorded so the ledger join can run.
import { decode, startLoad, type ClosedModelConfig, type OpenModelConfig, type RequestTemplateConfig } from '../../loadgen/index.js';
import type { RunRound, RoundOutput } from './types.js';

export interface LoadgenRoundOptions {
  template: RequestTemplateConfig;
  model: ClosedModelConfig | OpenModelConfig;
  /** excluded from the round's statistics (the closed model's ramp-up) */
  roundWarmupMs?: number;
  requestTimeoutMs?: number;
  /** bound of the request-times store per round */
  timesCapacity?: number;
  /** keep each request's overhead header value beside its times (RoundOutput.times.headerUs),
   *  to pair it with the ledger per request; off by default: nothing more is stored */
  pairHeader?: boolean;
  /** ends the current round early (Ctrl-C): the comparison then stops between rounds */
  signal?: AbortSignal;
}

export function loadgenRound(o: LoadgenRoundOptions): RunRound {
  return async (target, durationMs): Promise<RoundOutput> => {
    const header = target.overheadHeader?.toLowerCase();
    const run = startLoad({
      targets: target.baseUrls,
      model: o.model,
      durationMs,
      warmupMs: o.roundWarmupMs ?? 0,
      templates: [{ ...o.template, path: target.chatPath, headers: mergeHeaders(o.template.headers, target.headers) }],
      recordHeaders: header ? [header] : [],
      ...(header ? { overheadHeader: header } : {}),
      requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
      recordRequestTimes: true,
      recordRequestHeader: o.pairHeader === true && header !== undefined,
      requestTimesCapacity: o.timesCapacity ?? 500_000,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const r = await run.result;
    const enc = header ? r.histograms.headers[header] : undefined;
    const failures: Record<string, number> = {};
    for (const [k, v] of Object.entries(r.failures)) failures[k] = v;
    return {
      requests: r.requests,
      failures,
      durationS: r.duration_s,
      latency: decode(r.histograms.latency),
      overheadHeader: enc ? decode(enc) : null,
      times: run.requestTimes(),
      loadgen: r.loadgen,
      reliable: r.reliable,
      unreliable_reasons: r.unreliable_reasons,
    };
  };
}

/** Template headers overridden by the target's, case-insensitively (no duplicate Authorization). */
export function mergeHeaders(a: Record<string, string> | undefined, b: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a ?? {})) out[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(b)) out[k.toLowerCase()] = v;
  return out;
}
