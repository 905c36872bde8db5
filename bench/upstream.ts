// `npm run bench:upstream`: is the fake upstream ever the bottleneck? It is compared with a
// minimal node:http server that reads the body and answers a fixed JSON body, measured in
// the same run under the same load: seed-like 10.9 KB chat bodies, 50 connections, rounds
// alternating A B A B so that drift on a shared machine hits both alike. Each server runs in
// its own child process; its CPU is the /proc utime+stime delta over each measured window.
// Load: wrk when on PATH (cheaper per request), else autocannon in this process.
// Goal: ratio >= 0.85 for req/s and CPU µs/request, with the ledger on and a unique id per request.
//
// Env: BENCH_CONNECTIONS (50), BENCH_DURATION_S per round (5), BENCH_ROUNDS (2), BENCH_WARMUP_S (2),
// BENCH_LOADGEN=autocannon to use autocannon even when wrk is on PATH, BENCH_UPSTREAM_ARGS extra
// `bench upstream` flags (e.g. '--ledger-capacity 0' to see what the ledger costs).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleProcess } from '../lib/proc-stats.js';
import { findOnPath, startService, type Service } from '../lib/process.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 2);
const BENCH_JS = new URL('../cli/bench.js', import.meta.url).pathname;
const SELF = new URL(import.meta.url).pathname;

const SEED_ID = randomUUID();
const BODY = JSON.stringify({
  model: 'db-openai-endpoint',
  messages: [{ role: 'user', content: `${SEED_ID} ` + "This is a test there will be no cache hits and we'll fill up the context".repeat(150) }],
  user: 'my-new-end-user-1',
});
// Every request gets its own uuid, as the seed's load sends (and as the ledger must key them):
// wrk's request() splices a counter into the body around where SEED_ID stands.
const [BODY_HEAD, BODY_TAIL] = BODY.split(SEED_ID);

// ------------------------------------------------------------ the reference server (child)

function runMinimalServer(): void {
  const answer = Buffer.from(
    '{"id":"chatcmpl-x","object":"chat.completion","created":1700000000,"model":"db-openai-endpoint","choices":[{"index":0,"message":{"role":"assistant","content":"The quick brown fox jumps over the lazy dog while a fake upstream answers every request","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":2734,"completion_tokens":16,"total_tokens":2750}}',
  );
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
      res.end(answer);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    process.stderr.write(`READY ${JSON.stringify({ service: 'minimal', url: `http://127.0.0.1:${port}`, pid: process.pid })}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

// ------------------------------------------------------------ helpers

interface Started {
  name: string;
  svc: Service;
  url: string;
  pid: number;
}

/** `node <args>`, ready at its READY line. */
async function start(name: string, args: string[]): Promise<Started> {
  const svc = await startService<{ url: string; pid: number }>(name, process.execPath, args, { timeoutMs: 15_000 });
  return { name, svc, url: svc.ready.url, pid: svc.ready.pid };
}

function stop(s: Started): Promise<unknown> {
  return s.svc.stop(10_000);
}

interface Load {
  requests: number;
  seconds: number;
  non2xx: number;
  errors: number;
}

type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, result: Record<string, unknown>) => void) => unknown;

async function loadAutocannon(url: string, seconds: number): Promise<Load> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const setupRequest = (req: Record<string, unknown>) => ({ ...req, body: `${BODY_HEAD}${randomUUID()}${BODY_TAIL}` });
  const r = await new Promise<Record<string, unknown>>((resolve, reject) =>
    autocannon(
      { url: `${url}/v1/chat/completions`, method: 'POST', body: BODY, headers: { 'content-type': 'application/json' }, connections: CONNECTIONS, duration: seconds, requests: [{ setupRequest }] },
      (err, result) => (err ? reject(err) : resolve(result)),
    ),
  );
  const ok = Number(r['2xx'] ?? 0);
  return { requests: ok + Number(r.non2xx ?? 0), seconds: Number(r.duration), non2xx: Number(r.non2xx ?? 0), errors: Number(r.errors ?? 0) };
}

