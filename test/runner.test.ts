// Scenario loading and validation (every error path), ${ENV} interpolation, durations,
// the shipped scenarios and their JSON Schema, matrix expansion and the --variants filter,
// and the checks made before anything starts (redis-server missing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseScenario, loadScenario, applyOverrides } from '../runner/scenario-load.js';
import { expandMatrix, filterVariants } from '../runner/matrix.js';
import { scenarioJsonSchema } from '../runner/scenario-schema.js';
import { planRedis } from '../runner/services/redis.js';
import { buildProxyConfig } from '../runner/services/proxy.js';
import { integrityChecks } from '../runner/variant.js';
import { planRun } from '../runner/run.js';
import { isGbError } from '../lib/errors.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SCENARIOS = join(ROOT, 'scenarios');
const CLI = new URL('../cli/bench.js', import.meta.url).pathname;

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  const r = parseScenario(yaml, 'x.yaml', env);
  assert.equal(r.scenario, null, 'expected the scenario to be rejected');
  return r.problems;
}

test('every shipped scenario is valid; matrix.yaml expands to 12 variants', () => {
  const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml'));
  for (const f of ['2-instance.yaml', '4-instance.yaml', 'redis.yaml', 'logging-callbacks.yaml', 'matrix.yaml', 'streaming.yaml', 'smoke.yaml']) assert.ok(files.includes(f), f);
  for (const f of files) loadScenario(join(SCENARIOS, f), { DATABASE_URL: '' });
  const m = expandMatrix(loadScenario(join(SCENARIOS, 'matrix.yaml'), {}));
  assert.equal(m.length, 12);
  assert.equal(m[0].name, 'instances=2,redis=off,callbacks=none');
  assert.equal(m[11].name, 'instances=4,redis=on,callbacks=langsmith');
  assert.deepEqual(m[11].settings.callbacks, ['langsmith']);
  assert.equal(m[11].settings.instances, 4);
});

test('the seed scenario: 4 instances, PostgreSQL, no Redis, 1000 users by 500/s, 0.5–1 s wait, 60 s; --duration 5m', () => {
  const s = loadScenario(join(SCENARIOS, '4-instance.yaml'), {});
  assert.equal(s.proxy.instances, 4);
  assert.equal(s.proxy.database, 'embedded');
  assert.equal(s.proxy.redis, 'off');
  assert.deepEqual(s.proxy.setup, { key: true, model: 'db-openai-endpoint' });
  assert.equal(s.load.users, 1000);
  assert.equal(s.load.spawnRate, 500);
  assert.deepEqual(s.load.wait, { between: [0.5, 1] });
  assert.equal(s.load.durationMs, 60_000);
  assert.deepEqual(s.load.recordHeaders, ['x-litellm-overhead-duration-ms']);
  const o = applyOverrides(s, { durationMs: 300_000, users: 10, spawnRate: 5 });
  assert.equal(o.load.durationMs, 300_000);
  assert.equal(o.load.users, 10);
  assert.equal(expandMatrix(o)[0].settings.users, 10);
});

test('scenarios/schema.json is generated from the zod schema and up to date', () => {
  const onDisk = JSON.parse(readFileSync(join(SCENARIOS, 'schema.json'), 'utf8'));
  assert.deepEqual(onDisk, scenarioJsonSchema(), 'run: npm run build && node scripts/gen-scenario-schema.mjs');
  assert.equal(onDisk.additionalProperties, false);
});

test('validation lists every problem with its path and line, unknown keys included', () => {
  const p = problems(
    ['name: x', 'load:', '  users: -3', '  duration: 3 parsecs', '  foo: 1', 'proxy:', '  redis: maybe', '  database: mysql://x', 'matrix:', '  instances: [0]', 'extra: 1'].join('\n'),
  );
  assert.deepEqual(p, [
    'load.users: expected a positive integer (line 3)',
    'load.duration: expected a duration like 30s, 5m or 500ms (line 4)',
    'load.foo: unknown key (line 5)',
    'proxy.redis: expected off, spawn, on or a redis:// URL (line 7)',
    'proxy.database: expected embedded or a postgres:// URL (line 8)',
    'matrix.instances[0]: expected a positive integer (line 10)',
    'extra: unknown key (line 11)',
  ]);
});

