// SSE timings against a node:http server with known delays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLoad } from '../loadgen/index.js';
import { startServer } from './helpers/loadgen-servers.js';

const chunk = (content: string | null, usage?: object) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: usage ? [] : [{ index: 0, delta: content === null ? { role: 'assistant', content: '' } : { content } }], ...(usage ? { usage } : {}) })}\n\n`;

test('stream: TTFB, TTFT (first non-empty content), inter-token latency and usage tokens', async (t) => {
  const srv = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    const steps: Array<[number, string]> = [
      [100, chunk(null)], // role-only chunk, empty content: not a token
      [200, chunk('Hel')],
      [260, chunk('lo')],
      [320, chunk('!')],
      [330, chunk(null, { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 }) + 'data: [DONE]\n\n'],
    ];
    for (const [at, text] of steps) setTimeout(() => res.write(text), at);
    setTimeout(() => res.end(), 340);
  });
  t.after(() => srv.close());
  const r = await startLoad({
    targets: [srv.url],
    model: { kind: 'closed', users: 2, spawnRate: 100 },
    durationMs: 1400,
    // the first request of each user pays connect + JIT: not what this test is about
    warmupMs: 300,
    templates: [{ path: '/chat/completions', body: { model: 'm', stream: true, messages: [] }, stream: true }],
  }).result;
  assert.ok(r.requests >= 2, String(r.requests));
  // headers are flushed at once: TTFB is small
  assert.ok(r.ttfb_ms!.p50 < 30, `ttfb ${JSON.stringify(r.ttfb_ms)}`);
  assert.ok(r.ttft_ms!.p50 >= 199 && r.ttft_ms!.p50 < 300, `ttft ${r.ttft_ms!.p50}`);
  assert.ok(r.itl_ms!.p50 >= 50 && r.itl_ms!.p50 < 120, `itl ${r.itl_ms!.p50}`);
  assert.equal(r.itl_ms!.count, 2 * r.ttft_ms!.count);
  assert.ok(r.latency_ms.p50 >= 339, `latency ${r.latency_ms.p50}`);
  assert.deepEqual(r.tokens, { prompt: 7 * r.latency_ms.count, completion: 3 * r.latency_ms.count });
});
