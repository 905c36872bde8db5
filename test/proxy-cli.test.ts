// `bench proxy` as a process: READY line, --instances 2 (two processes, two ports), SIGTERM
// drain losing no in-flight request, and an invalid config exiting 2 with every problem.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { StartedUpstream } from '../fake-upstream/index.js';
import { MASTER_KEY, chatBody, fakeUpstream, post } from './helpers/proxy-servers.js';
import { startService } from '../lib/process.js';

const BENCH = fileURLToPath(new URL('../cli/bench.js', import.meta.url));

interface Ready {
  service: string;
  urls: string[];
  pids: number[];
  pid: number;
}

interface Started {
  child: ChildProcess;
  ready: Ready;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function startCli(args: string[]): Promise<Started> {
  let err = '';
  const svc = await startService<Ready>('bench proxy', process.execPath, [BENCH, 'proxy', ...args], { timeoutMs: 20_000, log: (line) => (err += `${line}\n`) });
  return { child: svc.child, ready: svc.ready, stderr: () => err, exited: svc.exit };
}

function runToExit(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BENCH, 'proxy', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((r) => child.once('exit', (code) => r({ code, stderr })));
}

describe('bench proxy (CLI)', () => {
  let dir: string;
  let upstream: StartedUpstream;
  let slow: StartedUpstream;
  let cfg: string;
  let slowCfg: string;
  const children: ChildProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatebench-proxy-cli-'));
    upstream = await fakeUpstream();
    slow = await fakeUpstream({ latency: { kind: 'fixed', ms: 500 } });
    const yaml = (base: string) =>
      `model_list:\n  - model_name: fake-openai-endpoint\n    litellm_params:\n      model: openai/any\n      api_base: ${base}/chat/completions\n      api_key: test\ngeneral_settings:\n  master_key: ${MASTER_KEY}\n`;
    cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, yaml(upstream.url));
    slowCfg = join(dir, 'slow.yaml');
    writeFileSync(slowCfg, yaml(slow.url));
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await upstream?.close();
    await slow?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('--instances 2: two processes on two ports, both answer; SIGTERM stops all', async () => {
    const s = await startCli(['--config', cfg, '--instances', '2', '--port', '0']);
    children.push(s.child);
    assert.equal(s.ready.service, 'proxy');
    assert.equal(s.ready.pid, s.child.pid);
    assert.equal(s.ready.urls.length, 2);
    assert.equal(s.ready.pids.length, 2);
    assert.notEqual(s.ready.pids[0], s.ready.pids[1]);
    assert.ok(!s.ready.pids.includes(s.child.pid as number), 'workers are processes of their own');
    assert.notEqual(s.ready.urls[0], s.ready.urls[1]);
    for (const url of s.ready.urls) {
      const r = await post(`${url}/v1/chat/completions`, chatBody());
      assert.equal(r.status, 200, r.text);
    }
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
    for (const pid of s.ready.pids) assert.throws(() => process.kill(pid, 0), 'the worker is gone');
  });

  test('SIGTERM during slow in-flight requests loses none of them, then exits 0', async () => {
    const s = await startCli(['--config', slowCfg, '--port', '0']);
    children.push(s.child);
    const url = s.ready.urls[0];
    const before = slow.stats().requests;
    const pending = Array.from({ length: 10 }, () => post(`${url}/v1/chat/completions`, chatBody()));
    // in flight = the upstream has them all (it answers after 500 ms)
    const deadline = Date.now() + 5000;
    while (slow.stats().requests < before + 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(slow.stats().requests, before + 10);
    s.child.kill('SIGTERM');
    const results = await Promise.all(pending);
    assert.deepEqual(
      results.map((r) => r.status),
      Array(10).fill(200),
    );
    assert.equal(await s.exited, 0);
    await assert.rejects(fetch(`${url}/health/liveliness`), 'no longer listening');
  });

  test('an invalid config exits 2 listing every problem with its path', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n      api_base: nope\n      rpm: lots\nrouter_settings:\n  routing_strategy: random\n  unknown_setting: 1\n',
    );
    const r = await runToExit(['--config', bad, '--port', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /model_list\[0\]\.litellm_params\.api_base: expected a URL/);
    assert.match(r.stderr, /model_list\[0\]\.litellm_params\.rpm: expected a number/);
    assert.match(r.stderr, /router_settings\.routing_strategy/);
    assert.match(r.stderr, /warning: .*unknown key router_settings\.unknown_setting/);
    const missing = await runToExit(['--config', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
  });
});
