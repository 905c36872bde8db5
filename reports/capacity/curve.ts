// report.md's curve of a capacity search: every step of every target, in the order measured.
import type { RunResult } from '../../lib/result.js';

const n = (x: number | null, d = 2) => (x === null ? '—' : x.toFixed(d));

export function renderCurveMarkdown(r: RunResult): string {
  const out = ['## Curve', '', 'Every step, in the order first measured (latency in ms; "over direct" = client p99 − the floor\'s p50). A doubtful break was measured again: its row is its median run, with every run\'s p99 over direct after the verdict.'];
  for (const v of r.variants) {
    const c = v.capacity;
    if (!c) continue;
    out.push('', `### ${v.name}`, '', '| offered req/s | s | answered req/s | p50 | p99 | p99 over direct | header p99 | failures | CPU µs/req | RSS MB | verdict |', '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const s of c.curve) {
      const runs = s.runs_over_direct_p99_ms ? ` (runs: ${s.runs_over_direct_p99_ms.map((x) => n(x)).join(' / ')})` : '';
      out.push(`| ${s.offered_rate} | ${n((s.step_ms ?? c.step_ms) / 1000, 1)} | ${s.achieved_rps} | ${n(s.latency_p50_ms)} | ${n(s.latency_p99_ms)} | ${n(s.over_direct_p99_ms)} | ${n(s.header_p99_ms)} | ${(s.failure_ratio * 100).toFixed(1)} % | ${n(s.cpu_us_per_req, 0)} | ${n(s.rss_mb, 1)} | ${s.verdict}${runs}${s.reasons?.length ? `: ${s.reasons[0].replace(/\|/g, '\\|')}` : ''} |`);
    }
  }
  return out.join('\n');
}
