// Plain-text tables for the terminal.

import type { BenchResult } from './runner.js';
import type { Percentiles } from './stats.js';
import { formatBytes, formatDuration } from './units.js';

export function table(header: string[], rows: string[][], alignLeft = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => (i < alignLeft ? (c ?? '').padEnd(widths[i]!) : (c ?? '').padStart(widths[i]!))).join('  ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

export function num(v: number, digits = 1): string {
  if (!Number.isFinite(v)) return '-';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(digits);
}

export function ms(v: number): string {
  if (!Number.isFinite(v)) return '-';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function latencyCells(p: Percentiles): string[] {
  return [ms(p.p50), ms(p.p90), ms(p.p99), ms(p.p999), ms(p.max)];
}

export function formatRunReport(r: BenchResult): string {
  const out: string[] = [];
  const w = r.workload;
  out.push(
    `${w.op === 'multipart' ? `multipart ${w.parts}×${formatBytes(w.partSizeBytes ?? 0)}` : `${w.op} ${w.size}`}, concurrency ${w.concurrency} → ${r.target.name} ${r.target.endpoint} ` +
      `(${formatDuration(r.elapsedMs)} measured, stopped by ${r.stoppedBy}, seed ${w.seed})`,
  );
  const rows: string[][] = [];
  for (const [op, s] of Object.entries(r.ops)) {
    rows.push([op, s.ops.toLocaleString('en-US'), num(s.opsPerSec), num(s.mibPerSec, 2), ...latencyCells(s.latencyMs), String(s.errors)]);
    if (s.ttfbMs) rows.push([`${op} ttfb`, '', '', '', ...latencyCells(s.ttfbMs), '']);
  }
  if (Object.keys(r.ops).length > 1) {
    rows.push(['total', r.total.ops.toLocaleString('en-US'), num(r.total.opsPerSec), num(r.total.mibPerSec, 2), '', '', '', '', '', String(r.total.errors)]);
  }
  out.push(table(['op', 'ops', 'ops/s', 'MiB/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'errors'], rows));
  const errs = Object.entries(r.ops).flatMap(([op, s]) => Object.entries(s.errorsByCode).map(([code, n]) => `${op} ${code} ×${n}`));
  if (errs.length) out.push(`errors: ${errs.join(', ')}`);
  out.push(formatClientUsage(r));
  if (r.server) out.push(`server: pid ${r.server.pid}, CPU ${r.server.cpuPctOfOneCore.toFixed(0)}% of one core (${r.server.cpuPctOfMachine.toFixed(0)}% of ${r.server.cores} cores, all threads)`);
  const m = r.machine;
  out.push(`machine: ${m.cpus} CPU(s) ${m.cpuModel}, Node ${m.node}, load average at start ${m.loadAverage.join(' / ')}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

export function formatClientUsage(r: BenchResult): string {
  const c = r.client;
  return (
    `client: CPU ${c.cpuPctOfOneCore.toFixed(0)}% of one core (${c.cpuPctOfMachine.toFixed(0)}% of ${c.cores} cores), ` +
    `event loop busy ${(c.eventLoopUtilization * 100).toFixed(0)}%, loop delay p99 ${c.eventLoopDelayP99Ms.toFixed(1)} ms` +
    (c.likelyClientBound ? ' — CLIENT-BOUND: these numbers may measure the generator' : '')
  );
}
