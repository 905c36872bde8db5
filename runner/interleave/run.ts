// A matrix run interleaved: every variant's proxy (with its own database, Redis and callbacks)
// is started first and stays up; then, round after round, each variant in turn gets a short
// slice of load (A B C … then B C … A, the order rotated each round), followed by a slice of
// the same load straight to the upstream (the direct baseline, one per users × latency). The
// machine's drift — the VM's speed, other tenants, a slow first minute — thus falls on every
// variant alike, and each round pairs the variants on the machine in one state: the findings
// compare them round by round (reports/paired.ts). At the end every proxy is stopped (it
// drains and flushes) and each variant's spend rows and callback events are checked against
// the requests it answered.
import type { InterleavedExtras, VariantResult } from '../../lib/result.js';
import { percentilesOf } from '../../lib/measure.js';
import { overheadOverDirect } from '../../lib/rig/direct.js';
import { withRig } from '../../lib/rig/verdict.js';
import { addLoadResults } from '../../loadgen/add-results.js';
import { directResult, emptyDirect, runDirectHalf, type DirectAcc } from '../direct-baseline.js';
import { loadModel } from '../load-options.js';
import type { Plan } from '../run.js';
import { startPostgres, type PostgresHandle } from '../services/postgres.js';
import type { Registry } from '../services/registry.js';
import { startUpstream, type UpstreamHandle } from '../services/upstream.js';
import type { LedgerCursor } from '../targets/ledger-overhead.js';
import { integrityOf } from '../variant.js';
import { interleavePlan, rampMs, roundOrder } from './plan.js';
import { loadSlot, startSlot, type Slot } from './slot.js';

export interface InterleaveContext {
  registry: Registry;
  runId: string;
  dir: string;
  cpus: number;
  signal: AbortSignal;
  directBaseline: boolean;
  log: (m: string) => void;
}

