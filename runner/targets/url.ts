// `url`: any OpenAI-compatible base URL, already running somewhere. Nothing is started; its
// CPU and memory are not ours to read, so those rows stay empty. It must reach the same fake
// upstream for the ledger to see its requests (point its config at ctx.upstreamUrl).
import { splitBaseUrl, bearer } from './base-url.js';
import type { UrlSpec } from './targets-schema.js';
import type { StartOutcome, TargetContext } from './types.js';

export async function start(spec: UrlSpec, _ctx: TargetContext, name = 'url'): Promise<StartOutcome> {
  const { origin, chatPath } = splitBaseUrl(spec.url);
  return {
    name,
    kind: 'url',
    baseUrls: [origin],
    chatPath,
    headers: { ...bearer(spec.api_key), ...spec.headers },
    pids: [],
    overheadHeader: spec.overhead_header,
    stop: async () => {},
  };
}
