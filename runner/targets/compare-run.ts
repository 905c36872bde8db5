// One comparison run: every target on the same upstream and load, interleaved in short
// rounds (A B C A B C …) so that the machine's drift (thermal, other tenants, GC of the
// load generator) falls on all of them alike. Each round's histograms are merged per
// target; CPU is charged from /proc deltas over that target's own rounds only, RSS is the
// peak seen while it was loaded.
import type { Histogram } from 'hdr-histogram-js';
import { encode, newHistogram, percentilesOf } from '../../lib/measure.js';
import { sampleProcesses } from '../../lib/proc-stats.js';
import { emptyOverhead, fetchLedger, ledgerOverhead, type LedgerOverhead } from './ledger-overhead.js';
import { type ComparisonExtras, type LoadgenSelf, type VariantResult } from '../../lib/result.js';
import { OVERHEAD_HEADER } from '../../lib/measure.js';
import { availableParallelism } from 'node:os';
import { RigSampler, type RigComponentSpec } from '../../lib/rig/sampler.js';
import { rigReasons } from '../../lib/rig/verdict.js';
import type { RunRound, SkippedTarget, StartedTarget } from './types.js';

/** A comparison's measurements: the variants of its result (one per target) and its extras. */
export interface Comparison {
  variants: VariantResult[];
  comparison: ComparisonExtras;
}

export interface CompareOptions {
  targets: readonly StartedTarget[];
  skipped?: readonly SkippedTarget[];
  upstreamUrl: string;
  runRound: RunRound;
  /** rounds per target */
  rounds: number;
  roundMs: number;
  /** one unrecorded round per target before the first (JIT, connection pools); 0 = none */
  warmupMs?: number;
  /** how often RSS is sampled during a round (a sample blocks the loop ~0.5 ms: not too often) */
  rssSampleMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** the fake upstream's pid, for the rig (its CPU during each target's rounds) */
  upstreamPid?: number;
}

interface Acc {
  t: StartedTarget;
  requests: number;
  failures: Record<string, number>;
  durationS: number;
  latency: Histogram;
  header: Histogram;
  ledger: LedgerOverhead;
  cpuUs: number;
  /** requests the upstream saw during this target's rounds (warm-up and tail included) */
  cpuRequests: number;
  peakRss: number;
  rounds: number;
  reasons: Set<string>;
  loadgen: LoadgenSelf | null;
  /** the rig during this target's rounds only (paused while the others run) */
  rig: RigSampler;
}

/** What the rig watches while a target is loaded: its processes, the generator, the upstream. */
function targetRig(t: StartedTarget, upstreamPid: number | undefined): RigSampler {
  const c: RigComponentSpec[] = [];
  if (t.pids.length) c.push({ name: t.name, kind: t.kind === 'reference' ? 'proxy' : 'gateway', pids: t.pids, tree: true, reaped: true });
  c.push({ name: 'generator', kind: 'generator', pids: [process.pid], tree: false });
  if (upstreamPid) c.push({ name: 'upstream', kind: 'upstream', pids: [upstreamPid], tree: false });
  return new RigSampler(c, { cores: availableParallelism() });
}

export async function runComparison(opts: CompareOptions): Promise<Comparison> {
  const accs: Acc[] = opts.targets.map((t) => ({
    t,
    requests: 0,
    failures: {},
    durationS: 0,
    latency: newHistogram(),
    header: newHistogram(),
    ledger: emptyOverhead(),
    cpuUs: 0,
    cpuRequests: 0,
    peakRss: 0,
    rounds: 0,
    reasons: new Set<string>(),
    loadgen: null,
    rig: targetRig(t, opts.upstreamPid),
  }));
  // the ledger from here on: earlier entries (setup probes) belong to no round
  let seq = (await fetchLedger(opts.upstreamUrl)).next;

  if (opts.warmupMs && opts.warmupMs > 0) {
    for (const a of accs) {
      if (opts.signal?.aborted) break;
      opts.log?.(`warm-up ${a.t.name} ${opts.warmupMs} ms`);
      await opts.runRound(a.t, opts.warmupMs, -1);
    }
    seq = (await fetchLedger(opts.upstreamUrl, seq)).next;
  }

  for (let r = 0; r < opts.rounds && !opts.signal?.aborted; r++) {
    for (const a of accs) {
      if (opts.signal?.aborted) break;
      opts.log?.(`round ${r + 1}/${opts.rounds} ${a.t.name}`);
      seq = await runTargetRound(a, opts, r, seq);
    }
  }

  const extras: Pick<Comparison['comparison'], 'rounds' | 'round_ms'> = { rounds: opts.rounds, round_ms: opts.roundMs };
  return {
    variants: accs.map((a) => toVariant(a, extras)),
    comparison: {
      ...extras,
      order: accs.map((a) => a.t.name),
      skipped: [...(opts.skipped ?? [])],
    },
  };
}

/**
 * One round of load on one target while its processes are sampled from /proc (CPU around the
 * round, RSS every rssSampleMs); what the round measured is added to the target's totals.
 * Returns the ledger position after the round.
 */
