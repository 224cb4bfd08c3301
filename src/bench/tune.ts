// `strata bench tune`: a grid sweep over the node's own knobs. Each grid cell starts a fresh Strata node
// (child process, temp data dir, 127.0.0.1) with that cell's flags, runs every workload on it, stops it.
// Bounded: the grid may have at most --max-cells cells (default 24), each run is bounded by --duration.
//
// Grid keys are short names mapped to the server flags defined in src/config.ts (CONFIG_OPTIONS); a key that
// is not in the map is passed through as `--<key> <value>`, so a new knob can be swept before it gets a name here.

import { OUTPUT_FLAGS, UsageError, WORKLOAD_FLAGS, int, multi, str, workloadFromArgs, type FlagSpec, type ParsedArgs } from './args.js';
import { CONFIG_OPTIONS } from '../config.js';
import { startStrataNode } from './peers.js';
import { ms, num, table } from './report-text.js';
import { describeWorkload, machineInfo, runBench, WORKLOAD_OPS, type BenchResult, type RunHooks, type Workload, type WorkloadOp } from './runner.js';
import { median } from './stats.js';
import { parseDuration, parseSize, parseSizeDistribution } from './units.js';

export const DEFAULT_MAX_CELLS = 24;
export const DEFAULT_GRID = 'workers=1,2;ec=4+2,2+1';
export const DEFAULT_TUNE_DURATION = '5s';

/** Grid key → [server flag, value converter]. Flag names follow src/config.ts. */
export const GRID_KEYS: Record<string, { flag: string; convert: (v: string) => string; help: string }> = {
  workers: { flag: '--worker-threads', convert: intText, help: 'Piscina worker threads' },
  'worker-threads': { flag: '--worker-threads', convert: intText, help: 'Piscina worker threads' },
  block: { flag: '--block-size-bytes', convert: sizeText, help: 'erasure-coding block size (e.g. 256KiB)' },
  'block-size': { flag: '--block-size-bytes', convert: sizeText, help: 'erasure-coding block size' },
  ec: { flag: '--ec', convert: ecText, help: 'erasure scheme k+m (e.g. 4+2)' },
  'commit-window': { flag: '--commit-window-ms', convert: msText, help: 'group commit window (e.g. 1ms)' },
  'commit-max-batch': { flag: '--commit-max-batch', convert: intText, help: 'group commit batch cap' },
  'segment-size': { flag: '--segment-size-bytes', convert: sizeText, help: 'segment roll-over size' },
  'inflight-budget': { flag: '--in-flight-budget-bytes', convert: sizeText, help: 'in-flight byte budget' },
  'in-flight-budget': { flag: '--in-flight-budget-bytes', convert: sizeText, help: 'in-flight byte budget' },
};

function intText(v: string): string {
  if (!/^\d+$/.test(v)) throw new Error(`'${v}' is not an integer`);
  return v;
}
function sizeText(v: string): string {
  return String(parseSize(v));
}
function msText(v: string): string {
  return String(parseDuration(/^\d+(\.\d+)?$/.test(v) ? `${v}ms` : v));
}
function ecText(v: string): string {
  if (!/^\d+\+\d+$/.test(v)) throw new Error(`'${v}' is not k+m`);
  return v;
}

export const TUNE_FLAGS: FlagSpec[] = [
  { name: 'workload', kind: 'string', arg: 'LIST', help: 'comma-separated op:size, e.g. put:4KiB,get:1MiB,mixed:1KiB..1MiB:log' },
  { name: 'grid', kind: 'string', arg: 'SPEC', help: `key=v1,v2;key=… (keys: ${[...new Set(Object.keys(GRID_KEYS))].join(', ')}, or any server flag)`, default: DEFAULT_GRID },
  { name: 'rounds', kind: 'string', arg: 'N', help: 'repeat the whole grid N times (cells interleaved) and report medians', default: '1' },
  { name: 'max-cells', kind: 'string', arg: 'N', help: 'refuse grids with more cells than this', default: String(DEFAULT_MAX_CELLS) },
  { name: 'node-flag', kind: 'multi', arg: 'FLAG', help: 'extra flag for every node, e.g. --node-flag=--log-level=error' },
  ...WORKLOAD_FLAGS.filter((f) => f.name !== 'op' && f.name !== 'size' && f.name !== 'bucket').map((f) =>
    f.name === 'duration' ? { ...f, default: DEFAULT_TUNE_DURATION } : f.name === 'warmup' ? { ...f, default: '1s' } : f.name === 'objects' ? { ...f, default: '200' } : f,
  ),
  ...OUTPUT_FLAGS,
];

