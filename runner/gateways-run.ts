// `bench run` for a scenario with `targets:` — the gateway comparison (runner/targets does
// the measuring): one fake upstream from the scenario, the scenario's load, the rounds of
// its `compare:` section; prints the comparison table and writes result.json + report.md.
import { EXIT_INTERRUPTED } from '../lib/exit-codes.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SEED_TEMPLATE, type LoadOptions, type RequestTemplateConfig } from '../loadgen/index.js';
import { renderGatewayMarkdown, renderGatewayTable } from '../reports/gateways/index.js';
import { makeRunId } from './run.js';
import type { Scenario } from './scenario-load.js';
import { Registry } from './services/registry.js';
import { startUpstream } from './services/upstream.js';
import { runGatewayComparison } from './targets/run-gateways.js';
import { roundPlan } from './targets/targets-schema.js';
import type { ComparisonResult } from './targets/types.js';

function templateOf(s: Scenario): RequestTemplateConfig {
  const t = s.load.requests[0];
  if (t.body === undefined || t.body === 'seed') return { ...SEED_TEMPLATE, ...(t.headers ? { headers: t.headers } : {}) };
  return { name: t.name, method: t.method ?? 'POST', path: t.path ?? '/chat/completions', headers: t.headers ?? {}, body: t.body, stream: t.stream ?? false };
}

export async function runGatewaysScenario(
  s: Scenario,
  o: { out?: string; log: (m: string) => void; handleSigint: boolean },
): Promise<{ result: ComparisonResult; files: string[]; text: string; interrupted: boolean }> {
  const runId = makeRunId(s.name);
  const outDir = resolve(o.out ?? join('results', runId));
  const registry = new Registry();
  const ac = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) {
      registry.killSync();
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = true;
    o.log('interrupted: stopping the load and tearing everything down (Ctrl-C again to kill now)');
    ac.abort();
  };
  if (o.handleSigint) {
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
  }
  const l = s.load;
  const model: LoadOptions['model'] =
    l.model === 'open'
      ? { kind: 'open', ...(l.stages ? { stages: l.stages.map((st) => ({ rate: st.target, durationMs: st.durationMs })) } : { rate: l.rate ?? 1 }) }
      : { kind: 'closed', users: l.users, spawnRate: l.spawnRate, wait: l.wait as { between: [number, number] } };
  const { rounds, roundMs } = roundPlan(l.durationMs, s.compare);
  try {
    const upstream = await startUpstream(registry, s.upstream, s.upstream.latency, o.log);
    o.log(`gateways: ${s.targets.length} target(s), ${rounds} round(s) of ${roundMs / 1000} s each`);
    const result = await runGatewayComparison({
      targets: s.targets,
      upstreamUrl: upstream.url,
      template: templateOf(s),
      model,
      rounds,
      roundMs,
      warmupMs: s.warmup.durationMs,
      log: o.log,
      signal: ac.signal,
      upstreamPid: upstream.pid,
    });
    mkdirSync(outDir, { recursive: true });
    const files = [join(outDir, 'result.json'), join(outDir, 'report.md')];
    writeFileSync(files[0], `${JSON.stringify(result, null, 1)}\n`);
    writeFileSync(files[1], renderGatewayMarkdown(result));
    return { result, files, text: renderGatewayTable(result), interrupted };
  } finally {
    for (const e of await registry.teardown()) o.log(`teardown: ${e}`);
    if (o.handleSigint) {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
  }
}
