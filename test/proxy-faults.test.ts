// Retries, fallbacks, cooldown, timeouts, upstream failures and client aborts, against real
// servers: the fake upstream, tiny node:http servers with one precise behaviour, and a port
// nothing listens on.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { StartedUpstream } from '../fake-upstream/index.js';
import { MASTER_KEY, chatBody, fakeUpstream, post, refusedUrl, startProxy, tinyServer, type RunningProxy, type TinyServer } from './helpers/proxy-servers.js';

function deployment(name: string, id: string, apiBase: string, extra: Record<string, unknown> = {}, model = 'openai/any') {
  return { model_name: name, litellm_params: { model, api_base: apiBase, ...extra }, model_info: { id } };
}

describe('proxy faults', () => {
  let upstream: StartedUpstream;
  let slowUpstream: StartedUpstream;
  let refused: string;
  let always500: TinyServer;
  let stall: TinyServer;
  let hang: TinyServer;
  const hangSeen = { arrived: 0, closes: 0 };
  const running: RunningProxy[] = [];

  async function proxyFor(config: Record<string, unknown>): Promise<RunningProxy> {
    const px = await startProxy({ general_settings: { master_key: MASTER_KEY }, ...config });
    running.push(px);
    return px;
  }

  before(async () => {
    upstream = await fakeUpstream();
    // undici enforces timeouts with ~1 s timers: keep the slow answer well beyond that
    slowUpstream = await fakeUpstream({ latency: { kind: 'fixed', ms: 4000 } });
    refused = await refusedUrl();
    always500 = await tinyServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"boom","type":"api_error","param":null,"code":"boom"}}');
    });
    // headers at once, then the body never comes
    stall = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"id":');
    });
    // never answers; counts arrivals and socket closes
    hang = await tinyServer((req: IncomingMessage, _res: ServerResponse) => {
      hangSeen.arrived++;
      req.socket.once('close', () => hangSeen.closes++);
      req.resume();
    });
  });
  after(async () => {
    for (const px of running) await px.close();
    await Promise.all([upstream?.close(), slowUpstream?.close(), always500?.close(), stall?.close(), hang?.close()]);
  });

  test('a connection error is retried on another deployment of the group', async () => {
    const px = await proxyFor({
      // the refused one is picked first (by weight); no cooldown gets in the way here
      model_list: [deployment('g', 'bad', refused, { weight: 1e9 }), deployment('g', 'good', upstream.url, { weight: 1e-9 })],
      router_settings: { num_retries: 1, allowed_fails: 1000 },
    });
    for (let i = 0; i < 5; i++) {
      const r = await post(`${px.url}/v1/chat/completions`, chatBody('g'));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('x-litellm-model-id'), 'good');
      assert.equal(r.headers.get('x-litellm-attempted-retries'), '1');
    }
  });

  test('429 is passed through once retries are exhausted; the upstream saw every attempt', async () => {
    const px = await proxyFor({ model_list: [deployment('r', 'r429', upstream.url, {}, 'openai/429')], router_settings: { num_retries: 2 } });
    const before = upstream.stats().byStatus['429'] ?? 0;
    const r = await post(`${px.url}/v1/chat/completions`, chatBody('r'));
    assert.equal(r.status, 429, r.text);
    assert.ok((r.json.error as Record<string, unknown>).message);
    assert.equal(r.headers.get('x-litellm-attempted-retries'), '2');
    assert.equal((upstream.stats().byStatus['429'] ?? 0) - before, 3);
  });

  test('max_retries on the deployment overrides num_retries', async () => {
    const px = await proxyFor({ model_list: [deployment('m', 'm429', upstream.url, { max_retries: 0 }, 'openai/429')], router_settings: { num_retries: 5 } });
    const r = await post(`${px.url}/v1/chat/completions`, chatBody('m'));
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('x-litellm-attempted-retries'), '0');
  });

  test('fallbacks: a failing group falls back to the next one', async () => {
    const px = await proxyFor({
      model_list: [deployment('primary', 'p', upstream.url, {}, 'openai/429'), deployment('backup', 'b', upstream.url)],
      router_settings: { num_retries: 1, fallbacks: [{ primary: ['backup'] }] },
    });
    const r = await post(`${px.url}/v1/chat/completions`, chatBody('primary'));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('x-litellm-model-id'), 'b');
    assert.equal(r.headers.get('x-litellm-attempted-retries'), '2');
  });

  test('cooldown: a deployment failing more than allowed_fails is left out; all cooling → used anyway', async () => {
    const px = await proxyFor({
      model_list: [deployment('c', 'c-bad', refused, { weight: 1e9 }), deployment('c', 'c-good', upstream.url, { weight: 1e-9 })],
      router_settings: { num_retries: 1, allowed_fails: 1, cooldown_time: 60 },
    });
    for (let i = 0; i < 2; i++) assert.equal((await post(`${px.url}/v1/chat/completions`, chatBody('c'))).headers.get('x-litellm-attempted-retries'), '1');
    assert.equal(px.proxy.router.isCoolingDown('c-bad'), true);
    assert.equal(px.proxy.router.isCoolingDown('c-good'), false);
    for (let i = 0; i < 5; i++) {
      const r = await post(`${px.url}/v1/chat/completions`, chatBody('c'));
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-litellm-attempted-retries'), '0', 'the cooling deployment is not tried first any more');
    }
    // a lone deployment that cools down is still used rather than failing without trying
    const solo = await proxyFor({ model_list: [deployment('s', 's-bad', refused)], router_settings: { allowed_fails: 0, cooldown_time: 60 } });
    for (let i = 0; i < 2; i++) {
      const r = await post(`${solo.url}/v1/chat/completions`, chatBody('s'));
      assert.equal(r.status, 502, r.text);
      assert.equal((r.json.error as Record<string, unknown>).code, 'upstream_connection_error');
    }
    assert.equal(solo.proxy.router.isCoolingDown('s-bad'), true);
  });

  test('upstream 5xx is retried, then passed through; connection refused is 502', async () => {
    const px = await proxyFor({ model_list: [deployment('f', 'f500', always500.url), deployment('x', 'x-refused', refused)], router_settings: { num_retries: 1 } });
    const r = await post(`${px.url}/v1/chat/completions`, chatBody('f'));
    assert.equal(r.status, 500);
    assert.equal((r.json.error as Record<string, unknown>).code, 'boom');
    assert.equal(r.headers.get('x-litellm-attempted-retries'), '1');
    const c = await post(`${px.url}/v1/chat/completions`, chatBody('x'));
    assert.equal(c.status, 502);
    assert.equal((c.json.error as Record<string, unknown>).type, 'api_error');
  });

  test('timeouts: no answer in time → 408; a body that stalls → 504', async () => {
    const px = await proxyFor({
      model_list: [deployment('slow', 'slow-1', slowUpstream.url, { timeout: 0.2 }), deployment('stall', 'stall-1', stall.url, { timeout: 0.2 })],
      router_settings: { num_retries: 0 },
    });
    const t = await post(`${px.url}/v1/chat/completions`, chatBody('slow'));
    assert.equal(t.status, 408, t.text);
    assert.equal((t.json.error as Record<string, unknown>).type, 'timeout');
    const s = await post(`${px.url}/v1/chat/completions`, chatBody('stall'));
    assert.equal(s.status, 504, s.text);
    assert.equal((s.json.error as Record<string, unknown>).type, 'timeout');
  });

  test('a client that disconnects aborts its upstream request', async () => {
    const px = await proxyFor({ model_list: [deployment('h', 'h-1', hang.url)] });
    const arrivedBefore = hangSeen.arrived;
    const closesBefore = hangSeen.closes;
    const ac = new AbortController();
    const pending = fetch(`${px.url}/v1/chat/completions`, { method: 'POST', body: chatBody('h'), headers: { authorization: `Bearer ${MASTER_KEY}` }, signal: ac.signal }).catch((e: unknown) => e);
    const deadline = Date.now() + 5000;
    while (hangSeen.arrived === arrivedBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(hangSeen.arrived, arrivedBefore + 1, 'the upstream got the request');
    ac.abort();
    await pending;
    while (hangSeen.closes === closesBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(hangSeen.closes, closesBefore + 1, 'the upstream saw its socket close');
    const m = await (await fetch(`${px.url}/metrics`)).text();
    assert.match(m, /proxy_requests_total\{model="h",status="499"\} 1/);
  });
});
