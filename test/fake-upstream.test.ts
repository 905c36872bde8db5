// The fake upstream against the official openai client: shapes, streaming, latency, bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startUpstream, type StartedUpstream } from '../fake-upstream/index.js';

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const SEED_CONTENT = `${UUID} ` + "This is a test there will be no cache hits and we'll fill up the context".repeat(150);

let up: StartedUpstream;
let client: OpenAI;

before(async () => {
  up = await startUpstream({ completionTokens: 5 });
  client = new OpenAI({ baseURL: `${up.url}/v1`, apiKey: 'test', maxRetries: 0, timeout: 5000 });
});
after(() => up.close());

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const r = await fetch(up.url + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await r.text();
  return { status: r.status, json: JSON.parse(text) };
}

function assertOpenAiError(json: unknown, type = 'invalid_request_error'): void {
  const e = (json as { error: Record<string, unknown> }).error;
  assert.equal(typeof e.message, 'string');
  assert.equal(e.type, type);
  assert.ok('param' in e && 'code' in e);
}

test('chat completion: OpenAI shape, model echoed, usage from the prompt length', async () => {
  const r = await client.chat.completions.create({ model: 'db-openai-endpoint', messages: [{ role: 'user', content: SEED_CONTENT }], user: 'u1' });
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, 'db-openai-endpoint');
  assert.equal(typeof r.created, 'number');
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.equal(r.choices[0].message.content!.split(' ').length, 5);
  assert.equal(r.usage!.completion_tokens, 5);
  assert.equal(r.usage!.prompt_tokens, Math.ceil(SEED_CONTENT.length / 4));
  assert.equal(r.usage!.total_tokens, r.usage!.prompt_tokens + 5);
});

test('chat ids are unique', async () => {
  const a = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  const b = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  assert.notEqual(a.id, b.id);
});

test('streaming: role chunk, one chunk per token, stop, usage with include_usage, reassembles to the text', async () => {
  const plain = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] });
  const stream = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'hello' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let roles = 0;
  let contentChunks = 0;
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | undefined | null;
  const ids = new Set<string>();
  for await (const chunk of stream) {
    ids.add(chunk.id);
    assert.equal(chunk.object, 'chat.completion.chunk');
    assert.equal(chunk.model, 'gpt-4o');
    if (chunk.usage) {
      assert.equal(chunk.choices.length, 0);
      usage = chunk.usage;
      continue;
    }
    const c = chunk.choices[0];
    if (c.delta.role) roles++;
    else if (c.delta.content) contentChunks++;
    text += c.delta.content ?? '';
    if (c.finish_reason) finish = c.finish_reason;
  }
  assert.equal(ids.size, 1);
  assert.equal(roles, 1);
  assert.equal(contentChunks, 5);
  assert.equal(finish, 'stop');
  assert.equal(text, plain.choices[0].message.content);
  assert.ok(usage);
  assert.equal(usage.completion_tokens, 5);
  assert.equal(usage.prompt_tokens, 2);
});

