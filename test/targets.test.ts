// Targets against a real fake upstream: each starts, serves a chat completion that reaches
// the upstream (seen in its ledger by the id in the prompt), and stops leaving no process.
// An unavailable target is reported with its reason while the others still run.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startUpstream, type StartedUpstream } from '../fake-upstream/index.js';
import { SEED_TEMPLATE } from '../loadgen/index.js';
import { runComparison } from '../runner/targets/compare-run.js';
import { startTarget, startTargets } from '../runner/targets/index.js';
import { fetchLedger } from '../runner/targets/ledger-overhead.js';
import { loadgenRound } from '../runner/targets/loadgen-round.js';
import { findOnPath as onPath } from '../lib/process.js';
import { gatewayTargetsSchema, type GatewayTargetSpec } from '../runner/targets/targets-schema.js';
import { isUnavailable, type StartedTarget, type TargetContext } from '../runner/targets/types.js';
import { failureCount } from '../lib/result.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One chat completion through the target; returns the id the upstream must have seen. */
async function chat(t: StartedTarget): Promise<{ id: string; status: number; body: string }> {
  const id = randomUUID();
  const r = await request(`${t.baseUrls[0]}${t.chatPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-1234567890', ...t.headers },
    body: JSON.stringify({ model: 'db-openai-endpoint', messages: [{ role: 'user', content: `${id} hello there` }] }),
  });
  return { id, status: r.statusCode, body: await r.body.text() };
}

describe('targets', () => {
  let up: StartedUpstream;
  let tmpDir: string;
  let ctx: TargetContext;
  before(async () => {
    up = await startUpstream({ port: 0 });
    tmpDir = await mkdtemp(join(tmpdir(), 'gatebench-targets-test-'));
    ctx = { upstreamUrl: up.url, tmpDir, model: 'db-openai-endpoint' };
  });
  after(async () => {
    await up.close();
    await rm(tmpDir, { recursive: true, force: true });
  });

  /** Starts the target (stopped in the test's after, whatever happens) and sends one chat through it. */
  async function servesThrough(tt: TestContext, spec: GatewayTargetSpec): Promise<StartedTarget> {
    const o = await startTarget(spec, ctx);
    assert.ok(!isUnavailable(o), `unavailable: ${isUnavailable(o) ? o.unavailable : ''}`);
    const t = o as StartedTarget;
    tt.after(() => t.stop()); // stop() is idempotent: tests also call it to check the exit
    const seq = (await fetchLedger(up.url)).next;
    const r = await chat(t);
    assert.equal(r.status, 200, r.body);
    assert.equal((JSON.parse(r.body) as { object: string }).object, 'chat.completion');
    const ledger = await fetchLedger(up.url, seq);
    assert.ok(ledger.entries.some((e) => e.id === r.id), `the upstream's ledger has ${r.id}`);
    return t;
  }

  test('direct: serves straight from the upstream, no process to charge', async (tt) => {
    const t = await servesThrough(tt, { type: 'direct' });
    assert.equal(t.kind, 'direct');
    assert.deepEqual(t.pids, []);
    await t.stop();
  });

  test('portkey: starts headless, serves through to the upstream, stops leaving no process', async (tt) => {
    const t = await servesThrough(tt, { type: 'portkey' });
    assert.equal(t.headers['x-portkey-provider'], 'openai');
    assert.equal(t.pids.length, 1);
    assert.ok(alive(t.pids[0]));
    await t.stop();
    assert.ok(!alive(t.pids[0]), 'portkey process gone');
  });

  test('nginx: proxy_pass with keep-alive serves and stops', async (tt) => {
    if (!(await onPath('nginx'))) {
      tt.skip('nginx not on PATH (apt-get install nginx)');
      return;
    }
    const t = await servesThrough(tt, { type: 'nginx', name: 'floor' });
    assert.equal(t.name, 'floor');
    const pid = t.pids[0];
    await t.stop();
    assert.ok(!alive(pid), 'nginx master gone');
    assert.ok(!(await readdir(join(tmpDir, 'nginx-floor'))).includes('nginx.pid'), 'nginx removed its pid file on exit');
  });

  test('url: splits a …/v1 base URL into origin and chat path, with the api key', async () => {
    const o = await startTarget({ type: 'url', url: `${up.url}/v1/`, api_key: 'k1', headers: { 'x-extra': '1' } }, ctx);
    assert.ok(!isUnavailable(o));
    const t = o as StartedTarget;
    assert.deepEqual(t.baseUrls, [up.url]);
    assert.equal(t.chatPath, '/v1/chat/completions');
    assert.deepEqual(t.headers, { authorization: 'Bearer k1', 'x-extra': '1' });
    assert.equal((await chat(t)).status, 200);
  });

  test('litellm without command or url is unavailable, saying how to provide it', async () => {
    const o = await startTarget({ type: 'litellm' }, ctx);
    assert.ok(isUnavailable(o));
    assert.match(o.unavailable, /command.*url/);
    assert.match(o.unavailable, /docs\/gateways\.md/);
  });

  test('litellm with a command that is not installed is unavailable, not a crash', async () => {
    const o = await startTarget({ type: 'litellm', command: 'gatebench-no-such-litellm --config {config} --port {port}', start_timeout: '10s' }, ctx);
    assert.ok(isUnavailable(o));
    assert.match(o.unavailable, /not found/);
  });

  test('litellm command: runs it with the config written for it and a free port, stops its process group', async (tt) => {
    // our proxy reads LiteLLM's config format: a stand-in for `litellm --config … --port …`
    const cli = fileURLToPath(new URL('../cli/bench.js', import.meta.url));
    const o = await startTarget({ type: 'litellm', command: `"${process.execPath}" "${cli}" proxy --config {config} --port {port}`, api_key: 'sk-x' }, ctx);
    assert.ok(!isUnavailable(o), isUnavailable(o) ? o.unavailable : '');
    const t = o as StartedTarget;
    tt.after(() => t.stop());
    assert.equal(t.kind, 'litellm');
    assert.equal(t.overheadHeader, 'x-litellm-overhead-duration-ms');
    assert.equal(t.headers.authorization, 'Bearer sk-x');
    const written = await readFile(join(tmpDir, 'litellm-config.yaml'), 'utf8');
    assert.match(written, new RegExp(`api_base: ${up.url}/v1`));
    assert.match(written, /model_name: db-openai-endpoint/);
    const seq = (await fetchLedger(up.url)).next;
    const r = await chat(t);
    assert.equal(r.status, 200, r.body);
    assert.ok((await fetchLedger(up.url, seq)).entries.some((e) => e.id === r.id));
    const shell = t.pids[0];
    await t.stop();
    assert.ok(!alive(shell), 'the shell is gone');
    const again = await request(`${t.baseUrls[0]}/health/liveliness`).then(
      () => 'answered',
      () => 'refused',
    );
    assert.equal(again, 'refused', 'the command’s server stopped with its shell');
  });

  test('an unavailable target is reported with its reason and the others still run', async () => {
    const specs = gatewayTargetsSchema.parse([{ type: 'litellm' }, { type: 'direct', name: 'baseline' }]);
    const logs: string[] = [];
    const { started, skipped, stopAll } = await startTargets(specs, { ...ctx, log: (l) => logs.push(l) });
    try {
      assert.deepEqual(
        skipped.map((s) => [s.name, s.target]),
        [['litellm', 'litellm']],
      );
      assert.match(skipped[0].unavailable, /no command or url/);
      assert.ok(logs.some((l) => l.includes('litellm') && l.includes('skipped')));
      assert.deepEqual(
        started.map((t) => t.name),
        ['baseline'],
      );
      const result = await runComparison({
        targets: started,
        skipped,
        upstreamUrl: up.url,
        runRound: loadgenRound({ template: SEED_TEMPLATE, model: { kind: 'closed', users: 2, spawnRate: 100 } }),
        rounds: 2,
        roundMs: 300,
      });
      assert.equal(result.comparison.skipped.length, 1);
      assert.equal(result.variants.length, 1);
      const d = result.variants[0];
      assert.equal(d.gateway?.rounds, 2);
      assert.ok(d.requests > 0);
      assert.equal(failureCount(d.failures), 0);
      assert.equal(d.gateway?.ledger_unmatched, 0);
      assert.equal(d.overhead_ledger_ms?.count, d.requests);
      assert.equal(d.gateway_cpu_us_per_req, null, 'direct charges no process');
    } finally {
      await stopAll();
    }
  });
});

