// `strata bench compare`: the same workload (same seed) against several targets, interleaved round by round
// (A B A B …) so that drift on a shared machine — another job, thermal state, page cache — hits every target
// alike. Ratios are taken within a round (target / first target), then summarised as min / median / max.

import {
  OUTPUT_FLAGS,
  UsageError,
  WORKLOAD_FLAGS,
  int,
  multi,
  parseTargetSpec,
  str,
  bool,
  workloadFromArgs,
  type FlagSpec,
  type ParsedArgs,
} from './args.js';
import { startS3rverPeer, startStrataNode, type Peer } from './peers.js';
import { formatRunReport, num, ms, table } from './report-text.js';
import { describeWorkload, machineInfo, runBench, type BenchResult, type RunHooks, type Target } from './runner.js';
import { median } from './stats.js';

export const MAX_ROUNDS = 50;
export const MAX_TARGETS = 8;

export const COMPARE_FLAGS: FlagSpec[] = [
  { name: 'target', kind: 'multi', arg: 'SPEC', help: "NAME=URL,KEY,SECRET, or 's3rver' / 'strata' (start a throwaway peer / node); repeat" },
  { name: 'rounds', kind: 'string', arg: 'N', help: 'rounds; each runs every target once, in order', default: '3' },
  { name: 'region', kind: 'string', arg: 'R', help: 'SigV4 region for explicit targets', default: 'us-east-1' },
  { name: 'strata-flag', kind: 'multi', arg: 'FLAG', help: "extra server flag for a throwaway Strata node, e.g. --strata-flag=--ec=2+1" },
  ...WORKLOAD_FLAGS,
  ...OUTPUT_FLAGS,
];

export interface Spread {
  min: number;
  median: number;
  max: number;
  values: number[];
}

export interface CompareOpSummary {
  opsPerSec: Spread;
  mibPerSec: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  errors: number;
  /** Server process CPU, % of one core (all threads), when the target is a local process. */
  serverCpuPct: Spread;
  /** The generator's own CPU, % of one core. */
  clientCpuPct: Spread;
}

export interface CompareResult {
  schema: 'strata-bench-compare/1';
  startedAt: string;
  machine: BenchResult['machine'];
  command?: string;
  workload: string;
  rounds: number;
  targets: { name: string; endpoint: string; kind: 'explicit' | 's3rver' | 'strata' }[];
  /** runs[round][targetIndex] */
  runs: BenchResult[][];
  /** summary[target][op] */
  summary: Record<string, Record<string, CompareOpSummary>>;
  /** ratios[target][op]: this target / the first target, per round. Higher is better for ops/s and MiB/s, lower for latency. */
  ratios: Record<string, Record<string, { opsPerSec: Spread; mibPerSec: Spread; p50Ms: Spread; p99Ms: Spread }>>;
  errors: number;
  clientBoundRuns: number;
}

export function spread(values: number[]): Spread {
  const finite = values.filter(Number.isFinite);
  return {
    min: finite.length ? Math.min(...finite) : NaN,
    median: median(finite),
    max: finite.length ? Math.max(...finite) : NaN,
    values,
  };
}

/** Pure: builds summary and ratios from runs[round][target]. */
export function summarizeCompare(names: string[], runs: BenchResult[][]): Pick<CompareResult, 'summary' | 'ratios' | 'errors' | 'clientBoundRuns'> {
  const summary: CompareResult['summary'] = {};
  const ratios: CompareResult['ratios'] = {};
  const ops = new Set<string>();
  for (const round of runs) for (const r of round) for (const op of Object.keys(r.ops)) ops.add(op);
  let errors = 0;
  let clientBoundRuns = 0;
  for (const round of runs) for (const r of round) {
    errors += r.total.errors;
    if (r.client.likelyClientBound) clientBoundRuns++;
  }
  names.forEach((name, t) => {
    summary[name] = {};
    for (const op of ops) {
      const per = runs.map((round) => round[t]!.ops[op]);
      summary[name]![op] = {
        opsPerSec: spread(per.map((s) => s?.opsPerSec ?? NaN)),
        mibPerSec: spread(per.map((s) => s?.mibPerSec ?? NaN)),
        p50Ms: spread(per.map((s) => s?.latencyMs.p50 ?? NaN)),
        p99Ms: spread(per.map((s) => s?.latencyMs.p99 ?? NaN)),
        errors: per.reduce((a, s) => a + (s?.errors ?? 0), 0),
        serverCpuPct: spread(runs.map((round) => round[t]!.server?.cpuPctOfOneCore ?? NaN)),
        clientCpuPct: spread(runs.map((round) => round[t]!.client.cpuPctOfOneCore)),
      };
    }
    if (t === 0) return;
    ratios[name] = {};
    for (const op of ops) {
      const r = (f: (s: BenchResult['ops'][string]) => number) =>
        spread(
          runs.map((round) => {
            const a = round[0]!.ops[op];
            const b = round[t]!.ops[op];
            return a && b && f(a) > 0 ? f(b) / f(a) : NaN;
          }),
        );
      ratios[name]![op] = { opsPerSec: r((s) => s.opsPerSec), mibPerSec: r((s) => s.mibPerSec), p50Ms: r((s) => s.latencyMs.p50), p99Ms: r((s) => s.latencyMs.p99) };
    }
  });
  return { summary, ratios, errors, clientBoundRuns };
}

