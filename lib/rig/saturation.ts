// The saturation rule: when did the machine, not the gateway, set the figures? Pure, over
// the measured window's per-second rig series.
//
// A variant is saturated when, in more than SHARE of its measured seconds, either
//   - all cores together were at least BUSY_PCT % busy (the busy share of /proc/stat,
//     steal counted as busy: a core the hypervisor took is not ours either), or
//   - CPU pressure (the share of the second in which some runnable task waited for a core,
//     /proc/pressure/cpu "some") was at least PRESSURE_PCT %.
// Busy alone misses the case that matters most on a small machine: many processes (four
// proxy instances, the generator, the upstream, PostgreSQL) waking up together on two cores
// queue behind each other at 70–85 % busy, and that queueing is the tail. Pressure sees it.
// The thresholds, from what was measured on the 2-core VM this was written on (2026-12-03,
// shared with other engineers' builds, so no second of it was quiet):
//   - issue 24's second 4-instance run: 70–93 % busy, pressure ≈ 55 %, p99 272 ms against
//     64 ms without the contention — it must be flagged, so pressure's threshold is below 55 %
//     and busy alone (never ≥ 90 % there) cannot be the rule;
//   - one instance at the seed's load, per second: pressure 40–70 % → p99 79 ms (median of 10
//     seconds) for a 50 ms upstream, against ~53 ms for the same proxy on a quiet machine
//     (issue 24: its p99 overhead 2.5 ms): already 25 ms of waiting for a CPU at 40 %;
//   - seconds at ≥ 90 % pressure: p99 110–144 ms (median), up to 766 ms.
// A quiet machine's pressure was not measurable here; 40 % is the lowest level at which the
// inflation was seen, and the 20 % share lets a few busy seconds (a GC, a flush) pass.
import type { RigSaturation, RigSecond } from './types.js';

export const SATURATION = {
  /** all cores at least this busy, % */
  busyPct: 90,
  /** some task waited for a CPU at least this share of the second, % */
  pressurePct: 40,
  /** more than this share of the measured seconds */
  share: 0.2,
} as const;

export type SaturationRule = { busyPct: number; pressurePct: number; share: number };

export function ruleText(r: SaturationRule = SATURATION): string {
  return `all cores ≥ ${r.busyPct} % busy, or CPU pressure ≥ ${r.pressurePct} %, in more than ${Math.round(r.share * 100)} % of the measured seconds`;
}

export function judgeSaturation(measured: readonly RigSecond[], rule: SaturationRule = SATURATION): RigSaturation {
  let busyN = 0;
  let busyHit = 0;
  let pressN = 0;
  let pressHit = 0;
  for (const s of measured) {
    if (s.busy_pct !== null) {
      busyN++;
      if (s.busy_pct >= rule.busyPct) busyHit++;
    }
    if (s.pressure_pct !== null) {
      pressN++;
      if (s.pressure_pct >= rule.pressurePct) pressHit++;
    }
  }
  const busyShare = busyN > 0 ? busyHit / busyN : 0;
  const pressureShare = pressN > 0 ? pressHit / pressN : 0;
  return {
    saturated: busyShare > rule.share || pressureShare > rule.share,
    busy_share: Math.round(busyShare * 1000) / 1000,
    pressure_share: Math.round(pressureShare * 1000) / 1000,
    thresholds: { busy_pct: rule.busyPct, pressure_pct: rule.pressurePct, share: rule.share },
    rule: ruleText(rule),
  };
}
