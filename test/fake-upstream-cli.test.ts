// `bench upstream` as the runner uses it: a child process, a READY line on stderr, SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadUpstreamConfigFile } from '../fake-upstream/index.js';
import { optionsFromFlags } from '../fake-upstream/command.js';
import { GbError } from '../lib/errors.js';
import { startService } from '../lib/process.js';

const BENCH = join(process.cwd(), 'dist/cli/bench.js');

test('bench upstream prints READY, serves, and exits 0 on SIGTERM', async (t) => {
  let stderr = '';
  const svc = await startService<{ service: string; url: string; pid: number }>('bench upstream', process.execPath, [BENCH, 'upstream', '--port', '0', '--latency', 'fixed:1', '--completion-tokens', '3'], {
    timeoutMs: 10_000,
    log: (line) => (stderr += `${line}\n`),
  });
  t.after(() => svc.stop(1000));
  const { child, ready } = svc;
  assert.equal(ready.service, 'upstream');
  assert.equal(ready.pid, child.pid);
  assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const r = await fetch(`${ready.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
  assert.equal(r.status, 200);
  assert.equal(((await r.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens, 3);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (c) => resolve(c));
    child.kill('SIGTERM');
  });
  assert.equal(code, 0);
  assert.equal(stderr.trim().split('\n').length, 1, 'exactly one line on stderr');
});

test('bad flags exit 2 with a clear message', () => {
  for (const [flags, pattern] of [
    [{ latency: 'fast' }, /--latency.*fixed:50/],
    [{ latency: 'uniform:50-10' }, /--latency.*max must be >= min/],
    [{ errorRate: '404=0.1' }, /--error-rate/],
    [{ errorRate: '500=1.5' }, /--error-rate.*\[0, 1\]/],
    [{ hangRate: '2' }, /--hang-rate/],
    [{ port: 'abc' }, /--port/],
    [{ faultMode: 'sometimes' }, /--fault-mode/],
  ] as const) {
    assert.throws(
      () => optionsFromFlags(flags),
      (err: unknown) => err instanceof GbError && err.exitCode === 2 && err.code === 'GB_ERR_INVALID_ARG' && pattern.test(err.message),
      JSON.stringify(flags),
    );
  }
  // …and through the real CLI: exit code 2 and the message on stderr.
  const r = spawnSync(process.execPath, [BENCH, 'upstream', '--latency', 'fast'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--latency.*GB_ERR_INVALID_ARG/);
});

test('flags override the config file; defaults fill the rest', () => {
  const o = optionsFromFlags({ latency: 'lognormal:50,200', ttft: 'normal:20,5', interTokenMs: '3', errorRate: '500=0.05,429=0.01', faultMode: 'every-nth', port: '0' });
  assert.deepEqual(o.latency, { kind: 'lognormal', median: 50, p99: 200 });
  assert.deepEqual(o.stream, { ttft: { kind: 'normal', mean: 20, stddev: 5 }, interTokenMs: 3 });
  assert.deepEqual(o.faults, { errorRates: { 500: 0.05, 429: 0.01 }, mode: 'every-nth' });
  assert.equal(o.completionTokens, 16);
  assert.equal(o.ledgerCapacity, 1_000_000);
});

test('config file: valid YAML loads; every problem is listed with its path', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-upstream-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'latency: uniform:10-20\nstream:\n  ttft: { kind: fixed, ms: 5 }\n  interTokenMs: 2\ncompletionTokens: 8\nfaults:\n  errorRates: { 500: 0.05 }\n  mode: every-nth\nledgerCapacity: 100\n');
  const opts = loadUpstreamConfigFile(good);
  assert.deepEqual(opts.latency, { kind: 'uniform', min: 10, max: 20 });
  assert.deepEqual(opts.stream, { ttft: { kind: 'fixed', ms: 5 }, interTokenMs: 2 });
  assert.deepEqual(opts.faults, { errorRates: { 500: 0.05 }, mode: 'every-nth' });
  assert.equal(opts.ledgerCapacity, 100);

  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'port: -1\nlatency: { kind: fixed }\nfaults:\n  hangRate: 3\n  errorRates: { 404: 0.1 }\nbogus: 1\n');
  assert.throws(
    () => loadUpstreamConfigFile(bad),
    (err: unknown) => {
      assert.ok(err instanceof GbError);
      assert.equal(err.exitCode, 2);
      const text = err.problems.join('\n');
      for (const path of ['port', 'latency', 'faults.hangRate', 'faults.errorRates.404', 'bogus']) assert.ok(text.includes(`${path}:`), `${path} in\n${text}`);
      return true;
    },
  );
  const r = spawnSync(process.execPath, [BENCH, 'upstream', '--config', bad], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /faults\.hangRate/);
  const missing = spawnSync(process.execPath, [BENCH, 'upstream', '--config', join(dir, 'nope.yaml')], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(missing.status, 2);
});
