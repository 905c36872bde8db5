// `npm run bench:seed-load`: what each part of our own stack costs at the seed's load (1000
// users, spawn 500/s, wait 0.5–1 s, the ~11 KB body: every request its own event-loop turn),
// each against a reference at the same load, measured in one run, interleaved (A B A B short
// rounds) so a shared machine's drift falls on both. CPU µs per request from /proc.
//
//   component                                    reference                        goal
//   load generator (`bench load --seed-body`)    autocannon, same rate and conns  ≤ 1.2×
//                                                node:net floor, the seed's pattern (no goal:
//                                                autocannon -R sends in bursts; see seed-load-floor.ts)
//   fake upstream                                minimal node:http server         ≤ 1.1×
//   reference proxy, 1 instance, master key      node:http + undici floor         ≤ 1.3×
//   reference proxy, 4 instances, keys + spend   the floor × 4 processes          ≤ 1.4×
//
// Flags (after `--`): --duration 4m (the whole run's budget, split over the windows),
// --rounds 3, --warmup 3s (per window, not counted), --only generator,upstream,proxy1,proxy4.
// Load goes to 127.0.0.1 only. PostgreSQL for the keyed proxy: a scratch database on
// DATABASE_URL, else an embedded one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDurationMs } from '../lib/duration.js';
import { compileTemplates, newBodyBuffer, newRequestId, renderBody } from '../loadgen/template.js';
import { validateLoadOptions } from '../loadgen/config.js';
import { SEED_TEMPLATE } from '../loadgen/seed.js';
import { scratchDatabase, type ScratchDatabase } from '../proxy/state/scratch-database.js';
import { median } from '../gate/stats.js';
import { BENCH_JS, MASTER_KEY, startService, stop } from './proxy-common.js';
import { generateKey } from './proxy-state.js';
import { autocannonGenerator, CountingServer, floorGenerator, ourGenerator, serverSubject, type Running, type Subject, type WindowResult } from './seed-load-subjects.js';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '4m' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3s' },
    only: { type: 'string', default: 'generator,upstream,proxy1,proxy4' },
  },
});
const COMPONENTS = ['generator', 'upstream', 'proxy1', 'proxy4'];
const BUDGET_S = parseDurationMs(flags.duration) / 1000;
const ROUNDS = Number(flags.rounds);
const WARMUP_S = Math.max(2.5, parseDurationMs(flags.warmup) / 1000); // the spawn ramp alone takes 2 s
const ONLY = new Set(flags.only.split(',').map((x) => x.trim()));
const unknown = [...ONLY].filter((x) => !COMPONENTS.includes(x));
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || unknown.length > 0) {
  if (unknown.length > 0) console.error(`--only: unknown ${unknown.join(', ')} (known: ${COMPONENTS.join(', ')})`);
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) console.error(`--rounds: a whole number ≥ 1, got ${flags.rounds}`);
  process.exit(2);
}
const UPSTREAM_SCRIPT = new URL('./upstream.js', import.meta.url).pathname;
const FLOOR_SCRIPT = new URL('./proxy.js', import.meta.url).pathname;
const MODEL = (SEED_TEMPLATE.body as { model: string }).model;

/** the seed's rate (1000 users / 0.75 s mean wait); a window that did not hold HELD of it was starved of CPU */
const SEED_RATE = 1333;
const HELD = 0.9;

interface Reference {
  subject: Subject;
  /** the issue's goal for ours / this reference; null: shown for reading the other, no goal */
  goal: number | null;
}

interface Pair {
  key: string;
  name: string;
  ours: Subject;
  refs: Reference[];
  /** per round: ours, then each reference in order */
  windows: Array<{ ours: WindowResult; refs: WindowResult[] }>;
}

const perReq = (w: WindowResult) => w.cpuUs / Math.max(1, w.requests);
const rate = (w: WindowResult) => w.requests / w.seconds;

