// Main-thread CPU per item of the engine↔worker messages: encode of 4 KiB blocks and verified read of
// 4 KiB blocks (4+2) in batches of 1, 8 and 64 through the real WorkerPool, plus the hex conversions at
// the boundary. Several builds can be compared interleaved in one process (the machine is shared):
//
//   node dist/native-bench/worker-messages.js [<package root> ...]
//
// Each package root must hold dist/src/workers/pool.js (default: this checkout). Figures are medians of
// ROUNDS rounds; CPU is the main thread's own (/proc, 10 ms ticks), so runs last BENCH_SECONDS each.
import { promises as fsp, openSync, closeSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { packageRoot } from '../src/workers/paths.js';
import type { EncodeItem, EncodeResult, ReadItem, ReadResult } from '../src/workers/tasks.js';
import { BENCH_SECONDS, fmt, isMain, mainThreadCpuMs, median } from './common.js';

interface PoolLike {
  encode(items: EncodeItem[]): Promise<EncodeResult[]>;
  read(items: ReadItem[]): Promise<ReadResult[]>;
  destroy(): Promise<void>;
}

const K = 4;
const M = 2;
const DATA_BYTES = 4096;
const SHARD_BYTES = DATA_BYTES / K;
const PARITY_OFFSET = SHARD_BYTES * K;
const HEADER_OFFSET = PARITY_OFFSET + SHARD_BYTES * M;
const BLOCK_BYTES = HEADER_OFFSET + 32 * (K + M);
/** Distinct shared blocks the items cycle through (the block pool reuses its blocks the same way). */
const DISTINCT_BLOCKS = 64;
const SEED = '0123456789abcdef';
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const BATCHES = [1, 8, 64];
/** Tasks in flight per run: enough to keep one worker busy while the main thread posts. */
const IN_FLIGHT = 2;

const sabs = Array.from({ length: DISTINCT_BLOCKS }, () => new SharedArrayBuffer(BLOCK_BYTES));

function encodeItem(i: number): EncodeItem {
  const sab = sabs[i % DISTINCT_BLOCKS]!;
  new Uint8Array(sab, 0, 8).fill(i & 0xff);
  return {
    sab,
    dataBytes: DATA_BYTES,
    shardBytes: SHARD_BYTES,
    k: K,
    m: M,
    parityOffset: PARITY_OFFSET,
    headerOffset: HEADER_OFFSET,
    seed: SEED,
    first: true,
    last: true,
    checksums: [],
    sha256Hex: false,
  };
}

interface StoredBlock {
  fd: number;
  offsets: number[];
  hashes: string[];
}

/** Encodes one block with `pool` and writes its k+m records to a file, for the read items to verify. */
async function storeBlock(pool: PoolLike, dir: string): Promise<StoredBlock> {
  const [res] = await pool.encode([encodeItem(0)]);
  const buf = new Uint8Array(sabs[0]!);
  const file = path.join(dir, 'shards');
  const fdw = openSync(file, 'w');
  const offsets: number[] = [];
  let off = 0;
  for (let i = 0; i < K + M; i++) {
    const payload = i < K ? i * SHARD_BYTES : PARITY_OFFSET + (i - K) * SHARD_BYTES;
    writeSync(fdw, buf.subarray(HEADER_OFFSET + i * 32, HEADER_OFFSET + (i + 1) * 32), 0, 32, off);
    writeSync(fdw, buf.subarray(payload, payload + SHARD_BYTES), 0, SHARD_BYTES, off + 32);
    offsets.push(off);
    off += 32 + SHARD_BYTES;
  }
  closeSync(fdw);
  return { fd: openSync(file, 'r'), offsets, hashes: res!.shardXxh64 };
}

function readItem(i: number, b: StoredBlock): ReadItem {
  return {
    sab: sabs[i % DISTINCT_BLOCKS]!,
    base: 0,
    k: K,
    m: M,
    shardBytes: SHARD_BYTES,
    seed: SEED,
    shards: b.offsets.map((offset, s) => ({ fd: b.fd, offset, xxh64: b.hashes[s]! })),
    needMask: (1 << K) - 1,
  };
}

/** Main-thread µs per item over `seconds` of back-to-back batches (IN_FLIGHT at a time). */
async function measure(seconds: number, batch: number, run: (items: number) => Promise<void>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let items = 0;
  const cpu0 = mainThreadCpuMs();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < deadline) {
        await run(items);
        items += batch;
      }
    }),
  );
  return ((mainThreadCpuMs() - cpu0) * 1000) / items;
}

export interface WorkerMessageRow {
  build: string;
  op: 'encode' | 'read';
  batch: number;
  mainUsPerItem: number;
  /** Every round's figure, to show the spread. */
  samples: number[];
}

