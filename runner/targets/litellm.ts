// `litellm`: LiteLLM itself, which cannot be installed from npm. Either gatebench runs the
// user's `command:` (`litellm --config {config} --port {port}`, or its container) with a
// config written for this run, or the user points `url:` at one already running. Neither
// given, or the command not found → unavailable with how to provide it; the others still run.
import { join } from 'node:path';
import { bearer, splitBaseUrl } from './base-url.js';
import { gatewayConfig, writeConfig } from './gateway-config.js';
import { freePort, httpProbe, lastLines, spawnService } from '../../lib/process.js';
import { OVERHEAD_HEADER } from '../../lib/measure.js';
import type { LitellmSpec } from './targets-schema.js';
import { startTimeout, type StartOutcome, type TargetContext } from './types.js';

export const LITELLM_HOWTO =
  'give the litellm target a `command:` (e.g. "litellm --config {config} --port {port}" after pip install \'litellm[proxy]\', ' +
  'or its container) or the `url:` of a LiteLLM already running; see docs/gateways.md';

export async function start(spec: LitellmSpec, ctx: TargetContext, name = 'litellm'): Promise<StartOutcome> {
  const headers = { ...bearer(spec.api_key), ...spec.headers };
  // the config is written in both cases so the user can start LiteLLM with it
  const config = await writeConfig(join(ctx.tmpDir, `${name}-config.yaml`), gatewayConfig(ctx.upstreamUrl, ctx.model));
  if (spec.command === undefined && spec.url !== undefined) {
    const { origin, chatPath } = splitBaseUrl(spec.url);
    return { name, kind: 'litellm', baseUrls: [origin], chatPath, headers, pids: [], overheadHeader: OVERHEAD_HEADER, stop: async () => {} };
  }
  if (spec.command === undefined) return { unavailable: `litellm: no command or url — ${LITELLM_HOWTO}` };
  const port = await freePort();
  const cmd = spec.command.replaceAll('{config}', config).replaceAll('{port}', String(port));
  const env = { ...process.env, PORT: String(port), CONFIG: config, GATEBENCH_UPSTREAM_URL: `${new URL(ctx.upstreamUrl).origin}/v1` };
  const svc = spawnService('litellm', '/bin/sh', ['-c', cmd], { env, cwd: ctx.tmpDir, termGroup: true, onSpawn: (c) => ctx.registry?.trackChild(c) });
  // with a url as well, the command is expected to serve there (e.g. a fixed port)
  const base = spec.url ? splitBaseUrl(spec.url) : { origin: `http://127.0.0.1:${port}`, chatPath: '/chat/completions' };
  const timeout = startTimeout(spec, ctx, 180_000);
  try {
    await svc.waitReady({ probe: httpProbe(`${base.origin}/health/liveliness`), timeoutMs: timeout });
  } catch (err) {
    await svc.stop(2000);
    // the shell's 127: the command is not installed here — not a failure of the run
    if (svc.child.exitCode === 127) return { unavailable: `litellm command not found (${lastLines(svc.tail(), 1)}) — ${LITELLM_HOWTO}` };
    throw err;
  }
  return {
    name,
    kind: 'litellm',
    baseUrls: [base.origin],
    chatPath: base.chatPath,
    headers,
    pids: [svc.pid],
    overheadHeader: OVERHEAD_HEADER,
    stop: async () => {
      await svc.stop(10_000);
    },
  };
}
