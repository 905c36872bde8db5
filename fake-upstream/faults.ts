// Fault injection: decides per request whether it is answered normally, with an error
// status, hung or reset. `every-nth` makes tests exact: rate 0.05 → every 20th request.
import type { FaultSpec } from './types.js';
import { createRng, type Rng } from './random.js';

export const FAULT_NONE = 0;
export const FAULT_429 = 429;
export const FAULT_500 = 500;
export const FAULT_503 = 503;
export const FAULT_HANG = 1;
export const FAULT_RESET = 2;

interface Rule {
  fault: number;
  rate: number;
  period: number;
}

export interface FaultDecider {
  /** Whether any fault can happen (lets the hot path skip the call). */
  readonly active: boolean;
  next(): number;
  reset(): void;
}

export function createFaults(spec: FaultSpec): FaultDecider {
  const rules: Rule[] = [];
  const add = (fault: number, rate: number | undefined) => {
    if (rate && rate > 0) rules.push({ fault, rate: Math.min(rate, 1), period: Math.max(1, Math.round(1 / Math.min(rate, 1))) });
  };
  // Order matters only when two rules pick the same request: the first one wins.
  add(FAULT_RESET, spec.resetRate);
  add(FAULT_HANG, spec.hangRate);
  add(FAULT_503, spec.errorRates?.[503]);
  add(FAULT_500, spec.errorRates?.[500]);
  add(FAULT_429, spec.errorRates?.[429]);
  const everyNth = spec.mode === 'every-nth';
  const seed = spec.seed ?? Date.now();
  let rng: Rng = createRng(seed);
  let n = 0;
  return {
    active: rules.length > 0,
    next(): number {
      n++;
      if (everyNth) {
        for (let i = 0; i < rules.length; i++) if (n % rules[i].period === 0) return rules[i].fault;
        return FAULT_NONE;
      }
      // One draw against cumulative rates: the rates are fractions of all requests.
      const u = rng();
      let acc = 0;
      for (let i = 0; i < rules.length; i++) {
        acc += rules[i].rate;
        if (u < acc) return rules[i].fault;
      }
      return FAULT_NONE;
    },
    reset(): void {
      n = 0;
      rng = createRng(seed);
    },
  };
}