test('validation: each section has its checks', () => {
  const cases: [string, RegExp][] = [
    ['upstream: { latency: slow }', /^upstream\.latency: expected a latency model like fixed:50/],
    ['upstream: { error_rate: { "404": 0.1 } }', /^upstream\.error_rate\.404: /],
    ['upstream: { error_rate: { "500": 2 } }', /^upstream\.error_rate\.500: expected a fraction between 0 and 1/],
    ['upstream: { hang_rate: -1 }', /^upstream\.hang_rate: expected a fraction/],
    ['proxy: { instances: 1.5 }', /^proxy\.instances: expected a positive integer/],
    ['proxy: { callbacks: [gcs_bucket, datadog] }', /^proxy\.callbacks: expected none, one of gcs_bucket, langsmith, webhook/],
    ['proxy: { config: 3 }', /^proxy\.config: expected a path to a LiteLLM-style config or the config inline/],
    ['proxy: { setup: { keys: true } }', /^proxy\.setup\.keys: unknown key/],
    ['load: { model: half-open }', /^load\.model: expected closed or open/],
    ['load: { model: open }', /^load\.model: an open model needs rate or stages/],
    ['load: { rate: 10 }', /^load\.rate: rate and stages need model: open/],
    ['load: { wait: { between: [1, 0.5] } }', /^load\.wait\.between: expected \[min, max\] with min <= max/],
    ['load: { wait: { between: [0.5] } }', /^load\.wait\.between: /],
    ['load: { wait: { constant: 1, constant_pacing: 1 } }', /^load\.wait: expected exactly one of/],
    ['load: { requests: [] }', /^load\.requests: expected at least one request template/],
    ['load: { requests: [{ path: chat }] }', /^load\.requests\[0\]\.path: expected a path starting with \//],
    ['load: { spawn_rate: 0 }', /^load\.spawn_rate: expected a positive number/],
    ['matrix: { redis: [off, sometimes] }', /^matrix\.redis\[1\]: expected off, spawn, on or a redis:\/\/ URL/],
    ['matrix: { colour: [red] }', /^matrix\.colour: unknown key/],
    ['warmup: soon', /^warmup: /],
    ['targets: [{ name: p, type: kong }]', /^targets\[0\](\.type)?: expected a target with type reference/],
    ['targets: [{ type: direct, url: "http://x" }]', /^targets\[0\]\.url: unknown key/],
    ['thresholds: { p99: { lt: 3 } }', /^thresholds: expected a list like/],
    ['thresholds: ["latency_ms.p98 < 3"]', /^thresholds\[0\]: .*unknown statistic "p98"/],
    ['- a list', /^\(root\): expected a mapping/],
    ['load: { users: [1', /^line \d+: YAML: /],
  ];
  for (const [yaml, re] of cases) {
    const p = problems(yaml);
    assert.ok(p.some((x) => re.test(x)), `${yaml}\n  → ${p.join('\n    ')}`);
  }
});

test('${ENV} interpolation: values, defaults, numbers; an unset variable is one problem at its path', () => {
  const ok = parseScenario('proxy: { database: "${DB}", instances: "${N}" }\nload: { duration: "${D:-10s}" }', 'x.yaml', { DB: 'postgres://u@h/db', N: '3' });
  assert.ok(ok.scenario, ok.problems.join('\n'));
  assert.equal(ok.scenario.proxy.database, 'postgres://u@h/db');
  assert.equal(ok.scenario.proxy.instances, 3);
  assert.equal(ok.scenario.load.durationMs, 10_000);
  assert.deepEqual(problems('proxy:\n  redis: ${REDIS}\n'), ['proxy.redis: environment variable REDIS is not set (use ${REDIS:-default} for a default) (line 2)']);
});

test('durations: 500ms, 30s, 5m, bare seconds', () => {
  const s = parseScenario('load: { duration: 5m, timeout: 500ms }\nwarmup: 2', 'x.yaml', {}).scenario!;
  assert.equal(s.load.durationMs, 300_000);
  assert.equal(s.load.timeoutMs, 500);
  assert.equal(s.warmup.durationMs, 2000);
});

test('matrix expansion: product in key order, names from the varied keys, callbacks lists', () => {
  const s = parseScenario('proxy: { instances: 3 }\nmatrix:\n  callbacks: [none, [gcs_bucket, langsmith]]\n  redis: [off, "redis://h:1"]', 'x.yaml', {}).scenario!;
  const v = expandMatrix(s);
  assert.deepEqual(
    v.map((x) => x.name),
    ['redis=off,callbacks=none', 'redis=off,callbacks=gcs_bucket+langsmith', 'redis=url,callbacks=none', 'redis=url,callbacks=gcs_bucket+langsmith'],
  );
  assert.equal(v[3].settings.redis, 'redis://h:1');
  assert.deepEqual(v[3].settings.callbacks, ['gcs_bucket', 'langsmith']);
  assert.equal(v[3].settings.instances, 3, 'unvaried settings come from the base');
  const single = expandMatrix(parseScenario('name: solo', 'x.yaml', {}).scenario!);
  assert.deepEqual(single.map((x) => x.name), ['solo']);
});

test('--variants filter: key=value terms (| for alternatives), substrings; unknown keys and empty results are errors', () => {
  const v = expandMatrix(loadScenario(join(SCENARIOS, 'matrix.yaml'), {}));
  assert.equal(filterVariants(v, 'instances=4').length, 6);
  assert.deepEqual(filterVariants(v, 'instances=4,redis=off,callbacks=none|langsmith').map((x) => x.name), ['instances=4,redis=off,callbacks=none', 'instances=4,redis=off,callbacks=langsmith']);
  assert.equal(filterVariants(v, 'gcs').length, 4);
  assert.equal(filterVariants(v, undefined).length, 12);
  assert.throws(() => filterVariants(v, 'workers=2'), (e: unknown) => isGbError(e) && e.exitCode === 2 && /workers is not a matrix key/.test(e.message));
  assert.throws(() => filterVariants(v, 'instances=8'), (e: unknown) => isGbError(e) && /matches none of/.test(e.message));
});

test('redis: spawn without redis-server on PATH stops before starting anything, saying what to install or set', () => {
  assert.deepEqual(planRedis('off', { PATH: '' }), { kind: 'off' });
  assert.deepEqual(planRedis('redis://h:7', { PATH: '' }), { kind: 'url', url: 'redis://h:7' });
  assert.deepEqual(planRedis('on', { PATH: '', REDIS_URL: 'redis://r:1' }), { kind: 'url', url: 'redis://r:1' });
  assert.throws(
    () => planRedis('spawn', { PATH: '/nonexistent' }),
    (e: unknown) => isGbError(e) && e.code === 'GB_ERR_MISSING_TOOL' && /apt-get install -y redis-server/.test(e.message) && /redis: redis:\/\/host:port/.test(e.message),
  );
  assert.throws(() => planRedis('on', { PATH: '' }), (e: unknown) => isGbError(e) && /REDIS_URL/.test(e.message));
  assert.throws(() => planRun(join(SCENARIOS, 'redis.yaml'), {}, undefined, { PATH: '' }), (e: unknown) => isGbError(e) && e.code === 'GB_ERR_MISSING_TOOL');
});

test('the proxy config: the variant sets database, Redis and callbacks over the user config', () => {
  const cfg = buildProxyConfig({
    config: { model_list: [{ model_name: 'm', litellm_params: { model: 'openai/any', api_base: '{{upstream}}/v1' } }], router_settings: { redis_url: 'redis://old', routing_strategy: 'simple-shuffle' } },
    upstreamUrl: 'http://127.0.0.1:9',
    databaseUrl: 'postgres://db',
    redis: { host: '127.0.0.1', port: 7 },
    callbacks: ['langsmith'],
    masterKey: 'sk-x',
  }) as { model_list: { litellm_params: { api_base: string } }[]; general_settings: Record<string, unknown>; router_settings: Record<string, unknown>; litellm_settings: Record<string, unknown> };
  assert.equal(cfg.model_list[0].litellm_params.api_base, 'http://127.0.0.1:9/v1');
  assert.deepEqual(cfg.general_settings, { master_key: 'sk-x', database_url: 'postgres://db' });
  assert.deepEqual(cfg.router_settings, { routing_strategy: 'simple-shuffle', redis_host: '127.0.0.1', redis_port: 7 });
  assert.deepEqual(cfg.litellm_settings, { callbacks: ['langsmith'] });
});

test('integrity: spend rows and every callback sink must equal the requests answered', () => {
  const sink = (items: number) => ({ requests: 1, items, bytes: 1 });
  const stats = { requests: 0, byRoute: { '/v1/chat/completions': 90, '/chat/completions': 10, '/upload/storage/v1/b/:bucket/o': 3 }, byStatus: {}, sinks: { gcs: sink(100), langsmith: sink(99), webhook: sink(0) }, ledger: { size: 0, dropped: 0, capacity: 0 } };
  const ok = integrityChecks(stats, 100, ['gcs_bucket']);
  assert.equal(ok.ok, true);
  assert.deepEqual(ok.checks.map((c) => [c.expected, c.actual]), [[100, 100], [100, 100]]);
  const lost = integrityChecks(stats, 100, ['gcs_bucket', 'langsmith']);
  assert.equal(lost.ok, false);
  assert.deepEqual(lost.checks.filter((c) => !c.ok).map((c) => c.name), ['langsmith events = requests answered']);
  assert.equal(integrityChecks(stats, 98, []).ok, false);
});

test('bench validate: exit 0 for good files, exit 2 listing every problem of a bad one', () => {
  const good = spawnSync(process.execPath, [CLI, 'validate', join(SCENARIOS, 'smoke.yaml'), join(SCENARIOS, 'matrix.yaml')], { encoding: 'utf8' });
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stdout, /matrix\.yaml: ok \(12 variants\)/);
  const dir = mkdtempSync(join(tmpdir(), 'gb-runner-test-'));
  const badFile = join(dir, 'bad.yaml');
  writeFileSync(badFile, 'load:\n  users: 0\n  colour: red\n');
  const bad = spawnSync(process.execPath, [CLI, 'validate', badFile], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /2 problem\(s\) \[GB_ERR_INVALID_SCENARIO\]/);
  assert.match(bad.stderr, /load\.users: expected a positive integer \(line 2\)/);
  assert.match(bad.stderr, /load\.colour: unknown key \(line 3\)/);
  const dry = spawnSync(process.execPath, [CLI, 'run', join(SCENARIOS, 'matrix.yaml'), '--dry-run', '--variants', 'instances=2,callbacks=none'], { encoding: 'utf8' });
  assert.equal(dry.status, 0, dry.stderr);
  assert.equal(dry.stdout.trim().split('\n').length, 2);
  const badFlag = spawnSync(process.execPath, [CLI, 'run', join(SCENARIOS, 'smoke.yaml'), '--dry-run', '--users', 'many'], { encoding: 'utf8' });
  assert.equal(badFlag.status, 2);
  assert.match(badFlag.stderr, /--users: expected a positive integer/);
});
