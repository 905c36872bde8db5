// `direct`: the load goes straight to the fake upstream — the zero-overhead baseline. Nothing
// is started and no process is charged (the upstream is shared by every target).
import type { DirectSpec } from './targets-schema.js';
import type { StartOutcome, TargetContext } from './types.js';

export async function start(spec: DirectSpec, ctx: TargetContext, name = 'direct'): Promise<StartOutcome> {
  return {
    name,
    kind: 'direct',
    baseUrls: [new URL(ctx.upstreamUrl).origin],
    chatPath: '/v1/chat/completions',
    headers: { ...spec.headers },
    pids: [],
    stop: async () => {},
  };
}
