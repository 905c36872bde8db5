// The whole gateway comparison for a scenario's `targets:`, given a running fake upstream:
// a private temp dir, every target started (or skipped with its reason), the interleaved
// rounds, and teardown of everything it started — on success and on error.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClosedModelConfig, OpenModelConfig, RequestTemplateConfig } from '../../loadgen/index.js';
import { runComparison, type Comparison } from './compare-run.js';
import { DEFAULT_MODEL } from './gateway-config.js';
import { startTargets } from './index.js';
import { loadgenRound } from './loadgen-round.js';
import { rampMs } from '../interleave/plan.js';
import type { GatewayTargetSpec } from './targets-schema.js';
import type { RunRound } from './types.js';
import type { Registry } from '../services/registry.js';

export interface GatewayRunOptions {
  targets: readonly GatewayTargetSpec[];
  /** the run's registry, for its last-resort kill of the targets' processes */
  registry?: Registry;
  upstreamUrl: string;
  template: RequestTemplateConfig;
  model: ClosedModelConfig | OpenModelConfig;
  rounds: number;
  roundMs: number;
  warmupMs?: number;
  /** left out of each round's statistics; default: the closed model's ramp-up (≤ 5 s) */
  roundWarmupMs?: number;
  /** replaces the loadgen-backed round (tests, other load generators) */
  runRound?: RunRound;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** the fake upstream's pid (the rig samples its CPU) */
  upstreamPid?: number;
}

/** The model name the template's body sends (the configs written for gateways route it). */
export function templateModel(t: RequestTemplateConfig): string {
  const body = t.body as { model?: unknown } | undefined;
  return typeof body?.model === 'string' ? body.model : DEFAULT_MODEL;
}

export async function runGatewayComparison(opts: GatewayRunOptions): Promise<Comparison> {
  const tmpDir = await mkdtemp(join(tmpdir(), 'gatebench-targets-'));
  const { started, skipped, stopAll } = await startTargets(opts.targets, { upstreamUrl: opts.upstreamUrl, tmpDir, model: templateModel(opts.template), log: opts.log, ...(opts.registry ? { registry: opts.registry } : {}) });
  try {
    return await runComparison({
      targets: started,
      skipped,
      upstreamUrl: opts.upstreamUrl,
      runRound: opts.runRound ?? loadgenRound({ template: opts.template, model: opts.model, roundWarmupMs: opts.roundWarmupMs ?? rampMs(opts.model), signal: opts.signal }),
      rounds: opts.rounds,
      roundMs: opts.roundMs,
      warmupMs: opts.warmupMs,
      log: opts.log,
      signal: opts.signal,
      upstreamPid: opts.upstreamPid,
    });
  } finally {
    await stopAll();
    await rm(tmpDir, { recursive: true, force: true });
  }
}
