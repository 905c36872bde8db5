// `bench run` for a scenario with `targets:` and `capacity:` — the capacity search. One fake
// upstream, every target started (or skipped with its reason), the rig's floor measured (the
// same open-model load straight to the upstream), then the targets take turns between steps
// (A's step, B's step, …; each step one target alone) so the machine's drift falls on all
// alike, each target's next rate chosen by its own search (search.ts). The outcome is an
// ordinary result (`gatebench/result@1`) whose variants are the targets, with `capacity`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CapacityExtras, RunResult, VariantResult } from '../../lib/result.js';
import type { LoadResult } from '../../loadgen/index.js';
import { gatewayTemplate } from '../load-options.js';
import { makeRunId, resultHead, writeResultFiles, type RunOutcome } from '../run.js';
import type { Scenario } from '../scenario-load.js';
import { Registry } from '../services/registry.js';
import { startUpstream } from '../services/upstream.js';
import * as direct from '../targets/direct.js';
import { startTargets } from '../targets/index.js';
import { templateModel } from '../targets/run-gateways.js';
import type { StartedTarget } from '../targets/types.js';
import { endSearch, newSearch, nextRate, recordStep } from './search.js';
import { stepLengthMs } from './capacity-schema.js';
import { measureStep, openLoad, type StepRun } from './step.js';
import { addRun, capacityVariant, type TargetSearch } from './variants.js';
import { handleInterrupts } from '../interrupt.js';

/** The floor's load lasts at most this long (it is a reference, not a search). */
const FLOOR_MAX_MS = 3000;
/** The unrecorded warm-up load of each target before its first step. */
const WARM_MS = 2000;

export async function runCapacityScenario(s: Scenario, opts: { out?: string; log: (m: string) => void; handleSigint: boolean }): Promise<RunOutcome> {
  const c = s.capacity!;
  const start = new Date();
  const runId = makeRunId(s.name, start);
  const outDir = resolve(opts.out ?? join('results', runId));
  const registry = new Registry();
  const stop = handleInterrupts(registry, opts.log, 'the step', opts.handleSigint);
  const errors: string[] = [];
  const tmpDir = await mkdtemp(join(tmpdir(), 'gatebench-capacity-'));
  try {
    const upstream = await startUpstream(registry, s.upstream, s.upstream.latency, opts.log);
    const template = gatewayTemplate(s);
    const { started, skipped, stopAll } = await startTargets(s.targets, { upstreamUrl: upstream.url, tmpDir, model: templateModel(template), log: opts.log, registry });
    registry.add('targets', stopAll);
    const run: StepRun = { template, connections: c.connections, onSaturation: c.onSaturation, stepMs: c.stepMs, warmupMs: c.stepWarmupMs, upstreamPid: upstream.pid, signal: stop.signal };

    // the rig's floor: generator + loopback + upstream, with no gateway in between
    const straight = (await direct.start({ type: 'direct' }, { upstreamUrl: upstream.url, tmpDir })) as StartedTarget;
    const floorRate = c.search.startRate;
    // one unrecorded load per target (and the floor's path) first: a cold process's JIT and
    // connection set-up would otherwise land in its first step, the start rate's, and break
    // its lowest SLOs there (seen: the reference "< 100 req/s" at 5 ms, cold)
    for (const t of [straight, ...started]) {
      if (stop.signal.aborted) break;
      await openLoad(t, floorRate, { ...run, stepMs: WARM_MS, warmupMs: 0 });
    }
    const floorRun = { ...run, stepMs: Math.min(c.stepMs, FLOOR_MAX_MS) };
    const floor = floorOf(floorRate, await openLoad(straight, floorRate, floorRun));
    opts.log(`capacity: floor (straight to the upstream at ${floorRate} req/s) p50 ${floor.latency_p50_ms} ms, p99 ${floor.latency_p99_ms} ms`);

    const searches: TargetSearch[] = started.map((target) => ({ target, state: newSearch(c.search), outcomes: [], runs: [] }));
    opts.log(`capacity: ${started.length} target(s), steps of ${c.stepMs / 1000} s or ${c.minSamples} requests (≤ ${c.maxStepMs / 1000} s) +${c.stepWarmupMs / 1000} s warm-up, at most ${c.search.maxSteps} each`);
    for (let turn = 1; !stop.signal.aborted; turn++) {
      let measured = 0;
      for (const t of searches) {
        if (stop.signal.aborted) break;
        // the time budget, from the run's start: no step starts late (the searches end where they are)
        if (c.maxDurationMs !== null && Date.now() - start.getTime() >= c.maxDurationMs) endSearch(t.state, 'max-duration');
        const rate = nextRate(t.state);
        if (rate === null) continue;
        const again = t.state.repeat;
        const o = await measureStep(t.target, rate, floor.latency_p50_ms, { ...run, stepMs: stepLengthMs(c, rate) });
        if (stop.signal.aborted) break; // a cut step is no measurement
        const step = recordStep(t.state, o.measure);
        addRun(t, again, step, o);
        measured++;
        const which = again === null ? '' : ` (again, ${step.runs.length} of 3: median ${step.p99Ms} ms)`;
        opts.log(`capacity ${t.target.name} step ${turn}: ${rate} req/s offered for ${o.row.step_ms! / 1000} s, ${o.row.achieved_rps} answered, p99 ${o.row.latency_p99_ms} ms (${o.row.over_direct_p99_ms} over direct)${which}: ${step.verdict}`);
      }
      if (measured === 0) break;
    }
    for (const t of searches) if (t.state.done) opts.log(`capacity ${t.target.name}: stopped (${t.state.done})`);
    // the floor again: the SLO figures all subtract the first one, so its drift is reported
    const floorEnd = stop.signal.aborted ? undefined : floorOf(floorRate, await openLoad(straight, floorRate, floorRun));
    if (floorEnd) opts.log(`capacity: floor at the end p50 ${floorEnd.latency_p50_ms} ms (${round3(floorEnd.latency_p50_ms - floor.latency_p50_ms)} ms from the start), p99 ${floorEnd.latency_p99_ms} ms`);

    const variants = searches.map((t) => capacityVariant(t, c, floor, floorEnd)).filter((v): v is VariantResult => v !== null);
    const result: RunResult = {
      ...resultHead(s.file, runId, start, stop.interrupted()),
      variants,
      capacity_search: { order: started.map((t) => t.name), skipped },
    };
    const files = writeResultFiles(result, outDir);
    return { result, dir: outDir, files, interrupted: stop.interrupted(), errors };
  } finally {
    errors.push(...(await registry.teardown()));
    for (const e of errors) opts.log(`teardown: ${e}`);
    await rm(tmpDir, { recursive: true, force: true });
    stop.dispose();
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function floorOf(rate: number, r: LoadResult): CapacityExtras['floor'] {
  return { rate, latency_p50_ms: r.latency_ms.p50, latency_p99_ms: r.latency_ms.p99 };
}
