// A finished capacity search as variants of the result contract: one per target, carrying
// the figures of its best trusted step at its highest frontier, and the `capacity` extra
// (lib/result.ts) with the frontier per metric and the whole curve. Pure.
import type { CapacityExtras, CapacityFrontierPoint, CapacityStep, VariantResult } from '../../lib/result.js';
import { rigReasons } from '../../lib/rig/verdict.js';
import type { CapacitySettings } from './capacity-schema.js';
import { coresPer1kRps, frontierOf, rigLimited } from './frontier.js';
import type { MeasuredStep, SearchState } from './search.js';
import type { StepOutcome } from './step.js';
import type { StartedTarget } from '../targets/types.js';

export interface TargetSearch {
  target: StartedTarget;
  state: SearchState;
  /** one per step, in the order of state.steps: the run whose figures the step carries (its median) */
  outcomes: StepOutcome[];
  /** every run of every step (a re-measured step has 2 or 3) */
  runs: StepOutcome[][];
}

/**
 * Files a measured run: a new step's first run, or one more run of the step nextRate() asked to
 * measure again (`again`, read from state.repeat before recordStep); the step's outcome is then
 * its median run's (step.pick).
 */
export function addRun(t: TargetSearch, again: number | null, step: MeasuredStep, o: StepOutcome): void {
  const i = again ?? t.state.steps.length - 1;
  if (again === null) t.runs.push([o]);
  else t.runs[i]!.push(o);
  t.outcomes[i] = t.runs[i]![step.pick]!;
}

/** The frontier on the target's own overhead header (steps judged on header p99 instead). */
function headerFrontier(t: TargetSearch, c: CapacitySettings): CapacityFrontierPoint[] | null {
  const rows = t.outcomes.map((o) => o.row.header_p99_ms);
  if (rows.length === 0 || rows.some((h) => h === null)) return null;
  const steps = t.state.steps.map((s, i) => ({ ...s, p99Ms: rows[i]! }));
  return frontierOf(steps, c.search, t.state.growthStop ?? t.state.done ?? 'max-steps');
}

/** The index of the step at the highest SLO's frontier (the highest rate that kept any SLO). */
export function bestStepIndex(frontier: readonly CapacityFrontierPoint[], t: TargetSearch): number | null {
  for (let i = frontier.length - 1; i >= 0; i--) {
    const rate = frontier[i].offered_rate;
    if (rate === null) continue;
    const at = t.state.steps.findIndex((s) => s.rate === rate && (s.verdict === 'ok' || s.verdict === 'slo' || s.verdict === 'failures'));
    if (at >= 0) return at;
  }
  return null;
}

export function capacityVariant(t: TargetSearch, c: CapacitySettings, floor: CapacityExtras['floor'], floorEnd?: CapacityExtras['floor']): VariantResult | null {
  // what ended the climb labels the frontiers nothing broke: a search the time budget cut while
  // bisecting below a rig limit is still rig-limited at the top
  const climb = t.state.growthStop ?? t.state.done ?? 'max-steps';
  const stop = t.state.done ?? climb;
  const frontier = frontierOf(t.state.steps, c.search, climb);
  const best = bestStepIndex(frontier, t);
  const shown = best ?? (t.outcomes.length ? 0 : null);
  if (shown === null) return null;
  const o = t.outcomes[shown];
  const curve: CapacityStep[] = t.outcomes.map((x, i) => {
    const runs = t.runs[i] ?? [x];
    return { ...x.row, verdict: t.state.steps[i].verdict, ...(runs.length > 1 ? { runs_over_direct_p99_ms: runs.map((r) => r.row.over_direct_p99_ms) } : {}) };
  });
  const cpu = best === null ? null : curve[best].cpu_us_per_req;
  const peak = Math.max(0, ...t.outcomes.map((x) => x.peakRssBytes), ...t.runs.flat().map((x) => x.peakRssBytes));
  const local = t.target.pids.length > 0;
  const capacity: CapacityExtras = {
    slos_ms: [...c.search.slosMs],
    frontier: { over_direct: frontier, header: headerFrontier(t, c) },
    curve,
    best_step: best,
    stop_reason: stop,
    rig_limited: rigLimited(climb),
    cores_per_1k_rps: coresPer1kRps(cpu),
    peak_rss_mb: local && peak > 0 ? Math.round((peak / (1024 * 1024)) * 10) / 10 : null,
    floor,
    ...(floorEnd ? { floor_end: floorEnd } : {}),
    step_ms: c.stepMs,
    step_warmup_ms: c.stepWarmupMs,
  };
  const rigWhy = rigReasons(o.rig);
  const reasons = [...o.result.unreliable_reasons, ...rigWhy];
  const notes = best === null ? ['no trusted step kept any SLO: the figures shown are those of the first step'] : [];
  if (capacity.rig_limited) notes.push(`the climb ended because the ${climb === 'rig' ? 'machine saturated' : 'generator fell behind'}: the top frontier is a lower bound (rig-limited)`);
  return {
    ...o.result,
    name: t.target.name,
    settings: { target: t.target.kind, offered_rate: t.state.steps[shown].rate, step_ms: c.stepMs },
    // one step: its mean rate is its current rate
    current_rps: o.result.rps,
    gateway_cpu_us_per_req: curve[shown].cpu_us_per_req,
    gateway_rss_mb: capacity.peak_rss_mb,
    reliable: reasons.length === 0,
    unreliable_reasons: reasons,
    rig: o.rig,
    ...(notes.length ? { notes } : {}),
    gateway: { kind: t.target.kind, rounds: t.state.measurements, overhead_request_path_ms: null, overhead_response_path_ms: null, ledger_unmatched: 0 },
    capacity,
  };
}