interface DirectGroup {
  users: number;
  upstream: UpstreamHandle;
  acc: DirectAcc;
  /** any slot of the group: its key rides along (the upstream does not check it) */
  key: string;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export async function runInterleaved(plan: Plan, c: InterleaveContext): Promise<{ variants: VariantResult[]; interleaved: InterleavedExtras }> {
  const { scenario: s } = plan;
  const layout = interleavePlan(s.load.durationMs, s.compare);
  const postgres = new Map<string, PostgresHandle>();
  const upstreams = new Map<string, UpstreamHandle>();
  const cursors = new Map<UpstreamHandle, LedgerCursor>();
  const slots: Slot[] = [];
  c.log(`interleaved: ${plan.variants.length} variants side by side, ${layout.rounds} round(s) of ${layout.roundMs / 1000} s each (every variant's proxy stays up)`);
  for (let i = 0; i < plan.variants.length && !c.signal.aborted; i++) {
    const v = plan.variants[i];
    c.log(`── variant ${i + 1}/${plan.variants.length}: ${v.name}`);
    let pg = postgres.get(v.settings.database);
    if (!pg) postgres.set(v.settings.database, (pg = await startPostgres(c.registry, v.settings.database, c.log)));
    let up = upstreams.get(v.settings.latency);
    if (!up) {
      upstreams.set(v.settings.latency, (up = await startUpstream(c.registry, s.upstream, v.settings.latency, c.log)));
      cursors.set(up, { next: 0 });
    }
    slots.push(await startSlot(v, i, { scenario: s, registry: c.registry, upstream: up, postgres: pg, redisPlan: plan.redis[i], runId: c.runId, dir: c.dir, signal: c.signal, log: c.log, ledger: cursors.get(up)! }));
  }
  const ramp = (slot: Slot) => rampMs(loadModel(s, slot.v.settings.users));
  const groups = new Map<string, DirectGroup>();
  if (c.directBaseline) {
    for (const slot of slots) {
      const id = `${slot.v.settings.users}|${slot.v.settings.latency}`;
      if (!groups.has(id)) groups.set(id, { users: slot.v.settings.users, upstream: slot.ctx.upstream, acc: emptyDirect(), key: slot.key });
    }
  }

  if (s.warmup.durationMs > 0) {
    for (const slot of slots) {
      if (c.signal.aborted) break;
      c.log(`warm-up ${slot.v.name}: ${s.warmup.durationMs / 1000} s, not recorded`);
      await loadSlot(slot, null, s.warmup.durationMs, ramp(slot));
    }
  }
  for (let r = 0; r < layout.rounds && !c.signal.aborted; r++) {
    for (const i of roundOrder(slots.length, r)) {
      if (c.signal.aborted) break;
      const slot = slots[i];
      c.log(`round ${r + 1}/${layout.rounds} ${slot.v.name}`);
      await loadSlot(slot, r, layout.roundMs, ramp(slot));
    }
    for (const g of groups.values()) {
      // as long as a variant's slice: the floor each variant is read against sees as much noise
      const slice = { durationMs: layout.roundMs, warmupMs: rampMs(loadModel(s, g.users)) };
      await runDirectHalf(g.acc, s, g.users, g.upstream.url, g.key, c.signal, c.log, `round ${r + 1}`, slice, cursors.get(g.upstream));
    }
  }

  // every proxy drains and flushes before its rows and events are counted
  const variants: VariantResult[] = [];
  const rows = new Map<Slot, number>();
  const notes = new Map<Slot, string[]>();
  for (const slot of slots) {
    const n: string[] = [];
    const code = await slot.proxy.stop();
    if (code !== 0 && code !== null) n.push(`the proxy exited with code ${code}`);
    await slot.redis?.stop();
    rows.set(slot, await slot.db.spendRows());
    slot.forgetDb();
    await slot.db.drop();
    notes.set(slot, n);
  }
  const tenants = new Map<UpstreamHandle, NonNullable<Awaited<ReturnType<UpstreamHandle['stats']>>['sinks_by_tenant']>>();
  for (const up of upstreams.values()) tenants.set(up, (await up.stats()).sinks_by_tenant ?? {});
  for (const slot of slots) {
    if (slot.rounds.length === 0) continue;
    const g = groups.get(`${slot.v.settings.users}|${slot.v.settings.latency}`);
    variants.push(toVariant(slot, layout.rounds, layout.roundMs, g ? directResult(g.acc) : undefined, rows.get(slot) ?? 0, tenants.get(slot.ctx.upstream)?.[slot.tenant], notes.get(slot) ?? [], c.cpus));
  }
  return {
    variants,
    interleaved: { rounds: layout.rounds, round_ms: layout.roundMs, ramp_ms: slots.length ? ramp(slots[0]) : 0, warmup_ms: s.warmup.durationMs, order: slots.map((x) => x.v.name) },
  };
}

function toVariant(
  slot: Slot,
  rounds: number,
  roundMs: number,
  direct: ReturnType<typeof directResult> | undefined,
  spendRows: number,
  sinks: { gcs: number; langsmith: number; webhook: number } | undefined,
  notes: string[],
  cpus: number,
): VariantResult {
  const { v } = slot;
  const durationS = slot.rounds.reduce((a, r) => a + r.duration_s, 0);
  const merged = addLoadResults(slot.rounds.map((r) => ({ v: r })), durationS, []);
  const ledger = slot.ledger.matched > 0 ? percentilesOf(slot.ledger.total) : null;
  if (slot.ledger.unmatched > 0) notes.push(`ledger overhead: ${slot.ledger.unmatched} request(s) not found in the upstream's ledger`);
  if (v.settings.instances > cpus) {
    notes.push(`${v.settings.instances} instances on ${cpus} CPU cores: instances outnumber cores (and share them with the load generator and the upstream), so latency includes CPU contention`);
  }
  const answered = slot.upstreamRequests - slot.hangs - slot.repeats;
  const integrity = integrityOf(answered, sinks ?? { gcs: 0, langsmith: 0, webhook: 0 }, spendRows, v.settings.callbacks);
  const rig = slot.rig.summary(slot.cpuRequests);
  return withRig(
    {
      ...merged,
      name: v.name,
      settings: { ...v.settings, axes: v.axes, redis_resolved: slot.ctx.redisPlan.kind, database_resolved: slot.ctx.postgres.embedded ? 'embedded' : 'url', rounds, round_ms: roundMs },
      // interleaved rounds have no last 10 seconds of one variant: the mean over its rounds
      current_rps: merged.rps,
      overhead_ledger_ms: ledger,
      ...(direct !== undefined ? { direct, overhead_over_direct_ms: overheadOverDirect(ledger, direct?.overhead_ledger_ms) } : {}),
      gateway_cpu_us_per_req: slot.cpuRequests > 0 ? round1(slot.cpuUs / slot.cpuRequests) : null,
      gateway_rss_mb: round1(slot.peakRss / 1048576),
      integrity,
      reliable: slot.reasons.length === 0,
      unreliable_reasons: [...slot.reasons],
      rounds: slot.figures,
      // the rounds of one variant are not one time line
      timeseries: [],
      notes: [...notes],
    },
    rig,
  );
}