export interface GridAxis {
  key: string;
  flag: string;
  values: string[];
  flagValues: string[];
}

/** Every flag `strata server` accepts (src/config.ts): a grid key that is none of them is a typo. */
export const SERVER_FLAGS: ReadonlySet<string> = new Set(CONFIG_OPTIONS.map((o) => `--${o.flag}`));
/** Flags the harness itself sets on every node; sweeping them would break it. */
const RESERVED_FLAGS = new Set(['--data', '--port', '--address', '--drives', '--index-dir']);

export function parseGrid(text: string): GridAxis[] {
  const axes: GridAxis[] = [];
  for (const part of text.split(';').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`--grid: '${part}' should be key=v1,v2`);
    const key = part.slice(0, eq).trim().replace(/^--/, '');
    const values = part.slice(eq + 1).split(',').map((s) => s.trim()).filter(Boolean);
    if (values.length === 0) throw new UsageError(`--grid: '${key}' has no values`);
    if (axes.some((x) => x.key === key)) throw new UsageError(`--grid: '${key}' given twice`);
    const known = GRID_KEYS[key];
    if (known && axes.some((x) => x.flag === known.flag)) throw new UsageError(`--grid: '${key}' sets ${known.flag} twice`);
    if (!/^[a-z][a-z0-9-]*$/.test(key)) throw new UsageError(`--grid: invalid key '${key}'`);
    const flagValues = values.map((v) => {
      try {
        return known ? known.convert(v) : v;
      } catch (err) {
        throw new UsageError(`--grid ${key}: ${(err as Error).message}`);
      }
    });
    const flag = known?.flag ?? `--${key}`;
    if (RESERVED_FLAGS.has(flag)) throw new UsageError(`--grid: ${flag} is set by the harness for every node`);
    if (!SERVER_FLAGS.has(flag)) throw new UsageError(`--grid: '${key}' is neither a grid key (${Object.keys(GRID_KEYS).join(', ')}) nor a server flag`);
    axes.push({ key, flag, values, flagValues });
  }
  if (axes.length === 0) throw new UsageError('--grid is empty');
  return axes;
}

export function gridCellCount(axes: GridAxis[]): number {
  return axes.reduce((n, a) => n * a.values.length, 1);
}

export interface GridCell {
  id: string;
  params: Record<string, string>;
  flags: string[];
}

/** Cartesian product, first axis slowest. */
export function gridCells(axes: GridAxis[]): GridCell[] {
  let cells: GridCell[] = [{ id: '', params: {}, flags: [] }];
  for (const axis of axes) {
    const next: GridCell[] = [];
    for (const c of cells) {
      axis.values.forEach((v, i) => {
        next.push({
          id: c.id ? `${c.id} ${axis.key}=${v}` : `${axis.key}=${v}`,
          params: { ...c.params, [axis.key]: v },
          flags: [...c.flags, axis.flag, axis.flagValues[i]!],
        });
      });
    }
    cells = next;
  }
  return cells;
}

export interface TuneWorkload {
  name: string;
  op: WorkloadOp;
  size: string;
}

export function parseTuneWorkloads(text: string): TuneWorkload[] {
  const out: TuneWorkload[] = [];
  // Split on commas that start a new op:… entry (sizes never contain commas).
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = part.indexOf(':');
    const op = (colon < 0 ? part : part.slice(0, colon)) as WorkloadOp;
    const size = colon < 0 ? '4KiB' : part.slice(colon + 1);
    if (!WORKLOAD_OPS.includes(op)) throw new UsageError(`--workload: unknown operation '${op}' in '${part}'`);
    try {
      parseSizeDistribution(size);
    } catch (err) {
      throw new UsageError(`--workload '${part}': ${(err as Error).message}`);
    }
    out.push({ name: `${op}:${size}`, op, size });
  }
  if (out.length === 0) throw new UsageError('--workload is required, e.g. --workload put:4KiB,get:1MiB');
  return out;
}

export interface TuneCellResult {
  opsPerSec: number;
  mibPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  clientBound: boolean;
}

