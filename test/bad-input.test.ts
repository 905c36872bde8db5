// The malformed-request corpus (test/fixtures/bad-requests.ts) against a spawned `bench proxy`:
// every case gets a 4xx — OpenAI-shaped unless node's own HTTP parser refused it first —
// the proxy stays up and still answers a good request, and its RSS after three rounds of
// the corpus is within a tolerant bound of its RSS after the first.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { StartedUpstream } from '../fake-upstream/index.js';
import { BAD_REQUESTS, GOOD_MESSAGES, MASTER, MODEL, rawRequest, type BadRequest } from './fixtures/bad-requests.js';
import { fakeUpstream } from './helpers/proxy-servers.js';
import { rssMb, sendRaw, spawnProxy, type SpawnedProxy } from './helpers/spawned-proxy.js';

const GOOD = rawRequest({ body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }) });

function assertOpenAiError(c: BadRequest, status: number, body: string): void {
  let json: { error?: Record<string, unknown> };
  try {
    json = JSON.parse(body) as typeof json;
  } catch {
    assert.fail(`${c.name}: ${status} with a body that is not JSON: ${JSON.stringify(body.slice(0, 200))}`);
  }
  const e = json.error;
  assert.ok(e && typeof e === 'object', `${c.name}: no "error" object in ${body.slice(0, 200)}`);
  assert.deepEqual(Object.keys(e).sort(), ['code', 'message', 'param', 'type'], `${c.name}: ${body.slice(0, 200)}`);
  assert.equal(typeof e.message, 'string');
  assert.ok((e.message as string).length > 0);
  assert.equal(typeof e.type, 'string');
  assert.ok(e.param === null || typeof e.param === 'string');
  assert.ok(e.code === null || typeof e.code === 'string');
  assert.ok(!(e.message as string).includes(MASTER), `${c.name}: the key leaked into the message`);
}

async function runCorpus(url: string, cases: BadRequest[]): Promise<void> {
  for (const c of cases) {
    const r = await sendRaw(url, c.raw).catch((err: Error) => assert.fail(`${c.name}: ${err.message}`));
    assert.ok(r.status >= 400 && r.status < 500, `${c.name}: status ${r.status} ${r.body.slice(0, 300)}`);
    if (c.status !== undefined) assert.equal(r.status, c.status, `${c.name}: ${r.body.slice(0, 300)}`);
    if (c.bare && r.body.length === 0) continue;
    assertOpenAiError(c, r.status, r.body);
    if (c.param !== undefined) {
      const p = (JSON.parse(r.body) as { error: { param: string | null; message: string; code: string | null } }).error;
      if (c.code !== undefined) {
        assert.equal(p.param, c.param, `${c.name}: ${r.body.slice(0, 300)}`);
        assert.equal(p.code, c.code, `${c.name}: ${r.body.slice(0, 300)}`);
        continue;
      }
      // the param is named either in `param` or, at least, in the message
      assert.ok(p.param === c.param || p.message.includes(c.param), `${c.name}: param ${c.param} not named in ${r.body.slice(0, 300)}`);
    }
  }
}

describe('malformed requests', () => {
  let dir: string;
  let upstream: StartedUpstream;
  let px: SpawnedProxy;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gb-bad-input-'));
    upstream = await fakeUpstream();
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, `model_list:\n  - model_name: ${MODEL}\n    litellm_params:\n      model: openai/any\n      api_base: ${upstream.url}\n      api_key: test\ngeneral_settings:\n  master_key: ${MASTER}\n`);
    // stateless: no database, whatever the environment says
    const env = { ...process.env };
    delete env.DATABASE_URL;
    px = await spawnProxy(['--config', cfg, '--port', '0'], env);
  });
  after(async () => {
    await px?.stop();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`the corpus has at least 60 cases (${BAD_REQUESTS.length})`, () => {
    assert.ok(BAD_REQUESTS.length >= 60);
    assert.equal(new Set(BAD_REQUESTS.map((c) => c.name)).size, BAD_REQUESTS.length, 'case names are unique');
  });

  // node keeps the first of two Authorization headers; a proxy in front may keep the last:
  // auth.ts's authorizationOf(), which proxy-request.ts calls, refuses duplicates.
  test('a duplicated Authorization header (the master key twice) is refused', async () => {
    const r = await sendRaw(px.urls[0], rawRequest({ headers: [['authorization', `Bearer ${MASTER}`]], body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }) }));
    assert.equal(r.status, 401, r.body);
  });

  test('a good request answers 200 (the corpus is not refused for another reason)', async () => {
    const r = await sendRaw(px.urls[0], GOOD);
    assert.equal(r.status, 200, r.body);
  });

  test('well-formed messages of every shape OpenAI takes get 200', async () => {
    for (const messages of GOOD_MESSAGES) {
      const r = await sendRaw(px.urls[0], rawRequest({ body: `{"model":"${MODEL}","messages":${messages}}` }));
      assert.equal(r.status, 200, `${messages}: ${r.body.slice(0, 300)}`);
    }
  });

  test('every malformed request gets a 4xx, OpenAI-shaped; 3 rounds; the proxy stays up and its RSS flat', { timeout: 120_000 }, async () => {
    const url = px.urls[0];
    const pid = px.pids[0];
    await runCorpus(url, BAD_REQUESTS);
    await new Promise((r) => setTimeout(r, 300));
    const rss1 = rssMb(pid);
    // rounds 2 and 3 leave out the multi-MB bodies: their garbage alone moves RSS by tens of
    // MB depending on when V8 collects, which would hide (or fake) a per-request leak
    const small = BAD_REQUESTS.filter((c) => c.raw.length < 1024 * 1024);
    await runCorpus(url, small);
    await runCorpus(url, small);
    await new Promise((r) => setTimeout(r, 300));
    const rss3 = rssMb(pid);
    assert.equal(px.child.exitCode, null, `the proxy exited: ${px.stderr()}`);
    const r = await sendRaw(url, GOOD);
    assert.equal(r.status, 200, r.body);
    // tolerant: GC timing moves RSS by tens of MB after 32 MB bodies; a leak per request would not stay inside this
    process.stderr.write(`# bad-input RSS: after round 1 ${rss1.toFixed(1)} MB, after round 3 ${rss3.toFixed(1)} MB\n`);
    assert.ok(rss3 <= rss1 * 1.3 + 20, `RSS after round 1: ${rss1.toFixed(1)} MB, after round 3: ${rss3.toFixed(1)} MB`);
    assert.doesNotMatch(px.stderr(), /\n\s+at /, 'no stack trace on stderr');
  });
});
