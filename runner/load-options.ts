// From a scenario and a started proxy to the load generator's options: the seed's request
// (or the scenario's templates) with the variant's key and model, every instance a target.
import { SEED_TEMPLATE, type ClosedModelConfig, type LoadOptions, type OpenModelConfig, type RequestTemplateConfig } from '../loadgen/index.js';
import type { Scenario } from './scenario-load.js';

export function templatesFor(s: Scenario, key: string): RequestTemplateConfig[] {
  const model = s.proxy.setup.model ?? 'fake-openai-endpoint';
  return s.load.requests.map((t) => {
    const seed = t.body === undefined || t.body === 'seed';
    const body = seed ? { ...(SEED_TEMPLATE.body as Record<string, unknown>), model } : t.body;
    const headers: Record<string, string> = { ...(t.headers ?? {}) };
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) headers.Authorization = `Bearer ${key}`;
    return {
      name: t.name ?? (seed ? SEED_TEMPLATE.name : undefined),
      method: t.method ?? 'POST',
      path: t.path ?? '/chat/completions',
      headers,
      body,
      weight: t.weight ?? 1,
      stream: t.stream ?? false,
    };
  });
}

/** The scenario's first request as a gateway comparison sends it: no key of ours (each target adds its own headers). */
export function gatewayTemplate(s: Scenario): RequestTemplateConfig {
  const t = s.load.requests[0];
  if (t.body === undefined || t.body === 'seed') return { ...SEED_TEMPLATE, ...(t.headers ? { headers: t.headers } : {}) };
  return { name: t.name, method: t.method ?? 'POST', path: t.path ?? '/chat/completions', headers: t.headers ?? {}, body: t.body, stream: t.stream ?? false };
}

/** The scenario's load model (closed: `users` of the variant; open: its rate or stages). */
export function loadModel(s: Scenario, users: number): ClosedModelConfig | OpenModelConfig {
  const l = s.load;
  return l.model === 'open'
    ? {
        kind: 'open',
        ...(l.stages ? { stages: l.stages.map((st) => ({ rate: st.target, durationMs: st.durationMs })) } : { rate: l.rate ?? 1 }),
        ...(l.maxInFlight ? { maxInFlight: l.maxInFlight } : {}),
      }
    : { kind: 'closed', users, spawnRate: l.spawnRate, wait: l.wait as { between: [number, number] } };
}

export function loadOptionsFor(s: Scenario, users: number, targets: string[], key: string, signal: AbortSignal, progress: boolean): LoadOptions {
  const l = s.load;
  return {
    targets,
    model: loadModel(s, users),
    durationMs: l.durationMs,
    warmupMs: s.warmup.durationMs,
    templates: templatesFor(s, key),
    recordHeaders: l.recordHeaders,
    requestTimeoutMs: l.timeoutMs,
    ...(l.workers > 1 ? { workers: l.workers } : {}),
    signal,
    progress,
    // (sent, received) per request, joined with the upstream's ledger for the overhead
    // measured from the outside (overhead_ledger_ms); bounded, ~20 bytes a request
    recordRequestTimes: true,
    requestTimesCapacity: 2_000_000,
  };
}
