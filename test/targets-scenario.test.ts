// scenarios/gateways.yaml: its targets and compare sections are valid, and the round plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { compareSchema, gatewayTargetsSchema, roundPlan, targetNames } from '../runner/targets/targets-schema.js';

test('scenarios/gateways.yaml: reference, portkey, nginx and direct, with a compare section', async () => {
  const doc = parse(await readFile('scenarios/gateways.yaml', 'utf8')) as { targets: unknown; compare: unknown };
  const targets = gatewayTargetsSchema.parse(doc.targets);
  assert.deepEqual(
    targets.map((t) => t.type),
    ['reference', 'portkey', 'nginx', 'direct'],
  );
  const compare = compareSchema.parse(doc.compare);
  assert.deepEqual(roundPlan(30_000, compare), { rounds: 3, roundMs: 10_000 });
});

test('round plan: a short duration is one round; explicit rounds win', () => {
  assert.deepEqual(roundPlan(3000), { rounds: 1, roundMs: 3000 });
  assert.deepEqual(roundPlan(60_000, { round: '5s' }), { rounds: 12, roundMs: 5000 });
  assert.deepEqual(roundPlan(60_000, { round: '5s', rounds: 2 }), { rounds: 2, roundMs: 5000 });
});

test('target names: the given name, else the kind; repeats are numbered', () => {
  const specs = gatewayTargetsSchema.parse([{ type: 'reference' }, { type: 'proxy', instances: 4 }, { type: 'url', name: 'kong', url: 'http://k/v1' }]);
  assert.deepEqual(targetNames(specs), ['reference', 'reference-2', 'kong']);
});
