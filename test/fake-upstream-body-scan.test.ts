// The fake upstream's body scan (fake-upstream/body-scan.ts) keeps the last skeleton's parse and
// reuses it for a body whose bytes outside the content strings are the same: the reuse must
// never leak one request's answers into another's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatUuid, scanBody, uuidWords } from '../fake-upstream/body-scan.js';

const body = (id: string, extra = '', model = 'm') => Buffer.from(`{"model":"${model}","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"${id} ${'x'.repeat(200)}"}]${extra}}`);
const ID1 = '0a1b2c3d-0000-4000-8000-00000000000a';
const ID2 = 'ffffffff-1111-4111-8111-11111111111f';

function ledgerId(buf: Buffer): string | null {
  const s = scanBody(buf);
  assert.ok(s !== null);
  return s.uuidBinary ? formatUuid(uuidWords[0], uuidWords[1], uuidWords[2], uuidWords[3]) : s.uuid;
}

test('the same skeleton with another uuid, content length or model gives that request\'s own answers', () => {
  assert.equal(ledgerId(body(ID1)), ID1);
  assert.equal(ledgerId(body(ID2)), ID2);
  assert.equal(ledgerId(body(ID1)), ID1);
  const a = scanBody(body(ID1));
  assert.equal(a?.contentChars, 'be brief'.length + 37 + 200);
  const b = scanBody(Buffer.from(body(ID1).toString().replace('x'.repeat(200), 'y'.repeat(10))));
  assert.equal(b?.contentChars, 'be brief'.length + 37 + 10);
  assert.equal((scanBody(body(ID1, '', 'other'))?.json as { model: string }).model, 'other');
  assert.equal((scanBody(body(ID1, ',"stream":true'))?.json as { stream?: boolean }).stream, true);
  assert.equal((scanBody(body(ID1))?.json as { stream?: boolean }).stream, undefined);
});

test('a broken skeleton after a good one is still refused; an upper-case uuid is kept as a string', () => {
  assert.ok(scanBody(body(ID1)) !== null);
  assert.equal(scanBody(Buffer.from(body(ID1).toString().replace('"model"', '"model'))), null);
  assert.equal(scanBody(Buffer.from(body(ID1).toString().replace('}]}', '}]'))), null);
  assert.equal(ledgerId(body(ID2.toUpperCase())), ID2.toUpperCase());
  assert.equal(ledgerId(body(ID2)), ID2);
});
