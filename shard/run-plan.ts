// `bench run --shard I/N [--start-at T]`: checked before anything starts. A sharded run is one
// variant (the variants of a matrix run one after another, so shards could not stay on one
// clock past the first) of a scenario that starts its own gateway; a gateway comparison
// (`targets:`) interleaves rounds and is not sharded.
import { ERR_INVALID_ARG } from '../lib/errors.js';
import type { Plan } from '../runner/run.js';
import type { ShardRun } from './run-share.js';
import { loadDigest, resolveShard, resolveStartAt } from './spec.js';

export function shardRunFor(plan: Plan, shardFlag: string | undefined, startAtFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): ShardRun | undefined {
  const spec = resolveShard(shardFlag, env);
  const startAt = resolveStartAt(startAtFlag, env);
  if (!spec) {
    if (startAt !== null) throw ERR_INVALID_ARG(['--start-at', 'only with --shard I/N (or JOB_COMPLETION_INDEX)']);
    return undefined;
  }
  if (plan.scenario.targets.length > 0) throw ERR_INVALID_ARG(['--shard', 'a gateway comparison (targets:) is not sharded; shard bench load --scenario at each gateway instead']);
  if (plan.variants.length !== 1)
    throw ERR_INVALID_ARG(['--shard', `a sharded run is one variant; choose one of ${plan.variants.length} with --variants (${plan.variants.map((v) => v.name).join('; ')})`]);
  // what the shards must share: the scenario as resolved (overrides applied) and the variant
  // (never a key: the master key and header values are left out of what is hashed)
  const { file: _file, proxy, load, ...rest } = plan.scenario;
  const requests = load.requests.map((t) => ({ ...t, headers: Object.keys(t.headers ?? {}).sort() }));
  const scenario = { ...rest, proxy: { ...proxy, masterKey: null }, load: { ...load, requests } };
  return { spec, startAt, digest: loadDigest({ scenario, variant: plan.variants[0].name }) };
}
