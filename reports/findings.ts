// Findings computed from the numbers, in the seed page's style ("4 instances vs 2: median
// latency −50%, p99 −80%"). Pure: a result in, sentences out. Variants are paired when
// their names (`k=v,k=v`) differ in exactly one matrix key, the first value being the base.
import type { RunResult, VariantResult } from '../lib/result.js';
import { change, int, ms, rps } from './format.js';
import { totalFailures } from './tables.js';
import { directFinding, rigAdvice, steadyFinding } from './rig.js';
import { describePaired, pairedChange } from './paired.js';

const MAX_PAIRS = 24;

export function parseAxes(name: string): Record<string, string> | null {
  if (!name.includes('=')) return null;
  const out: Record<string, string> = {};
  for (const part of name.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) return null;
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

function pairLabel(key: string, from: string, to: string, rest: string): string {
  const head = key === 'instances' ? `${to} instances vs ${from}` : key === 'users' ? `${to} users vs ${from}` : `${key}=${to} vs ${key}=${from}`;
  return rest ? `${head} (${rest})` : head;
}

/** "median latency 200 → 100 ms (−50%)" for the figures that exist on both sides. */
export function describeChange(a: VariantResult, b: VariantResult): string {
  const parts: string[] = [];
  const lat = (label: string, x: number | undefined, y: number | undefined) => {
    if (x === undefined || y === undefined) return;
    parts.push(`${label} ${ms(x)} → ${ms(y)} ms (${change(x, y)})`);
  };
  lat('median latency', a.latency_ms.p50, b.latency_ms.p50);
  lat('p95', a.latency_ms.p95, b.latency_ms.p95);
  lat('p99', a.latency_ms.p99, b.latency_ms.p99);
  if (a.overhead_ms && b.overhead_ms) {
    lat('overhead p50', a.overhead_ms.p50, b.overhead_ms.p50);
    lat('overhead p99', a.overhead_ms.p99, b.overhead_ms.p99);
  }
  parts.push(`RPS ${rps(a.rps)} → ${rps(b.rps)} (${change(a.rps, b.rps)})`);
  if (a.gateway_cpu_us_per_req != null && b.gateway_cpu_us_per_req != null) {
    parts.push(`CPU ${int(a.gateway_cpu_us_per_req)} → ${int(b.gateway_cpu_us_per_req)} µs/request (${change(a.gateway_cpu_us_per_req, b.gateway_cpu_us_per_req)})`);
  }
  if (a.gateway_rss_mb != null && b.gateway_rss_mb != null) {
    parts.push(`RSS ${int(a.gateway_rss_mb)} → ${int(b.gateway_rss_mb)} MB (${change(a.gateway_rss_mb, b.gateway_rss_mb)})`);
  }
  return parts.join(', ');
}

/**
 * The findings. Pairs of variants first, largest p99 change first (interleaved variants: the
 * largest paired change, reports/paired.ts); `maxPairs` keeps the console to the few largest
 * real ones (the Markdown and HTML get them all) and `omitted` counts what it left out.
 * A pair with an unreliable side says so: sequential variants on a saturated machine differ by
 * drift and contention as much as by their setting.
 */
export function findings(r: RunResult, o: { maxPairs?: number; omitted?: { pairs: number } } = {}): string[] {
  const out: string[] = [];
  const pairFindings: { text: string; size: number; real: boolean }[] = [];
  const vs = r.variants;
  const axes = vs.map((v) => parseAxes(v.name));
  // The first value seen of each key is that key's base.
  const firstValue: Record<string, string> = {};
  for (const a of axes) if (a) for (const [k, val] of Object.entries(a)) firstValue[k] ??= val;
  let pairs = 0;
  for (let i = 0; i < vs.length && pairs < MAX_PAIRS; i++) {
    const bi = axes[i];
    if (!bi) continue;
    for (let j = 0; j < vs.length && pairs < MAX_PAIRS; j++) {
      const bj: Record<string, string> | null = axes[j];
      if (i === j || !bj) continue;
      const keys: string[] = Object.keys(bi);
      if (keys.length !== Object.keys(bj).length) continue;
      const diff: string[] = keys.filter((k: string) => bi[k] !== bj[k]);
      if (diff.length !== 1 || !(diff[0] in bj)) continue;
      const key = diff[0];
      if (bi[key] !== firstValue[key]) continue; // i is the base side
      const rest = keys.filter((k: string) => k !== key).map((k: string) => `${k}=${bi[k]}`).join(',');
      const shaky = [vs[i], vs[j]].filter((v) => !v.reliable).map((v) => v.name);
      const caveat = shaky.length ? ` (not to be read as the setting's effect: ${shaky.join(' and ')} unreliable — see the notes)` : '';
      // interleaved variants are judged round by round: only what the rounds agree on is stated
      const paired = pairedChange(vs[i], vs[j]);
      if (paired) {
        const size = paired.size;
        pairFindings.push({ text: `${pairLabel(key, bi[key], bj[key], rest)}: ${describePaired(paired)}${caveat}.`, size: shaky.length ? size / 10 : size, real: size > 0 });
      } else {
        const size = Math.abs(ratio(vs[i].latency_ms.p99, vs[j].latency_ms.p99) ?? 0);
        pairFindings.push({ text: `${pairLabel(key, bi[key], bj[key], rest)}: ${describeChange(vs[i], vs[j])}${caveat}.`, size: shaky.length ? size / 10 : size, real: true });
      }
      pairs++;
    }
  }
  const keep = o.maxPairs ?? MAX_PAIRS;
  // a short list (the console) keeps the largest real effects only: "no measurable difference"
  // pairs are in the full list (Markdown, HTML)
  const candidates = o.maxPairs !== undefined ? pairFindings.filter((p) => p.real) : pairFindings;
  const ranked = keep < candidates.length || candidates !== pairFindings ? [...candidates].sort((a, b) => b.size - a.size).slice(0, keep) : candidates;
  if (o.omitted) o.omitted.pairs = pairFindings.length - ranked.length;
  for (const p of ranked) out.push(p.text);
  for (const v of vs) {
    if (v.overhead_ms && v.latency_ms.p50 > 0) {
      const share = (v.overhead_ms.p50 / v.latency_ms.p50) * 100;
      out.push(`${v.name}: the gateway's own overhead is ${ms(v.overhead_ms.p50)} ms at the median (${share >= 10 ? Math.round(share) : share >= 0.1 ? share.toFixed(1) : '<0.1'}% of the request's latency), ${ms(v.overhead_ms.p99)} ms at p99.`);
    }
    if (v.integrity && !v.integrity.ok) {
      const lost = v.integrity.checks.filter((c) => !c.ok).map((c) => `${c.name} — ${int(c.expected - c.actual)} missing of ${int(c.expected)}`);
      out.push(`${v.name} LOST DATA (${lost.join('; ')}): it fails whatever its latency.`);
    }
    const overDirect = directFinding(v);
    if (overDirect) out.push(overDirect);
    const advice = rigAdvice(v);
    if (advice) out.push(advice);
    const steady = steadyFinding(v);
    if (steady) out.push(steady);
    const f = totalFailures(v);
    if (f > 0) out.push(`${v.name}: ${int(f)} of ${int(v.requests)} requests failed (${((f / Math.max(1, v.requests)) * 100).toFixed(2)}%).`);
  }
  if (vs.length > 1) {
    const best = [...vs].sort((a, b) => a.latency_ms.p99 - b.latency_ms.p99)[0];
    out.push(`Lowest p99 latency: ${best.name} (${ms(best.latency_ms.p99)} ms).`);
  }
  return out;
}

/** Exported for the tests and the compare command: a change as a number (−0.5 = −50%). */
export function ratio(from: number, to: number): number | null {
  return from === 0 ? null : (to - from) / Math.abs(from);
}
