// `bench merge <result.json…>` (cli/commands/merge.ts wires the flags here): reads the shard
// results, refuses what cannot be one run (merge/check.ts), merges (merge/merge.ts), writes
// result.json, report.md and report.html, prints the console report, and judges the
// scenario's thresholds on the merged figures — exit 99 when one fails, as after `bench run`.
import { join, resolve } from 'node:path';
import { ERR_INVALID_ARG, ERR_INVALID_SCENARIO } from '../lib/errors.js';
import { tryParseDurationMs } from '../lib/duration.js';
import { renderConsole } from '../reports/console.js';
import { readResult } from '../lib/result-file.js';
import { enforceThresholds, parseThresholdSpec } from '../reports/thresholds/index.js';
import { checkShards, DEFAULT_MAX_SKEW_MS } from './check.js';
import { mergeShards } from './merge.js';
// the files a run writes, written the same way for a merged run
import { writeResultFiles } from '../runner/run.js';

export interface MergeFlags {
  out?: string;
  allowMissing?: boolean;
  maxSkew?: string;
  json?: boolean;
}

export function mergeCommand(files: string[], f: MergeFlags): void {
  const maxSkewMs = f.maxSkew === undefined ? DEFAULT_MAX_SKEW_MS : tryParseDurationMs(f.maxSkew);
  if (maxSkewMs === null) throw ERR_INVALID_ARG(['--max-skew', `expected a duration like 500ms or 2s, got ${JSON.stringify(f.maxSkew)}`]);
  const inputs = files.map((file) => ({ label: file, result: readResult(file) }));
  const checked = checkShards(inputs, { allowMissing: f.allowMissing === true, maxSkewMs });
  const thresholds = parseThresholdSpec(checked.shards[0].result.thresholds);
  if (thresholds.problems.length > 0) throw ERR_INVALID_SCENARIO([`thresholds of ${files[0]}`, String(thresholds.problems.length)], thresholds.problems);
  const merged = mergeShards(checked);
  const dir = resolve(f.out ?? join('results', merged.run_id));
  const written = writeResultFiles(merged, dir);
  if (checked.missing.length > 0) process.stderr.write(`bench merge: shard(s) ${checked.missing.join(', ')} of ${checked.total} missing (--allow-missing): the result is partial\n`);
  process.stdout.write(f.json ? `${JSON.stringify(merged)}\n` : renderConsole(merged));
  process.stderr.write(`results: ${written.join(', ')}\n`);
  enforceThresholds(thresholds.thresholds, merged);
}
