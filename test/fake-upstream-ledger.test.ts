// The ledger (ids, times, paging, reset, bounded capacity), the stats and the fake sinks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startUpstream, type LedgerPage, type UpstreamStats } from '../fake-upstream/index.js';
import { Ledger } from '../fake-upstream/ledger.js';

function seedBody(uuid: string): string {
  return JSON.stringify({
    model: 'db-openai-endpoint',
    messages: [{ role: 'user', content: `${uuid} ` + "This is a test there will be no cache hits and we'll fill up the context".repeat(150) }],
    user: 'my-new-end-user-1',
  });
}

async function chat(url: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body, headers });
  await r.arrayBuffer();
  return r.status;
}

async function ledger(url: string, query = ''): Promise<LedgerPage> {
  return (await (await fetch(`${url}/__gatebench/ledger${query}`)).json()) as LedgerPage;
}

test('ledger: uuid from the prompt, else x-request-id, else null; wall-clock µs times', async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  const uuid = randomUUID();
  const before = (performance.timeOrigin + performance.now()) * 1000;
  await chat(up.url, seedBody(uuid));
  await chat(up.url, JSON.stringify({ model: 'm', messages: [{ role: 'system', content: `${randomUUID()} sys` }, { role: 'user', content: 'no uuid here' }] }), { 'x-request-id': 'req-7' });
  await chat(up.url, JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'nothing' }] }));
  // the first *user* message counts, even after a system message
  await chat(up.url, JSON.stringify({ model: 'm', messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: `${uuid.toUpperCase()} hi` }] }));
  await chat(up.url, 'not json', { 'x-request-id': 'bad-1' });
  // leading zeros and all-f words survive the ledger's 16-byte form
  const edge = ['00000000-0000-4000-8000-000000000001', 'ffffffff-ffff-4fff-bfff-ffffffffffff'];
  for (const u of edge) await chat(up.url, seedBody(u));
  const after = (performance.timeOrigin + performance.now()) * 1000;
  const page = await ledger(up.url);
  assert.deepEqual(page.entries.map((e) => e.id), [uuid, 'req-7', null, uuid.toUpperCase(), 'bad-1', ...edge]);
  assert.deepEqual(page.entries.map((e) => e.status), [200, 200, 200, 200, 400, 200, 200]);
  assert.deepEqual(page.entries.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(page.next, 7);
  assert.equal(page.dropped, 0);
  for (const e of page.entries) {
    assert.equal(e.route, '/v1/chat/completions');
    assert.ok(e.arrived_us >= before && e.left_us <= after, 'times within the test window');
    assert.ok(e.left_us >= e.arrived_us);
  }
  // admin routes are not counted nor ledgered
  const stats = up.stats();
  assert.equal(stats.requests, 7);
  assert.equal(stats.ledger.size, 7);
});

test('ledger: latency shows between arrived and left; resets and streams are recorded', async (t) => {
  const up = await startUpstream({ faults: { mode: 'every-nth', resetRate: 1 / 3 } });
  t.after(() => up.close());
  await chat(up.url, seedBody(randomUUID()), { 'x-fake-latency-ms': '40' });
  await chat(up.url, JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }));
  await chat(up.url, JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).catch(() => 0);
  const page = await ledger(up.url);
  assert.equal(page.entries.length, 3);
  assert.ok(page.entries[0].left_us - page.entries[0].arrived_us >= 39_000);
  assert.equal(page.entries[1].status, 200);
  assert.equal(page.entries[2].status, 0); // reset
});

test('ledger paging, reset and bounded capacity', async (t) => {
  const up = await startUpstream({ ledgerCapacity: 5 });
  t.after(() => up.close());
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) {
    ids.push(randomUUID());
    await chat(up.url, seedBody(ids[i]));
  }
  let page = await ledger(up.url, '?limit=2');
  assert.deepEqual(page.entries.map((e) => e.seq), [4, 5]); // 1–3 were dropped
  assert.equal(page.dropped, 3);
  assert.deepEqual(page.entries.map((e) => e.id), ids.slice(3, 5));
  page = await ledger(up.url, `?after=${page.next}&limit=2`);
  assert.deepEqual(page.entries.map((e) => e.seq), [6, 7]);
  page = await ledger(up.url, `?after=${page.next}&limit=2`);
  assert.deepEqual(page.entries.map((e) => e.seq), [8]);
  page = await ledger(up.url, `?after=${page.next}`);
  assert.deepEqual(page.entries, []);
  assert.equal(page.next, 8);
  const stats = (await (await fetch(`${up.url}/__gatebench/stats`)).json()) as UpstreamStats;
  assert.deepEqual(stats.ledger, { size: 5, dropped: 3, capacity: 5 });
  assert.equal(stats.requests, 8);
  assert.equal(stats.byRoute['/v1/chat/completions'], 8);

  const r = await fetch(`${up.url}/__gatebench/reset`, { method: 'POST' });
  assert.equal(r.status, 200);
  await r.arrayBuffer();
  const cleared = up.stats();
  assert.equal(cleared.requests, 0);
  assert.deepEqual(cleared.byRoute, {});
  assert.deepEqual(cleared.ledger, { size: 0, dropped: 0, capacity: 5 });
  await chat(up.url, seedBody(ids[0]));
  page = await ledger(up.url);
  assert.deepEqual(page.entries.map((e) => [e.seq, e.id]), [[1, ids[0]]]);
});

test('ledger off (capacity 0) records nothing', async (t) => {
  const up = await startUpstream({ ledgerCapacity: 0 });
  t.after(() => up.close());
  await chat(up.url, seedBody(randomUUID()));
  assert.deepEqual((await ledger(up.url)).entries, []);
  assert.equal(up.stats().requests, 1);
});

