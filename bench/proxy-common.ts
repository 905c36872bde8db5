// Shared by bench/proxy.ts and bench/proxy-state.ts: the load (wrk or autocannon), starting
// services from READY lines, and measuring a target's CPU per request from /proc. A module of
// its own because bench/proxy.ts awaits main() at top level: importing it back from
// proxy-state.ts would wait on itself.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleProcesses } from '../lib/proc-stats.js';
import { findOnPath, freePort, startService as startProcess, type Service, type Started } from '../lib/process.js';

export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
export const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 3);
/** one measured window per target and round; ROUNDS rounds, interleaved (A B C … A B C …) */
export const MEASURE_S = Number(process.env.BENCH_DURATION_S ?? 5);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
export const MASTER_KEY = 'sk-bench-1234';
export const BENCH_JS = new URL('../cli/bench.js', import.meta.url).pathname;

const SEED_ID = randomUUID();
export const body = JSON.stringify({
  model: 'fake-openai-endpoint',
  messages: [{ role: 'user', content: `${SEED_ID} ` + "This is a test there will be no cache hits and we'll fill up the context".repeat(150) }],
  user: 'my-new-end-user-1',
});

export { freePort };
export type { Service };

/** `node <script> <args>` (this build's bench CLI by default), ready at its READY line; one that is not is stopped. */
export function startService(args: string[], script = BENCH_JS, readyTimeoutMs = 15_000): Promise<Started<Record<string, unknown>>> {
  return startProcess(args[0], process.execPath, [script, ...args], { timeoutMs: readyTimeoutMs });
}

export function stop(s: Service): Promise<unknown> {
  return s.stop(60_000);
}

export interface LoadResult {
  requests: number;
  non2xx: number;
  seconds: number;
}

export function hasTool(name: string): boolean {
  return findOnPath(name) !== null;
}

/**
 * A wrk script that sends the seed-like body with a fresh uuid at the start of the prompt on
 * every request (as the seed's Locust script does), so a response cache never hits and the
 * miss path is what gets measured. Generating it costs wrk, not the target.
 */
function wrkScript(token: string): string {
  const [head, tail] = body.split(SEED_ID);
  return `local head = ${JSON.stringify(head)}
local tail = ${JSON.stringify(tail)}
local hex = "0123456789abcdef"
local function uuid()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function (c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.sub(hex, v + 1, v + 1)
  end))
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer ${token}"
request = function() return wrk.format(nil, nil, nil, head .. uuid() .. tail) end
`;
}

export async function runLoad(url: string, seconds: number, dir: string, token = MASTER_KEY): Promise<LoadResult> {
  if (hasTool('wrk')) {
    const script = join(dir, 'post.lua');
    writeFileSync(script, wrkScript(token));
    const r = spawnSync('wrk', ['-t', '1', '-c', String(CONNECTIONS), '-d', `${seconds}s`, '-s', script, `${url}/chat/completions`], { encoding: 'utf8' });
    const requests = Number(/(\d+) requests in ([\d.]+)(m?s)/.exec(r.stdout)?.[1] ?? 0);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
    const errors = /Socket errors: .*/.exec(r.stdout)?.[0];
    if (errors) process.stderr.write(`  wrk: ${errors}\n`);
    return { requests, non2xx, seconds };
  }
  // autocannon sends one fixed body: a response cache would hit after the first request.
  const autocannonModule = 'autocannon'; // no type declarations installed
  const { default: autocannon } = (await import(autocannonModule)) as { default: (o: object) => Promise<{ requests: { total: number }; non2xx: number }> };
  const r = await autocannon({
    url: `${url}/chat/completions`,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    connections: CONNECTIONS,
    duration: seconds,
  });
  return { requests: r.requests.total, non2xx: r.non2xx, seconds };
}

/** A proxy (or nginx) under test: where to send the load, whose CPU to charge. */
export interface Target {
  name: string;
  url: string;
  pids: number[];
  token: string;
}

/** One measured window of one target. */
export interface Window {
  requests: number;
  seconds: number;
  cpuUs: number;
  upstreamCpuUs: number;
  non2xx: number;
}

export function cfgHead(upstreamUrl: string): string {
  return `model_list:\n  - model_name: fake-openai-endpoint\n    litellm_params:\n      model: openai/any\n      api_base: ${upstreamUrl}/chat/completions\n      api_key: test\n`;
}

export function warmUp(t: Target, dir: string): Promise<LoadResult> {
  return runLoad(t.url, WARMUP_S, dir, t.token);
}

/** A measured window: the load for `seconds`, CPU of the target's processes (and the upstream's) over it. */
export async function measureWindow(t: Target, upstreamPid: number, dir: string, seconds = MEASURE_S): Promise<Window> {
  const a = sampleProcesses(t.pids);
  const u = sampleProcesses([upstreamPid]);
  const r = await runLoad(t.url, seconds, dir, t.token);
  const b = sampleProcesses(t.pids);
  const v = sampleProcesses([upstreamPid]);
  return { requests: r.requests, seconds: r.seconds, cpuUs: b.cpuUs - a.cpuUs, upstreamCpuUs: v.cpuUs - u.cpuUs, non2xx: r.non2xx };
}