export interface TuneResult {
  schema: 'strata-bench-tune/1';
  startedAt: string;
  machine: BenchResult['machine'];
  command?: string;
  durationMs: number;
  /** Each cell × workload ran this many times (cells interleaved per round); results are medians. */
  rounds: number;
  concurrency: number;
  grid: { key: string; flag: string; values: string[] }[];
  workloads: TuneWorkload[];
  cells: (GridCell & { error?: string; results: Record<string, TuneCellResult> })[];
  /** Per workload: the best cell (highest ops/s among error-free runs) and the runner-up. */
  best: Record<string, { best?: { cell: string; result: TuneCellResult }; runnerUp?: { cell: string; result: TuneCellResult } }>;
  failedCells: number;
}

/** Pure: best and runner-up per workload. */
export function pickBest(workloads: TuneWorkload[], cells: TuneResult['cells']): TuneResult['best'] {
  const best: TuneResult['best'] = {};
  for (const wl of workloads) {
    const ranked = cells
      .filter((c) => c.results[wl.name] && c.results[wl.name]!.errors === 0 && c.results[wl.name]!.opsPerSec > 0)
      .map((c) => ({ cell: c.id, result: c.results[wl.name]! }))
      .sort((a, b) => b.result.opsPerSec - a.result.opsPerSec);
    best[wl.name] = { best: ranked[0], runnerUp: ranked[1] };
  }
  return best;
}

export async function runTune(a: ParsedArgs, hooks: RunHooks): Promise<TuneResult> {
  const workloads = parseTuneWorkloads(str(a, 'workload') ?? '');
  const axes = parseGrid(str(a, 'grid') ?? DEFAULT_GRID);
  const maxCells = int(a, 'max-cells', DEFAULT_MAX_CELLS, 1, 10_000);
  const n = gridCellCount(axes);
  if (n > maxCells) throw new UsageError(`the grid has ${n} cells, over --max-cells ${maxCells}: narrow it or raise --max-cells`);
  if (a.positionals.length) throw new UsageError(`unexpected arguments: ${a.positionals.join(' ')}`);
  // Fewer prepared objects than `run`: every cell × read workload uploads them again on a fresh node.
  const base = workloadFromArgs(withDefault(a, 'duration', DEFAULT_TUNE_DURATION, 'warmup', '1s', 'objects', '200'), 'put');
  const info = hooks.onInfo ?? (() => {});
  const cells: TuneResult['cells'] = gridCells(axes).map((c) => ({ ...c, results: {} }));
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  let failedCells = 0;
  const rounds = int(a, 'rounds', 1, 1, 20);
  const estimateS = (rounds * cells.length * workloads.length * ((base.durationMs ?? 0) + base.warmupMs)) / 1000;
  info(`tune: ${rounds > 1 ? `${rounds} rounds × ` : ''}${cells.length} cell(s) × ${workloads.length} workload(s), ≥ ${estimateS.toFixed(0)} s of measurement`);
  const perRound = new Map<string, Map<string, TuneCellResult[]>>(); // cell id → workload → one result per round
  for (let round = 0; round < rounds && !hooks.signal?.aborted; round++) {
    for (const [i, cell] of cells.entries()) {
      if (hooks.signal?.aborted) break;
      info(`${rounds > 1 ? `round ${round + 1}/${rounds}, ` : ''}cell ${i + 1}/${cells.length}: ${cell.id}`);
      let node;
      try {
        node = await startStrataNode({ flags: [...cell.flags, ...multi(a, 'node-flag')], name: `strata ${cell.id}` });
      } catch (err) {
        cell.error = (err as Error).message.split('\n')[0];
        info(`  could not start the node: ${cell.error}`);
        continue;
      }
      try {
        for (const wl of workloads) {
          if (hooks.signal?.aborted) break;
          const w: Workload = { ...base, op: wl.op, size: parseSizeDistribution(wl.size) };
          try {
            const r = await runBench(node.target, w, hooks);
            const s = Object.values(r.ops);
            const main = r.ops[wl.op] ?? s[0];
            const one: TuneCellResult = {
              opsPerSec: r.total.opsPerSec,
              mibPerSec: r.total.mibPerSec,
              p50Ms: main?.latencyMs.p50 ?? NaN,
              p99Ms: main?.latencyMs.p99 ?? NaN,
              errors: r.total.errors,
              clientBound: r.client.likelyClientBound,
            };
            const byWl = perRound.get(cell.id) ?? new Map<string, TuneCellResult[]>();
            perRound.set(cell.id, byWl);
            byWl.set(wl.name, [...(byWl.get(wl.name) ?? []), one]);
            info(`  ${describeWorkload(w)}: ${num(one.opsPerSec)} ops/s, ${num(one.mibPerSec, 2)} MiB/s, p99 ${ms(one.p99Ms)} ms, errors ${one.errors}`);
          } catch (err) {
            cell.error = `${wl.name}: ${(err as Error).message}`;
            info(`  ${wl.name} failed: ${(err as Error).message}`);
          }
        }
      } finally {
        await node.stop();
      }
    }
  }
  for (const cell of cells) {
    for (const [wl, list] of perRound.get(cell.id) ?? []) cell.results[wl] = medianResult(list);
    if (cell.error) failedCells++;
  }
  return {
    schema: 'strata-bench-tune/1',
    startedAt,
    machine,
    durationMs: base.durationMs ?? 0,
    rounds,
    concurrency: base.concurrency,
    grid: axes.map((x) => ({ key: x.key, flag: x.flag, values: x.values })),
    workloads,
    cells,
    best: pickBest(workloads, cells),
    failedCells,
  };
}

