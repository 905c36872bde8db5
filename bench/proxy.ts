// `npm run bench:proxy`: CPU per proxied request of the reference proxy, against nginx
// proxy_pass (upstream keep-alive) measured in the same run, same load, same fake upstream.
// Load: seed-like 10.9 KB chat bodies, 50 connections, wrk when on PATH (8 µs/request of
// its own), else autocannon in this process. Each target: a warm-up, then BENCH_ROUNDS (3)
// measured windows of BENCH_DURATION_S (5 s), interleaved with the other targets'; CPU is the
// delta of /proc utime+stime of the target's processes over each window; the median is shown.
// Then the state features, stacked one at a time (bench/proxy-state.ts): virtual-key auth
// and spend logs (PostgreSQL), + Redis (response-cache miss, shared rpm limits), + a callback.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONNECTIONS, MASTER_KEY, MEASURE_S, ROUNDS, WARMUP_S, body, cfgHead, freePort, hasTool, measureWindow, startService, stop, warmUp, type Target, type Window } from './proxy-common.js';
import { startStateTargets, type StateTargets } from './proxy-state.js';
import { median } from '../gate/stats.js';
import { findOnPath, httpProbe, spawnService, type Service } from '../lib/process.js';
import { OVERHEAD_HEADER } from '../lib/measure.js';

async function startNginx(upstreamUrl: string, dir: string): Promise<{ url: string; svc: Service } | null> {
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
  const svc = spawnService('nginx', findOnPath(bin) ?? bin, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { termGroup: true });
  try {
    await svc.waitReady({ probe: httpProbe(`http://127.0.0.1:${port}/`), timeoutMs: 10_000 });
  } catch {
    await svc.stop(1000);
    return null;
  }
  return { url: `http://127.0.0.1:${port}`, svc };
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
      this.res.writeHead(this.status, ['content-type', 'application/json', 'content-length', String(b.length), OVERHEAD_HEADER, '0.100']);
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

interface Row {
  t: Target;
  windows: Window[];
}

const perReq = (w: Window) => w.cpuUs / Math.max(w.requests, 1);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gatebench-bench-proxy-'));
  const children: Service[] = [];
  let state: StateTargets | null = null;
  try {
    const upstream = await startService(['upstream', '--port', '0', '--ledger-capacity', '0']);
    children.push(upstream);
    const upstreamUrl = upstream.ready.url as string;
    const upstreamPid = upstream.pid;
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, `${cfgHead(upstreamUrl)}general_settings:\n  master_key: ${MASTER_KEY}\n`);
    // Every target runs for the whole benchmark and is measured in short interleaved rounds
    // (A B C … A B C …): on a shared 2-core VM one target measured once can read 30% high or
    // low, and the drift falls on whichever ran at the bad moment. Idle, a target costs ~1%
    // of a core.
    const targets: Target[] = [];
    const nginx = await startNginx(upstreamUrl, dir);
    if (nginx) {
      children.push(nginx.svc);
      targets.push({ name: 'nginx proxy_pass', url: nginx.url, pids: [nginx.svc.pid], token: MASTER_KEY });
    } else process.stderr.write('nginx unavailable: no reference measured\n');
    const floor = await startService(['--floor-server', upstreamUrl], new URL(import.meta.url).pathname);
    children.push(floor);
    targets.push({ name: 'floor: node:http + undici', url: (floor.ready.urls as string[])[0], pids: [floor.pid], token: MASTER_KEY });
    const proxy = await startService(['proxy', '--config', cfg, '--port', '0']);
    children.push(proxy);
    targets.push({ name: 'reference proxy (1 instance)', url: (proxy.ready.urls as string[])[0], pids: proxy.ready.pids as number[], token: MASTER_KEY });
    // Each state feature's increment: its own proxy, config and (for keys) a virtual key.
    state = await startStateTargets({ upstreamUrl, dir, configHead: cfgHead(upstreamUrl) });
    targets.push(...state.targets);
    process.stderr.write(`load: ${body.length} B bodies, ${CONNECTIONS} connections, ${hasTool('wrk') ? 'wrk' : 'autocannon (wrk not found)'}; ${WARMUP_S} s warm-up each, then ${ROUNDS} interleaved rounds of ${MEASURE_S} s\n`);
    const rows: Row[] = targets.map((t) => ({ t, windows: [] }));
    for (const r of rows) await warmUp(r.t, dir);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const r of rows) {
        const w = await measureWindow(r.t, upstreamPid, dir);
        r.windows.push(w);
        process.stderr.write(`  round ${round} ${r.t.name}: ${(w.requests / w.seconds).toFixed(0)} req/s, ${perReq(w).toFixed(1)} µs CPU/request${w.non2xx ? `, ${w.non2xx} non-2xx` : ''}\n`);
      }
    }
    const cpu = (r: Row) => median(r.windows.map(perReq));
    const ref = rows.find((r) => r.t.name.startsWith('nginx'));
    const base = rows.findIndex((r) => r.t.name.startsWith('reference proxy'));
    console.log(`\nmedian of ${ROUNDS} rounds (min–max)`);
    console.log(`${'target'.padEnd(38)} req/s   CPU µs/req (min–max)   vs nginx   increment   upstream µs/req`);
    rows.forEach((r, i) => {
      const c = cpu(r);
      const xs = r.windows.map(perReq);
      const ratio = ref ? `${(c / cpu(ref)).toFixed(2)}×` : 'n/a';
      // state features stack up: each row's increment is against the row above it
      const inc = i > base && base >= 0 ? `${c - cpu(rows[i - 1]) >= 0 ? '+' : ''}${(c - cpu(rows[i - 1])).toFixed(1)}` : '';
      const rps = median(r.windows.map((w) => w.requests / w.seconds));
      const up = median(r.windows.map((w) => w.upstreamCpuUs / Math.max(w.requests, 1)));
      const range = `${c.toFixed(1)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
      console.log(`${r.t.name.padEnd(38)} ${rps.toFixed(0).padStart(5)}   ${range.padStart(20)}   ${ratio.padStart(8)}   ${inc.padStart(9)}   ${up.toFixed(1).padStart(15)}`);
    });
    console.log('\n(2-core machine shared with other work: compare ratios within one run)');
  } finally {
    await state?.stop();
    await Promise.all(children.map(stop));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--floor-server') await floorServer(process.argv[3]);
else await main();
