// What `bench merge` refuses, before adding anything: inputs that are not shards, shards of
// different runs (scenario, load, total or variants differ), two results for one shard index,
// missing shards (unless allowed), and shards that started further apart than the tolerance —
// their seconds would not line up and their sum would not be one run. Pure: every refusal is a
// coded error (exit 2) listing each file involved.
import { ERR_INVALID_RESULT, ERR_MERGE_MISSING, ERR_MERGE_OVERLAP, ERR_MERGE_SCENARIO, ERR_MERGE_SKEW } from '../lib/errors.js';
import type { RunResult, ShardInfo } from '../lib/result.js';

export interface ShardInput {
  /** where it came from (a file name), for the messages */
  label: string;
  result: RunResult;
}

export interface MergeCheckOptions {
  allowMissing?: boolean;
  /** largest spread of the shards' actual start instants, ms */
  maxSkewMs?: number;
}

export const DEFAULT_MAX_SKEW_MS = 1000;

export interface CheckedShards {
  /** the inputs, ordered by shard index */
  shards: Array<ShardInput & { shard: ShardInfo }>;
  total: number;
  missing: number[];
}

const describe = (s: ShardInput & { shard: ShardInfo }) =>
  `${s.label}: scenario ${JSON.stringify(s.result.scenario)}, load ${s.shard.load_digest.slice(0, 12)}, shard ${s.shard.index}/${s.shard.total}, variants [${s.result.variants.map((v) => v.name).join(', ')}]`;

export function checkShards(inputs: readonly ShardInput[], o: MergeCheckOptions = {}): CheckedShards {
  if (inputs.length === 0) throw ERR_INVALID_RESULT(['(none)', 'give at least one shard result']);
  const notShards = inputs.filter((s) => !s.result.shard);
  if (notShards.length > 0)
    throw ERR_INVALID_RESULT(
      [notShards.map((s) => s.label).join(', '), 'not a shard result (no "shard" field): run bench load or bench run with --shard I/N'],
    );
  const shards = inputs.map((s) => ({ ...s, shard: s.result.shard! })).sort((a, b) => a.shard.index - b.shard.index);

  const first = shards[0];
  // the digest covers the scenario's content (not its path, which may differ between machines)
  const key = (s: (typeof shards)[number]) => JSON.stringify([s.shard.load_digest, s.shard.total, s.result.variants.map((v) => v.name)]);
  if (shards.some((s) => key(s) !== key(first))) {
    throw ERR_MERGE_SCENARIO(['their scenario, load, shard total or variants differ'], shards.map(describe));
  }

  const byIndex = new Map<number, string[]>();
  for (const s of shards) byIndex.set(s.shard.index, [...(byIndex.get(s.shard.index) ?? []), s.label]);
  const dupes = [...byIndex].filter(([, labels]) => labels.length > 1);
  if (dupes.length > 0) {
    throw ERR_MERGE_OVERLAP(
      [`shard index ${dupes.map(([i]) => i).join(', ')} given more than once`],
      dupes.map(([i, labels]) => `shard ${i}/${first.shard.total}: ${labels.join(', ')}`),
    );
  }

  const total = first.shard.total;
  const missing: number[] = [];
  for (let i = 0; i < total; i++) if (!byIndex.has(i)) missing.push(i);
  if (missing.length > 0 && !o.allowMissing) {
    throw ERR_MERGE_MISSING([`${missing.length} of ${total}: index ${missing.join(', ')} (0-based)`], shards.map(describe));
  }

  const maxSkew = o.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const requested = new Set(shards.map((s) => s.shard.start_at));
  const starts = shards.map((s) => Date.parse(s.shard.started_at));
  const spread = Math.max(...starts) - Math.min(...starts);
  if (requested.size > 1 || spread > maxSkew) {
    const why = requested.size > 1 ? `they waited for different --start-at instants` : `their starts span ${spread} ms, over the ${maxSkew} ms tolerance (--max-skew)`;
    throw ERR_MERGE_SKEW([why], shards.map((s) => `${s.label}: --start-at ${s.shard.start_at ?? '(none)'}, started ${s.shard.started_at} (skew ${s.shard.skew_ms} ms)`));
  }
  return { shards, total, missing };
}
