// report.html: one self-contained file — uPlot (JS and CSS) inlined from node_modules, the
// data embedded as JSON — that opens offline. Charts: latency p50/p99 and RPS over time,
// and the percentile distribution of latency and overhead per variant (log scales), from
// the encoded HDR histograms. Pure apart from reading uPlot's files.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ninesDistribution, OVERHEAD_HEADER, type NinesDistribution } from '../lib/measure.js';
import type { RunResult, VariantResult } from '../lib/result.js';
import { COMPARE_HEAD, SEED_HEAD, comparisonRows, machineLine, notes, seedRows } from './tables.js';
import { capacityChart, frontierTable, type CapacityChart } from './capacity/table.js';
import { findings } from './findings.js';
import { ROUNDS_CAPTION, roundsTable } from './rounds.js';
import { gatewayOverheadSeries, gatewayTable } from './gateways/index.js';
import { rigChart, type RigChart } from './rig.js';

const require = createRequire(import.meta.url);
let uplotAssets: { js: string; css: string } | null = null;
function uplot(): { js: string; css: string } {
  if (uplotAssets) return uplotAssets;
  const dist = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  uplotAssets = { js: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'), css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8') };
  return uplotAssets;
}

export type Distribution = NinesDistribution;
/** The percentile distribution of an encoded histogram (µs), on the nines grid (lib/measure.ts). */
export const distribution = ninesDistribution;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function htmlTable(head: string[], rows: string[][], alignRightFrom: number): string {
  const th = head.map((h, i) => `<th${i >= alignRightFrom ? ' class="n"' : ''}>${esc(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c, i) => `<td${i >= alignRightFrom ? ' class="n"' : ''}${c.startsWith('LOST DATA') ? ' class="bad"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

interface ChartData {
  variants: string[];
  time: { t: number[]; p50: (number | null)[][]; p99: (number | null)[][]; rps: (number | null)[][] };
  latency: (Distribution | null)[];
  overhead: (Distribution | null)[];
  overheadTitle: string;
  /** per variant: where the CPU went, per second (null without a rig section) */
  rig: (RigChart | null)[];
  /** warm-up seconds before t = 0, shaded on the per-second charts */
  warmup_s: number;
  /** a capacity search: p99 over direct against offered rate (reports/capacity) */
  capacity?: CapacityChart;
}

function chartData(r: RunResult): ChartData {
  const maxT = Math.max(0, ...r.variants.map((v) => v.timeseries.at(-1)?.t ?? 0));
  // the warm-up is not in the latency series: its seconds are there empty, to be shaded
  const warm = maxT > 0 ? Math.round(Math.max(0, ...r.variants.map((v) => v.rig?.warmup_s ?? 0))) : 0;
  const t = Array.from({ length: maxT + warm }, (_x, i) => i + 1 - warm);
  const col = (v: VariantResult, f: (s: VariantResult['timeseries'][number]) => number | null) => {
    const byT = new Map(v.timeseries.map((s) => [s.t, s]));
    return t.map((x) => {
      const s = byT.get(x);
      return s ? f(s) : null;
    });
  };
  return {
    variants: r.variants.map((v) => v.name),
    time: {
      t,
      p50: r.variants.map((v) => col(v, (s) => s.p50_ms)),
      p99: r.variants.map((v) => col(v, (s) => s.p99_ms)),
      rps: r.variants.map((v) => col(v, (s) => s.requests)),
    },
    ...(r.comparison
      ? // every target's overhead measured the same way (the ledger), on one chart
        { ...pick(gatewayOverheadSeries(r)), overheadTitle: 'Gateway overhead by percentile, from the upstream’s ledger (ms, log)' }
      : {
          latency: r.variants.map((v) => distribution(v.histograms.latency)),
          overhead: r.variants.map((v) => distribution(v.histograms.headers?.[OVERHEAD_HEADER])),
          overheadTitle: 'Gateway overhead by percentile (ms, log)',
        }),
    rig: r.variants.map((v) => (v.rig && v.rig.series.length > 0 ? rigChart(v.rig) : null)),
    warmup_s: warm,
    ...(r.capacity_search ? { capacity: capacityChart(r) } : {}),
  };
}

const pick = ({ latency, overhead }: ReturnType<typeof gatewayOverheadSeries>) => ({ latency, overhead });

// Runs in the browser. Plain ES2017, no imports: uPlot is a global from the inlined IIFE.
const CLIENT = String.raw`
(function () {
  var D = JSON.parse(document.getElementById('gb-data').textContent);
  var COLORS = ['#1f77b4','#d62728','#2ca02c','#ff7f0e','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf','#393b79','#637939'];
  var W = Math.min(1000, document.body.clientWidth - 40);
  var drawn = 0;
  function nineLabel(n) { var p = 100 * (1 - Math.pow(10, -n)); return (p >= 99 ? p.toFixed(Math.max(0, Math.round(n) - 2)) : p.toFixed(0)) + '%'; }
  function make(id, title, series, data, opts) {
    var el = document.getElementById(id);
    if (!el || data[0].length === 0) return;
    var o = { title: title, width: W, height: 320, series: [{}].concat(series), scales: opts.scales, axes: opts.axes, legend: { live: true }, hooks: opts.hooks || {} };
    new uPlot(o, data, el);
    drawn++;
  }
  var t = D.time.t;
  var s = [], d = [t];
  D.variants.forEach(function (v, i) {
    s.push({ label: v + ' p50', stroke: COLORS[i % 12], width: 1.5, spanGaps: true });
    s.push({ label: v + ' p99', stroke: COLORS[i % 12], width: 1.5, dash: [6, 4], spanGaps: true });
    d.push(D.time.p50[i]); d.push(D.time.p99[i]);
  });
  // the warm-up (x ≤ 0) shaded grey behind the series
  function shade() {
    return { drawClear: [function (u) {
      if (u.scales.x.min >= 0) return;
      var x0 = u.valToPos(u.scales.x.min, 'x', true), x1 = u.valToPos(Math.min(0, u.scales.x.max), 'x', true);
      u.ctx.save(); u.ctx.fillStyle = 'rgba(0,0,0,0.08)'; u.ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height); u.ctx.restore();
    }] };
  }
  make('chart-latency-time', 'Latency over time (ms, p50 solid, p99 dashed; warm-up shaded)', s, d, { scales: { x: { time: false }, y: { distr: 3 } }, axes: [{ label: 'second' }, { label: 'ms' }], hooks: shade() });
  var STACK = ['#d62728','#1f77b4','#2ca02c','#9467bd','#ff7f0e','#8c564b'];
  D.rig.forEach(function (r, i) {
    if (!r) return;
    var ser = [], dat = [r.t];
    // cumulative stacks, the tallest painted first so each kind shows as its own band
    for (var k = r.stacks.length - 1; k >= 0; k--) {
      ser.push({ label: r.labels[k] + (k > 0 ? ' (stacked)' : ''), stroke: STACK[k % 6], fill: STACK[k % 6] + '88', width: 1, spanGaps: true, points: { show: false } });
      dat.push(r.stacks[k]);
    }
    ser.push({ label: 'machine busy', stroke: '#000', width: 1.5, dash: [5, 4], spanGaps: true, points: { show: false } });
    dat.push(r.machine);
    make('chart-rig-' + i, D.variants[i] + ': where the CPU went (% of one core, stacked; dashed: the whole machine; warm-up shaded)', ser, dat, { scales: { x: { time: false }, y: { range: function (u, lo, hi) { return [0, Math.max(100, hi)]; } } }, axes: [{ label: 'second' }, { label: '% of a core' }], hooks: shade() });
  });
  s = []; d = [t];
  D.variants.forEach(function (v, i) { s.push({ label: v, stroke: COLORS[i % 12], width: 1.5, spanGaps: true }); d.push(D.time.rps[i]); });
  make('chart-rps-time', 'Requests per second', s, d, { scales: { x: { time: false } }, axes: [{ label: 'second' }, { label: 'req/s' }], hooks: shade() });
  function dist(id, title, list) {
    var xs = null; list.forEach(function (x) { if (x && (!xs || x.nines.length > xs.length)) xs = x.nines; });
    if (!xs) return;
    var ser = [], dat = [xs];
    D.variants.forEach(function (v, i) {
      var x = list[i]; if (!x) return;
      var ys = xs.map(function (_n, k) { var y = x.ms[k]; return y == null || y <= 0 ? null : y; });
      ser.push({ label: v, stroke: COLORS[i % 12], width: 1.5, spanGaps: true }); dat.push(ys);
    });
    make(id, title, ser, dat, {
      scales: { x: { time: false }, y: { distr: 3 } },
      axes: [{ label: 'percentile', splits: function (u) { var out = []; for (var n = 0; n <= u.scales.x.max + 1e-9; n++) out.push(n); return out; }, values: function (u, sp) { return sp.map(nineLabel); } }, { label: 'ms' }]
    });
  }
  dist('chart-latency-dist', 'Latency by percentile (ms, log)', D.latency);
  dist('chart-overhead-dist', D.overheadTitle, D.overhead);
  if (D.capacity) capacity(D.capacity);
  // p99 over direct against the offered rate, both log: one line per target, the SLOs dashed, the frontier points marked
  function capacity(C) {
    var xs = []; C.rate.forEach(function (r) { r.forEach(function (x) { if (xs.indexOf(x) < 0) xs.push(x); }); });
    xs.sort(function (a, b) { return a - b; });
    var at = function (rates, vals, x) { var k = rates.indexOf(x); return k < 0 ? null : vals[k]; };
    var ser = [], dat = [xs];
    C.targets.forEach(function (v, i) {
      ser.push({ label: v + ' p99', stroke: COLORS[i % 12], width: 1.5, spanGaps: true });
      dat.push(xs.map(function (x) { return at(C.rate[i], C.p99[i], x); }));
      // steps the rig could not drive (generator or machine verdict): hollow rings off the line
      if (C.untrusted && C.untrusted[i].some(function (y) { return y != null; })) {
        ser.push({ label: v + ' untrusted (rig)', stroke: COLORS[i % 12], width: 0, points: { show: true, size: 10, width: 2, fill: '#fff' }, spanGaps: false });
        dat.push(xs.map(function (x) { return at(C.rate[i], C.untrusted[i], x); }));
      }
      var fr = C.frontier[i].map(function (p) { return p[0]; }), fy = C.frontier[i].map(function (p) { return p[1]; });
      ser.push({ label: v + ' frontier', stroke: COLORS[i % 12], width: 0, points: { show: true, size: 11, fill: COLORS[i % 12] }, spanGaps: false });
      dat.push(xs.map(function (x) { return at(fr, fy, x); }));
    });
    C.slos.forEach(function (slo) {
      ser.push({ label: 'SLO ' + slo + ' ms', stroke: '#888', width: 1, dash: [4, 4], points: { show: false } });
      dat.push(xs.map(function () { return slo; }));
    });
    make('chart-capacity', 'p99 over direct against offered rate (ms and req/s, log; dashed: the SLOs; dots: each SLO\u2019s frontier; rings: steps the rig could not drive, untrusted)', ser, dat, { scales: { x: { time: false, distr: 3 }, y: { distr: 3 } }, axes: [{ label: 'offered req/s' }, { label: 'ms' }] });
  }
  document.body.setAttribute('data-charts-drawn', String(drawn));
})();
`;

/** JSON that is safe inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A capacity search's frontier table (targets as columns), its notes and its chart. */
function capacitySection(r: RunResult): string {
  const f = frontierTable(r);
  return `<h2>Capacity frontier</h2>\n${htmlTable(f.head, f.rows, 1)}\n<ul>${f.notes.map((x) => `<li><small>${esc(x)}</small></li>`).join('')}</ul>\n<div class="chart" id="chart-capacity"></div>`;
}

/** A gateway comparison's table (targets as columns) and its notes. */
function gatewaysSection(r: RunResult): string {
  const g = gatewayTable(r);
  return `<h2>Gateways</h2>\n${htmlTable(g.head, g.rows, 1)}\n<ul>${g.notes.map((x) => `<li><small>${esc(x)}</small></li>`).join('')}</ul>`;
}

export function renderHtml(r: RunResult): string {
  const { js, css } = uplot();
  const data = chartData(r);
  const f = findings(r);
  const rounds = roundsTable(r);
  const n = notes(r);
  const variants = r.variants
    .map((v) => `<h3>${esc(v.name)}</h3><p>${v.duration_s.toFixed(0)} s measured, ${v.requests.toLocaleString('en-US')} requests.</p>${htmlTable(SEED_HEAD, seedRows(v), 2)}`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>gatebench: ${esc(r.scenario)}</title>
<style>${css}</style>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:20px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #ccc;padding:3px 8px}th{background:#f4f4f4}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}td.bad{color:#b00;font-weight:600}
.chart{margin:12px 0 24px}small{color:#666}
</style></head>
<body data-charts-drawn="0">
<h1>gatebench: ${esc(r.scenario)}${r.partial ? ' (partial)' : ''}</h1>
<p><small>Run ${esc(r.run_id)}, ${esc(r.start_time)} → ${esc(r.end_time)}. Machine: ${esc(machineLine(r))}.</small></p>
${r.capacity_search ? capacitySection(r) : ''}
${r.comparison || r.capacity_search ? (r.comparison ? gatewaysSection(r) : '') : `<h2>Comparison</h2><p><small>Latency and overhead in ms.</small></p>\n${htmlTable(COMPARE_HEAD, comparisonRows(r), 1)}`}
${f.length ? `<h2>Findings</h2><ul>${f.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}
${n.length ? `<h2>Notes</h2><ul>${n.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}
${
  // interleaved rounds (a comparison, a matrix) have no time line per variant: a matrix shows its rounds
  r.comparison || r.capacity_search
    ? ''
    : rounds
    ? `<h2>Rounds</h2><p><small>${esc(ROUNDS_CAPTION)}</small></p>\n${htmlTable(rounds.head, rounds.rows, 1)}`
    : `<h2>Over time</h2>\n<div class="chart" id="chart-latency-time"></div>\n${data.rig.map((x, i) => (x ? `<div class="chart" id="chart-rig-${i}"></div>` : '')).join('\n')}\n<div class="chart" id="chart-rps-time"></div>`
}
<h2>Distribution</h2>
<div class="chart" id="chart-latency-dist"></div>
<div class="chart" id="chart-overhead-dist"></div>
<h2>Variants</h2>
${variants}
<script id="gb-data" type="application/json">${scriptJson(data)}</script>
<script>${js.replace(/<\/script/gi, '<\\/script')}</script>
<script>${CLIENT}</script>
</body></html>
`;
}
