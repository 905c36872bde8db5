// Garbage config and scenario files through the real CLI: `bench proxy --config`, `bench
// validate` and `bench run` each exit 2 with `bench: … [GB_ERR_…]` and every problem listed,
// never a stack trace, never a started service.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BENCH } from './helpers/spawned-proxy.js';

interface Garbage {
  name: string;
  content: string | Buffer | null; // null: a path that does not exist; 'DIR': a directory
  /** problems that must each be listed (substrings) */
  listed?: string[];
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.GB_UNSET_FOR_TEST;
  const child = spawn(process.execPath, [BENCH, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((r) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      r({ code, stdout, stderr });
    }),
  );
}

const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
const laughs = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n`;

/** Garbage either loader must refuse. */
const COMMON: Garbage[] = [
  { name: 'missing file', content: null },
  { name: 'a directory', content: 'DIR' },
  { name: 'binary bytes', content: random },
  { name: 'invalid UTF-8 then YAML', content: Buffer.concat([Buffer.from([0xff, 0xfe, 0xc0]), Buffer.from('\nname: x\n')]) },
  { name: 'unclosed flow sequence', content: 'model_list: [\n  - a\nload: {' },
  { name: 'tab indentation', content: 'load:\n\tusers: 5\n' },
  { name: 'a list at the root', content: '- 1\n- 2\n' },
  { name: 'a scalar at the root', content: 'hello\n' },
  { name: 'broken JSON', content: '{"model_list": [1,}' },
  { name: 'billion laughs (alias bomb)', content: laughs },
  { name: '5000-deep nesting', content: `x: ${'['.repeat(5000)}${']'.repeat(5000)}\n` },
  { name: 'a 4 MB line of garbage', content: `x: "${'a'.repeat(4 * 1024 * 1024)}\n` },
  { name: 'duplicate keys', content: 'name: a\nname: b\n' },
];

const PROXY_ONLY: Garbage[] = [
  {
    name: 'wrong types everywhere',
    content: 'model_list:\n  - model_name: 5\n    litellm_params:\n      model: [1]\n      api_base: 7\nrouter_settings:\n  num_retries: -1\n  timeout: soon\ngeneral_settings:\n  master_key: 12\n',
    listed: ['model_list[0].model_name', 'model_list[0].litellm_params.model', 'router_settings.num_retries', 'router_settings.timeout'],
  },
  { name: 'model_list is a string', content: 'model_list: everything\n', listed: ['model_list'] },
  { name: 'unset os.environ variable', content: 'model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/x\n      api_base: http://127.0.0.1:1\n      api_key: os.environ/GB_UNSET_FOR_TEST\n', listed: ['GB_UNSET_FOR_TEST'] },
  { name: 'unsupported provider and unknown fallback', content: 'model_list:\n  - model_name: m\n    litellm_params:\n      model: anthropic/claude\nrouter_settings:\n  fallbacks: [{m: [nope]}]\n', listed: ['anthropic/claude', 'nope'] },
];

const SCENARIO_ONLY: Garbage[] = [
  {
    name: 'wrong types everywhere',
    content: 'name: 5\nupstream:\n  latency: 12\nproxy:\n  instances: -2\nload:\n  users: many\n  duration: forever\n  wait: { between: [2, 1] }\nthresholds:\n  - "p99 <<< 3"\n',
    listed: ['proxy.instances', 'load.users', 'load.duration'],
  },
  { name: 'unknown sections', content: 'nmae: x\nlaod: {}\n', listed: ['nmae', 'laod'] },
  { name: 'unset ${VAR}', content: 'load:\n  users: ${GB_UNSET_FOR_TEST}\n', listed: ['GB_UNSET_FOR_TEST'] },
];

function assertRefused(what: string, r: { code: number | null; stdout: string; stderr: string }, g: Garbage): void {
  const ctx = `${what} / ${g.name}: exit ${r.code}\n${r.stderr.slice(0, 2000)}`;
  assert.equal(r.code, 2, ctx);
  assert.match(r.stderr, /^bench: .+ \[GB_ERR_[A-Z_]+\]$/m, ctx);
  assert.doesNotMatch(r.stderr, /unexpected error/, ctx);
  assert.doesNotMatch(r.stderr, /^\s+at .+[:(].*\d+:\d+\)?$/m, `stack trace: ${ctx}`);
  assert.doesNotMatch(r.stderr, /READY/, `a service started: ${ctx}`);
  assert.ok(r.stderr.length < 20_000, `${ctx.slice(0, 200)}: stderr is ${r.stderr.length} chars`);
  for (const p of g.listed ?? []) assert.ok(r.stderr.split('\n').some((l) => l.startsWith('  - ') && l.includes(p)), `problem about ${p} not listed: ${ctx}`);
}

/** Runs the CLI for each case, four at a time (each is a node start-up: ~0.4 s of CPU). */
async function each(gs: Garbage[], args: (g: Garbage) => string[], what: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < gs.length) {
        const g = gs[next++];
        assertRefused(what, await run(args(g)), g);
      }
    }),
  );
}

describe('garbage config and scenario files', () => {
  let dir: string;
  const files = new Map<string, string>();
  const write = (kind: string, g: Garbage): string => {
    const p = join(dir, `${kind}-${files.size}.yaml`);
    if (g.content === 'DIR') mkdirSync(p);
    else if (g.content !== null) writeFileSync(p, g.content);
    files.set(`${kind}/${g.name}`, p);
    return p;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gb-garbage-'));
    for (const g of [...COMMON, ...PROXY_ONLY]) write('proxy', g);
    for (const g of [...COMMON, ...SCENARIO_ONLY]) write('scenario', g);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('bench proxy --config <garbage> → exit 2, every problem listed, no stack trace', { timeout: 120_000 }, async () => {
    await each([...COMMON, ...PROXY_ONLY], (g) => ['proxy', '--config', files.get(`proxy/${g.name}`)!, '--port', '0'], 'bench proxy');
  });

  test('bench validate <garbage scenario> → exit 2, every problem listed, no stack trace', { timeout: 120_000 }, async () => {
    await each([...COMMON, ...SCENARIO_ONLY], (g) => ['validate', files.get(`scenario/${g.name}`)!], 'bench validate');
  });

  test('bench run <garbage scenario> → exit 2 before anything starts', { timeout: 120_000 }, async () => {
    const out = join(dir, 'out');
    await each([...COMMON, ...SCENARIO_ONLY], (g) => ['run', files.get(`scenario/${g.name}`)!, '--out', out], 'bench run');
  });

  // planRun (runner/run.ts) validates the proxy config as the proxy will, so the run is refused
  // with every problem listed before PostgreSQL or the upstream start.
  test('bench run with a valid scenario whose proxy config file is garbage → exit 2', { timeout: 60_000 }, async () => {
    const cfg = files.get('proxy/wrong types everywhere')!;
    const scen = join(dir, 'points-at-garbage.yaml');
    writeFileSync(scen, `name: garbage-config\nproxy:\n  config: ${cfg}\nload:\n  users: 1\n  duration: 1s\nwarmup: 0s\n`);
    const r = await run(['run', scen, '--out', join(dir, 'out2')]);
    assertRefused('bench run (proxy config)', r, { name: 'garbage proxy config', content: '', listed: ['router_settings.num_retries'] });
  });
});