let wrkDir = '';
function loadWrk(url: string, seconds: number): Load {
  if (!wrkDir) {
    wrkDir = mkdtempSync(join(tmpdir(), 'gb-bench-upstream-'));
    writeFileSync(join(wrkDir, 'head.json'), BODY_HEAD);
    writeFileSync(join(wrkDir, 'tail.json'), BODY_TAIL);
    writeFileSync(
      join(wrkDir, 'post.lua'),
      [
        `local function slurp(p) local f = io.open(p, "rb"); local s = f:read("*a"); f:close(); return s end`,
        `local head, tail = slurp("${join(wrkDir, 'head.json')}"), slurp("${join(wrkDir, 'tail.json')}")`,
        `local n, salt = 0, math.random(0, 0x7fffffff)`,
        `wrk.method = "POST"`,
        `wrk.headers["Content-Type"] = "application/json"`,
        `request = function()`,
        `  n = n + 1`,
        `  return wrk.format(nil, nil, nil, head .. string.format("%08x-0000-4000-8000-%012x", salt, n) .. tail)`,
        `end`,
        '',
      ].join('\n'),
    );
  }
  const r = spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '-s', join(wrkDir, 'post.lua'), `${url}/v1/chat/completions`], { encoding: 'utf8' });
  const m = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(r.stdout);
  if (!m) throw new Error(`cannot read wrk output: ${r.stdout}${r.stderr}`);
  const secs = Number(m[2]) * (m[3] === 'ms' ? 0.001 : m[3] === 'm' ? 60 : 1);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  return { requests: Number(m[1]), seconds: secs, non2xx, errors: errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0 };
}

const hasWrk = process.env.BENCH_LOADGEN !== 'autocannon' && findOnPath('wrk') !== null;

async function measure(s: Started, seconds: number): Promise<Load & { cpuUs: number }> {
  const before = sampleProcess(s.pid);
  const load = hasWrk ? loadWrk(s.url, seconds) : await loadAutocannon(s.url, seconds);
  const after = sampleProcess(s.pid);
  if (!before || !after) throw new Error(`${s.name} exited during the run`);
  return { ...load, cpuUs: after.cpuUs - before.cpuUs };
}

// ------------------------------------------------------------ main

async function main(): Promise<void> {
  process.stderr.write(
    `bench:upstream — ${CONNECTIONS} connections, ${Buffer.byteLength(BODY)} B chat body, ${ROUNDS} rounds × ${DURATION_S} s per server (A B A B), load by ${hasWrk ? 'wrk' : 'autocannon in this process (wrk not on PATH or BENCH_LOADGEN=autocannon; it competes with the servers for the 2 cores)'}\n`,
  );
  const servers = [await start('fake-upstream', [BENCH_JS, 'upstream', '--port', '0', ...(process.env.BENCH_UPSTREAM_ARGS ?? '').split(' ').filter(Boolean)]), await start('minimal node:http', [SELF, '--minimal-server'])];
  try {
    for (const s of servers) await measure(s, WARMUP_S); // JIT warm-up, not counted
    const totals = servers.map(() => ({ requests: 0, seconds: 0, cpuUs: 0, non2xx: 0, errors: 0 }));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < servers.length; i++) {
        const m = await measure(servers[i], DURATION_S);
        const t = totals[i];
        t.requests += m.requests;
        t.seconds += m.seconds;
        t.cpuUs += m.cpuUs;
        t.non2xx += m.non2xx;
        t.errors += m.errors;
        process.stderr.write(`  round ${round + 1} ${servers[i].name}: ${(m.requests / m.seconds).toFixed(0)} req/s, ${(m.cpuUs / m.requests).toFixed(1)} CPU µs/req\n`);
      }
    }
    const rows = servers.map((s, i) => {
      const t = totals[i];
      return { name: s.name, rps: t.requests / t.seconds, cpuPerReq: t.cpuUs / t.requests, non2xx: t.non2xx, errors: t.errors };
    });
    console.log('');
    for (const r of rows) console.log(`${r.name.padEnd(20)} ${r.rps.toFixed(0).padStart(8)} req/s ${r.cpuPerReq.toFixed(1).padStart(8)} CPU µs/req   non-2xx ${r.non2xx}, errors ${r.errors}`);
    const [up, ref] = rows;
    console.log(`ratio (fake-upstream / minimal): req/s ${(up.rps / ref.rps).toFixed(3)}, CPU efficiency (minimal µs / upstream µs) ${(ref.cpuPerReq / up.cpuPerReq).toFixed(3)}   goal >= 0.85 for both`);
    const stats = (await (await fetch(`${servers[0].url}/__gatebench/stats`)).json()) as { ledger: { size: number } };
    console.log(`fake-upstream ledger entries: ${stats.ledger.size}`);
  } finally {
    await Promise.all(servers.map(stop));
    if (wrkDir) rmSync(wrkDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--minimal-server')) runMinimalServer();
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