export async function runWorkerMessageBench(roots: string[], seconds = BENCH_SECONDS): Promise<WorkerMessageRow[]> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-bench-msgs-'));
  const pools: { build: string; pool: PoolLike; stored: StoredBlock }[] = [];
  try {
    for (const root of roots) {
      const mod = (await import(pathToFileURL(path.join(root, 'dist', 'src', 'workers', 'pool.js')).href)) as { WorkerPool: new (threads: number, maxQueue: number) => PoolLike };
      const pool = new mod.WorkerPool(1, 1024);
      const sub = await fsp.mkdtemp(path.join(dir, 'b'));
      pools.push({ build: root, pool, stored: await storeBlock(pool, sub) });
    }
    const samples = new Map<string, number[]>();
    const add = (key: string, v: number) => samples.set(key, [...(samples.get(key) ?? []), v]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const batch of BATCHES) {
        for (const { build, pool, stored } of pools) {
          add(`${build}|encode|${batch}`, await measure(seconds, batch, async (n) => {
            const items: EncodeItem[] = [];
            for (let i = 0; i < batch; i++) items.push(encodeItem(n + i));
            const res = await pool.encode(items);
            if (res.length !== batch || res[0]!.shardXxh64.length !== K + M) throw new Error('encode: bad result');
          }));
          add(`${build}|read|${batch}`, await measure(seconds, batch, async (n) => {
            const items: ReadItem[] = [];
            for (let i = 0; i < batch; i++) items.push(readItem(n + i, stored));
            const res = await pool.read(items);
            if (res.length !== batch || !res.every((r) => r.ok && r.bad.length === 0)) throw new Error('read: bad result');
          }));
        }
      }
    }
    const rows: WorkerMessageRow[] = [];
    for (const op of ['encode', 'read'] as const) {
      for (const batch of BATCHES) {
        for (const { build } of pools) {
          const xs = samples.get(`${build}|${op}|${batch}`)!;
          rows.push({ build, op, batch, mainUsPerItem: median(xs), samples: xs });
        }
      }
    }
    return rows;
  } finally {
    for (const p of pools) {
      closeSync(p.stored.fd);
      await p.pool.destroy();
    }
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** Boundary conversions between the layouts' 16-hex-digit xxh64 and packed numbers. */
export async function runHexBench(): Promise<{ name: string; nsPerOp: number }[]> {
  const hexes = Array.from({ length: 1024 }, (_, i) => (BigInt(i) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn).toString(16).padStart(16, '0'));
  const his = hexes.map((h) => parseInt(h.slice(0, 8), 16));
  const los = hexes.map((h) => parseInt(h.slice(8), 16));
  const bytes = Buffer.alloc(8 * 1024);
  hexes.forEach((h, i) => bytes.write(h, i * 8, 'hex'));
  const f64 = new Float64Array(2);
  let sink = 0;
  let i = 0;
  const bench = new Bench({ time: 500 });
  bench
    .add('hex -> 2 x u32 (parseInt of halves)', () => {
      const h = hexes[i++ & 1023]!;
      f64[0] = parseInt(h.slice(0, 8), 16);
      f64[1] = parseInt(h.slice(8, 16), 16);
    })
    .add('hex -> bytes (Buffer.write hex)', () => {
      bytes.write(hexes[i++ & 1023]!, (i & 1023) * 8, 'hex');
    })
    .add('hex -> bigint (BigInt 0x)', () => {
      sink += Number(BigInt(`0x${hexes[i++ & 1023]!}`) & 1n);
    })
    .add('2 x u32 -> hex (toString + padStart)', () => {
      const j = i++ & 1023;
      sink += (his[j]!.toString(16).padStart(8, '0') + los[j]!.toString(16).padStart(8, '0')).length;
    })
    .add('bytes -> hex (Buffer toString hex range)', () => {
      const j = i++ & 1023;
      sink += bytes.toString('hex', j * 8, j * 8 + 8).length;
    });
  await bench.run();
  if (sink < 0) console.log(sink);
  return bench.tasks.map((t) => ({ name: t.name, nsPerOp: ((t.result as { latency?: { mean: number } } | undefined)?.latency?.mean ?? NaN) * 1e6 }));
}

if (isMain(import.meta.url)) {
  const roots = process.argv.length > 2 ? process.argv.slice(2) : [packageRoot()];
  for (const r of await runHexBench()) console.log(`  ${r.name.padEnd(44)} ${fmt(r.nsPerOp, 0).padStart(6)} ns`);
  console.log(`worker messages (4+2, 4 KiB blocks, main-thread µs per item, median of ${ROUNDS}, ${BENCH_SECONDS} s each)`);
  for (const r of await runWorkerMessageBench(roots)) {
    console.log(`  ${r.op.padEnd(7)} batch ${String(r.batch).padStart(3)}  ${fmt(r.mainUsPerItem, 1).padStart(7)} µs  (${r.samples.map((x) => fmt(x, 1)).join(' ')})  ${r.build}`);
  }
}
