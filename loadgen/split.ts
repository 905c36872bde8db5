// The even split of one load into n shares: used by worker threads (workers.ts) and by shards
// (`--shard I/N`, one process or pod each), so a load split over pods and then over threads is
// cut the same way twice. Pure: options in, options out.
//  - closed model: users and spawn rate in proportion (the first users % n shares get one more
//    user); targets rotated so that user k of the whole run still goes to target k % T;
//  - open model: rate and every stage's rate divided by n; connections and maxInFlight divided
//    and rounded up (each share needs at least one);
//  - `{{seq}}`: share i sends seqStart + i·step, + (i + n)·step, … — unique across all shares.
import type { ResolvedLoadOptions } from './config.js';

/** How many shares a load can be cut into: a closed-model share needs at least one user. */
export function maxShares(o: ResolvedLoadOptions): number {
  return o.model.kind === 'closed' ? o.model.users : Number.POSITIVE_INFINITY;
}

/** Share i (0-based) of n. Throws a RangeError when i is not in 0..n-1 or n exceeds maxShares(o). */
export function shareOf(o: ResolvedLoadOptions, i: number, n: number): ResolvedLoadOptions {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`share ${i} of ${n}: expected 0 <= i < n`);
  if (n > maxShares(o)) throw new RangeError(`${n} shares of ${maxShares(o)} users: each share needs at least one user`);
  const m = o.model;
  const seq = { seqStart: o.seqStart + i * o.seqStep, seqStep: n * o.seqStep };
  if (m.kind === 'closed') {
    const base = Math.floor(m.users / n);
    const extra = m.users % n;
    const users = base + (i < extra ? 1 : 0);
    const firstUser = i * base + Math.min(i, extra);
    const r = firstUser % o.targets.length;
    const targets = [...o.targets.slice(r), ...o.targets.slice(0, r)];
    return { ...o, ...seq, targets, model: { ...m, users, spawnRate: (m.spawnRate * users) / m.users } };
  }
  const model = {
    ...m,
    ...(m.rate !== undefined ? { rate: m.rate / n } : {}),
    ...(m.stages ? { stages: m.stages.map((s) => ({ ...s, rate: s.rate / n })) } : {}),
    connections: Math.max(1, Math.ceil(m.connections / n)),
    maxInFlight: Math.max(1, Math.ceil(m.maxInFlight / n)),
  };
  return { ...o, ...seq, model };
}

/** All n shares, in index order. */
export function splitShares(o: ResolvedLoadOptions, n: number): ResolvedLoadOptions[] {
  return Array.from({ length: n }, (_, i) => shareOf(o, i, n));
}
