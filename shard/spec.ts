// Which shard this process is, and when it starts: `--shard I/N` (0-based I, as Kubernetes'
// JOB_COMPLETION_INDEX), or JOB_COMPLETION_INDEX with the total in GATEBENCH_SHARDS (or
// JOB_COMPLETIONS) so an Indexed Job needs no wrapper script; `--start-at <ISO-8601>` (or
// GATEBENCH_START_AT) is the instant every shard waits for. A shard that starts late says so and
// records how late (skew_ms), and `bench merge` refuses shards that started too far apart.
import { createHash } from 'node:crypto';
import { ERR_INVALID_ARG } from '../lib/errors.js';

export interface ShardSpec {
  index: number;
  total: number;
}

/** `2/3` → { index: 2, total: 3 }; null when neither the flag nor JOB_COMPLETION_INDEX is set. */
export function resolveShard(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ShardSpec | null {
  if (flag !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(flag.trim());
    if (!m) throw ERR_INVALID_ARG(['--shard', `expected I/N with 0 <= I < N (0-based, like JOB_COMPLETION_INDEX), got ${JSON.stringify(flag)}`]);
    return check(Number(m[1]), Number(m[2]), '--shard');
  }
  const idx = env.JOB_COMPLETION_INDEX;
  if (idx === undefined || idx === '') return null;
  const totalText = env.GATEBENCH_SHARDS ?? env.JOB_COMPLETIONS;
  if (!/^\d+$/.test(idx)) throw ERR_INVALID_ARG(['JOB_COMPLETION_INDEX', `expected a whole number, got ${JSON.stringify(idx)}`]);
  if (totalText === undefined || !/^\d+$/.test(totalText))
    throw ERR_INVALID_ARG(['shard total', `JOB_COMPLETION_INDEX is set (${idx}) but GATEBENCH_SHARDS (or JOB_COMPLETIONS) is ${totalText === undefined ? 'not set' : JSON.stringify(totalText)}: set it to the Job's completions`]);
  return check(Number(idx), Number(totalText), 'JOB_COMPLETION_INDEX/GATEBENCH_SHARDS');
}

function check(index: number, total: number, what: string): ShardSpec {
  if (total < 1 || index >= total) throw ERR_INVALID_ARG([what, `shard ${index} of ${total}: expected 0 <= I < N (I is 0-based)`]);
  return { index, total };
}

/** The --start-at instant in ms since the epoch, or null. ISO-8601 with a zone (Z or ±hh:mm) only. */
export function resolveStartAt(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number | null {
  const text = flag ?? (env.GATEBENCH_START_AT || undefined);
  if (text === undefined) return null;
  const ms = Date.parse(text);
  // a zone is required: machines in different zones would otherwise wait for different instants
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(text) || Number.isNaN(ms))
    throw ERR_INVALID_ARG(['--start-at', `expected an ISO-8601 instant with a zone, like 2026-12-03T19:30:00Z, got ${JSON.stringify(text)}`]);
  return ms;
}

export interface Started {
  /** when the load started, ms since the epoch */
  startedMs: number;
  /** how late against start-at (0 without one) */
  skewMs: number;
}

/** Waits until `at` (ms since the epoch); resolves at once when it has passed or is null. Aborts with the signal. */
export async function waitForStart(at: number | null, signal?: AbortSignal, log: (m: string) => void = () => undefined): Promise<Started> {
  if (at !== null) {
    const wait = at - Date.now();
    if (wait > 0) {
      log(`waiting ${(wait / 1000).toFixed(1)} s for --start-at ${new Date(at).toISOString()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }
  const startedMs = Date.now();
  const skewMs = at === null ? 0 : Math.max(0, startedMs - at);
  // timers fire a millisecond or two late; beyond that the shard was late (slow pod, clock)
  if (at !== null && skewMs > 50) log(`started ${skewMs} ms after --start-at ${new Date(at).toISOString()}: late; bench merge records the skew`);
  return { startedMs, skewMs };
}

/** sha256 of what defines the load (never a key: header values are left out), for `bench merge`. */
export function loadDigest(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
