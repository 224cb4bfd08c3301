// Self-contained HTML reports: the results as embedded JSON, chart.js (UMD build) inlined, no network.
// A report opens from disk or an attachment and shows the same thing years later.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { CompareResult } from './compare.js';
import type { BenchResult } from './runner.js';
import type { TuneResult } from './tune.js';

let chartJsSource: string | undefined;

/** chart.js's UMD bundle, made safe to sit inside a <script> element. */
export function chartJsInline(): string {
  if (chartJsSource === undefined) {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('chart.js'));
    const src = readFileSync(path.join(dir, 'chart.umd.js'), 'utf8');
    chartJsSource = src.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
  }
  return chartJsSource;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that can sit inside <script type="application/json"> without ending it. */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;color:#1b1f24;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#57606a;margin-bottom:16px}
table{border-collapse:collapse;margin:8px 0 16px;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #d0d7de;padding:4px 10px;text-align:right}th:first-child,td:first-child,.l2 th:nth-child(2),.l2 td:nth-child(2){text-align:left}
th{background:#f6f8fa}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:20px}
.chart{border:1px solid #d0d7de;border-radius:6px;padding:10px;height:340px;position:relative}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:6px;margin:6px 0}
.best{background:#dafbe1}
code{background:#f6f8fa;padding:1px 4px;border-radius:4px}
`;

/** Shared client-side helpers; every chart is drawn without animation so the page is complete at load. */
const CLIENT_JS = `
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
const PALETTE = ['#0969da','#cf222e','#1a7f37','#8250df','#bf8700','#57606a','#e16f24','#1b7c83'];
const color = (i) => PALETTE[i % PALETTE.length];
const DATA = JSON.parse(document.getElementById('bench-data').textContent);
function chart(id, config) { return new Chart(document.getElementById(id), config); }
`;

function page(title: string, body: string, data: unknown, script: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style>
<script>${chartJsInline()}</script>
</head><body>
${body}
<script type="application/json" id="bench-data">${jsonForScript(data)}</script>
<script>
${CLIENT_JS}
${script}
window.__benchChartsReady = true;
</script>
</body></html>
`;
}

const f1 = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1)) : '-');
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
const fms = (v: number) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) : '-');

function machineLine(m: BenchResult['machine'], command?: string): string {
  return (
    `${m.cpus} CPU(s) ${escapeHtml(m.cpuModel)}, ${(m.totalMemBytes / 1024 ** 3).toFixed(1)} GiB RAM, Node ${escapeHtml(m.node)}, ${escapeHtml(m.platform)}, ` +
    `load average at start ${(m.loadAverage ?? []).join(' / ')}` +
    (command ? `<br>command: <code>${escapeHtml(command)}</code>` : '')
  );
}

