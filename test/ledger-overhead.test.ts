// The ledger join (exact, against hand-made times) and fetchLedger against a real fake
// upstream, paging through more entries than one page holds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { startUpstream, type StartedUpstream } from '../fake-upstream/index.js';
import { fetchLedger, headerGapsUs, ledgerOverhead } from '../runner/targets/ledger-overhead.js';
import type { ClientTimes, LedgerRow } from '../runner/targets/types.js';

function times(rows: Array<[string, number, number]>): ClientTimes {
  return { ids: rows.map((r) => r[0]), sentUs: Float64Array.from(rows.map((r) => r[1])), receivedUs: Float64Array.from(rows.map((r) => r[2])), count: rows.length };
}
function row(seq: number, id: string | null, arrived: number, left: number): LedgerRow {
  return { seq, id, route: '/v1/chat/completions', status: 200, arrived_us: arrived, left_us: left };
}

describe('ledgerOverhead (pure join)', () => {
  test('overhead = client latency − upstream holding time, split into request and response path', () => {
    const T = 1_700_000_000_000_000; // wall-clock µs, large like the real ones
    const client = times([
      ['a', T + 0, T + 1000], // upstream held 600 µs: 100 in, 300 out → overhead 400
      ['b', T + 10, T + 2010], // upstream held 1500: 200 in, 300 out → 500
      ['c', T + 20, T + 920], // upstream held 300: 300 in, 300 out → 600
      ['lost', T + 30, T + 530], // no ledger entry
    ]);
    const ledger = [
      row(1, 'a', T + 100, T + 700),
      row(2, null, T + 5, T + 6), // a request without an id (not ours)
      row(3, 'b', T + 210, T + 1710),
      row(4, 'c', T + 320, T + 620),
      row(5, 'other', T + 1, T + 2), // an id the client did not send (another target's)
    ];
    const o = ledgerOverhead(client, ledger);
    assert.equal(o.matched, 3);
    assert.equal(o.unmatched, 1);
    assert.equal(o.duplicates, 0);
    assert.equal(o.clamped, 0);
    assert.equal(o.total.totalCount, 3);
    assert.equal(o.total.minNonZeroValue, 400);
    assert.equal(o.total.getValueAtPercentile(50), 500);
    assert.equal(o.total.maxValue, 600);
    assert.equal(o.requestPath.minNonZeroValue, 100);
    assert.equal(o.requestPath.maxValue, 300);
    assert.equal(o.responsePath.minNonZeroValue, 300);
    assert.equal(o.responsePath.maxValue, 300);
    assert.equal(o.total.mean, 500);
  });

  test('a retried id uses its last entry; sub-µs values are clamped and counted', () => {
    const T = 1_000_000;
    const client = times([
      ['r', T, T + 3000],
      ['z', T, T + 100],
    ]);
    const ledger = [
      row(1, 'r', T + 100, T + 900), // first attempt
      row(2, 'r', T + 1000, T + 2800), // retry: held 1800 → overhead 1200
      row(3, 'z', T, T + 100), // the upstream held it the whole time: overhead 0
    ];
    const o = ledgerOverhead(client, ledger);
    assert.equal(o.duplicates, 1);
    assert.equal(o.matched, 2);
    assert.equal(o.total.maxValue, 1200);
    assert.equal(o.requestPath.maxValue, 1000);
    assert.equal(o.responsePath.maxValue, 200);
    // z: overhead 0, request path 0, response path 0 → three clamped values
    assert.equal(o.clamped, 3);
    assert.equal(o.total.minNonZeroValue, 1);
  });

  test('accumulates across rounds into the same histograms', () => {
    const first = ledgerOverhead(times([['a', 0, 1000]]), [row(1, 'a', 100, 700)]);
    const both = ledgerOverhead(times([['b', 0, 2000]]), [row(2, 'b', 100, 700)], first);
    assert.equal(both, first);
    assert.equal(both.matched, 2);
    assert.deepEqual([both.total.minNonZeroValue, both.total.maxValue], [400, 1400]);
  });
});

describe('headerGapsUs (pure pairing)', () => {
  test('per request: ledger overhead − that request\'s own header; unmatched or header-less requests left out', () => {
    const T = 1_700_000_000_000_000;
    const client = { ...times([['a', T, T + 1000], ['b', T + 10, T + 2010], ['c', T + 20, T + 920], ['lost', T + 30, T + 530]]), headerUs: Float64Array.from([250, 600, Number.NaN, 100]) };
    const ledger = [row(1, 'a', T + 100, T + 700), row(2, 'b', T + 210, T + 1710), row(3, 'c', T + 320, T + 620)];
    // a: overhead 400 − 250; b: 500 − 600 (a header above the outside view stays negative)
    assert.deepEqual([...headerGapsUs(client, ledger)], [150, -100]);
    assert.equal(headerGapsUs(times([['a', T, T + 1000]]), ledger).length, 0, 'no header values: nothing to pair');
  });
});

describe('fetchLedger (real fake upstream)', () => {
  let up: StartedUpstream;
  before(async () => {
    up = await startUpstream({ port: 0 });
  });
  after(() => up.close());

  test('pages through every entry, ids in order, and resumes from next', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const id = randomUUID();
      ids.push(id);
      const r = await request(`${up.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `${id} hello` }] }),
      });
      assert.equal(r.statusCode, 200);
      await r.body.dump();
    }
    const all = await fetchLedger(up.url, 0, 7); // 4 pages
    assert.deepEqual(
      all.entries.map((e) => e.id),
      ids,
    );
    for (const e of all.entries) assert.ok(e.left_us >= e.arrived_us && e.arrived_us > 1e15, 'wall-clock µs');
    const rest = await fetchLedger(up.url, all.next);
    assert.equal(rest.entries.length, 0);
    assert.equal(rest.next, all.next);
  });

  test('a bad upstream URL is a clear error', async () => {
    await assert.rejects(fetchLedger(`${up.url.replace(/:\d+$/, ':1')}`), /ECONNREFUSED|connect/);
  });
});