async function runTargetRound(a: Acc, opts: CompareOptions, r: number, seq: number): Promise<number> {
  const before = a.t.pids.length ? sampleProcesses(a.t.pids) : null;
  const rss = before ? startRssSampler(a, opts.rssSampleMs ?? 500) : null;
  let out;
  a.rig.resume();
  try {
    out = await opts.runRound(a.t, opts.roundMs, r);
  } finally {
    a.rig.pause();
    if (rss) clearInterval(rss);
  }
  if (before) {
    const after = sampleProcesses(a.t.pids);
    a.cpuUs += Math.max(0, after.cpuUs - before.cpuUs);
    a.peakRss = Math.max(a.peakRss, before.rssBytes, after.rssBytes);
  }
  a.rounds++;
  a.requests += out.requests;
  a.durationS += out.durationS;
  for (const [k, v] of Object.entries(out.failures)) a.failures[k] = (a.failures[k] ?? 0) + v;
  for (const why of out.unreliable_reasons ?? []) a.reasons.add(`round ${r + 1}: ${why}`);
  if (out.reliable === false && !out.unreliable_reasons?.length) a.reasons.add(`round ${r + 1}: unreliable`);
  if (out.loadgen) a.loadgen = worstSelf(a.loadgen, out.loadgen);
  a.latency.add(out.latency);
  if (out.overheadHeader) a.header.add(out.overheadHeader);
  // the upstream is shared, rounds are sequential: what the ledger gained is this round's
  const page = await fetchLedger(opts.upstreamUrl, seq);
  // CPU is read around the whole round, which includes the round's ramp-up and tail
  // that the load generator leaves out of its count: charge it per request the upstream
  // saw in that same window (falls back to the client's count without a ledger)
  a.cpuRequests += page.entries.length > 0 ? page.entries.length : out.requests;
  if (out.times) ledgerOverhead(out.times, page.entries, a.ledger);
  return page.next;
}

function worstSelf(a: LoadgenSelf | null, b: LoadgenSelf): LoadgenSelf {
  if (!a) return { ...b };
  return {
    cpu_percent: Math.max(a.cpu_percent, b.cpu_percent),
    event_loop_delay_p99_ms: Math.max(a.event_loop_delay_p99_ms, b.event_loop_delay_p99_ms),
    rss_mb: Math.max(a.rss_mb, b.rss_mb),
    // CPU adds up over a target's rounds (its requests do too)
    ...(a.cpu_us !== undefined && b.cpu_us !== undefined ? { cpu_us: a.cpu_us + b.cpu_us } : {}),
  };
}

function startRssSampler(a: Acc, everyMs: number): NodeJS.Timeout {
  const timer = setInterval(() => {
    const s = sampleProcesses(a.t.pids);
    if (s.rssBytes > a.peakRss) a.peakRss = s.rssBytes;
  }, everyMs);
  timer.unref();
  return timer;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** A target's totals as a variant of the result contract (lib/result.ts), its comparison figures in `gateway`. */
function toVariant(a: Acc, run: Pick<Comparison['comparison'], 'rounds' | 'round_ms'>): VariantResult {
  const l = a.ledger;
  const hasLedger = l.matched > 0;
  const hasHeader = a.header.totalCount > 0;
  const local = a.t.pids.length > 0;
  const header = a.t.overheadHeader?.toLowerCase() ?? OVERHEAD_HEADER;
  const overhead = hasHeader ? percentilesOf(a.header) : null;
  const rps = a.durationS > 0 ? round1(a.requests / a.durationS) : 0;
  const notes = l.unmatched > 0 ? [`${l.unmatched} requests had no ledger entry (the gateway dropped the id, or it never reached the upstream)`] : [];
  const rig = a.rounds > 0 ? a.rig.summary(a.cpuRequests) : undefined;
  const rigWhy = rig ? rigReasons(rig) : [];
  return {
    name: a.t.name,
    settings: { target: a.t.kind, rounds: run.rounds, round_ms: run.round_ms },
    requests: a.requests,
    failures: a.failures,
    rps,
    // rounds are interleaved: there is no "last 10 seconds" of one target, so the mean
    current_rps: rps,
    duration_s: round3(a.durationS),
    latency_ms: percentilesOf(a.latency),
    overhead_ms: overhead,
    overhead_ledger_ms: hasLedger ? percentilesOf(l.total) : null,
    ...(overhead ? { headers_ms: { [header]: overhead } } : {}),
    gateway_cpu_us_per_req: local && a.cpuRequests > 0 ? round1(a.cpuUs / a.cpuRequests) : null,
    gateway_rss_mb: local && a.peakRss > 0 ? round1(a.peakRss / (1024 * 1024)) : null,
    loadgen: a.loadgen ?? { cpu_percent: 0, event_loop_delay_p99_ms: 0, rss_mb: 0 },
    reliable: a.reasons.size === 0 && rigWhy.length === 0,
    unreliable_reasons: [...a.reasons, ...rigWhy],
    ...(rig ? { rig } : {}),
    // per-second samples of interleaved rounds do not form one time line
    timeseries: [],
    histograms: {
      latency: encode(a.latency),
      headers: hasHeader ? { [header]: encode(a.header) } : {},
      ...(hasLedger ? { overhead_ledger: encode(l.total), request_path: encode(l.requestPath), response_path: encode(l.responsePath) } : {}),
    },
    ...(notes.length ? { notes } : {}),
    gateway: {
      kind: a.t.kind,
      rounds: a.rounds,
      overhead_request_path_ms: hasLedger ? percentilesOf(l.requestPath) : null,
      overhead_response_path_ms: hasLedger ? percentilesOf(l.responsePath) : null,
      ledger_unmatched: l.unmatched,
    },
  };
}
