// `npm run bench:proxy`: CPU per proxied request of the reference proxy, against nginx
// proxy_pass (upstream keep-alive) measured in the same run, same load, same fake upstream.
// Load: seed-like 10.9 KB chat bodies, 50 connections, wrk when on PATH (8 µs/request of
// its own), else autocannon in this process. Each target: a warm-up, then a measured window;
// CPU is the delta of /proc utime+stime of the target's processes over that window.
// Then the state features, stacked one at a time (bench/proxy-state.ts): virtual-key auth
// and spend logs (PostgreSQL), + Redis (response-cache miss, shared rpm limits), + a callback.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONNECTIONS, MASTER_KEY, MEASURE_S, WARMUP_S, body, cfgHead, freePort, hasTool, measure, startService, stop, type Measured } from './proxy-common.js';
import { measureStateFeatures } from './proxy-state.js';

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

if (process.argv[2] === '--floor-server') await floorServer(process.argv[3]);
else await main();
