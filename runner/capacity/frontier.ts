// The frontier read off a finished search: for each SLO, the highest rate the target carried
// with p99 within it. Pure; the driver and the reports both use it.
import { bracketOf, type MeasuredStep, type SearchOptions, type StopReason } from './search.js';

export interface FrontierPoint {
  slo_ms: number;
  /** requests a second answered at the highest offered rate that kept the SLO; null: none did */
  max_rps: number | null;
  /** that offered rate */
  offered_rate: number | null;
  /**
   * `exact`: a higher rate broke the SLO, the frontier lies between this rate and that one
   * (within the search's resolution); `lower-bound`: nothing broke it before the search ended
   * for another reason (the rig, the generator, the rate or step limit): the frontier is ≥ this.
   */
  kind: 'exact' | 'lower-bound' | 'none';
  /** what ended the climb for this SLO: its own breach (`slo`), failures, or the search's stop */
  limited_by: StopReason;
  /** the lowest offered rate that broke it, when one did */
  broken_at: number | null;
}

export function frontierOf(steps: readonly MeasuredStep[], options: SearchOptions, stop: StopReason): FrontierPoint[] {
  return options.slosMs.map((slo) => {
    const { lo, hi } = bracketOf(steps, slo, options);
    const at = lo === null ? undefined : steps.find((s) => s.rate === lo);
    const broke = hi === null ? undefined : steps.find((s) => s.rate === hi && s.verdict !== 'generator' && s.verdict !== 'rig');
    const limited: StopReason = broke ? (broke.failureRatio > options.maxFailureRatio ? 'failures' : 'slo') : stop;
    return {
      slo_ms: slo,
      max_rps: at ? at.achievedRps : null,
      offered_rate: at ? at.rate : null,
      kind: at === undefined ? 'none' : broke ? 'exact' : 'lower-bound',
      limited_by: limited,
      broken_at: hi,
    };
  });
}

/** Whether the rig, not the gateway, ended the search (the frontier's top is then a lower bound). */
export function rigLimited(stop: StopReason): boolean {
  return stop === 'rig' || stop === 'generator';
}

/** CPU cores a target needs for 1,000 requests a second, from its CPU µs per request. */
export function coresPer1kRps(cpuUsPerReq: number | null): number | null {
  // 1,000 req/s × µs/req = µs of CPU a second ÷ 1e6 µs a core-second
  return cpuUsPerReq === null ? null : Math.round(cpuUsPerReq) / 1000;
}
