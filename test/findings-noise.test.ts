// Findings that survive the noise (issue 24 §6, the part that needs no interleaving): the
// console keeps the few largest differences between variants and says how many it left to the
// Markdown; a difference with an unreliable side says it is not the setting's effect.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readResult } from '../lib/result-file.js';
import { renderConsole } from '../reports/console.js';
import { renderMarkdown } from '../reports/markdown.js';
import { findings } from '../reports/findings.js';

const B = new URL('../../test/fixtures/results/run-b.json', import.meta.url).pathname;

test('a 12-variant matrix: the console keeps the 5 largest p99 changes, report.md all of them', () => {
  const b = readResult(B);
  const v = b.variants[0];
  const names: string[] = [];
  for (const i of ['2', '4']) for (const r of ['off', 'on']) for (const c of ['none', 'gcs_bucket', 'langsmith']) names.push(`instances=${i},redis=${r},callbacks=${c}`);
  const variants = names.map((name, k) => ({ ...v, name, integrity: null, reliable: true, unreliable_reasons: [], latency_ms: { ...v.latency_ms, p99: 100 + k * k } }));
  const run = { ...b, variants };
  const all = findings(run).filter((x) => / vs /.test(x));
  assert.ok(all.length > 5, `${all.length} pairs`);
  const omitted = { pairs: 0 };
  const few = findings(run, { maxPairs: 5, omitted }).filter((x) => / vs /.test(x));
  assert.equal(few.length, 5);
  assert.equal(omitted.pairs, all.length - 5);
  // the kept ones are the largest |p99 change|
  const size = (line: string) => Math.abs(Number(/p99 [\d.,]+ → [\d.,]+ ms \(([−+±][\d.]+)%\)/.exec(line)![1].replace('−', '-').replace('±', '')));
  const cut = Math.min(...few.map(size));
  for (const x of all.filter((y) => !few.includes(y))) assert.ok(size(x) <= cut, `${x} left out but larger than ${cut}%`);
  const text = renderConsole(run);
  assert.match(text, new RegExp(`\\(${all.length - 5} smaller difference\\(s\\) between variants in report\\.md`));
  assert.equal(renderMarkdown(run).split('\n').filter((l) => / vs /.test(l)).length, all.length);
});

test('a difference with an unreliable side is not stated as the setting\'s effect', () => {
  const b = readResult(B);
  const v = b.variants[0];
  const variants = [
    { ...v, name: 'redis=off', integrity: null, reliable: true, unreliable_reasons: [] },
    { ...v, name: 'redis=on', integrity: null, reliable: false, unreliable_reasons: ['the machine was saturated'], latency_ms: { ...v.latency_ms, p99: v.latency_ms.p99 / 3 } },
  ];
  const f = findings({ ...b, variants }).find((x) => x.startsWith('redis=on vs redis=off'))!;
  assert.match(f, /not to be read as the setting's effect: redis=on unreliable/);
});
