// `npm run bench:proxy`: CPU per proxied request of the reference proxy, against nginx
// proxy_pass (upstream keep-alive) measured in the same run, same load, same fake upstream.
// Load: seed-like 10.9 KB chat bodies, 50 connections, wrk when on PATH (8 µs/request of
// its own), else autocannon in this process. Each target: a warm-up, then a measured window;
// CPU is the delta of /proc utime+stime of the target's processes over that window.
// Then the state features, stacked one at a time (bench/proxy-state.ts): virtual-key auth
// and spend logs (PostgreSQL), + Redis (response-cache miss, shared rpm limits), + a callback.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleProcesses } from '../lib/proc-stats.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 3);
const MEASURE_S = Number(process.env.BENCH_DURATION_S ?? 10);
export const MASTER_KEY = 'sk-bench-1234';
const BENCH_JS = new URL('../cli/bench.js', import.meta.url).pathname;

const SEED_ID = randomUUID();
const body = JSON.stringify({
  model: 'fake-openai-endpoint',
  messages: [{ role: 'user', content: `${SEED_ID} ` + "This is a test there will be no cache hits and we'll fill up the context".repeat(150) }],
  user: 'my-new-end-user-1',
});

interface Started {
  child: ChildProcess;
  ready: Record<string, unknown>;
}

export function startService(args: string[], script = BENCH_JS): Promise<Started> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${args[0]} not ready after 15 s: ${buf}`)), 15_000);
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /^READY (.*)$/m.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve({ child, ready: JSON.parse(m[1]) as Record<string, unknown> });
      }
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited (${code}): ${buf}`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
}

interface LoadResult {
  requests: number;
  non2xx: number;
  seconds: number;
}

function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
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

export interface Measured {
  name: string;
  rps: number;
  cpuUsPerReq: number;
  upstreamCpuUsPerReq: number;
  non2xx: number;
}

function cfgHead(upstreamUrl: string): string {
  return `model_list:\n  - model_name: fake-openai-endpoint\n    litellm_params:\n      model: openai/any\n      api_base: ${upstreamUrl}/chat/completions\n      api_key: test\n`;
}

export async function measure(name: string, url: string, pids: number[], upstreamPid: number, dir: string, token = MASTER_KEY): Promise<Measured> {
  await runLoad(url, WARMUP_S, dir, token);
  const a = sampleProcesses(pids);
  const u = sampleProcesses([upstreamPid]);
  const r = await runLoad(url, MEASURE_S, dir, token);
  const b = sampleProcesses(pids);
  const v = sampleProcesses([upstreamPid]);
  const n = Math.max(r.requests, 1);
  const m = { name, rps: r.requests / r.seconds, cpuUsPerReq: (b.cpuUs - a.cpuUs) / n, upstreamCpuUsPerReq: (v.cpuUs - u.cpuUs) / n, non2xx: r.non2xx };
  process.stderr.write(`  ${name}: ${m.rps.toFixed(0)} req/s, ${m.cpuUsPerReq.toFixed(1)} µs CPU/request${r.non2xx ? `, ${r.non2xx} non-2xx` : ''}\n`);
  return m;
}

