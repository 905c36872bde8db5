// The RequestRecord handed to hooks.onRequestDone once a response is done: tokens come from
// the upstream's `usage` (found by findUsage without parsing the whole answer), spend from
// the deployment's per-token costs.
import { performance } from 'node:perf_hooks';
import type { RequestRecord } from './hooks.js';
import type { ProxyRequest } from './proxy-request.js';
import { findUsage } from './usage.js';

export function buildRecord(ctx: ProxyRequest, end: number, durationMs: number, overheadMs: number): RequestRecord {
  const d = ctx.deployment;
  const usage = ctx.usageBuf !== null ? findUsage(ctx.usageBuf) : null;
  const prompt = usage?.promptTokens ?? 0;
  const completion = usage?.completionTokens ?? 0;
  const origin = performance.timeOrigin;
  return {
    requestId: ctx.callId,
    keyHash: ctx.auth?.keyHash ?? null,
    modelGroup: ctx.scan.model ?? '',
    deploymentId: d?.id ?? null,
    apiBase: d?.apiBase ?? null,
    status: ctx.status,
    errorKind: ctx.errorKind,
    stream: ctx.scan.stream,
    promptTokens: prompt,
    completionTokens: completion,
    spend: d !== null ? prompt * d.inputCost + completion * d.outputCost : 0,
    startTimeMs: origin + ctx.start,
    endTimeMs: origin + end,
    durationMs,
    overheadMs,
    cacheHit: ctx.cacheHit,
    user: ctx.scan.user,
  };
}
