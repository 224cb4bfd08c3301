// LMDB (lmdb-js) as the engine uses it: noSync env, ordered [bucket, key] keys, msgpack values shaped
// like a small object's ObjectMeta. Puts in transactions of 256 (a commit window), gets by random key,
// and a 1000-entry range scan (a ListObjects page).
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bench } from 'tinybench';
import { IndexDb } from '../src/store/index-db.js';
import type { ObjectMeta } from '../src/store/api.js';
import { BENCH_SECONDS, fmt, isMain } from './common.js';

function meta(i: number): ObjectMeta {
  const shards = Array.from({ length: 6 }, (_, d) => ({ drive: d, segment: 1, offset: i * 1056, xxh64: '0123456789abcdef' }));
  return {
    bucket: 'bench',
    key: `prefix/${String(i).padStart(8, '0')}`,
    sizeBytes: 4096,
    etag: 'd41d8cd98f00b204e9800998ecf8427e',
    lastModifiedMs: Date.now(),
    seq: i,
    versionId: 'null',
    system: { contentType: 'application/octet-stream' },
    user: {},
    checksums: {},
    layout: { extents: [{ sizeBytes: 4096, blockSizeBytes: 8192, k: 4, m: 2, blocks: [{ dataBytes: 4096, shardBytes: 1024, shards }] }] },
  };
}

export interface LmdbRow {
  name: string;
  opsPerSec: number;
}

export async function runLmdbBench(seconds = BENCH_SECONDS): Promise<LmdbRow[]> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-bench-lmdb-'));
  const db = IndexDb.open(dir);
  const N = 100_000;
  const metas = Array.from({ length: N }, (_, i) => meta(i));
  let next = 0;
  const bench = new Bench({ time: Math.max(300, (seconds * 1000) / 3), warmupTime: 100 });
  bench.add('put, txn of 256 (per txn)', () => {
    db.txn(() => {
      for (let j = 0; j < 256; j++) {
        const m = metas[next++ % N]!;
        db.objects.putSync([m.bucket, m.key], m);
      }
    });
  });
  bench.add('get random key', () => {
    const m = metas[(Math.random() * Math.min(next, N)) | 0]!;
    db.objects.get([m.bucket, m.key]);
  });
  bench.add('range scan, 1000 entries (per scan)', () => {
    let n = 0;
    for (const _e of db.objects.getRange({ start: ['bench', 'prefix/'] })) if (++n >= 1000) break;
  });
  await bench.run();
  await db.close();
  await fsp.rm(dir, { recursive: true, force: true });
  const mult = [256, 1, 1000];
  return bench.tasks.map((t, i) => {
    const meanMs = t.result && 'latency' in t.result ? t.result.latency.mean : NaN;
    return { name: t.name, opsPerSec: (1000 / meanMs) * mult[i]! };
  });
}

export function printLmdbRows(rows: LmdbRow[]): void {
  console.log('LMDB index (noSync, ordered keys, msgpack)      entries/s');
  for (const r of rows) console.log(`  ${r.name.padEnd(45)} ${fmt(r.opsPerSec).padStart(10)}`);
}

if (isMain(import.meta.url)) printLmdbRows(await runLmdbBench());
