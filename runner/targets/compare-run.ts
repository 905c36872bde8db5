// One comparison run: every target on the same upstream and load, interleaved in short
// rounds (A B C A B C …) so that the machine's drift (thermal, other tenants, GC of the
// load generator) falls on all of them alike. Each round's histograms are merged per
// target; CPU is charged from /proc deltas over that target's own rounds only, RSS is the
// peak seen while it was loaded.
import type { Histogram } from 'hdr-histogram-js';
import { encode, percentilesOf } from '../../loadgen/aggregate.js';
import { newHistogram } from '../../loadgen/recorder.js';
import { sampleProcesses } from '../../lib/proc-stats.js';
import { emptyOverhead, fetchLedger, ledgerOverhead, type LedgerOverhead } from './ledger-overhead.js';
import type { LoadgenSelf } from '../../lib/result.js';
import { availableParallelism } from 'node:os';
import { RigSampler, type RigComponentSpec } from '../../lib/rig/sampler.js';
import { rigReasons } from '../../lib/rig/verdict.js';
import type { ComparisonResult, RunRound, SkippedTarget, StartedTarget, TargetResult } from './types.js';

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
  failed: number;
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

export async function runComparison(o: CompareOptions): Promise<ComparisonResult> {
  const accs: Acc[] = o.targets.map((t) => ({
    t,
    requests: 0,
    failures: {},
    failed: 0,
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
    rig: targetRig(t, o.upstreamPid),
  }));
  // the ledger from here on: earlier entries (setup probes) belong to no round
  let seq = (await fetchLedger(o.upstreamUrl)).next;

  if (o.warmupMs && o.warmupMs > 0) {
    for (const a of accs) {
      if (o.signal?.aborted) break;
      o.log?.(`warm-up ${a.t.name} ${o.warmupMs} ms`);
      await o.runRound(a.t, o.warmupMs, -1);
    }
    seq = (await fetchLedger(o.upstreamUrl, seq)).next;
  }

  for (let r = 0; r < o.rounds && !o.signal?.aborted; r++) {
    for (const a of accs) {
      if (o.signal?.aborted) break;
      o.log?.(`round ${r + 1}/${o.rounds} ${a.t.name}`);
      const before = a.t.pids.length ? sampleProcesses(a.t.pids) : null;
      const rss = before ? startRssSampler(a, o.rssSampleMs ?? 500) : null;
      let out;
      a.rig.resume();
      try {
        out = await o.runRound(a.t, o.roundMs, r);
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
      for (const [k, v] of Object.entries(out.failures)) {
        a.failures[k] = (a.failures[k] ?? 0) + v;
        a.failed += v;
      }
      for (const why of out.unreliable_reasons ?? []) a.reasons.add(`round ${r + 1}: ${why}`);
      if (out.reliable === false && !out.unreliable_reasons?.length) a.reasons.add(`round ${r + 1}: unreliable`);
      if (out.loadgen) a.loadgen = worstSelf(a.loadgen, out.loadgen);
      a.latency.add(out.latency);
      if (out.overheadHeader) a.header.add(out.overheadHeader);
      // the upstream is shared, rounds are sequential: what the ledger gained is this round's
      const page = await fetchLedger(o.upstreamUrl, seq);
      seq = page.next;
      // CPU is read around the whole round, which includes the round's ramp-up and tail
      // that the load generator leaves out of its count: charge it per request the upstream
      // saw in that same window (falls back to the client's count without a ledger)
      a.cpuRequests += page.entries.length > 0 ? page.entries.length : out.requests;
      if (out.times) ledgerOverhead(out.times, page.entries, a.ledger);
    }
  }

  return {
    schema: 'gatebench/gateways@1',
    round_ms: o.roundMs,
    rounds: o.rounds,
    order: accs.map((a) => a.t.name),
    targets: accs.map(toResult),
    skipped: [...(o.skipped ?? [])],
  };
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

function toResult(a: Acc): TargetResult {
  const l = a.ledger;
  const hasLedger = l.matched > 0;
  const hasHeader = a.header.totalCount > 0;
  const local = a.t.pids.length > 0;
  const rig = a.rounds > 0 ? a.rig.summary(a.cpuRequests) : null;
  const rigWhy = rig ? rigReasons(rig) : [];
  return {
    name: a.t.name,
    target: a.t.kind,
    requests: a.requests,
    failures: a.failures,
    failed: a.failed,
    duration_s: round3(a.durationS),
    rps: a.durationS > 0 ? round1(a.requests / a.durationS) : 0,
    latency_ms: percentilesOf(a.latency),
    overhead_ms: hasHeader ? percentilesOf(a.header) : null,
    overhead_ledger_ms: hasLedger ? percentilesOf(l.total) : null,
    overhead_request_path_ms: hasLedger ? percentilesOf(l.requestPath) : null,
    overhead_response_path_ms: hasLedger ? percentilesOf(l.responsePath) : null,
    ledger_unmatched: l.unmatched,
    gateway_cpu_us_per_req: local && a.cpuRequests > 0 ? round1(a.cpuUs / a.cpuRequests) : null,
    gateway_rss_mb: local && a.peakRss > 0 ? round1(a.peakRss / (1024 * 1024)) : null,
    rounds: a.rounds,
    reliable: a.reasons.size === 0 && rigWhy.length === 0,
    unreliable_reasons: [...a.reasons, ...rigWhy],
    rig,
    loadgen: a.loadgen,
    histograms: {
      latency: encode(a.latency),
      ...(hasHeader ? { overhead_header: encode(a.header) } : {}),
      ...(hasLedger ? { overhead_ledger: encode(l.total), request_path: encode(l.requestPath), response_path: encode(l.responsePath) } : {}),
    },
  };
}
