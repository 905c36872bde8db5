// npm run bench:loadgen — the load generator's own cost, against references measured in
// the same run, the same way: every generator runs as a child process under `bash -c
// '…; times'`, whose children's user+sys CPU (getrusage, the same clock /proc reports) is
// divided by the requests the generator completed. Target: a minimal node:http server,
// itself a child process. Load goes only to 127.0.0.1 and every run is bounded in time.
//   1. max req/s and CPU µs/request: ours (`bench load`, closed, 50 users, no wait) vs
//      autocannon -c 50 (and wrk -c 50 when on PATH), same duration.
//      Also ours with --workers 2 (two threads; on 2 cores shared with the server it shows
//      what a second thread costs more than what it adds).
//   2. the seed's load (1000 users, 500/s spawn, 0.5–1 s wait, ~1,300 req/s, the seed's
//      11 KB body): our CPU % of one core and peak RSS. Goals: ≤ 10 % and ≤ 150 MB. And
//      autocannon at the same rate, connections and body, for the same-run reference.
// BENCH_SECONDS (default 10) and SEED_SECONDS (default 30) shorten it for a quick look.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processTree } from '../lib/proc-stats.js';
import { validateLoadOptions } from '../loadgen/config.js';
import { SEED_TEMPLATE } from '../loadgen/seed.js';
import { compileTemplates, newBodyBuffer, newRequestId, renderBody } from '../loadgen/template.js';
import { findOnPath, startService, type Service } from '../lib/process.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SEED_SECONDS = Number(process.env.SEED_SECONDS ?? 30);
const CONNECTIONS = 50;
const BENCH = fileURLToPath(new URL('../cli/bench.js', import.meta.url));
const AUTOCANNON = fileURLToPath(new URL('../../node_modules/.bin/autocannon', import.meta.url));

const SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => { req.on('data', () => {}); req.on('end', () => res.end('{"ok":true}')); });
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

/** The minimal server, ready when it prints its port. */
async function startServer(): Promise<{ port: number; server: Service }> {
  const server = await startService<number>('minimal node:http server', process.execPath, ['-e', SERVER], { line: (l) => (/^\d+$/.test(l.trim()) ? Number(l.trim()) : null) });
  return { port: server.ready, server };
}

interface Measured {
  stdout: string;
  cpuUs: number;
  wallMs: number;
  peakRssMb: number;
}

/** Runs `cmd` under bash and reads its children's CPU from bash's `times`; polls peak RSS (VmHWM). */
function measure(cmd: string): Promise<Measured> {
  // the command's stdout goes to a file of this run's own (bash's `times` needs stderr)
  const dir = mkdtempSync(join(tmpdir(), 'gb-bench-loadgen-'));
  const out = join(dir, 'stdout');
  const child = spawn('bash', ['-c', `${cmd} > '${out}'; times >&2`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  let peak = 0;
  const poll = setInterval(() => {
    for (const pid of processTree(child.pid!)) {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        /* exited */
      }
    }
  }, 250);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      clearInterval(poll);
      const stdout = readFileSync(out, 'utf8');
      rmSync(dir, { recursive: true, force: true });
      const wallMs = performance.now() - t0;
      const lines = stderr.trim().split('\n');
      const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s/.exec(lines[lines.length - 1] ?? '');
      if (code !== 0 || !m) return reject(new Error(`${cmd} failed (${code}): ${stderr}`));
      const cpuUs = (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1e6;
      resolve({ stdout, cpuUs, wallMs, peakRssMb: peak });
    });
    child.on('error', reject);
  });
}

const onPath = (tool: string) => findOnPath(tool) !== null;
const f1 = (x: number) => x.toFixed(1);

