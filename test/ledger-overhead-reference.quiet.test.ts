// The test of the method: for the reference proxy, which reports its own overhead in
// x-litellm-overhead-duration-ms, the overhead measured from the outside (client times joined
// with the upstream's ledger) must agree with the header, the hops a gateway adds accounted for.
//
// Why the old form failed ~1 run in 3 (issue 23 §3): it compared p50(ledger) with
// p50(header) + 2 × p50(direct), three percentiles of three distributions. On this 2-core VM a
// process wake-up costs 0.1–1 ms and depends on what else runs, and a proxied request crosses
// more wake-ups than two direct hops (a do-nothing forwarder measured ledger − header 0.20–0.40 ms
// at p50 while 2 × direct was 0.07–0.17 ms). Contention then widened the gap at random.
//
// What it does now, and why that is deterministic:
// - pairs each request's ledger figure with that same request's header (the load generator keeps
//   the header value beside the request's times, opt-in: recordRequestHeader), so the gap
//   ledger − header of one request holds only what the header leaves out — transits and wake-ups
//   on the way — and one request's contention sits on both sides of the subtraction;
// - takes a LOW percentile (p10) of those gaps: the requests that met no contention decide, and
//   at least a tenth of ~1000 back-to-back requests meet none even on a loaded machine;
// - the yardstick is not a model of hops but a do-nothing forwarder (test/helpers/null-gateway.ts)
//   with the same hop structure and a header known to be right, measured interleaved in the same
//   run (rounds alternate targets), so machine state moves both alike.
// What it still catches: a header that leaves out part of the gateway's own work — the proxy's
//   send to the upstream, booked as waiting — raises every request's gap by that work. The same
//   forwarder, with a send that costs SEND_WORK_US and the bug switched on, must fail the very
//   check the reference proxy passes (second test). A wrong ledger timestamp, a misjoined id or
//   a client clock read at the wrong moment moves the gap of the proxy, not of the yardstick, or
//   breaks the join (unmatched > 0).
// Resolution: the check sees an omission larger than TOLERANCE_MS (a send costing less, on this
//   VM, hides in the wake-up noise); SEND_WORK_US is well above it so the proof does not flap.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEED_TEMPLATE } from '../loadgen/index.js';
import { Registry } from '../runner/services/registry.js';
import { startUpstream, type UpstreamHandle } from '../runner/services/upstream.js';
import { runComparison } from '../runner/targets/compare-run.js';
import { startTarget } from '../runner/targets/index.js';
import { fetchLedger, headerGapsUs } from '../runner/targets/ledger-overhead.js';
import { loadgenRound } from '../runner/targets/loadgen-round.js';
import { startService, type Service } from '../lib/process.js';
import { OVERHEAD_HEADER } from '../lib/measure.js';
import { isUnavailable, type ClientTimes, type RunRound, type StartedTarget } from '../runner/targets/types.js';
import { failureCount } from '../lib/result.js';

const TOLERANCE_MS = 0.3;
const OVERCOUNT_MS = 0.5;
const SEND_WORK_US = 1000;
const LOW = 0.1;
const HEADER = OVERHEAD_HEADER;

const registry = new Registry();
const services: Service[] = [];
let up: UpstreamHandle;
let tmpDir: string;
let ref: StartedTarget | null = null;
/** per target name: p10 of ledger − header per request, ms, and a diagnostic line */
const low = new Map<string, { p: number; diag: string; n: number }>();
let runDiag = '';

