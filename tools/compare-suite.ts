// The BENCHMARKS.md peer table: Strata vs s3rver, same run, interleaved rounds, one `strata bench compare`
// per workload. Prints a Markdown table of medians and the Strata/s3rver ratio (min..median..max).
//
//   node dist/tools/compare-suite.js [--rounds 3] [--duration 5s] [--quick] [--out DIR]
//
// Every compare starts its own throwaway Strata node and s3rver on loopback and stops them (their temp
// directories go with them, so --keep only skips per-object cleanup: s3rver's DELETE scans its whole
// directory and cleaning thousands of objects took minutes per round).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../src/bench/peers.js';

interface Stat {
  min: number;
  median: number;
  max: number;
}
interface OpSummary {
  opsPerSec: Stat;
  mibPerSec: Stat;
  p50Ms: Stat;
  p99Ms: Stat;
  errors: number;
  /** Absent in JSON from before the server CPU was measured. */
  serverCpuPct?: Stat;
  clientCpuPct?: Stat;
}
interface CompareJson {
  workload: string;
  summary: Record<string, Record<string, OpSummary>>;
  ratios: Record<string, Record<string, { opsPerSec: Stat }>>;
  clientBoundRuns: number;
  command: string;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const rounds = arg('rounds', '3');
const duration = arg('duration', '5s');
const outDir = arg('out', path.join(os.tmpdir(), `strata-compare-${Date.now()}`));
const quick = process.argv.includes('--quick');
mkdirSync(outDir, { recursive: true });

// [op, size, concurrency, extra flags]
const WORKLOADS: [string, string, number, string[]][] = [
  ['put', '4KiB', 16, []],
  ['get', '4KiB', 16, ['--objects', '500']],
  ['put', '4KiB', 64, []],
  ['get', '4KiB', 64, ['--objects', '500']],
  ['put', '64KiB', 16, []],
  ['get', '64KiB', 16, ['--objects', '300']],
  ['put', '1MiB', 16, []],
  ['get', '1MiB', 16, ['--objects', '100']],
  ['put', '1MiB', 64, []],
  ['get', '1MiB', 64, ['--objects', '100']],
  ['put', '16MiB', 16, []],
  ['get', '16MiB', 16, ['--objects', '24']],
  ['mixed', '4KiB..1MiB:log', 16, ['--objects', '300']],
  ['multipart', '5MiB', 8, ['--parts', '4']],
];

const bin = path.join(repoRoot(), 'bin', 'strata.js');
const rows: string[] = [];
const selected = quick ? WORKLOADS.filter(([, size, c]) => c === 16 && (size === '4KiB' || size === '1MiB')) : WORKLOADS;
for (const [op, size, concurrency, extra] of selected) {
  const json = path.join(outDir, `${op}-${size.replace(/[^\w]/g, '_')}-c${concurrency}.json`);
  const args = [bin, 'bench', 'compare', '--target', 'strata', '--target', 's3rver', op, '--size', size, '--concurrency', String(concurrency), '--duration', duration, '--warmup', '1s', '--rounds', rounds, '--json', json, '--quiet', '--keep', ...extra];
  process.stderr.write(`… ${op} ${size} c=${concurrency}\n`);
  try {
    execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], timeout: 15 * 60_000 });
  } catch (err) {
    rows.push(`| ${op} | ${size} | ${concurrency} | failed: ${(err as Error).message.split('\n')[0]} | | | | | |`);
    continue;
  }
  const r = JSON.parse(readFileSync(json, 'utf8')) as CompareJson;
  const strata = Object.values(r.summary['strata'] ?? {})[0];
  const peer = Object.values(r.summary['s3rver'] ?? {})[0];
  const ratio = Object.values(r.ratios['s3rver'] ?? {})[0]?.opsPerSec;
  if (!strata || !peer || !ratio) {
    rows.push(`| ${op} | ${size} | ${concurrency} | no summary in ${json} | | | | | |`);
    continue;
  }
  // The compare reports s3rver/strata; the table wants strata/s3rver.
  const inv = (x: number) => (x > 0 ? 1 / x : NaN);
  const f = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const errs = strata.errors + peer.errors;
  const cpu = (x: Stat | undefined) => (x && Number.isFinite(x.median) ? `${f(x.median)}%` : '-');
  rows.push(
    `| ${op} | ${size} | ${concurrency} | ${f(strata.opsPerSec.median)} (${f(strata.mibPerSec.median, 1)} MiB/s) | ${f(peer.opsPerSec.median)} (${f(peer.mibPerSec.median, 1)} MiB/s) | **${f(inv(ratio.median), 2)}×** (${f(inv(ratio.max), 2)}..${f(inv(ratio.min), 2)}) | ${f(strata.p50Ms.median, 1)} / ${f(strata.p99Ms.median, 1)} | ${f(peer.p50Ms.median, 1)} / ${f(peer.p99Ms.median, 1)} | ${cpu(strata.serverCpuPct)} / ${cpu(peer.serverCpuPct)} / ${cpu(strata.clientCpuPct)} |${errs ? ` errors: ${errs}` : ''}${r.clientBoundRuns ? ` client-bound runs: ${r.clientBoundRuns}` : ''}`,
  );
}

console.log(`Strata vs s3rver — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, rounds ${rounds} × ${duration}, load at end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('');
console.log('| op | size | conc. | Strata ops/s (MiB/s) | s3rver ops/s (MiB/s) | Strata / s3rver, median (min..max) | Strata p50 / p99 ms | s3rver p50 / p99 ms | CPU: Strata / s3rver / client |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(`\nJSON per workload: ${outDir}`);
