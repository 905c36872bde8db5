// Starting a scenario's targets: one module per kind, dispatched here. A target that cannot
// run on this machine (not installed, no command given, failed to start) is skipped with
// its reason; the others still run, so one missing gateway never costs the whole comparison.
import * as direct from './direct.js';
import * as litellm from './litellm.js';
import * as nginx from './nginx.js';
import * as portkey from './portkey.js';
import * as reference from './reference.js';
import * as url from './url.js';
import { StopGroup } from '../../lib/process.js';
import { kindOf, targetNames, type GatewayTargetSpec } from './targets-schema.js';
import { isUnavailable, type SkippedTarget, type StartedTarget, type StartOutcome, type TargetContext } from './types.js';

export function startTarget(spec: GatewayTargetSpec, ctx: TargetContext, name: string = spec.name ?? kindOf(spec)): Promise<StartOutcome> {
  switch (spec.type) {
    case 'reference':
    case 'proxy':
      return reference.start(spec, ctx, name);
    case 'portkey':
      return portkey.start(spec, ctx, name);
    case 'nginx':
      return nginx.start(spec, ctx, name);
    case 'direct':
      return direct.start(spec, ctx, name);
    case 'url':
      return url.start(spec, ctx, name);
    case 'litellm':
      return litellm.start(spec, ctx, name);
  }
}

/** Starts every target in order (one at a time: each start is timed and logged alone). */
export async function startTargets(
  specs: readonly GatewayTargetSpec[],
  ctx: TargetContext,
): Promise<{ started: StartedTarget[]; skipped: SkippedTarget[]; stopAll(): Promise<void> }> {
  const names = targetNames(specs);
  const started: StartedTarget[] = [];
  const skipped: SkippedTarget[] = [];
  // reverse order, each stop awaited (a failed stop does not skip the others): no process outlives the run
  const stops = new StopGroup();
  const stopAll = async () => {
    await stops.stopAll();
  };
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    const name = names[i];
    try {
      const o = await startTarget(spec, ctx, name);
      if (isUnavailable(o)) {
        skipped.push({ name, target: kindOf(spec), unavailable: o.unavailable });
        ctx.log?.(`target ${name}: skipped — ${o.unavailable}`);
      } else {
        started.push(o);
        stops.add(name, () => o.stop());
        ctx.log?.(`target ${name}: ${o.baseUrls.join(', ')}${o.chatPath}`);
      }
    } catch (err) {
      const why = `failed to start: ${(err as Error).message}`;
      skipped.push({ name, target: kindOf(spec), unavailable: why });
      ctx.log?.(`target ${name}: skipped — ${why}`);
    }
  }
  return { started, skipped, stopAll };
}

export { gatewayTargetSchema, gatewayTargetsSchema, type GatewayTargetSpec } from './targets-schema.js';
export type { StartedTarget, StartOutcome, TargetContext, SkippedTarget } from './types.js';