async function nullGateway(name: string, bug: boolean): Promise<StartedTarget> {
  const js = fileURLToPath(new URL('./helpers/null-gateway.js', import.meta.url));
  const args = [js, up.url, '--send-work-us', String(SEND_WORK_US), ...(bug ? ['--wait-from-dispatch'] : [])];
  const svc = await startService<{ url: string }>(name, process.execPath, args, { timeoutMs: 10_000 });
  services.push(svc);
  const { url } = svc.ready;
  return { name, kind: 'url', baseUrls: [url], chatPath: '/v1/chat/completions', headers: {}, pids: [svc.pid], overheadHeader: HEADER, stop: async () => void (await svc.stop()) };
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

before(async () => {
  up = await startUpstream(registry, { latency: 'fixed:0', ttft: null, interTokenMs: null, errorRate: {}, hangRate: 0, config: null }, 'fixed:0', () => {});
  tmpDir = await mkdtemp(join(tmpdir(), 'gatebench-ledger-ref-'));
  const ctx = { upstreamUrl: up.url, tmpDir, model: 'db-openai-endpoint' };
  const o = await startTarget({ type: 'reference' }, ctx);
  assert.ok(!isUnavailable(o), isUnavailable(o) ? o.unavailable : '');
  ref = o as StartedTarget;
  assert.equal(ref.overheadHeader, HEADER);
  const yard = await nullGateway('null', false);
  const buggy = await nullGateway('null-send-as-wait', true);
  // one request at a time, back to back: nothing waits in a queue, so every figure is a
  // transit or work, never queueing
  const inner = loadgenRound({ template: SEED_TEMPLATE, model: { kind: 'closed', users: 1, spawnRate: 100, wait: { constant: 0 } }, roundWarmupMs: 300, pairHeader: true });
  const times = new Map<string, ClientTimes[]>();
  const runRound: RunRound = async (t, ms, r) => {
    const out = await inner(t, ms, r);
    if (out.times) (times.get(t.name) ?? times.set(t.name, []).get(t.name)!).push(out.times);
    return out;
  };
  const result = await runComparison({ targets: [ref, yard, buggy], upstreamUrl: up.url, runRound, rounds: 3, roundMs: 1500, warmupMs: 500 });
  const ledger = (await fetchLedger(up.url, 0)).entries;
  for (const v of result.variants) {
    assert.equal(failureCount(v.failures), 0, `${v.name}: ${JSON.stringify(v.failures)}`);
    assert.ok(v.requests > 100, `${v.name}: requests ${v.requests}`);
    assert.equal(v.gateway?.ledger_unmatched, 0, `${v.name}: every request found in the ledger`);
    const parts = (times.get(v.name) ?? []).map((t) => headerGapsUs(t, ledger));
    const all = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
    let k = 0;
    for (const p of parts) (all.set(p, k), (k += p.length));
    all.sort();
    assert.ok(all.length >= v.requests * 0.9, `${v.name}: ${all.length} requests paired with their header of ${v.requests}`);
    const ms = (q: number) => (quantile(all, q) / 1000).toFixed(3);
    const p = quantile(all, LOW) / 1000;
    const diag = `${v.name}: ledger − header per request p5 ${ms(0.05)} p10 ${ms(0.1)} p25 ${ms(0.25)} p50 ${ms(0.5)} ms (n ${all.length}); header p50 ${v.overhead_ms?.p50} ms, ledger p50 ${v.overhead_ledger_ms?.p50} ms`;
    low.set(v.name, { p, diag, n: all.length });
  }
  runDiag = [...low.values()].map((x) => x.diag).join(' | ');
  const r = result.variants[0];
  assert.ok(typeof r.gateway_cpu_us_per_req === 'number' && r.gateway_cpu_us_per_req > 0, 'CPU charged to the proxy');
  assert.ok(typeof r.gateway_rss_mb === 'number' && r.gateway_rss_mb > 10, 'RSS of the proxy');
});
after(async () => {
  await ref?.stop();
  for (const s of services) await s.stop();
  await registry.teardown();
  await rm(tmpDir, { recursive: true, force: true });
});

/** The check: what `name`'s header leaves out, at p10, is no more than what a do-nothing
 *  forwarder's does (+TOLERANCE_MS), nor far less (−OVERCOUNT_MS: a header counting the upstream's
 *  time as its own). The band is lopsided on purpose: the forwarder's header leaves out its
 *  response work (collecting the body, writing the answer), which the reference proxy's counts,
 *  so the reference sits 0.04–0.23 ms below it (20 runs). */
function headerProblem(name: string): string | null {
  const g = low.get(name)!.p;
  const y = low.get('null')!.p;
  if (g - y <= TOLERANCE_MS && y - g <= OVERCOUNT_MS) return null;
  return `${name}: p10 of ledger − header ${g.toFixed(3)} ms vs the do-nothing forwarder's ${y.toFixed(3)} ms (allowed −${OVERCOUNT_MS} … +${TOLERANCE_MS} ms)`;
}

test('reference proxy: its header leaves out no more than a do-nothing forwarder (p10 of per-request ledger − header, at most 0.3 ms more)', (t) => {
  t.diagnostic(runDiag);
  const problem = headerProblem('reference');
  assert.equal(problem, null, `${problem} | ${runDiag}`);
});

test('the check fails on a header that books the gateway’s own send as waiting', (t) => {
  t.diagnostic(runDiag);
  assert.notEqual(headerProblem('null-send-as-wait'), null, `the check missed the bug: ${runDiag}`);
});
