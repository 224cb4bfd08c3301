// Segment append + group commit alone (no erasure, no hashing of payloads, no index work): W writers
// each loop "append one record, wait until it is durable". 4 KiB records → appends/s; 1 MiB → MB/s.
// One drive directory in os.tmpdir(); commit window 2 ms, max batch 256 (the engine defaults).
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GroupCommit } from '../src/store/group-commit.js';
import { DriveSegments } from '../src/store/segment.js';
import { BENCH_SECONDS, MiB, closedLoop, fmt, isMain, type LoadResult } from './common.js';

export interface AppendRow {
  writers: number;
  recordBytes: number;
  result: LoadResult;
}

export async function runSegmentBench(seconds = BENCH_SECONDS): Promise<AppendRow[]> {
  const rows: AppendRow[] = [];
  for (const recordBytes of [4096, MiB]) {
    for (const writers of [1, 16, 64]) {
      const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-bench-seg-'));
      const segs = new DriveSegments(0, dir, 1, 1024 * MiB);
      await segs.start();
      const gc = new GroupCommit(2, 256, { txn: (fn) => fn(), checkpoint: () => undefined });
      const payload = Buffer.alloc(recordBytes, 7);
      let seq = 0;
      const result = await closedLoop(writers, seconds / 2, recordBytes, async () => {
        const { segment, offset, written } = segs.append([payload], recordBytes);
        const s = ++seq;
        await gc.submit({
          seq: s,
          appends: [{ segment, end: offset + recordBytes, written }],
          dependsOn: [],
          apply: () => undefined,
          settle: () => undefined,
        });
      });
      await gc.drain();
      await segs.close();
      await fsp.rm(dir, { recursive: true, force: true });
      rows.push({ writers, recordBytes, result });
    }
  }
  return rows;
}

export function printSegmentRows(rows: AppendRow[]): void {
  console.log('segment append + group commit (1 drive)    appends/s       MB/s   main ELU');
  for (const r of rows) {
    const label = `${r.recordBytes === MiB ? '1 MiB' : '4 KiB'} records, ${r.writers} writers`;
    console.log(`  ${label.padEnd(40)} ${fmt(r.result.opsPerSec).padStart(10)} ${fmt(r.result.mbPerSec).padStart(10)} ${fmt(r.result.elu, 2).padStart(10)}`);
  }
}

if (isMain(import.meta.url)) printSegmentRows(await runSegmentBench());
