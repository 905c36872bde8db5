// GATEBENCH_INJECT_CPU_US=N: N µs of extra CPU work per proxied request, before the upstream
// call. It exists to prove the CI gate (npm run bench:gate-power): a candidate made ~10% more
// expensive must fail the gate, an unchanged one must pass. Read once at start; when unset or
// 0 the hot path pays one comparison of a constant.
//
// WHY a fixed count of loop iterations, calibrated once at start, and not "spin until N µs of
// wall time have passed": a regression is extra instructions, and extra instructions cost more
// on a slow moment of the machine and nothing while the process is descheduled. A wall-clock
// spin does the opposite: on a busy 2-core runner the proxy can be preempted mid-spin and the
// clock runs on without CPU being spent, so what it injects depends on the machine's moment.
import { performance } from 'node:perf_hooks';

function readInjectCpuUs(): number {
  const raw = process.env.GATEBENCH_INJECT_CPU_US;
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`bench proxy: ignoring GATEBENCH_INJECT_CPU_US=${JSON.stringify(raw)} (expected microseconds >= 0)\n`);
    return 0;
  }
  return n;
}

let sink = 0;

/** A fixed amount of work: `iterations` steps of an LCG whose result is kept (not optimised away). */
function work(iterations: number): void {
  let x = sink | 0;
  for (let i = 0; i < iterations; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  sink = x;
}

/**
 * Iterations per µs of this machine now: the fastest of several timed rounds, so a round that
 * was preempted (slow) does not count. A few ms, once, at start.
 */
function calibrate(): number {
  const rounds = 20;
  const per = 100_000;
  work(per); // let V8 compile the loop first
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    work(per);
    const us = (performance.now() - t0) * 1000;
    if (us > 0 && us < best) best = us;
  }
  return best === Infinity ? 1000 : per / best;
}

export const INJECT_CPU_US = readInjectCpuUs();
const ITERATIONS = INJECT_CPU_US > 0 ? Math.max(1, Math.round(INJECT_CPU_US * calibrate())) : 0;
if (INJECT_CPU_US > 0) {
  process.stderr.write(`bench proxy: GATEBENCH_INJECT_CPU_US=${INJECT_CPU_US}: ${ITERATIONS} iterations of extra work per request (≈${INJECT_CPU_US} µs of CPU at start; fault injection)\n`);
}

/** Does the injected work: ≈ INJECT_CPU_US µs of CPU at the machine's speed at start. */
export function injectCpu(): void {
  work(ITERATIONS);
}
