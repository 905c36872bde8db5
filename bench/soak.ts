// `npm run bench:soak [-- --duration 2m --users 1000 --instances 4]`: the seed's load (1000
// users spawned 500/s, 0.5–1 s between requests, the ~11 KB uuid-prefixed prompt) against
// `bench proxy --instances 4` with a PostgreSQL (DATABASE_URL, else embedded) for spend logs,
// for 10 minutes by default. Passes when, for EVERY instance, the RSS at the end is at most
// 10% above its RSS right after the warm-up; no request failed; and the spend-log rows equal
// the model requests the upstream answered (integrity). Prints an RSS time series per
// instance and exits 1 on a failed check. Not part of `npm test`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseDurationMs } from '../lib/duration.js';
import { SEED_TEMPLATE, startLoad } from '../loadgen/index.js';
import type { UpstreamStats } from '../fake-upstream/index.js';
import { scratchDatabase } from '../proxy/state/scratch-database.js';
import { modelRequests } from '../runner/services/upstream.js';
import { startService, type Service, type Started } from '../lib/process.js';

const BENCH_JS = new URL('../cli/bench.js', import.meta.url).pathname;
const MASTER = 'sk-1234567890'; // the seed template's default key
const MAX_GROWTH = 0.1;
const SAMPLE_MS = 5000;

function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const durationMs = parseDurationMs(flag('duration', '10m'));
const warmupMs = Math.min(60_000, Math.round(durationMs / 4));
const users = Number(flag('users', '1000'));
const instances = Number(flag('instances', '4'));

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN; // gone
  }
}

/** `bench <args>` of this build, ready at its READY line. */
function start(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Started<Record<string, unknown>>> {
  return startService(args[0], process.execPath, [BENCH_JS, ...args], { env, timeoutMs: 60_000 });
}

function stop(s: Service, graceMs = 60_000): Promise<unknown> {
  return s.stop(graceMs);
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gb-soak-'));
  const cleanup: (() => Promise<void>)[] = [];
  try {
    console.log(`soak: ${users} users, ${instances} proxy instance(s), ${durationMs / 1000} s measured after a ${warmupMs / 1000} s warm-up`);
    const db = await scratchDatabase('gb_soak');
    cleanup.unshift(() => db.drop());
    const up = await start(['upstream', '--port', '0', '--latency', 'fixed:50']);
    cleanup.unshift(async () => void (await stop(up)));
    const upUrl = up.ready.url as string;
    const cfg = join(dir, 'config.yaml');
    writeFileSync(
      cfg,
      `model_list:\n  - model_name: db-openai-endpoint\n    litellm_params:\n      model: openai/any\n      api_base: ${upUrl}/v1\n      api_key: test\n` +
        `general_settings:\n  master_key: ${MASTER}\n  database_url: ${db.url}\n`,
    );
    const px = await start(['proxy', '--config', cfg, '--port', '0', '--instances', String(instances)]);
    cleanup.unshift(async () => void (await stop(px)));
    const urls = px.ready.urls as string[];
    const pids = px.ready.pids as number[];

    const series: number[][] = pids.map(() => []);
    const sample = () => pids.forEach((p, i) => series[i].push(rssMb(p)));
    sample();
    const sampler = setInterval(sample, SAMPLE_MS);
    let baseline: number[] = [];
    const warm = setTimeout(() => (baseline = pids.map(rssMb)), warmupMs);
    delete process.env.API_KEY;
    const run = startLoad({
      targets: urls,
      model: { kind: 'closed', users, spawnRate: 500, wait: { between: [0.5, 1] } },
      durationMs,
      warmupMs,
      templates: [SEED_TEMPLATE],
    });
    const result = await run.result;
    clearInterval(sampler);
    clearTimeout(warm);
    const final = pids.map(rssMb);
    await stop(px); // drains, flushes the spend logs
    const stats = (await (await fetch(`${upUrl}/__gatebench/stats`)).json()) as UpstreamStats;
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const rows = Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM gb_spend_logs')).rows[0].n);
    await c.end();

    const failures = Object.values(result.failures).reduce((a, b) => a + b, 0);
    const answered = modelRequests(stats);
    console.log(`requests: ${result.requests} measured (${result.rps.toFixed(0)}/s), failures: ${failures} ${JSON.stringify(result.failures)}`);
    console.log(`RSS samples every ${SAMPLE_MS / 1000} s, MB, per instance:`);
    series.forEach((s, i) => console.log(`  pid ${pids[i]}: ${s.map((x) => x.toFixed(0)).join(' ')}`));
    const checks: [string, boolean][] = [];
    pids.forEach((p, i) => {
      const growth = final[i] / baseline[i] - 1;
      checks.push([`instance ${i} (pid ${p}) RSS after warm-up ${baseline[i].toFixed(1)} MB → end ${final[i].toFixed(1)} MB: ${(growth * 100).toFixed(1)}% (≤ ${MAX_GROWTH * 100}%)`, growth <= MAX_GROWTH]);
    });
    checks.push([`failures: ${failures} (= 0)`, failures === 0]);
    checks.push([`integrity: spend-log rows ${rows} = model requests the upstream answered ${answered}`, rows === answered]);
    for (const [text, ok] of checks) console.log(`${ok ? '✓' : '✗'} ${text}`);
    if (!result.reliable) console.log(`note: the load generator was not reliable: ${result.unreliable_reasons.join('; ')}`);
    return checks.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    for (const f of cleanup) await f().catch((err: unknown) => console.error(`cleanup: ${String(err)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench:soak failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