async function main(): Promise<void> {
  const { port, server } = await startServer();
  const url = `http://127.0.0.1:${port}/`;
  const rows: Array<{ name: string; rps: number; usPerReq: number; requests: number }> = [];
  try {
    console.log(`loadgen bench: ${CONNECTIONS} connections, ${SECONDS} s each, minimal node:http server (child process)`);
    const ours = await measure(`${process.execPath} ${BENCH} load ${url} --users ${CONNECTIONS} --duration ${SECONDS}s --no-request-id --json`);
    const r = JSON.parse(ours.stdout) as { requests: number; rps: number; loadgen: { cpu_percent: number } };
    rows.push({ name: 'gatebench load', rps: r.rps, usPerReq: ours.cpuUs / r.requests, requests: r.requests });

    const ac = await measure(`${AUTOCANNON} -c ${CONNECTIONS} -d ${SECONDS} -j ${url}`);
    const a = JSON.parse(ac.stdout) as { requests: { total: number; average: number }; duration: number };
    rows.push({ name: 'autocannon', rps: a.requests.total / a.duration, usPerReq: ac.cpuUs / a.requests.total, requests: a.requests.total });

    const two = await measure(`${process.execPath} ${BENCH} load ${url} --users ${CONNECTIONS} --duration ${SECONDS}s --no-request-id --workers 2 --json`);
    const r2 = JSON.parse(two.stdout) as { requests: number; rps: number };
    rows.push({ name: 'ours --workers 2', rps: r2.rps, usPerReq: two.cpuUs / r2.requests, requests: r2.requests });

    if (onPath('wrk')) {
      const w = await measure(`wrk -t1 -c${CONNECTIONS} -d${SECONDS}s ${url}`);
      const m = /(\d+) requests in ([\d.]+)s/.exec(w.stdout);
      if (m) rows.push({ name: 'wrk -t1', rps: Number(m[1]) / Number(m[2]), usPerReq: w.cpuUs / Number(m[1]), requests: Number(m[1]) });
    } else console.log('(wrk is not on PATH: `apt-get install -y wrk` to include it; autocannon is the reference)');

    const ref = rows.find((x) => x.name === 'autocannon')!;
    console.log('\ngenerator        req/s      CPU µs/req   vs autocannon');
    for (const row of rows)
      console.log(`${row.name.padEnd(16)} ${f1(row.rps).padStart(9)}  ${row.usPerReq.toFixed(2).padStart(10)}   ${(row.usPerReq / ref.usPerReq).toFixed(2)}×`);
    console.log(`(CPU includes process start-up; our own count: ${r.loadgen.cpu_percent}% of a core while measuring)`);

    console.log(`\nseed load: 1000 users, spawn 500/s, wait 0.5–1 s, seed body (11 KB), ${SEED_SECONDS} s`);
    const seed = await measure(
      `${process.execPath} ${BENCH} load ${url.replace(/\/$/, '')}/chat/completions --seed-body --users 1000 --spawn-rate 500 --wait 0.5-1 --duration ${SEED_SECONDS}s --json`,
    );
    const s = JSON.parse(seed.stdout) as { requests: number; rps: number; current_rps: number; latency_ms: { p50: number; p99: number }; loadgen: { cpu_percent: number; rss_mb: number }; reliable: boolean; unreliable_reasons: string[] };
    const cpuPct = (seed.cpuUs / (seed.wallMs * 1000)) * 100;
    console.log(`requests ${s.requests}, rps ${f1(s.rps)}, current rps ${f1(s.current_rps)}, p50 ${s.latency_ms.p50} ms, p99 ${s.latency_ms.p99} ms`);
    console.log(`CPU ${f1(cpuPct)}% of one core over the whole process life (goal ≤ 10%); self-measured in window ${s.loadgen.cpu_percent}%`);
    console.log(`CPU µs/request ${(seed.cpuUs / s.requests).toFixed(2)}; peak RSS ${f1(seed.peakRssMb)} MB (goal ≤ 150 MB); self-reported ${s.loadgen.rss_mb} MB`);
    console.log(`reliable: ${s.reliable}${s.reliable ? '' : ` (${s.unreliable_reasons.join('; ')})`}`);

    // the same rate from autocannon: 1000 connections, the seed body (one uuid), same window
    const dir = mkdtempSync(join(tmpdir(), 'gb-bench-seedbody-'));
    try {
      const opts = validateLoadOptions({ targets: [url], model: { kind: 'closed', users: 1, spawnRate: 1 }, durationMs: 1, templates: [SEED_TEMPLATE] });
      const t = compileTemplates(opts.templates).compiled[0];
      const bodyFile = join(dir, 'body.json');
      writeFileSync(bodyFile, renderBody(t, newRequestId(), 0, newBodyBuffer(t)));
      const rate = Math.round(s.rps);
      const acs = await measure(
        `${AUTOCANNON} -c 1000 -R ${rate} -d ${SEED_SECONDS} -m POST -H content-type=application/json -i ${bodyFile} -j ${url}chat/completions`,
      );
      const as = JSON.parse(acs.stdout) as { requests: { total: number }; duration: number };
      const acPct = (acs.cpuUs / (acs.wallMs * 1000)) * 100;
      console.log(`autocannon at the same rate (-c 1000 -R ${rate}, seed body): ${as.requests.total} requests, CPU ${f1(acPct)}% of one core, ` +
        `${(acs.cpuUs / as.requests.total).toFixed(2)} µs/request, peak RSS ${f1(acs.peakRssMb)} MB → ours ${((seed.cpuUs / s.requests) / (acs.cpuUs / as.requests.total)).toFixed(2)}× its CPU per request`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    console.log('\nNote: the 2 cores are shared with the server (and anything else running): indicative figures.');
  } finally {
    await server.stop(5000);
  }
}

await main();