/** Median of each figure over rounds; errors are summed (a configuration with any error is never "best"). */
export function medianResult(list: TuneCellResult[]): TuneCellResult {
  return {
    opsPerSec: median(list.map((x) => x.opsPerSec)),
    mibPerSec: median(list.map((x) => x.mibPerSec)),
    p50Ms: median(list.map((x) => x.p50Ms)),
    p99Ms: median(list.map((x) => x.p99Ms)),
    errors: list.reduce((a, x) => a + x.errors, 0),
    clientBound: list.some((x) => x.clientBound),
  };
}

function withDefault(a: ParsedArgs, ...pairs: string[]): ParsedArgs {
  const values = new Map(a.values);
  for (let i = 0; i < pairs.length; i += 2) if (!values.has(pairs[i]!)) values.set(pairs[i]!, pairs[i + 1]!);
  return { ...a, values };
}

export function formatTuneReport(r: TuneResult): string {
  const out: string[] = [
    `tune: ${r.cells.length} cell(s), ${r.workloads.map((w) => w.name).join(', ')}, ${r.durationMs} ms each, concurrency ${r.concurrency}` +
      (r.rounds > 1 ? `, medians of ${r.rounds} rounds` : ', one round'),
  ];
  const rows: string[][] = [];
  for (const c of r.cells) {
    if (c.error && Object.keys(c.results).length === 0) {
      rows.push([c.id, '-', 'failed: ' + c.error.slice(0, 60), '', '', '', '']);
      continue;
    }
    for (const wl of r.workloads) {
      const x = c.results[wl.name];
      rows.push(x ? [c.id, wl.name, num(x.opsPerSec), num(x.mibPerSec, 2), ms(x.p50Ms), ms(x.p99Ms), String(x.errors)] : [c.id, wl.name, 'failed', '', '', '', '']);
    }
  }
  out.push(table(['cell', 'workload', 'ops/s', 'MiB/s', 'p50 ms', 'p99 ms', 'errors'], rows, 2));
  out.push('');
  for (const wl of r.workloads) {
    const b = r.best[wl.name];
    if (!b?.best) {
      out.push(`${wl.name}: no error-free cell`);
      continue;
    }
    const f = (x: { cell: string; result: TuneCellResult }) => `${x.cell} — ${num(x.result.opsPerSec)} ops/s, ${num(x.result.mibPerSec, 2)} MiB/s, p99 ${ms(x.result.p99Ms)} ms`;
    out.push(`best for ${wl.name}: ${f(b.best)}`);
    if (b.runnerUp) {
      const gain = (b.best.result.opsPerSec / b.runnerUp.result.opsPerSec - 1) * 100;
      out.push(`   runner-up: ${f(b.runnerUp)} (best is ${gain.toFixed(1)}% ahead${r.rounds > 1 ? '' : ' — single runs: treat < 5% as noise, or use --rounds'})`);
    }
  }
  return out.join('\n');
}