async function startNginx(upstreamUrl: string, dir: string): Promise<{ url: string; child: ChildProcess } | null> {
  if (!hasTool('nginx') && !hasTool('/usr/sbin/nginx')) {
    process.stderr.write('nginx not found: trying apt-get install -y nginx\n');
    spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq nginx'], { stdio: 'ignore' });
  }
  const bin = hasTool('nginx') ? 'nginx' : '/usr/sbin/nginx';
  if (!hasTool(bin)) return null;
  const port = await freePort();
  const up = new URL(upstreamUrl);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  client_body_buffer_size 64k;
  upstream fake { server ${up.hostname}:${up.port}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://fake; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  const child = spawn(bin, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  if (child.exitCode !== null) return null;
  return { url: `http://127.0.0.1:${port}`, child };
}

/**
 * The floor: the least a Node proxy can do on the same stack (node:http server, undici
 * Pool.dispatch, raw body forwarded, answer collected and sent with one header). Measured
 * in the same run, it separates what Node's HTTP layers cost from what the proxy adds.
 */
async function floorServer(upstreamUrl: string): Promise<void> {
  const { createServer } = await import('node:http');
  const { Pool } = await import('undici');
  const pool = new Pool(upstreamUrl, { connections: 256, pipelining: 1 });
  const headers = ['content-type', 'application/json', 'authorization', 'Bearer test'];
  class Handler {
    chunks: Buffer[] = [];
    status = 0;
    constructor(readonly res: import('node:http').ServerResponse) {}
    onConnect(): void {}
    onHeaders(status: number): boolean {
      this.status = status;
      return true;
    }
    onData(c: Buffer): boolean {
      this.chunks.push(c);
      return true;
    }
    onComplete(): void {
      const b = Buffer.concat(this.chunks);
      this.res.writeHead(this.status, ['content-type', 'application/json', 'content-length', String(b.length), 'x-litellm-overhead-duration-ms', '0.100']);
      this.res.end(b);
    }
    onError(): void {
      this.res.writeHead(502);
      this.res.end();
    }
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => pool.dispatch({ path: '/chat/completions', method: 'POST', headers, body: Buffer.concat(chunks) }, new Handler(res)));
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.stderr.write(`READY ${JSON.stringify({ service: 'floor', urls: [`http://127.0.0.1:${port}`], pids: [process.pid], pid: process.pid })}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gatebench-bench-proxy-'));
  const children: ChildProcess[] = [];
  try {
    const upstream = await startService(['upstream', '--port', '0', '--ledger-capacity', '0']);
    children.push(upstream.child);
    const upstreamUrl = upstream.ready.url as string;
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, `${cfgHead(upstreamUrl)}general_settings:\n  master_key: ${MASTER_KEY}\n`);
    process.stderr.write(`load: ${body.length} B bodies, ${CONNECTIONS} connections, ${hasTool('wrk') ? 'wrk' : 'autocannon (wrk not found)'}; ${WARMUP_S}s warm-up + ${MEASURE_S}s each\n`);
    const results: Measured[] = [];
    const nginx = await startNginx(upstreamUrl, dir);
    if (nginx) {
      children.push(nginx.child);
      results.push(await measure('nginx proxy_pass', nginx.url, [nginx.child.pid as number], upstream.child.pid as number, dir));
      await stop(nginx.child);
    } else process.stderr.write('nginx unavailable: no reference measured\n');
    const floor = await startService(['--floor-server', upstreamUrl], new URL(import.meta.url).pathname);
    children.push(floor.child);
    results.push(await measure('floor: node:http + undici', (floor.ready.urls as string[])[0], [floor.child.pid as number], upstream.child.pid as number, dir));
    await stop(floor.child);
    const proxy = await startService(['proxy', '--config', cfg, '--port', '0']);
    children.push(proxy.child);
    const urls = proxy.ready.urls as string[];
    results.push(await measure('reference proxy (1 instance)', urls[0], proxy.ready.pids as number[], upstream.child.pid as number, dir));
    await stop(proxy.child);
    // Each state feature's increment: its own proxy, config and (for keys) a virtual key.
    const { measureStateFeatures } = await import('./proxy-state.js');
    results.push(...(await measureStateFeatures({ upstreamUrl, upstreamPid: upstream.child.pid as number, dir, configHead: cfgHead(upstreamUrl) })));
    const ref = results.find((r) => r.name.startsWith('nginx'));
    const base = results.find((r) => r.name.startsWith('reference proxy'));
    console.log(`\n${'target'.padEnd(44)} req/s    CPU µs/req   vs nginx   increment   upstream µs/req`);
    let prev: Measured | undefined;
    for (const r of results) {
      const ratio = ref ? `${(r.cpuUsPerReq / ref.cpuUsPerReq).toFixed(2)}×` : 'n/a';
      // state features stack up: each row's increment is against the row above it
      const inc = prev && base && results.indexOf(r) > results.indexOf(base) ? `+${(r.cpuUsPerReq - prev.cpuUsPerReq).toFixed(1)}` : '';
      console.log(`${r.name.padEnd(44)} ${r.rps.toFixed(0).padStart(6)}   ${r.cpuUsPerReq.toFixed(1).padStart(10)}   ${ratio.padStart(8)}   ${inc.padStart(9)}   ${r.upstreamCpuUsPerReq.toFixed(1).padStart(15)}`);
      prev = r;
    }
    console.log('\n(2-core machine shared with other work: figures are indicative; compare ratios within one run)');
  } finally {
    await Promise.all(children.map(stop));
    rmSync(dir, { recursive: true, force: true });
  }
}

// Imported by bench/proxy-state.ts for its helpers: run only when executed.
if (process.argv[1] === new URL(import.meta.url).pathname) {
  if (process.argv[2] === '--floor-server') await floorServer(process.argv[3]);
  else await main();
}