function runTable(r: BenchResult): string {
  const rows = Object.entries(r.ops)
    .map(([op, s]) => {
      const l = s.latencyMs;
      const errs = Object.entries(s.errorsByCode).map(([c, n]) => `${escapeHtml(c)} ×${n}`).join(', ');
      let row = `<tr><td>${escapeHtml(op)}</td><td>${s.ops.toLocaleString('en-US')}</td><td>${f1(s.opsPerSec)}</td><td>${f2(s.mibPerSec)}</td><td>${fms(l.p50)}</td><td>${fms(l.p90)}</td><td>${fms(l.p99)}</td><td>${fms(l.p999)}</td><td>${fms(l.max)}</td><td>${s.errors}${errs ? ` (${errs})` : ''}</td></tr>`;
      if (s.ttfbMs) {
        const t = s.ttfbMs;
        row += `<tr><td>${escapeHtml(op)} TTFB</td><td></td><td></td><td></td><td>${fms(t.p50)}</td><td>${fms(t.p90)}</td><td>${fms(t.p99)}</td><td>${fms(t.p999)}</td><td>${fms(t.max)}</td><td></td></tr>`;
      }
      return row;
    })
    .join('');
  return `<table><thead><tr><th>op</th><th>ops</th><th>ops/s</th><th>MiB/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>errors</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function clientLine(r: BenchResult): string {
  const c = r.client;
  const s = r.server;
  const server = s ? ` Server (pid ${s.pid}): CPU ${s.cpuPctOfOneCore.toFixed(0)}% of one core (${s.cpuPctOfMachine.toFixed(0)}% of ${s.cores} cores, all threads).` : '';
  return `Generator: CPU ${c.cpuPctOfOneCore.toFixed(0)}% of one core (${c.cpuPctOfMachine.toFixed(0)}% of ${c.cores} cores), event loop busy ${(c.eventLoopUtilization * 100).toFixed(0)}%, loop delay p99 ${c.eventLoopDelayP99Ms.toFixed(1)} ms.${server}`;
}

export function renderRunHtml(r: BenchResult): string {
  const w = r.workload;
  const title = `strata bench: ${w.op} ${w.size} → ${r.target.name}`;
  const notes = r.notes.map((n) => `<div class="note">${escapeHtml(n)}</div>`).join('');
  const body = `
<h1>${escapeHtml(title)}</h1>
<div class="meta">${escapeHtml(r.target.endpoint)} · started ${escapeHtml(r.startedAt)} · ${(r.elapsedMs / 1000).toFixed(1)} s measured (stopped by ${r.stoppedBy}) · concurrency ${w.concurrency} · seed ${w.seed} · payload ${escapeHtml(w.payloadHash)}<br>${machineLine(r.machine, r.command)}</div>
${runTable(r)}
<p>${clientLine(r)}</p>${notes}
<div class="charts">
<div class="chart"><canvas id="c-ops"></canvas></div>
<div class="chart"><canvas id="c-mib"></canvas></div>
<div class="chart"><canvas id="c-pct"></canvas></div>
<div class="chart"><canvas id="c-hist"></canvas></div>
</div>`;
  const script = `
const ops = Object.keys(DATA.ops);
// The last second is usually partial (the phase ends mid-second): scale it to a rate, or drop it when under half.
const lastFrac = DATA.elapsedMs / 1000 - (DATA.timeline.seconds - 1);
const shown = lastFrac < 0.5 && DATA.timeline.seconds > 1 ? DATA.timeline.seconds - 1 : DATA.timeline.seconds;
const secs = Array.from({length: shown}, (_, i) => i + 1);
const series = (field, scale) => ops.map((op, i) => ({ label: op, borderColor: color(i), backgroundColor: color(i), pointRadius: 2,
  data: (DATA.timeline.perOp[op][field] || []).slice(0, shown).map((v, s) => (s === DATA.timeline.seconds - 1 && lastFrac > 0 ? v / Math.min(1, lastFrac) : v) * scale) }));
chart('c-ops', { type: 'line', data: { labels: secs, datasets: series('ops', 1) },
  options: { plugins: { title: { display: true, text: 'Throughput per second (ops/s)' } }, scales: { x: { title: { display: true, text: 'second' } }, y: { beginAtZero: true } } } });
chart('c-mib', { type: 'line', data: { labels: secs, datasets: series('bytes', 1 / 1048576) },
  options: { plugins: { title: { display: true, text: 'Throughput per second (MiB/s)' } }, scales: { x: { title: { display: true, text: 'second' } }, y: { beginAtZero: true } } } });
const pcts = ['p50', 'p90', 'p99', 'p999', 'max'];
chart('c-pct', { type: 'bar', data: { labels: ['p50', 'p90', 'p99', 'p99.9', 'max'],
  datasets: ops.map((op, i) => ({ label: op, backgroundColor: color(i), data: pcts.map((p) => DATA.ops[op].latencyMs[p]) })) },
  options: { plugins: { title: { display: true, text: 'Latency percentiles (ms)' } }, scales: { y: { type: 'logarithmic', title: { display: true, text: 'ms' } } } } });
chart('c-hist', { type: 'line', data: { datasets: ops.map((op, i) => {
    const total = DATA.ops[op].histogramMs.reduce((a, b) => a + b[2], 0) || 1;
    return { label: op, borderColor: color(i), backgroundColor: color(i), pointRadius: 2, stepped: false,
      data: DATA.ops[op].histogramMs.map(([lo, hi, c]) => ({ x: Math.sqrt(lo * hi), y: (100 * c) / total })) };
  }) },
  options: { parsing: true, plugins: { title: { display: true, text: 'Latency distribution (% of requests per log bin)' } },
    scales: { x: { type: 'logarithmic', title: { display: true, text: 'latency ms' } }, y: { beginAtZero: true, title: { display: true, text: '%' } } } } });
`;
  return page(title, body, r, script);
}

export function renderCompareHtml(r: CompareResult): string {
  const title = `strata bench compare: ${r.workload}`;
  const names = r.targets.map((t) => t.name);
  const rows: string[] = [];
  for (const t of r.targets) {
    for (const [op, s] of Object.entries(r.summary[t.name] ?? {})) {
      rows.push(
        `<tr><td>${escapeHtml(t.name)}</td><td>${escapeHtml(op)}</td><td>${f1(s.opsPerSec.median)}</td><td>${f1(s.opsPerSec.min)}..${f1(s.opsPerSec.max)}</td><td>${f2(s.mibPerSec.median)}</td><td>${fms(s.p50Ms.median)}</td><td>${fms(s.p99Ms.median)}</td><td>${s.errors}</td></tr>`,
      );
    }
  }
  const ratioRows: string[] = [];
  for (const [name, perOp] of Object.entries(r.ratios)) {
    for (const [op, q] of Object.entries(perOp)) {
      const f = (s: { min: number; median: number; max: number }) => `${f2(s.median)}× (${f2(s.min)}..${f2(s.max)})`;
      ratioRows.push(`<tr><td>${escapeHtml(name)} / ${escapeHtml(names[0]!)}</td><td>${escapeHtml(op)}</td><td>${f(q.opsPerSec)}</td><td>${f(q.p50Ms)}</td><td>${f(q.p99Ms)}</td></tr>`);
    }
  }
  const body = `
<h1>${escapeHtml(title)}</h1>
<div class="meta">${r.rounds} round(s), interleaved ${names.map(escapeHtml).join(' → ')} · started ${escapeHtml(r.startedAt)}<br>${machineLine(r.machine, r.command)}<br>
${r.targets.map((t) => `${escapeHtml(t.name)}: ${escapeHtml(t.endpoint)} (${t.kind})`).join(' · ')}</div>
<h2>Medians over rounds</h2>
<table class="l2"><thead><tr><th>target</th><th>op</th><th>ops/s (median)</th><th>ops/s min..max</th><th>MiB/s</th><th>p50 ms</th><th>p99 ms</th><th>errors</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<h2>Ratios to ${escapeHtml(names[0]!)} (per round: median, min..max)</h2>
<table class="l2"><thead><tr><th>ratio</th><th>op</th><th>ops/s</th><th>p50</th><th>p99</th></tr></thead><tbody>${ratioRows.join('')}</tbody></table>
${r.clientBoundRuns ? `<div class="note">${r.clientBoundRuns} run(s) were client-bound: the generator may have been the limit.</div>` : ''}
<div class="charts">
<div class="chart"><canvas id="c-ops"></canvas></div>
<div class="chart"><canvas id="c-lat"></canvas></div>
<div class="chart"><canvas id="c-rounds"></canvas></div>
</div>`;
  const script = `
const names = DATA.targets.map((t) => t.name);
const ops = [...new Set(names.flatMap((n) => Object.keys(DATA.summary[n] || {})))];
chart('c-ops', { type: 'bar', data: { labels: ops, datasets: names.map((n, i) => ({ label: n, backgroundColor: color(i), data: ops.map((op) => DATA.summary[n][op]?.opsPerSec.median ?? null) })) },
  options: { plugins: { title: { display: true, text: 'Throughput, median over rounds (ops/s)' } }, scales: { y: { beginAtZero: true } } } });
chart('c-lat', { type: 'bar', data: { labels: ops.flatMap((op) => [op + ' p50', op + ' p99']),
  datasets: names.map((n, i) => ({ label: n, backgroundColor: color(i), data: ops.flatMap((op) => [DATA.summary[n][op]?.p50Ms.median ?? null, DATA.summary[n][op]?.p99Ms.median ?? null]) })) },
  options: { plugins: { title: { display: true, text: 'Latency, median over rounds (ms)' } }, scales: { y: { type: 'logarithmic' } } } });
chart('c-rounds', { type: 'line', data: { labels: DATA.runs.map((_, i) => 'round ' + (i + 1)),
  datasets: names.flatMap((n, i) => ops.map((op, j) => ({ label: n + ' ' + op, borderColor: color(i), backgroundColor: color(i), borderDash: j ? [4, 3] : [],
    data: DATA.runs.map((round) => round[i].ops[op]?.opsPerSec ?? null) }))) },
  options: { plugins: { title: { display: true, text: 'Throughput per round (ops/s) — noise shows as spread' } }, scales: { y: { beginAtZero: true } } } });
`;
  return page(title, body, r, script);
}

export function renderTuneHtml(r: TuneResult): string {
  const title = `strata bench tune: ${r.workloads.map((w) => w.name).join(', ')}`;
  const rows: string[] = [];
  for (const c of r.cells) {
    for (const wl of r.workloads) {
      const x = c.results[wl.name];
      const isBest = r.best[wl.name]?.best?.cell === c.id;
      rows.push(
        x
          ? `<tr${isBest ? ' class="best"' : ''}><td>${escapeHtml(c.id)}</td><td>${escapeHtml(wl.name)}</td><td>${f1(x.opsPerSec)}</td><td>${f2(x.mibPerSec)}</td><td>${fms(x.p50Ms)}</td><td>${fms(x.p99Ms)}</td><td>${x.errors}</td></tr>`
          : `<tr><td>${escapeHtml(c.id)}</td><td>${escapeHtml(wl.name)}</td><td colspan="5">failed${c.error ? ': ' + escapeHtml(c.error) : ''}</td></tr>`,
      );
    }
  }
  const bestLines = r.workloads
    .map((wl) => {
      const b = r.best[wl.name];
      if (!b?.best) return `<li>${escapeHtml(wl.name)}: no error-free cell</li>`;
      const f = (x: { cell: string; result: { opsPerSec: number; mibPerSec: number; p99Ms: number } }) =>
        `<code>${escapeHtml(x.cell)}</code> — ${f1(x.result.opsPerSec)} ops/s, ${f2(x.result.mibPerSec)} MiB/s, p99 ${fms(x.result.p99Ms)} ms`;
      return `<li><b>${escapeHtml(wl.name)}</b>: best ${f(b.best)}${b.runnerUp ? `; runner-up ${f(b.runnerUp)}` : ''}</li>`;
    })
    .join('');
  const body = `
<h1>${escapeHtml(title)}</h1>
<div class="meta">${r.cells.length} cell(s) · ${r.durationMs} ms per run · ${r.rounds > 1 ? `medians of ${r.rounds} rounds` : 'one round'} · concurrency ${r.concurrency} · started ${escapeHtml(r.startedAt)}<br>${machineLine(r.machine, r.command)}<br>
grid: ${r.grid.map((g) => `${escapeHtml(g.key)} (${escapeHtml(g.flag)}) = ${g.values.map(escapeHtml).join(', ')}`).join(' · ')}</div>
<h2>Best per workload</h2><ul>${bestLines}</ul>
<h2>All cells</h2>
<table class="l2"><thead><tr><th>cell</th><th>workload</th><th>ops/s</th><th>MiB/s</th><th>p50 ms</th><th>p99 ms</th><th>errors</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<div class="charts">${r.workloads.map((_, i) => `<div class="chart"><canvas id="c-w${i}"></canvas></div>`).join('')}</div>`;
  const script = `
DATA.workloads.forEach((wl, i) => {
  const best = DATA.best[wl.name]?.best?.cell;
  chart('c-w' + i, { type: 'bar', data: { labels: DATA.cells.map((c) => c.id),
    datasets: [{ label: wl.name + ' ops/s', data: DATA.cells.map((c) => c.results[wl.name]?.opsPerSec ?? null),
      backgroundColor: DATA.cells.map((c) => c.id === best ? '#1a7f37' : '#0969da') }] },
    options: { indexAxis: 'y', plugins: { title: { display: true, text: wl.name + ': ops/s per configuration (green = best)' } }, scales: { x: { beginAtZero: true } } } });
});
`;
  return page(title, body, r, script);
}
