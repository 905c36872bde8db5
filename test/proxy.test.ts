// The reference proxy with the official openai client, against the real fake upstream.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import type { StartedUpstream } from '../fake-upstream/index.js';
import type { AuthOutcome, RequestRecord } from '../proxy/hooks.js';
import { GbError } from '../lib/errors.js';
import { loadProxyConfigFile, parseProxyConfig, splitApiBase } from '../proxy/index.js';
import { MASTER_KEY, chatBody, fakeUpstream, oneModel, post, startProxy, type RunningProxy } from './helpers/proxy-servers.js';

const SEED = fileURLToPath(new URL('../../test/fixtures/litellm-seed-config.yaml', import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('proxy with the openai client', () => {
  let upstream: StartedUpstream;
  let px: RunningProxy;
  let client: OpenAI;
  const records: RequestRecord[] = [];

  before(async () => {
    upstream = await fakeUpstream();
    // the seed's shape: api_base with the full /chat/completions path
    const cfg = oneModel(`${upstream.url}/chat/completions`);
    cfg.model_list[0].litellm_params = { ...cfg.model_list[0].litellm_params, input_cost_per_token: 0.001, output_cost_per_token: 0.002 } as typeof cfg.model_list[0]['litellm_params'];
    px = await startProxy(cfg, {
      hooks: {
        onRequestDone: (r) => records.push(r),
        authenticate: (token): AuthOutcome =>
          token === 'sk-virtual-only-other'
            ? { ok: true, auth: { keyHash: 'h1', isMaster: false, models: ['other-model'], rpmLimit: null, tpmLimit: null } }
            : token === 'sk-virtual-limited'
              ? { ok: true, auth: { keyHash: 'h2', isMaster: false, models: null, rpmLimit: 1, tpmLimit: null } }
              : { ok: false, status: 401, message: 'unknown virtual key', code: 'invalid_api_key' },
        checkLimits: (auth) => (auth.rpmLimit === 1 ? { ok: false, status: 429, message: 'rpm limit reached', code: 'rate_limit' } : null),
      },
      plugins: [
        async (app, opts) => {
          app.get('/plugin/models', async () => ({ n: opts.router.modelNames().length }));
        },
      ],
    });
    client = new OpenAI({ apiKey: MASTER_KEY, baseURL: px.url, maxRetries: 0 });
  });
  after(async () => {
    await px?.close();
    await upstream?.close();
  });

  test('chat completion: answer, timing and routing headers, a RequestRecord with usage and spend', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'fake-openai-endpoint', messages: [{ role: 'user', content: 'hi' }], user: 'u-1' }).withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.model, 'any', 'the upstream saw the deployment model, not the group name');
    assert.ok(data.choices[0].message.content);
    const h = response.headers;
    assert.match(h.get('x-litellm-call-id') ?? '', UUID);
    assert.equal(h.get('x-litellm-model-id'), 'fake-openai-endpoint-id');
    assert.equal(h.get('x-litellm-model-api-base'), upstream.url);
    assert.equal(h.get('x-litellm-attempted-retries'), '0');
    const overhead = Number(h.get('x-litellm-overhead-duration-ms'));
    const duration = Number(h.get('x-litellm-response-duration-ms'));
    assert.match(h.get('x-litellm-overhead-duration-ms') ?? '', /^\d+\.\d{3}$/);
    assert.ok(overhead >= 0, `overhead ${overhead} >= 0`);
    assert.ok(overhead < duration, `overhead ${overhead} < duration ${duration}`);
    await new Promise((r) => setTimeout(r, 20));
    const rec = records.find((r) => r.requestId === h.get('x-litellm-call-id'));
    assert.ok(rec, 'onRequestDone got the request');
    assert.equal(rec.status, 200);
    assert.equal(rec.modelGroup, 'fake-openai-endpoint');
    assert.equal(rec.deploymentId, 'fake-openai-endpoint-id');
    assert.equal(rec.user, 'u-1');
    assert.equal(rec.promptTokens, data.usage?.prompt_tokens);
    assert.equal(rec.completionTokens, data.usage?.completion_tokens);
    assert.ok(Math.abs(rec.spend - (rec.promptTokens * 0.001 + rec.completionTokens * 0.002)) < 1e-12);
    assert.ok(rec.overheadMs >= 0 && rec.overheadMs <= rec.durationMs);
    assert.equal(rec.keyHash, null, 'the master key has no hash in records');
  });

  test('streaming passes SSE through chunk by chunk, with the usage chunk', async () => {
    const stream = await client.chat.completions.create({ model: 'fake-openai-endpoint', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let chunks = 0;
    let usage: { completion_tokens: number } | null | undefined;
    for await (const c of stream) {
      chunks++;
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    assert.ok(chunks > 3, `${chunks} chunks`);
    assert.ok(text.length > 0);
    assert.ok(usage && usage.completion_tokens > 0);
    await new Promise((r) => setTimeout(r, 20));
    const rec = records.findLast((r) => r.stream);
    assert.ok(rec);
    assert.equal(rec.completionTokens, usage.completion_tokens);
  });

  test('embeddings and models', async () => {
    const e = await client.embeddings.create({ model: 'fake-openai-endpoint', input: 'hello' });
    assert.equal(e.object, 'list');
    assert.ok(e.data[0].embedding.length > 0);
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((m) => m.id),
      ['fake-openai-endpoint'],
    );
    const plain = await post(`${px.url}/embeddings`, JSON.stringify({ model: 'fake-openai-endpoint', input: ['a', 'b'] }));
    assert.equal(plain.status, 200);
  });

  test('every client error is OpenAI-shaped with the right status', async () => {
    const cases: Array<[string, string, Record<string, string>, number, string | null]> = [
      ['/chat/completions', 'not json at all', {}, 400, null],
      ['/chat/completions', '{"model":"fake-openai-endpoint","messages":[', {}, 400, null],
      ['/chat/completions', '[1,2]', {}, 400, null],
      ['/chat/completions', '', {}, 400, null],
      ['/chat/completions', JSON.stringify({ messages: [] }), {}, 400, 'model'],
      ['/chat/completions', JSON.stringify({ model: 3, messages: [] }), {}, 400, 'model'],
      ['/v1/chat/completions', JSON.stringify({ model: 'fake-openai-endpoint' }), {}, 400, 'messages'],
      ['/v1/chat/completions', JSON.stringify({ model: 'fake-openai-endpoint', messages: 'hi' }), {}, 400, 'messages'],
      ['/v1/chat/completions', chatBody('fake-openai-endpoint', { stream: 'yes' }), {}, 400, 'stream'],
      ['/v1/embeddings', JSON.stringify({ model: 'fake-openai-endpoint' }), {}, 400, 'input'],
      ['/v1/chat/completions', chatBody('no-such-model'), {}, 404, 'model'],
      ['/v1/chat/completions', chatBody(), { authorization: '' }, 401, null],
      ['/v1/chat/completions', chatBody(), { authorization: 'Bearer sk-wrong' }, 401, null],
      ['/v1/chat/completions', 'not json', { authorization: 'Bearer sk-wrong' }, 401, null],
      ['/v1/chat/completions', chatBody(), { authorization: 'Basic abc' }, 401, null],
      ['/v1/chat/completions', chatBody(), { authorization: 'Bearer sk-virtual-only-other' }, 401, 'model'],
      ['/v1/chat/completions', chatBody(), { authorization: 'Bearer sk-virtual-limited' }, 429, null],
      ['/v1/chat/completions?x=1', 'nope', { 'content-type': 'text/plain' }, 400, null],
      ['/no/such/route', '{}', {}, 404, null],
    ];
    for (const [path, body, headers, status, param] of cases) {
      const r = await post(`${px.url}${path}`, body, headers);
      const what = `${path} ${body.slice(0, 40)} ${JSON.stringify(headers)}`;
      assert.equal(r.status, status, `${what}: ${r.text}`);
      const err = r.json.error as Record<string, unknown>;
      assert.ok(err, `${what}: error body ${r.text}`);
      assert.equal(typeof err.message, 'string');
      assert.equal(typeof err.type, 'string');
      assert.ok('param' in err && 'code' in err, what);
      if (param !== null) assert.equal(err.param, param, what);
    }
    const noKey = await fetch(`${px.url}/v1/models`);
    assert.equal(noKey.status, 401);
  });

  test('the openai client sees typed errors', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => e instanceof OpenAI.NotFoundError);
    const bad = new OpenAI({ apiKey: 'sk-bad', baseURL: px.url, maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: 'fake-openai-endpoint', messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => e instanceof OpenAI.AuthenticationError);
  });

  test('deployments added at runtime are served; plugins add routes', async () => {
    px.proxy.router.addDeployment({ modelName: 'added-model', litellmParams: { model: 'openai/added', api_base: upstream.url }, modelInfo: { id: 'added-1' } });
    const r = await client.chat.completions.create({ model: 'added-model', messages: [{ role: 'user', content: 'x' }] }).withResponse();
    assert.equal(r.data.model, 'added');
    assert.equal(r.response.headers.get('x-litellm-model-id'), 'added-1');
    assert.throws(() => px.proxy.router.addDeployment({ modelName: 'x', litellmParams: { model: 'openai/x', api_base: 'not a url' }, modelInfo: { id: 'x' } }), /problem/);
    const p = await fetch(`${px.url}/plugin/models`);
    assert.deepEqual(await p.json(), { n: 2 });
  });

  test('health and metrics', async () => {
    assert.equal((await fetch(`${px.url}/health/liveliness`)).status, 200);
    const ready = await fetch(`${px.url}/health/readiness`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { status: string }).status, 'healthy');
    const m = await (await fetch(`${px.url}/metrics`)).text();
    assert.match(m, /proxy_requests_total\{model="fake-openai-endpoint",status="200"\} [1-9]/);
    assert.match(m, /proxy_overhead_duration_seconds_count\{model="fake-openai-endpoint"\} [1-9]/);
    assert.match(m, /proxy_requests_total\{model="other",status="404"\} [1-9]/, 'unknown models share one label value');
    assert.doesNotMatch(m, /no-such-model|sk-wrong|sk-virtual/, 'client input never becomes a label');
    assert.match(m, /proxy_in_flight_requests 0/);
  });
});

