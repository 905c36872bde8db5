// `reference`: our proxy (bench proxy), N instances, with the scenario's config or one
// written for this run. It reports its own overhead in x-litellm-overhead-duration-ms, so
// the comparison shows both that header and the ledger's figure — they must agree.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OVERHEAD_HEADER } from '../../lib/measure.js';
import { gatewayConfig, writeConfig } from './gateway-config.js';
import { spawnService, waitForOutput } from './process.js';
import type { ReferenceSpec } from './targets-schema.js';
import { startTimeout, type StartOutcome, type TargetContext } from './types.js';


function benchCli(): string {
  // dist/runner/targets/reference.js → dist/cli/bench.js
  return fileURLToPath(new URL('../../cli/bench.js', import.meta.url));
}

interface ReadyLine {
  urls?: string[];
  url?: string;
  pids?: number[];
  pid?: number;
}

export async function start(spec: ReferenceSpec, ctx: TargetContext, name = 'reference'): Promise<StartOutcome> {
  const cli = benchCli();
  if (!existsSync(cli)) return { unavailable: `the bench CLI is not built (${cli}): npm run build` };
  let configPath: string;
  // the proxy runs in the temp dir: a relative path is the caller's (the scenario's) cwd
  if (typeof spec.config === 'string') configPath = resolve(spec.config);
  else configPath = await writeConfig(join(ctx.tmpDir, `${name}-config.yaml`), spec.config ?? gatewayConfig(ctx.upstreamUrl, ctx.model));
  const args = [cli, 'proxy', '--config', configPath, '--port', '0'];
  if (spec.instances) args.push('--instances', String(spec.instances));
  // a user's config reaches this run's upstream through os.environ/GATEBENCH_UPSTREAM_URL
  const env = { ...process.env, GATEBENCH_UPSTREAM_URL: `${new URL(ctx.upstreamUrl).origin}/v1` };
  const svc = spawnService(process.execPath, args, { env, cwd: ctx.tmpDir });
  const timeout = startTimeout(spec, ctx, 60_000);
  let ready: ReadyLine;
  try {
    const m = await waitForOutput(svc, /READY (\{.*\})\s*\n/, timeout, 'reference proxy');
    ready = JSON.parse(m[1]) as ReadyLine;
  } catch (err) {
    await svc.stop(1000);
    throw err;
  }
  const urls = ready.urls ?? (ready.url ? [ready.url] : []);
  if (urls.length === 0) {
    await svc.stop(1000);
    throw new Error(`reference proxy printed READY without urls: ${JSON.stringify(ready)}`);
  }
  const pids = [svc.pid, ...(ready.pid ? [ready.pid] : []), ...(ready.pids ?? [])];
  return {
    name,
    kind: 'reference',
    baseUrls: urls.map((u) => new URL(u).origin),
    chatPath: '/chat/completions',
    headers: { ...spec.headers },
    pids: [...new Set(pids)],
    overheadHeader: OVERHEAD_HEADER,
    stop: () => svc.stop(10_000),
  };
}
