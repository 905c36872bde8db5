// `reference`: our proxy (bench proxy), N instances, with the scenario's config or one
// written for this run, started by the runner's own proxy service (runner/services/proxy.ts).
// It reports its own overhead in the overhead header, so the comparison shows both that
// header and the ledger's figure — they must agree.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OVERHEAD_HEADER } from '../../lib/measure.js';
import { benchCli } from '../../lib/process.js';
import { spawnProxy } from '../services/proxy.js';
import { gatewayConfig, writeConfig } from './gateway-config.js';
import type { ReferenceSpec } from './targets-schema.js';
import { startTimeout, type StartOutcome, type TargetContext } from './types.js';

export async function start(spec: ReferenceSpec, ctx: TargetContext, name = 'reference'): Promise<StartOutcome> {
  const cli = benchCli()[1][0];
  if (!existsSync(cli)) return { unavailable: `the bench CLI is not built (${cli}): npm run build` };
  let configFile: string;
  // the proxy runs in the temp dir: a relative path is the caller's (the scenario's) cwd
  if (typeof spec.config === 'string') configFile = resolve(spec.config);
  else configFile = await writeConfig(join(ctx.tmpDir, `${name}-config.yaml`), spec.config ?? gatewayConfig(ctx.upstreamUrl, ctx.model));
  const proxy = await spawnProxy({
    configFile,
    instances: spec.instances ?? 1,
    // a user's config reaches this run's upstream through os.environ/GATEBENCH_UPSTREAM_URL
    env: { ...process.env, GATEBENCH_UPSTREAM_URL: `${new URL(ctx.upstreamUrl).origin}/v1` },
    cwd: ctx.tmpDir,
    timeoutMs: startTimeout(spec, ctx, 60_000),
    ...(ctx.registry ? { registry: ctx.registry } : {}),
  });
  return {
    name,
    kind: 'reference',
    baseUrls: proxy.urls.map((u) => new URL(u).origin),
    chatPath: '/chat/completions',
    headers: { ...spec.headers },
    pids: [...new Set([proxy.pid, ...proxy.pids])],
    overheadHeader: OVERHEAD_HEADER,
    stop: async () => {
      await proxy.stop(10_000);
    },
  };
}
