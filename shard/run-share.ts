// The shard's side of `bench run --shard I/N` (runner/variant.ts calls these two): its share of
// the variant's load, and the per-second histograms that let `bench merge` compute exact
// per-second percentiles. Kept here so the runner only gains a few lines.
import { ERR_INVALID_ARG } from '../lib/errors.js';
import type { ShardInfo } from '../lib/result.js';
import { validateLoadOptions, type LoadOptions, type LoadRun, type ResolvedLoadOptions } from '../loadgen/index.js';
import { maxShares, shareOf } from '../loadgen/split.js';
import type { ShardSpec, Started } from './spec.js';

export interface ShardRun {
  spec: ShardSpec;
  /** --start-at, ms since the epoch (null: start when ready) */
  startAt: number | null;
  /** loadDigest of the scenario as run (bench merge refuses a mix) */
  digest: string;
  /** set by the variant when its load starts */
  started?: Started;
}

/** The result's `shard` field, once the load has started. */
export function shardInfo(r: ShardRun, host: string): ShardInfo | undefined {
  if (!r.started) return undefined;
  return {
    index: r.spec.index,
    total: r.spec.total,
    start_at: r.startAt === null ? null : new Date(r.startAt).toISOString(),
    started_at: new Date(r.started.startedMs).toISOString(),
    skew_ms: r.started.skewMs,
    load_digest: r.digest,
    hostname: host,
  };
}

/** This shard's share of the whole load, with per-second histograms on. */
export function shardShare(whole: LoadOptions, spec: ShardSpec): ResolvedLoadOptions {
  const o = validateLoadOptions(whole);
  if (spec.total > maxShares(o)) throw ERR_INVALID_ARG(['--shard', `${spec.total} shards of ${maxShares(o)} users: each shard needs at least one user`]);
  return { ...shareOf(o, spec.index, spec.total), secondHistograms: true };
}

/** Collects each second's encoded histogram; returns them when they cover the whole series. */
export function collectSeconds(run: LoadRun): (series: readonly unknown[]) => string[] | undefined {
  const seconds: string[] = [];
  run.on('second', (_s, _t, hist) => {
    if (hist) seconds.push(hist);
  });
  return (series) => (seconds.length === series.length ? seconds : undefined);
}
