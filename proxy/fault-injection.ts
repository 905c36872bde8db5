// GATEBENCH_INJECT_CPU_US=N: busy-spin N µs of CPU per proxied request, before the upstream
// call. It exists to prove the CI gate (npm run bench:gate-power): a candidate made ~10% more
// expensive must fail the gate, an unchanged one must pass. Read once at start; when unset or
// 0 the hot path pays one comparison of a constant.
import { performance } from 'node:perf_hooks';

function readInjectCpuUs(): number {
  const raw = process.env.GATEBENCH_INJECT_CPU_US;
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`bench proxy: ignoring GATEBENCH_INJECT_CPU_US=${JSON.stringify(raw)} (expected microseconds >= 0)\n`);
    return 0;
  }
  if (n > 0) process.stderr.write(`bench proxy: GATEBENCH_INJECT_CPU_US=${n}: burning ${n} µs of CPU per request (fault injection)\n`);
  return n;
}

export const INJECT_CPU_US = readInjectCpuUs();

/** Spins (does not sleep) for `us` microseconds, so the time shows up as CPU. */
export function burnCpu(us: number): void {
  const end = performance.now() + us / 1000;
  let x = 0;
  while (performance.now() < end) x++;
  if (x < 0) throw new Error('unreachable'); // keeps the loop from being optimised away
}
