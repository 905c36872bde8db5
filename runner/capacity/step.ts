// One step of the capacity search: one target alone under an open-model load at one offered
// rate (latency from the intended send time: coordinated omission corrected), a warm-up
// left out of the figures, the rig sampled over the step (the target's processes, the
// generator, the upstream) and judged by the saturation rule. What it measured becomes the
// search's StepMeasure plus the figures the report draws.
import { availableParallelism } from 'node:os';
import { decode, startLoad, type LoadResult, type RequestTemplateConfig } from '../../loadgen/index.js';
import { sampleProcesses } from '../../lib/proc-stats.js';
import { failureCount, type CapacityStep } from '../../lib/result.js';
import { RigSampler, type RigComponentSpec } from '../../lib/rig/sampler.js';
import { rigReasons } from '../../lib/rig/verdict.js';
import type { RigSection } from '../../lib/rig/types.js';
import { mergeHeaders } from '../targets/loadgen-round.js';
import type { StartedTarget } from '../targets/types.js';
import type { StepMeasure } from './search.js';

export interface StepRun {
  template: RequestTemplateConfig;
  connections: number;
  /** `note`: a saturated machine does not make the step untrusted (its reasons are kept) */
  onSaturation?: 'stop' | 'note';
  stepMs: number;
  warmupMs: number;
  upstreamPid?: number;
  signal?: AbortSignal;
}

export interface StepOutcome {
  measure: StepMeasure;
  /** the curve's row (verdict filled in by the caller, from the search) */
  row: Omit<CapacityStep, 'verdict'>;
  result: LoadResult;
  rig: RigSection;
  peakRssBytes: number;
}

/** What the rig watches while a target is loaded: its processes, the generator, the upstream. */
function stepRig(t: StartedTarget, upstreamPid: number | undefined, warmupS: number): RigSampler {
  const c: RigComponentSpec[] = [];
  if (t.pids.length) c.push({ name: t.name, kind: t.kind === 'reference' ? 'proxy' : 'gateway', pids: t.pids, tree: true, reaped: true });
  c.push({ name: 'generator', kind: 'generator', pids: [process.pid], tree: false });
  if (upstreamPid) c.push({ name: 'upstream', kind: 'upstream', pids: [upstreamPid], tree: false });
  return new RigSampler(c, { cores: availableParallelism(), warmupS });
}

/** Runs the open-model load alone (the rig floor uses it with the `direct` target). */
export async function openLoad(target: StartedTarget, rate: number, o: StepRun): Promise<LoadResult> {
  const header = target.overheadHeader?.toLowerCase();
  const run = startLoad({
    targets: target.baseUrls,
    model: { kind: 'open', rate, connections: o.connections },
    durationMs: o.stepMs,
    warmupMs: o.warmupMs,
    templates: [{ ...o.template, path: target.chatPath, headers: mergeHeaders(o.template.headers, target.headers) }],
    recordHeaders: header ? [header] : [],
    ...(header ? { overheadHeader: header } : {}),
    requestTimeoutMs: 30_000,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  return run.result;
}

export async function measureStep(target: StartedTarget, rate: number, floorP50Ms: number, o: StepRun): Promise<StepOutcome> {
  const rig = stepRig(target, o.upstreamPid, o.warmupMs / 1000).start();
  // the rig's measured window starts with the load's
  const mark = setTimeout(() => rig.markMeasured(), o.warmupMs);
  let peakRss = 0;
  const rss = target.pids.length
    ? setInterval(() => {
        peakRss = Math.max(peakRss, sampleProcesses(target.pids).rssBytes);
      }, 500)
    : null;
  rss?.unref();
  let result: LoadResult;
  try {
    result = await openLoad(target, rate, o);
  } catch (err) {
    rig.cancel();
    throw err;
  } finally {
    clearTimeout(mark);
    if (rss) clearInterval(rss);
  }
  if (target.pids.length) peakRss = Math.max(peakRss, sampleProcesses(target.pids).rssBytes);
  const failed = failureCount(result.failures);
  const rigSection = rig.stop(result.requests);
  const open = result.open_model ?? { intended: 0, late: 0, dropped: 0 };
  // Late and dropped sends are the target's doing here, not the generator's: a send is late
  // when every connection is busy with a slow answer (wrk2's rule), dropped when the backlog
  // reached maxInFlight. Dropped sends count as failures; late ones are already in the
  // corrected latency. The generator fell behind when it measured itself as the bottleneck
  // (its event-loop delay or CPU: loadgen's own reasons).
  const reasons = result.unreliable_reasons.filter((r) => !/sends dropped/.test(r));
  const generatorBehind = reasons.length > 0;
  const rigWhy = rigReasons(rigSection);
  const header = target.overheadHeader?.toLowerCase();
  const enc = header ? result.histograms.headers[header] : undefined;
  const headerP99 = enc ? decode(enc) : null;
  const sent = result.requests + open.dropped;
  const achieved = answeredRps(result);
  const clientP99 = result.latency_ms.p99;
  const p99Ms = round3(Math.max(0, clientP99 - floorP50Ms));
  const own = target.pids.length ? rigSection.components.find((c) => c.name === target.name) : undefined;
  const measure: StepMeasure = {
    rate,
    achievedRps: achieved,
    p99Ms,
    failureRatio: sent > 0 ? (failed + open.dropped) / sent : 1,
    generatorBehind,
    rigSaturated: rigWhy.length > 0 && o.onSaturation !== 'note',
  };
  return {
    measure,
    row: {
      offered_rate: rate,
      achieved_rps: achieved,
      latency_p50_ms: result.latency_ms.p50,
      latency_p99_ms: clientP99,
      over_direct_p99_ms: p99Ms,
      header_p99_ms: headerP99 && headerP99.totalCount > 0 ? round3(headerP99.getValueAtPercentile(99) / 1000) : null,
      failure_ratio: round3(measure.failureRatio),
      cpu_us_per_req: own?.us_per_req ?? null,
      rss_mb: target.pids.length && peakRss > 0 ? Math.round((peakRss / (1024 * 1024)) * 10) / 10 : null,
      ...(generatorBehind || rigWhy.length ? { reasons: [...reasons, ...rigWhy] } : {}),
      step_ms: o.stepMs,
    },
    result,
    rig: rigSection,
    peakRssBytes: peakRss,
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Requests a second answered without failure WITHIN the measured window (its per-second
 * series): a saturated target still answers every send eventually, in the graceful tail, so
 * requests ÷ duration would report the offered rate, not what the target carried.
 */
export function answeredRps(r: LoadResult): number {
  const secs = r.timeseries.filter((x) => x.t > 0);
  if (secs.length === 0) return r.duration_s > 0 ? Math.round(((r.requests - failureCount(r.failures)) / r.duration_s) * 10) / 10 : 0;
  let ok = 0;
  for (const x of secs) ok += x.requests - x.failures;
  return Math.round((ok / secs.length) * 10) / 10;
}
