// Helpers of the durability tests: damage injection on real segment files, snapshots of every object.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ObjectMeta, StrataEngine } from '../../src/store/index.js';
import { RECORD_HEADER_BYTES } from '../../src/store/record.js';
import { segmentFileName } from '../../src/store/segment.js';
import { md5, readAll, tempDir } from '../helpers/engine.js';

export const dirs: string[] = [];
export async function newDir(prefix = 'strata-dur-'): Promise<string> {
  const d = await tempDir(prefix);
  dirs.push(d);
  return d;
}
export async function cleanDirs(): Promise<void> {
  for (const d of dirs.splice(0)) await fsp.rm(d, { recursive: true, force: true });
}

export function shardFile(dir: string, drive: number, segment: number): string {
  return path.join(dir, `drive-${drive + 1}`, segmentFileName(segment));
}

/** Flips one byte of a shard's payload (or of its header with `inHeader`). */
export function flipShard(dir: string, meta: ObjectMeta, block: number, shard: number, at = 5, inHeader = false): void {
  let b = block;
  for (const e of meta.layout.extents) {
    if (b < e.blocks.length) {
      const loc = e.blocks[b]!.shards[shard]!;
      flipAt(shardFile(dir, loc.drive, loc.segment), loc.offset + (inHeader ? at : RECORD_HEADER_BYTES + at));
      return;
    }
    b -= e.blocks.length;
  }
  throw new Error(`no block ${block}`);
}

export function flipAt(file: string, pos: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const one = Buffer.alloc(1);
    fs.readSync(fd, one, 0, 1, pos);
    one[0] = one[0]! ^ 0x5a;
    fs.writeSync(fd, one, 0, 1, pos);
  } finally {
    fs.closeSync(fd);
  }
}

/** bucket/key → md5 of what reads back, for every object. */
export async function snapshot(e: StrataEngine): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const b of e.listBuckets()) {
    let after: string | undefined;
    for (;;) {
      const page = e.listObjects(b.name, { limit: 1000, ...(after !== undefined ? { after } : {}) });
      for (const m of page) out.set(`${b.name}/${m.key}`, md5(await readAll(e, m)));
      if (page.length < 1000) break;
      after = page[page.length - 1]!.key;
    }
  }
  return out;
}

export function segmentsOf(meta: ObjectMeta): Set<string> {
  const out = new Set<string>();
  for (const e of meta.layout.extents) for (const b of e.blocks) for (const s of b.shards) if (s) out.add(`${s.drive}:${s.segment}`);
  return out;
}