describe('interleaved rounds', () => {
  let up: StartedUpstream;
  before(async () => {
    up = await startUpstream({ port: 0 });
  });
  after(() => up.close());

  test("warm-up once per target, then A B A B …; each round's requests go to its own target", async () => {
    const ctx: TargetContext = { upstreamUrl: up.url, tmpDir: tmpdir() };
    const a = (await startTarget({ type: 'direct', name: 'a' }, ctx)) as StartedTarget;
    const b = (await startTarget({ type: 'url', name: 'b', url: `${up.url}/v1` }, ctx)) as StartedTarget;
    const real = loadgenRound({ template: SEED_TEMPLATE, model: { kind: 'closed', users: 1, spawnRate: 100 } });
    const calls: string[] = [];
    const result = await runComparison({
      targets: [a, b],
      upstreamUrl: up.url,
      runRound: (t, ms, round) => {
        calls.push(`${t.name}${round}`);
        return real(t, ms, round);
      },
      rounds: 3,
      roundMs: 150,
      warmupMs: 100,
    });
    assert.deepEqual(calls, ['a-1', 'b-1', 'a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
    assert.deepEqual(result.comparison.order, ['a', 'b']);
    for (const t of result.variants) {
      assert.equal(t.gateway?.rounds, 3);
      // every client request of the target's rounds found in the ledger pages of those rounds
      assert.equal(t.gateway?.ledger_unmatched, 0, t.name);
      assert.equal(t.overhead_ledger_ms?.count, t.requests, t.name);
    }
  });
});

describe('targets schema', () => {
  test('accepts every kind and proxy as an alias of reference', () => {
    const r = gatewayTargetsSchema.safeParse([
      { type: 'reference', instances: 2 },
      { type: 'proxy' },
      { type: 'portkey' },
      { type: 'nginx', keepalive: 32 },
      { type: 'direct' },
      { type: 'url', url: 'https://gw.example/v1', headers: { a: 'b' } },
      { type: 'litellm', command: 'litellm --config {config} --port {port}' },
    ]);
    assert.ok(r.success, JSON.stringify(r.error?.issues));
  });

  test('rejects unknown kinds, misplaced keys and bad URLs, each with its path', () => {
    const r = gatewayTargetsSchema.safeParse([{ type: 'kong' }, { type: 'direct', url: 'http://x' }, { type: 'url', url: 'ftp://x' }, { type: 'url' }]);
    assert.ok(!r.success);
    const paths = r.error.issues.map((i) => i.path.join('.'));
    assert.ok(paths.includes('0.type'), paths.join(','));
    assert.ok(paths.some((p) => p.startsWith('1')), paths.join(','));
    assert.ok(paths.includes('2.url'), paths.join(','));
    assert.ok(paths.includes('3.url'), paths.join(','));
  });
});
