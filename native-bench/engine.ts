// Engine alone, durable (group commit + fdatasync), default config (6 drives in a temp dir, 4+2, 1 MiB
// blocks): PUT and GET objects/s and MB/s at 4 KiB, 64 KiB, 1 MiB, 16 MiB, with MD5 always on, and the
// main thread's event-loop utilisation. GETs read what the PUT phase wrote (page cache warm), with
// borrowChunks (what the HTTP layer does: write each chunk out before pulling the next).
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultEngineConfig, openEngine, type ObjectMeta, type StrataEngine } from '../src/store/index.js';
import { BENCH_SECONDS, MiB, closedLoop, fmt, isMain, type LoadResult } from './common.js';

interface Case {
  name: string;
  sizeBytes: number;
  concurrency: number;
  chunkBytes: number;
}

const CASES: Case[] = [
  { name: '4 KiB', sizeBytes: 4 * 1024, concurrency: Number(process.env.BENCH_C4K ?? 256), chunkBytes: 4 * 1024 },
  { name: '64 KiB', sizeBytes: 64 * 1024, concurrency: 64, chunkBytes: 64 * 1024 },
  { name: '1 MiB', sizeBytes: MiB, concurrency: 32, chunkBytes: 256 * 1024 },
  { name: '16 MiB', sizeBytes: 16 * MiB, concurrency: 8, chunkBytes: 256 * 1024 },
];

async function put(e: StrataEngine, key: string, body: Buffer, chunkBytes: number): Promise<ObjectMeta> {
  const w = e.createWriter({ placementKey: `bench/${key}`, expectedSizeBytes: body.length });
  for (let off = 0; off < body.length; off += chunkBytes) {
    if (!w.write(body.subarray(off, off + chunkBytes))) await new Promise<void>((r) => w.onDrain(r));
  }
  const d = await w.finish();
  return e.commitObject({ bucket: 'bench', key, layout: d.layout, sizeBytes: d.sizeBytes, etag: d.md5Hex, system: {}, user: {}, checksums: {} });
}

export interface EngineBenchRow {
  name: string;
  put: LoadResult;
  get: LoadResult;
  putItemsPerTask: number;
  getItemsPerTask: number;
}

export async function runEngineBench(seconds = BENCH_SECONDS, cases = CASES): Promise<EngineBenchRow[]> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-bench-engine-'));
  const e = await openEngine({ ...defaultEngineConfig(dir), segmentSizeBytes: 256 * MiB });
  const rows: EngineBenchRow[] = [];
  try {
    await e.createBucket('bench', 'bench');
    for (const c of cases) {
      const body = Buffer.alloc(c.sizeBytes, 0x61);
      for (let i = 0; i < body.length; i += 4096) body.writeUInt32LE(i, i);
      const keys: string[][] = Array.from({ length: c.concurrency }, () => []);
      const w0 = e.workerCounters();
      const putRes = await closedLoop(c.concurrency, seconds, c.sizeBytes, async (w, i) => {
        const key = `${c.name}/${w}/${i}`;
        await put(e, key, body, c.chunkBytes);
        keys[w]!.push(key);
      });
      const w1 = e.workerCounters();
      const getRes = await closedLoop(c.concurrency, seconds, c.sizeBytes, async (w, i) => {
        const list = keys[w]!;
        const meta = e.headObject('bench', list[i % list.length]!)!;
        for await (const _chunk of e.readObject(meta, undefined, { borrowChunks: true })) {
          // consume
        }
      });
      const w2 = e.workerCounters();
      const batch = (a: { tasks: number; items: number }, b: { tasks: number; items: number }): number => (b.items - a.items) / Math.max(1, b.tasks - a.tasks);
      rows.push({ name: c.name, put: putRes, get: getRes, putItemsPerTask: batch(w0, w1), getItemsPerTask: batch(w1, w2) });
      // Drop this size's objects so the next case starts from a similar state.
      await Promise.all(keys.map(async (list) => { for (const k of list) await e.deleteObject('bench', k); }));
    }
  } finally {
    await e.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
  return rows;
}

export function printEngineRows(rows: EngineBenchRow[]): void {
  console.log('engine (durable, 6 drives, 4+2, MD5 on)   PUT obj/s   PUT MB/s  PUT ELU PUT µs/op |  GET obj/s   GET MB/s  GET ELU GET µs/op');
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(39)} ${fmt(r.put.opsPerSec).padStart(9)} ${fmt(r.put.mbPerSec).padStart(10)} ${fmt(r.put.elu, 2).padStart(8)} ${fmt(r.put.mainCpuUsPerOp, 1).padStart(9)} | ${fmt(r.get.opsPerSec).padStart(10)} ${fmt(r.get.mbPerSec).padStart(10)} ${fmt(r.get.elu, 2).padStart(8)} ${fmt(r.get.mainCpuUsPerOp, 1).padStart(9)}   (blocks/task PUT ${fmt(r.putItemsPerTask, 1)}, GET ${fmt(r.getItemsPerTask, 1)})`,
    );
  }
}

if (isMain(import.meta.url)) {
  const only = process.argv[2];
  printEngineRows(await runEngineBench(BENCH_SECONDS, only ? CASES.filter((c) => c.name.replace(' ', '') === only) : CASES));
}
