// The smoke scenario end to end against the real stack: embedded PostgreSQL, a spawned
// redis-server, the fake upstream, two proxy instances with a GCS logging callback; the
// load runs, integrity is counted, the files are written, the HTML draws in Chromium, and
// teardown leaves no process, port or temp dir behind — also when interrupted by Ctrl-C.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../lib/result.js';
import { findOnPath } from '../runner/services/redis.js';
import { chromiumSkipReason, renderInChromium } from './helpers/chromium.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = new URL('../cli/bench.js', import.meta.url).pathname;
const SMOKE = join(ROOT, 'scenarios', 'smoke.yaml');
const noRedis = findOnPath('redis-server') ? false : 'redis-server is not on PATH (apt-get install -y redis-server)';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBench(args: string[], onStderr?: (all: string, child: ReturnType<typeof spawn>) => void): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr, child);
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}

/** Every temp dir and port the run logged must be gone. */
async function assertNothingLeft(stderr: string): Promise<void> {
  const dirs = [...stderr.matchAll(/\(temp ([^)]+)\)/g)].map((m) => m[1]);
  assert.ok(dirs.length >= 3, `the run logs its temp dirs (run, postgres, redis): ${dirs.join(', ')}`);
  for (const d of dirs) assert.equal(existsSync(d), false, `temp dir left behind: ${d}`);
  const ports = [...stderr.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
  assert.ok(ports.length >= 4, 'postgres, upstream, redis and two proxy ports');
  for (const p of new Set(ports)) assert.ok(await refused(p), `port ${p} still listening after the run`);
}

test('smoke scenario end to end: the whole stack, integrity counted, files written, nothing left', { skip: noRedis, timeout: 150_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'gb-smoke-test-'));
  try {
    const r = await runBench(['run', SMOKE, '--duration', '2s', '--warmup', '1s', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as RunResult;
    assert.equal(result.schema, 'gatebench/result@1');
    assert.equal(result.partial, undefined);
    assert.equal(result.variants.length, 1);
    const v = result.variants[0];
    assert.ok(v.requests > 20, `requests: ${v.requests}`);
    assert.deepEqual(v.failures, {});
    assert.ok(v.overhead_ms && v.overhead_ms.count === v.requests, 'every answer carried the overhead header');
    assert.equal((v.settings as { redis_resolved: string }).redis_resolved, 'spawn');
    assert.ok(v.gateway_cpu_us_per_req! > 0, 'CPU charged to the gateway');
    assert.ok(v.gateway_rss_mb! > 20, 'RSS of the instances');
    assert.ok(v.loadgen.cpu_us! > 0, 'the generator\'s own CPU over the window');
    // the rig: every component charged separately, the machine sampled, the warm-up in the series
    const rig = v.rig!;
    assert.deepEqual(rig.components.map((c) => c.name), ['proxy 1', 'proxy 2', 'proxy primary', 'generator', 'upstream', 'PostgreSQL', 'Redis']);
    // the request path is busy in every second; PostgreSQL (spend logs in batches) and Redis may idle through 2 s
    for (const c of rig.components) assert.ok(c.cpu_pct !== null && c.us_per_req !== null, `${c.name} sampled: ${JSON.stringify(c)}`);
    for (const c of rig.components.filter((x) => /^proxy \d|generator|upstream/.test(x.name))) assert.ok(c.cpu_pct! > 0, `${c.name} charged: ${JSON.stringify(c)}`);
    assert.ok(rig.machine.busy_p50_pct! > 0 && rig.machine.cores === result.machine.cpus);
    assert.ok(rig.series.some((s) => s.t <= 0) && rig.series.some((s) => s.t > 0), 'warm-up and window in the series');
    assert.equal(v.reliable, v.unreliable_reasons.length === 0);
    assert.equal(rig.saturation.saturated, v.unreliable_reasons.some((x) => x.startsWith('the machine was saturated')));
    // the direct baseline ran before the variant, and its requests are not in the integrity count
    assert.ok(v.direct && v.direct.requests > 0 && v.direct.overhead_ledger_ms, JSON.stringify(v.direct));
    assert.ok(v.overhead_over_direct_ms && Math.abs(v.overhead_over_direct_ms.p50 - (v.overhead_ledger_ms!.p50 - v.direct.overhead_ledger_ms!.p50)) < 0.002);
    // integrity: spend-log rows and GCS sink events = requests the gateway answered (warm-up included)
    assert.ok(v.integrity?.ok, JSON.stringify(v.integrity));
    assert.deepEqual(v.integrity!.checks.map((c) => c.name), ['spend log rows = requests answered', 'gcs_bucket events = requests answered']);
    for (const c of v.integrity!.checks) assert.ok(c.expected >= v.requests && c.actual === c.expected, JSON.stringify(c));
    for (const f of ['result.json', 'report.md', 'report.html']) assert.ok(existsSync(join(out, f)), f);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')), result);
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /\| POST \| \/chat\/completions \|/);
    if (!chromiumSkipReason()) {
      const html = await renderInChromium(readFileSync(join(out, 'report.html'), 'utf8'));
      assert.deepEqual(html.errors, []);
      assert.equal(html.chartsDrawn, 5, 'latency and RPS over time, the rig, two distributions');
      for (const [id, , ink] of html.canvases) assert.ok(ink > 20, `${id} drew`);
    }
    await assertNothingLeft(r.stderr);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('Ctrl-C during the load: everything is torn down and the partial result is written', { skip: noRedis, timeout: 150_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'gb-smoke-test-'));
  try {
    let sent = false;
    const r = await runBench(['run', SMOKE, '--duration', '60s', '--warmup', '0s', '--out', out], (all, child) => {
      if (!sent && all.includes('load: ')) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 1500);
      }
    });
    assert.ok(sent, r.stderr);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupted: stopping the load/);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult;
    assert.equal(result.partial, true);
    assert.equal(result.variants.length, 1);
    assert.ok(result.variants[0].duration_s < 30, 'stopped early');
    assert.ok(result.variants[0].integrity?.ok, 'the proxy still drained and flushed');
    await assertNothingLeft(r.stderr);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