test('streaming without include_usage sends no usage chunk and ends with [DONE]', async () => {
  const r = await fetch(`${up.url}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'x', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
  const raw = await r.text();
  const events = raw.split('\n\n').filter(Boolean);
  assert.equal(events.at(-1), 'data: [DONE]');
  for (const e of events) assert.match(e, /^data: /);
  assert.ok(!raw.includes('"usage"'));
  assert.equal(events.length, 1 + 5 + 1 + 1); // role, tokens, stop, [DONE]
});

test('streaming with an inter-token delay spaces the chunks', async () => {
  const slow = await startUpstream({ completionTokens: 4, stream: { ttft: { kind: 'fixed', ms: 30 }, interTokenMs: 20 } });
  try {
    const c = new OpenAI({ baseURL: slow.url, apiKey: 't', maxRetries: 0 });
    const t0 = performance.now();
    const s = await c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    for await (const ch of s) text += ch.choices[0]?.delta.content ?? '';
    const ms = performance.now() - t0;
    assert.equal(text, 'The quick brown fox');
    assert.ok(ms >= 30 + 3 * 20 - 2, `took ${ms} ms`);
    assert.ok(ms < 2000, `took ${ms} ms`);
  } finally {
    await slow.close();
  }
});

test('embeddings: one per input, floats (and the client’s default base64)', async () => {
  const r = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b', 'c'] });
  assert.equal(r.object, 'list');
  assert.equal(r.data.length, 3);
  assert.deepEqual(r.data.map((d) => d.index), [0, 1, 2]);
  for (const d of r.data) assert.ok(d.embedding.length > 0 && d.embedding.every((x) => typeof x === 'number'));
  const single = await client.embeddings.create({ model: 'e', input: 'one', encoding_format: 'float' });
  assert.equal(single.data.length, 1);
  // float and base64 encodings carry the same vector
  assert.deepEqual(single.data[0].embedding, r.data[0].embedding);
  assert.equal(single.model, 'e');
});

test('models list and health', async () => {
  const models = await client.models.list();
  const ids = models.data.map((m) => m.id);
  assert.ok(ids.includes('gpt-4o-mini'));
  for (const m of models.data) assert.equal(m.object, 'model');
  const h = await fetch(`${up.url}/health`);
  assert.equal(h.status, 200);
});

test('legacy completions and the Azure deployment route', async () => {
  const c = await client.completions.create({ model: 'davinci', prompt: 'Say hi' });
  assert.equal(c.object, 'text_completion');
  assert.equal(c.choices[0].text.split(' ').length, 5);
  const az = await post('/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21', JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }));
  assert.equal(az.status, 200);
  assert.equal((az.json as { model: string }).model, 'my-gpt');
  // stats use the route pattern, not the concrete path
  assert.ok(up.stats().byRoute['/openai/deployments/:model/chat/completions']! >= 1);
  assert.equal(up.stats().byRoute['/openai/deployments/my-gpt/chat/completions'], undefined);
});

test('legacy completions stream text chunks, usage with include_usage', async () => {
  const s = await client.completions.create({ model: 'davinci', prompt: 'Say hi', stream: true, stream_options: { include_usage: true } });
  let text = '';
  let usage: OpenAI.CompletionUsage | undefined;
  let finish: string | null = null;
  for await (const c of s) {
    assert.equal(c.object, 'text_completion');
    if (c.usage) usage = c.usage;
    text += c.choices[0]?.text ?? '';
    finish = c.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(text, 'The quick brown fox jumps');
  assert.equal(finish, 'stop');
  assert.equal(usage?.completion_tokens, 5);
});

test('fixed latency: answers in no less than the delay; x-fake-latency-ms overrides', async () => {
  const slow = await startUpstream({ latency: { kind: 'fixed', ms: 50 } });
  try {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    let t0 = performance.now();
    let r = await fetch(`${slow.url}/v1/chat/completions`, { method: 'POST', body });
    await r.text();
    let ms = performance.now() - t0;
    assert.equal(r.status, 200);
    assert.ok(ms >= 50 && ms < 500, `took ${ms} ms`); // never early: see firedEarly in server.ts
    t0 = performance.now();
    r = await fetch(`${slow.url}/v1/chat/completions`, { method: 'POST', body, headers: { 'x-fake-latency-ms': '150' } });
    await r.text();
    ms = performance.now() - t0;
    assert.ok(ms >= 150 && ms < 800, `took ${ms} ms`);
    t0 = performance.now();
    r = await fetch(`${slow.url}/v1/chat/completions`, { method: 'POST', body, headers: { 'x-fake-latency-ms': '0' } });
    await r.text();
    assert.ok(performance.now() - t0 < 49);
  } finally {
    await slow.close();
  }
});

test('bad input gets OpenAI-shaped 4xx and the server stays up', async () => {
  let r = await post('/v1/chat/completions', '{"model": "m", "messages": [');
  assert.equal(r.status, 400);
  assertOpenAiError(r.json);
  r = await post('/v1/chat/completions', 'not json at all');
  assert.equal(r.status, 400);
  // Broken JSON outside a long content string is still caught by the skeleton parse.
  r = await post('/v1/chat/completions', `{"model":"m","messages":[{"role":"user","content":"${SEED_CONTENT}"}],}`);
  assert.equal(r.status, 400);
  // …and so is a bad escape inside one (escapes fall back to a full parse).
  r = await post('/v1/chat/completions', `{"model":"m","messages":[{"role":"user","content":"a\\qb"}]}`);
  assert.equal(r.status, 400);
  r = await post('/v1/chat/completions', JSON.stringify({ model: 'm' }));
  assert.equal(r.status, 400);
  assert.equal((r.json as { error: { param: string } }).error.param, 'messages');
  r = await post('/v1/chat/completions', JSON.stringify({ model: 'm', messages: 'hello' }));
  assert.equal(r.status, 400);
  r = await post('/v1/chat/completions', '[1,2]');
  assert.equal(r.status, 400);
  r = await post('/v1/embeddings', JSON.stringify({ model: 'm' }));
  assert.equal(r.status, 400);
  const nf = await fetch(`${up.url}/v1/nope`);
  assert.equal(nf.status, 404);
  assertOpenAiError(await nf.json());
  // Escaped content is fine and still yields the ledger id path (full parse).
  const ok = await post('/v1/chat/completions', JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'line1\nline2 "quoted"' }] }));
  assert.equal(ok.status, 200);
});

test('a body over the limit gets 413 (declared or chunked) and the server stays up', async () => {
  const small = await startUpstream({ bodyLimitBytes: 1000 });
  try {
    const big = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(5000) }] });
    let r = await fetch(`${small.url}/v1/chat/completions`, { method: 'POST', body: big });
    assert.equal(r.status, 413);
    assertOpenAiError(await r.json());
    // Without a content-length (chunked): counted while reading.
    const parts = [big.slice(0, 800), big.slice(800)];
    const stream = new ReadableStream<Uint8Array>({
      start(ctrl) {
        for (const p of parts) ctrl.enqueue(new TextEncoder().encode(p));
        ctrl.close();
      },
    });
    r = await fetch(`${small.url}/v1/chat/completions`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    assert.equal(r.status, 413);
    await r.text();
    r = await fetch(`${small.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [] }) });
    assert.equal(r.status, 200);
    assert.equal(small.stats().byStatus['413'], 2);
  } finally {
    await small.close();
  }
});
