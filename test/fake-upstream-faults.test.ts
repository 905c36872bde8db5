// Fault injection (every-nth, so the counts are exact) and LiteLLM's fake-model conventions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startUpstream } from '../fake-upstream/index.js';

const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });

async function statusOf(url: string): Promise<number> {
  const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body: BODY });
  const json = (await r.json()) as { error?: { message: string; type: string } };
  if (r.status !== 200) assert.equal(typeof json.error?.message, 'string');
  return r.status;
}

test('every-nth error rates give exact statuses', async (t) => {
  const up = await startUpstream({ faults: { mode: 'every-nth', errorRates: { 500: 0.25, 429: 0.5, 503: 0.1 } } });
  t.after(() => up.close());
  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) statuses.push(await statusOf(up.url));
  // period 4 → 500, period 2 → 429 (500 wins on multiples of 4), period 10 → 503 (wins over both).
  const expected = statuses.map((_, i) => {
    const n = i + 1;
    if (n % 10 === 0) return 503;
    if (n % 4 === 0) return 500;
    if (n % 2 === 0) return 429;
    return 200;
  });
  assert.deepEqual(statuses, expected);
  const s = up.stats();
  assert.equal(s.byStatus['503'], 2);
  assert.equal(s.byStatus['500'], 4);
  assert.equal(s.byStatus['429'], 4);
  assert.equal(s.byStatus['200'], 10);
});

test('random mode with a seed is reproducible and roughly at the rate', async (t) => {
  const run = async () => {
    const up = await startUpstream({ faults: { mode: 'random', seed: 42, errorRates: { 500: 0.3 } } });
    try {
      const out: number[] = [];
      for (let i = 0; i < 60; i++) out.push(await statusOf(up.url));
      return out;
    } finally {
      await up.close();
    }
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(a, b);
  const errors = a.filter((s) => s === 500).length;
  assert.ok(errors > 5 && errors < 35, `${errors} errors of 60`);
  t.diagnostic(`500s: ${errors}/60`);
});

test('reset destroys the socket: the client sees a connection error', async (t) => {
  const up = await startUpstream({ faults: { mode: 'every-nth', resetRate: 0.5 } });
  t.after(() => up.close());
  const client = new OpenAI({ baseURL: up.url, apiKey: 't', maxRetries: 0, timeout: 3000 });
  await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
  await assert.rejects(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), OpenAI.APIConnectionError);
  await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(up.stats().byStatus.reset, 1);
});

test('hang never answers: the client times out; close() still ends promptly', async (t) => {
  const up = await startUpstream({ faults: { mode: 'every-nth', hangRate: 1 } });
  t.after(() => up.close());
  const client = new OpenAI({ baseURL: up.url, apiKey: 't', maxRetries: 0, timeout: 300 });
  await assert.rejects(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), OpenAI.APIConnectionTimeoutError);
  // A second hung request still open while we close the server.
  const ac = new AbortController();
  const pending = fetch(`${up.url}/v1/chat/completions`, { method: 'POST', body: BODY, signal: ac.signal }).catch((e: unknown) => e);
  for (let i = 0; i < 200 && up.stats().byStatus.hang !== 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(up.stats().byStatus.hang, 2);
  const t0 = performance.now();
  await up.close();
  assert.ok(performance.now() - t0 < 1000);
  assert.ok((await pending) instanceof Error);
});

test('model "429" answers a rate-limit error; faults do not touch sinks or health', async (t) => {
  const up = await startUpstream({ faults: { mode: 'every-nth', errorRates: { 500: 1 } } });
  t.after(() => up.close());
  const r = await fetch(`${up.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: '429', messages: [{ role: 'user', content: 'x' }] }) });
  // The 500 fault is applied first (it is the upstream failing); use a clean server for "429".
  assert.equal(r.status, 500);
  const clean = await startUpstream();
  t.after(() => clean.close());
  const client = new OpenAI({ baseURL: clean.url, apiKey: 't', maxRetries: 0 });
  const err = await client.chat.completions.create({ model: '429', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
  assert.ok(err instanceof OpenAI.RateLimitError);
  assert.equal(err.status, 429);
  assert.equal(err.code, 'rate_limit_exceeded');
  assert.equal((await fetch(`${up.url}/health`)).status, 200);
  assert.equal((await fetch(`${up.url}/webhook`, { method: 'POST', body: '{}' })).status, 200);
});

test('clients going away during the latency or mid-stream do not disturb the server', async (t) => {
  const up = await startUpstream({ completionTokens: 50, stream: { ttft: { kind: 'fixed', ms: 0 }, interTokenMs: 10 } });
  t.after(() => up.close());
  const ac = new AbortController();
  const slow = fetch(`${up.url}/v1/chat/completions`, { method: 'POST', body: BODY, headers: { 'x-fake-latency-ms': '200' }, signal: ac.signal }).catch((e: unknown) => e);
  const streamAc = new AbortController();
  const r = await fetch(`${up.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    signal: streamAc.signal,
  });
  const reader = r.body!.getReader();
  await reader.read(); // the first chunk arrived; now go away
  streamAc.abort();
  ac.abort();
  assert.ok((await slow) instanceof Error);
  await new Promise((res) => setTimeout(res, 400)); // past the latency and the stream's end
  assert.equal(await statusOf(up.url), 200);
  const page = (await (await fetch(`${up.url}/__gatebench/ledger`)).json()) as { entries: Array<{ status: number }> };
  assert.equal(page.entries.at(-1)!.status, 200);
});