/** Starts each service in turn; each is in `running` as soon as it is up, so a later failure stops it too. */
async function startServers(running: Running[], args: string[][], script = BENCH_JS): Promise<Running> {
  const r: Running = { urls: [], pids: [], services: [] };
  running.push(r);
  for (const a of args) {
    // generous: four instances and their PostgreSQL migrations on a busy 2-core machine
    const s = await startService(a, script, 60_000);
    r.services.push(s);
    r.urls.push(...((s.ready.urls as string[] | undefined) ?? [s.ready.url as string]));
    r.pids.push(s.child.pid!, ...((s.ready.pids as number[] | undefined) ?? []));
  }
  return r;
}

function proxyConfig(dir: string, name: string, upstreamUrl: string, general: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `model_list:\n  - model_name: ${MODEL}\n    litellm_params:\n      model: openai/any\n      api_base: ${upstreamUrl}/chat/completions\n      api_key: test\n` +
      `general_settings:\n  master_key: ${MASTER_KEY}\n${general}`,
  );
  return file;
}

function seedBodyFile(dir: string): string {
  const opts = validateLoadOptions({ targets: ['http://127.0.0.1/'], model: { kind: 'closed', users: 1, spawnRate: 1 }, durationMs: 1, templates: [SEED_TEMPLATE] });
  const t = compileTemplates(opts.templates).compiled[0];
  const file = join(dir, 'body.json');
  writeFileSync(file, renderBody(t, newRequestId(), 0, newBodyBuffer(t)));
  return file;
}

