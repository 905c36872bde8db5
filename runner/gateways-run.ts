// `bench run` for a scenario with `targets:` — the gateway comparison (runner/targets does
// the measuring): one fake upstream from the scenario, the scenario's load, the rounds of
// its `compare:` section. The outcome is an ordinary result (`gatebench/result@1`) whose
// variants are the targets, written like any run's (result.json, report.md, report.html).
import { join, resolve } from 'node:path';
import type { RunResult } from '../lib/result.js';
import { gatewayTemplate, loadModel } from './load-options.js';
import { makeRunId, resultHead, writeResultFiles, type RunOutcome } from './run.js';
import type { Scenario } from './scenario-load.js';
import { Registry } from './services/registry.js';
import { startUpstream } from './services/upstream.js';
import { runGatewayComparison } from './targets/run-gateways.js';
import { roundPlan } from './targets/targets-schema.js';
import { handleInterrupts } from './interrupt.js';

export async function runGatewaysScenario(s: Scenario, opts: { out?: string; log: (m: string) => void; handleSigint: boolean }): Promise<RunOutcome> {
  const start = new Date();
  const runId = makeRunId(s.name, start);
  const outDir = resolve(opts.out ?? join('results', runId));
  const registry = new Registry();
  const stop = handleInterrupts(registry, opts.log, 'the load', opts.handleSigint);
  const { rounds, roundMs } = roundPlan(s.load.durationMs, s.compare);
  const errors: string[] = [];
  try {
    const upstream = await startUpstream(registry, s.upstream, s.upstream.latency, opts.log);
    opts.log(`gateways: ${s.targets.length} target(s), ${rounds} round(s) of ${roundMs / 1000} s each`);
    const measured = await runGatewayComparison({
      targets: s.targets,
      registry,
      upstreamUrl: upstream.url,
      template: gatewayTemplate(s),
      model: loadModel(s, s.load.users),
      rounds,
      roundMs,
      warmupMs: s.warmup.durationMs,
      log: opts.log,
      signal: stop.signal,
      upstreamPid: upstream.pid,
    });
    const result: RunResult = {
      ...resultHead(s.file, runId, start, stop.interrupted()),
      variants: measured.variants,
      comparison: measured.comparison,
    };
    const files = writeResultFiles(result, outDir);
    return { result, dir: outDir, files, interrupted: stop.interrupted(), errors };
  } finally {
    errors.push(...(await registry.teardown()));
    for (const e of errors) opts.log(`teardown: ${e}`);
    stop.dispose();
  }
}