describe('proxy config', () => {
  test("the seed's config file loads as it is", async () => {
    const cfg = await loadProxyConfigFile(SEED);
    assert.equal(cfg.model_list[0].model_name, 'fake-openai-endpoint');
    assert.equal(cfg.model_list[0].litellm_params.api_base, 'https://your-fake-openai-endpoint.com/chat/completions');
    assert.equal(cfg.general_settings.master_key, undefined, 'no master key: open, like LiteLLM');
  });

  test('every problem is listed with its path; unknown keys only warn; os.environ/ resolves', () => {
    process.env.GB_TEST_PROXY_KEY = 'sk-from-env';
    process.env.GB_TEST_PROXY_RPM = '120';
    const cfg = parseProxyConfig({
      model_list: [{ model_name: 'a', litellm_params: { model: 'openai/x', api_base: 'http://h/v1', rpm: 'os.environ/GB_TEST_PROXY_RPM', organization: 'ignored' } }],
      router_settings: { routing_strategy: 'least-busy', fallbacks: [{ a: ['a'] }] },
      general_settings: { master_key: 'os.environ/GB_TEST_PROXY_KEY' },
      environment_variables: {},
    });
    assert.equal(cfg.general_settings.master_key, 'sk-from-env');
    assert.equal(cfg.model_list[0].litellm_params.rpm, 120);
    assert.throws(
      () =>
        parseProxyConfig(
          {
            model_list: [
              { model_name: 'a', litellm_params: { model: 'openai/x', api_base: 'not-a-url', rpm: -1 } },
              { model_name: 'b', litellm_params: { model: 'anthropic/claude', timeout: 'soon' } },
              { litellm_params: {} },
            ],
            router_settings: { routing_strategy: 'fastest', num_retries: 1.5, fallbacks: [{ a: ['zzz'] }] },
            litellm_settings: { cache: 'maybe', cache_params: { port: 'abc' } },
            general_settings: { master_key: 'os.environ/GB_TEST_PROXY_UNSET', database_connection_pool_limit: -2 },
          },
          'bad.yaml',
        ),
      (err: unknown) => {
        assert.ok(err instanceof GbError);
        assert.equal(err.exitCode, 2);
        const all = err.problems.join('\n');
        for (const needle of [
          'model_list[0].litellm_params.api_base: expected a URL',
          'model_list[0].litellm_params.rpm',
          'model_list[1].litellm_params.timeout',
          'model_list[2].model_name',
          'model_list[2].litellm_params.model',
          'router_settings.routing_strategy',
          'router_settings.num_retries',
          'litellm_settings.cache',
          'litellm_settings.cache_params.port',
          'general_settings.master_key: environment variable GB_TEST_PROXY_UNSET is not set',
          'general_settings.database_connection_pool_limit',
        ]) {
          assert.ok(all.includes(needle), `missing ${needle} in:\n${all}`);
        }
        return true;
      },
    );
    assert.throws(
      () => parseProxyConfig({ model_list: [{ model_name: 'b', litellm_params: { model: 'anthropic/claude' } }], router_settings: { fallbacks: [{ b: ['zzz'] }] } }),
      (err: unknown) => err instanceof GbError && err.problems.some((p) => p.includes('openai-compatible')) && err.problems.some((p) => p.includes('zzz')),
    );
  });

  test('api_base: a trailing /chat/completions is stripped, /v1 kept, nothing added', () => {
    assert.deepEqual(splitApiBase('https://h.example/chat/completions'), { origin: 'https://h.example', basePath: '', search: '', display: 'https://h.example' });
    assert.equal(splitApiBase('http://h:8080/v1/').basePath, '/v1');
    assert.equal(splitApiBase('http://h:8080/v1/chat/completions').basePath, '/v1');
    assert.equal(splitApiBase(undefined).display, 'https://api.openai.com/v1');
  });

  test('no master key: open access', async () => {
    const upstream = await fakeUpstream();
    const cfg = oneModel(upstream.url);
    cfg.general_settings = {} as typeof cfg.general_settings;
    const px = await startProxy(cfg);
    try {
      const r = await post(`${px.url}/v1/chat/completions`, chatBody(), { authorization: '' });
      assert.equal(r.status, 200);
    } finally {
      await px.close();
      await upstream.close();
    }
  });
});