function fmtRange(xs: number[], digits = 0): string {
  return `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
}

function report(pairs: Pair[]): void {
  console.log(`\nseed load: ${ROUNDS} interleaved round(s); CPU µs/request, median (min–max) over the rounds that held the rate; ratio = ours / reference per round`);
  console.log(`${'component (vs reference)'.padEnd(62)} ${'ours'.padStart(16)} ${'reference'.padStart(16)} ${'ratio'.padStart(20)}   goal        req/s o/r  rounds held`);
  let starved = 0;
  for (const p of pairs) {
    p.refs.forEach((ref, i) => {
      // a round where either side could not hold the seed's rate was starved of CPU: its CPU per
      // request reads high on that side only. Such rounds count only when no round held.
      const held = p.windows.filter((w) => rate(w.ours) >= HELD * SEED_RATE && rate(w.refs[i]) >= HELD * SEED_RATE);
      starved += p.windows.length - held.length;
      const ws = held.length > 0 ? held : p.windows;
      if (ws.length === 0) return;
      const ours = ws.map((w) => perReq(w.ours));
      const theirs = ws.map((w) => perReq(w.refs[i]));
      const ratios = ws.map((w) => perReq(w.ours) / perReq(w.refs[i]));
      const r = median(ratios);
      const rps = `${median(ws.map((w) => rate(w.ours))).toFixed(0)}/${median(ws.map((w) => rate(w.refs[i]))).toFixed(0)}`;
      const fails = ws.reduce((n, w) => n + w.ours.failures + w.refs[i].failures, 0);
      const goal = ref.goal === null ? '(no goal)  ' : `≤ ${ref.goal.toFixed(1)}× ${r <= ref.goal ? 'met ' : 'MISS'}`;
      const rounds = held.length > 0 ? `${held.length}/${p.windows.length}` : `0/${p.windows.length} (all starved)`;
      console.log(
        `${`${p.name} (vs ${ref.subject.name})`.padEnd(62)} ${fmtRange(ours).padStart(16)} ${fmtRange(theirs).padStart(16)} ${`${fmtRange(ratios, 2)}×`.padStart(20)}   ${goal} ${rps.padStart(9)}  ${rounds}${fails ? `  ${fails} failures!` : ''}`,
      );
    });
  }
  if (starved > 0)
    console.log(`\n${starved} comparison round(s) left out: one side fell below ${HELD * 100}% of the seed's ~${SEED_RATE} req/s (the machine was saturated then)`);
  console.log('\n(2-core machine, possibly shared: read the ratios, and the spread over rounds)');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gb-bench-seed-load-'));
  const running: Running[] = [];
  let db: ScratchDatabase | null = null;
  const sink = new CountingServer();
  const pairs: Pair[] = [];
  const add = (key: string, name: string, ours: Subject, ...refs: Reference[]) => {
    if (ONLY.has(key)) pairs.push({ key, name, ours, refs, windows: [] });
  };
  try {
    await sink.start();
    const bodyFile = seedBodyFile(dir);
    let ourRate = SEED_RATE; // replaced by our generator's rate as measured
    add(
      'generator',
      'load generator',
      ourGenerator(sink),
      { subject: autocannonGenerator(sink, bodyFile, () => ourRate), goal: 1.2 },
      { subject: floorGenerator(sink, bodyFile), goal: null },
    );

    const upstream = await startServers(running, [['upstream', '--port', '0']]);
    const upstreamUrl = upstream.urls[0];
    if (ONLY.has('upstream')) {
      const minimal = await startServers(running, [['--minimal-server']], UPSTREAM_SCRIPT);
      add('upstream', 'fake upstream', serverSubject('fake upstream', upstream, 'x'), { subject: serverSubject('minimal node:http', minimal, 'x'), goal: 1.1 });
    }
    if (ONLY.has('proxy1')) {
      const proxy = await startServers(running, [['proxy', '--config', proxyConfig(dir, 'proxy1', upstreamUrl, ''), '--port', '0']]);
      const floor = await startServers(running, [['--floor-server', upstreamUrl]], FLOOR_SCRIPT);
      add('proxy1', 'proxy, 1 instance, master key', serverSubject('proxy', proxy, MASTER_KEY), { subject: serverSubject('node:http+undici floor', floor, MASTER_KEY), goal: 1.3 });
    }
    if (ONLY.has('proxy4')) {
      db = await scratchDatabase('gb_bench');
      const cfg = proxyConfig(dir, 'proxy4', upstreamUrl, `  database_url: ${db.url}\n  proxy_batch_write_at: 1\n`);
      const proxy = await startServers(running, [['proxy', '--config', cfg, '--port', '0', '--instances', '4']]);
      const floors = await startServers(running, [0, 1, 2, 3].map(() => ['--floor-server', upstreamUrl]), FLOOR_SCRIPT);
      const key = await generateKey(proxy.urls[0]);
      add('proxy4', 'proxy, 4 instances, key + spend logs', serverSubject('proxy ×4', proxy, key), { subject: serverSubject('floor ×4', floors, MASTER_KEY), goal: 1.4 });
    }

    const perRound = pairs.reduce((n, p) => n + 1 + p.refs.length, 0);
    const windowS = Math.max(3, BUDGET_S / Math.max(1, perRound * ROUNDS) - WARMUP_S);
    process.stderr.write(`bench:seed-load: ${pairs.map((p) => p.key).join(', ')}; ${ROUNDS} rounds of ${WARMUP_S} s warm-up + ${windowS.toFixed(1)} s measured per subject, A B A B\n`);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const p of pairs) {
        const ours = await p.ours.measure(WARMUP_S, windowS);
        if (p.key === 'generator') ourRate = ours.requests / ours.seconds;
        const refs: WindowResult[] = [];
        for (const r of p.refs) refs.push(await r.subject.measure(WARMUP_S, windowS));
        p.windows.push({ ours, refs });
        const vs = refs.map((w, i) => `${p.refs[i].subject.name} ${perReq(w).toFixed(1)} (${(perReq(ours) / perReq(w)).toFixed(2)}×, ${(w.requests / w.seconds).toFixed(0)} req/s${w.failures ? `, ${w.failures} failures` : ''})`);
        process.stderr.write(
          `  round ${round} ${p.name}: ours ${perReq(ours).toFixed(1)} µs/req (${(ours.requests / ours.seconds).toFixed(0)} req/s${ours.failures ? `, ${ours.failures} failures` : ''}) vs ${vs.join(', ')}\n`,
        );
      }
    }
    report(pairs);
  } finally {
    await sink.close();
    for (const r of running.reverse()) await Promise.all(r.services.map(stop));
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