test('the ledger ring grows past its first block, wraps after growing, and keeps order', () => {
  // The data structure directly: thousands of HTTP requests would only slow the suite.
  const l = new Ledger(10_000, ['/r']);
  for (let i = 1; i <= 9000; i++) l.record(`id-${i}`, 0, 200, i, i + 1);
  let page = l.page(0, 100_000);
  assert.equal(page.entries.length, 9000);
  assert.ok(page.entries.every((e, i) => e.seq === i + 1 && e.id === `id-${i + 1}` && e.arrived_us === i + 1));
  for (let i = 9001; i <= 25_000; i++) {
    if (i % 2) l.record(`id-${i}`, 0, 200, i, i + 1);
    else l.recordUuid(i, 0, 0, 0xffffffff, 0, 201, i, i + 1);
  }
  assert.equal(l.size, 10_000);
  assert.equal(l.dropped, 15_000);
  page = l.page(0, 3);
  assert.deepEqual(page.entries.map((e) => e.seq), [15_001, 15_002, 15_003]);
  assert.deepEqual(page.entries.map((e) => e.id), ['id-15001', '00003a9a-0000-0000-0000-0000ffffffff', 'id-15003']);
  page = l.page(24_998, 10);
  assert.deepEqual(page.entries.map((e) => e.seq), [24_999, 25_000]);
  assert.equal(page.next, 25_000);
});

test('sinks: GCS media upload, LangSmith batch/runs, webhook — exact counts, real answer shapes', async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  const ndjson = '{"a":1}\n{"a":2}\n\n  \n{"a":3}'; // 3 non-empty lines, no trailing newline
  let r = await fetch(`${up.url}/upload/storage/v1/b/my-bucket/o?uploadType=media&name=logs%2F2024%2Fspend.ndjson`, {
    method: 'POST',
    body: ndjson,
    headers: { 'content-type': 'application/x-ndjson' },
  });
  assert.equal(r.status, 200);
  const obj = (await r.json()) as Record<string, string>;
  assert.equal(obj.kind, 'storage#object');
  assert.equal(obj.bucket, 'my-bucket');
  assert.equal(obj.name, 'logs/2024/spend.ndjson');
  assert.equal(obj.size, String(Buffer.byteLength(ndjson)));
  assert.equal(obj.contentType, 'application/x-ndjson');
  r = await fetch(`${up.url}/upload/storage/v1/b/my-bucket/o?uploadType=media`, { method: 'POST', body: '{}\n' });
  assert.equal(r.status, 400);
  assert.equal(((await r.json()) as { error: { code: number } }).error.code, 400);

  const batch = JSON.stringify({ post: [{ id: '1' }, { id: '2' }], patch: [{ id: '1' }] });
  r = await fetch(`${up.url}/runs/batch`, { method: 'POST', body: batch, headers: { 'content-type': 'application/json' } });
  assert.ok(r.status === 200 || r.status === 202);
  await r.json();
  r = await fetch(`${up.url}/runs`, { method: 'POST', body: '{"id":"3","name":"x"}' });
  assert.ok(r.status === 200 || r.status === 202);
  await r.json();
  r = await fetch(`${up.url}/runs/batch`, { method: 'POST', body: '{not json' });
  assert.equal(r.status, 400);
  await r.arrayBuffer();

  r = await fetch(`${up.url}/webhook`, { method: 'POST', body: '[1,2,3,4]' });
  assert.equal(r.status, 200);
  await r.arrayBuffer();
  r = await fetch(`${up.url}/webhook`, { method: 'POST', body: '{"event":"x"}' });
  await r.arrayBuffer();

  const s = up.stats();
  assert.deepEqual(s.sinks.gcs, { requests: 2, items: 3, bytes: Buffer.byteLength(ndjson) + 3 });
  assert.deepEqual(s.sinks.langsmith, { requests: 3, items: 4, bytes: batch.length + '{"id":"3","name":"x"}'.length + '{not json'.length });
  assert.deepEqual(s.sinks.webhook, { requests: 2, items: 5, bytes: '[1,2,3,4]'.length + '{"event":"x"}'.length });
  assert.equal(s.byRoute['/upload/storage/v1/b/:bucket/o'], 2);
  assert.equal(s.byRoute['/runs/batch'], 2);
  assert.equal(s.ledger.size, 0); // sinks are not in the ledger
});

test('sinks count items per tenant (GCS bucket, LangSmith API key, webhook ?tenant=), so gateways sharing the upstream are told apart', async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${up.url}${path}`, { method: 'POST', body, headers });
    await r.arrayBuffer();
    return r.status;
  };
  assert.equal(await post('/upload/storage/v1/b/v1/o?uploadType=media&name=a', '{"a":1}\n{"a":2}\n'), 200);
  assert.equal(await post('/upload/storage/v1/b/v2/o?uploadType=media&name=b', '{"a":1}\n'), 200);
  assert.equal(await post('/runs/batch', JSON.stringify({ post: [{}, {}, {}] }), { 'x-api-key': 'v1' }), 202);
  assert.equal(await post('/runs', '{"id":"x"}', { 'x-api-key': 'v2' }), 202);
  assert.equal(await post('/webhook?tenant=v2', '[1,2]'), 200);
  assert.equal(await post('/webhook', '[1]'), 200); // no tenant: in the totals only
  const s = up.stats();
  assert.deepEqual(s.sinks_by_tenant, { v1: { gcs: 2, langsmith: 3, webhook: 0 }, v2: { gcs: 1, langsmith: 1, webhook: 2 } });
  assert.equal(s.sinks.webhook.items, 3);
  await (await fetch(`${up.url}/__gatebench/reset`, { method: 'POST' })).arrayBuffer();
  assert.equal(up.stats().sinks_by_tenant, undefined);
});
