// What the rig's figures mean for a variant's `reliable` flag: a saturated machine makes a
// variant unreliable, with the reason in plain words. Pure.
import type { VariantResult } from '../result.js';
import type { RigSection } from './types.js';

const pct = (x: number | null) => (x === null ? '–' : `${Math.round(x)} %`);

/** The unreliable_reasons the rig adds (none when the machine was not saturated). */
export function rigReasons(rig: RigSection): string[] {
  const s = rig.saturation;
  if (!s.saturated) return [];
  const m = rig.machine;
  const th = s.thresholds;
  const share = (x: number) => `${Math.round(x * 100)} %`;
  return [
    `the machine was saturated: all ${m.cores} cores ≥ ${th.busy_pct} % busy in ${share(s.busy_share)} of the measured seconds, ` +
      `CPU pressure ≥ ${th.pressure_pct} % in ${share(s.pressure_share)} (the rule: either in more than ${share(th.share)}); ` +
      `busy p50 ${pct(m.busy_p50_pct)}, pressure p50 ${pct(m.pressure_p50_pct)}: latency includes waiting for a CPU, not only the gateway`,
  ];
}

/** The variant with its rig section, and unreliable when the rig says so. Thresholds and the gate still evaluate it. */
export function withRig<T extends VariantResult>(v: T, rig: RigSection | null): T {
  if (!rig) return v;
  const reasons = rigReasons(rig);
  return { ...v, rig, reliable: v.reliable && reasons.length === 0, unreliable_reasons: [...v.unreliable_reasons, ...reasons] };
}