export async function runCompare(a: ParsedArgs, hooks: RunHooks): Promise<CompareResult> {
  const specs = multi(a, 'target');
  if (specs.length < 2) throw new UsageError('compare needs at least two --target');
  if (specs.length > MAX_TARGETS) throw new UsageError(`at most ${MAX_TARGETS} targets`);
  if (a.positionals.length > 1) throw new UsageError(`unexpected arguments: ${a.positionals.slice(1).join(' ')}`);
  const rounds = int(a, 'rounds', 3, 1, MAX_ROUNDS);
  const workload = workloadFromArgs(a, a.positionals[0]);
  if (workload.bucket !== undefined) throw new UsageError('--bucket is not supported by compare (each target gets its own bucket)');
  const region = str(a, 'region') ?? 'us-east-1';
  const parsed = specs.map((s) => parseTargetSpec(s, region));
  const names = parsed.map((p) => p.name);
  if (new Set(names).size !== names.length) throw new UsageError(`target names must be distinct: ${names.join(', ')}`);
  const info = hooks.onInfo ?? (() => {});

  const peers: Peer[] = [];
  try {
    const targets: Target[] = [];
    const kinds: CompareResult['targets'] = [];
    for (const p of parsed) {
      if ('builtin' in p) {
        info(`starting a throwaway ${p.builtin} for target '${p.name}'`);
        const peer = p.builtin === 's3rver' ? await startS3rverPeer({ name: p.name }) : await startStrataNode({ name: p.name, flags: multi(a, 'strata-flag') });
        peers.push(peer);
        targets.push(peer.pid === undefined ? peer.target : { ...peer.target, serverPid: peer.pid });
        kinds.push({ name: p.name, endpoint: peer.target.endpoint, kind: p.builtin });
      } else {
        targets.push(p);
        kinds.push({ name: p.name, endpoint: p.endpoint, kind: 'explicit' });
      }
    }
    const startedAt = new Date().toISOString();
    const machine = machineInfo();
    const runs: BenchResult[][] = [];
    for (let round = 0; round < rounds && !hooks.signal?.aborted; round++) {
      const row: BenchResult[] = [];
      for (const target of targets) {
        if (hooks.signal?.aborted) break;
        info(`round ${round + 1}/${rounds}: ${describeWorkload(workload)} → ${target.name} (${target.endpoint})`);
        const r = await runBench(target, workload, hooks);
        if (!bool(a, 'quiet')) info(formatRunReport(r).split('\n').slice(1, 3 + Object.keys(r.ops).length).join('\n'));
        row.push(r);
      }
      // An interrupted round is dropped: ratios need every target in the round.
      if (row.length === targets.length) runs.push(row);
    }
    if (runs.length === 0) throw new Error('interrupted before the first round completed');
    return {
      schema: 'strata-bench-compare/1',
      startedAt,
      machine,
      workload: describeWorkload(workload),
      rounds: runs.length,
      targets: kinds,
      runs,
      ...summarizeCompare(names, runs),
    };
  } finally {
    for (const p of peers) await p.stop().catch(() => {});
  }
}

export function formatCompareReport(r: CompareResult): string {
  const out: string[] = [`compare: ${r.workload}, ${r.rounds} round(s), interleaved ${r.targets.map((t) => t.name).join(' → ')}`];
  const rows: string[][] = [];
  for (const t of r.targets) {
    for (const [op, s] of Object.entries(r.summary[t.name] ?? {})) {
      const cpu = (x: Spread) => (Number.isFinite(x.median) ? `${x.median.toFixed(0)}%` : '-');
      rows.push([t.name, op, num(s.opsPerSec.median), `${num(s.opsPerSec.min)}..${num(s.opsPerSec.max)}`, num(s.mibPerSec.median, 2), ms(s.p50Ms.median), ms(s.p99Ms.median), cpu(s.serverCpuPct), cpu(s.clientCpuPct), String(s.errors)]);
    }
  }
  out.push(table(['target', 'op', 'ops/s (median)', 'ops/s min..max', 'MiB/s', 'p50 ms', 'p99 ms', 'server CPU', 'client CPU', 'errors'], rows, 2));
  out.push('(CPU: % of one core over the measured phase, medians; server = every thread of the node process)');
  const base = r.targets[0]!.name;
  const ratioRows: string[][] = [];
  for (const [name, perOp] of Object.entries(r.ratios)) {
    for (const [op, q] of Object.entries(perOp)) {
      const f = (s: Spread) => `${s.median.toFixed(2)}× (${s.min.toFixed(2)}..${s.max.toFixed(2)})`;
      ratioRows.push([`${name} / ${base}`, op, f(q.opsPerSec), f(q.p50Ms), f(q.p99Ms)]);
    }
  }
  if (ratioRows.length) {
    out.push('');
    out.push('ratios per round, median (min..max) — throughput: higher is better; latency: lower is better');
    out.push(table(['ratio', 'op', 'ops/s', 'p50', 'p99'], ratioRows, 2));
  }
  if (r.clientBoundRuns) out.push(`note: ${r.clientBoundRuns} run(s) were client-bound (see the JSON 'client' records)`);
  return out.join('\n');
}
