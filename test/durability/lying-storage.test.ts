// A storage that lies, seeded so a failure replays: on up to m drives it flips bits, zeroes ranges,
// misdirects writes (a valid shard record lands on top of another one), tears the tail of a segment
// and deletes whole segment files. Scrub must repair everything, fsck must then find the index and
// the segments in agreement, and every object must read back byte-identical.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine, type ObjectMeta } from '../../src/store/index.js';
import { Durability } from '../../src/store/durability.js';
import { fsck } from '../../src/store/fsck.js';
import { RECORD_HEADER_BYTES, recordBytes } from '../../src/store/record.js';
import { segmentFileName } from '../../src/store/segment.js';
import { md5, patternBytes, putObject, testConfig } from '../helpers/engine.js';
import { cleanDirs, newDir, snapshot } from './helpers.js';

afterEach(cleanDirs);

function rng(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

type Lie = 'flip' | 'zero' | 'misdirect' | 'tear' | 'lose-file';

/** Applies `count` seeded lies to the segment files of `drives`; returns what it did (for the failure message). */
function lie(dir: string, drives: number[], metas: ObjectMeta[], r: () => number, count: number): string[] {
  const did: string[] = [];
  const kinds: Lie[] = ['flip', 'zero', 'misdirect', 'tear', 'lose-file'];
  // Shard records on the victim drives, from the layouts (what a misdirected write would hit).
  const shards: { drive: number; segment: number; offset: number; bytes: number }[] = [];
  for (const m of metas)
    for (const e of m.layout.extents)
      for (const b of e.blocks) for (const s of b.shards) if (s && drives.includes(s.drive)) shards.push({ drive: s.drive, segment: s.segment, offset: s.offset, bytes: recordBytes(b.shardBytes) });
  for (let i = 0; i < count; i++) {
    const kind = kinds[Math.floor(r() * (i === 0 ? 3 : kinds.length))]!;
    const d = drives[Math.floor(r() * drives.length)]!;
    const ddir = path.join(dir, `drive-${d + 1}`);
    const segs = fs.readdirSync(ddir).filter((n) => n.startsWith('seg-')).map((n) => path.join(ddir, n)).filter((f) => fs.statSync(f).size > 0);
    if (segs.length === 0) continue;
    const file = segs[Math.floor(r() * segs.length)]!;
    const size = fs.statSync(file).size;
    const at = Math.floor(r() * size);
    switch (kind) {
      case 'flip': {
        const fd = fs.openSync(file, 'r+');
        const b = Buffer.alloc(1);
        fs.readSync(fd, b, 0, 1, at);
        b[0] = b[0]! ^ (1 << Math.floor(r() * 8));
        fs.writeSync(fd, b, 0, 1, at);
        fs.closeSync(fd);
        break;
      }
      case 'zero': {
        const n = Math.min(size - at, 1 + Math.floor(r() * 4096));
        const fd = fs.openSync(file, 'r+');
        fs.writeSync(fd, Buffer.alloc(n), 0, n, at);
        fs.closeSync(fd);
        break;
      }
      case 'misdirect': {
        // A whole, valid shard record written at another shard's offset of the same drive.
        const same = shards.filter((s) => s.drive === d);
        if (same.length < 2) continue;
        const src = same[Math.floor(r() * same.length)]!;
        const dst = same[Math.floor(r() * same.length)]!;
        if (src === dst) continue;
        const buf = Buffer.alloc(Math.min(src.bytes, dst.bytes));
        const sfd = fs.openSync(path.join(dir, `drive-${d + 1}`, segmentFileName(src.segment)), 'r');
        fs.readSync(sfd, buf, 0, buf.length, src.offset);
        fs.closeSync(sfd);
        const dfd = fs.openSync(path.join(dir, `drive-${d + 1}`, segmentFileName(dst.segment)), 'r+');
        fs.writeSync(dfd, buf, 0, buf.length, dst.offset);
        fs.closeSync(dfd);
        did.push(`misdirect drive ${d + 1} ${src.segment}@${src.offset} -> ${dst.segment}@${dst.offset}`);
        continue;
      }
      case 'tear':
        fs.truncateSync(file, Math.max(RECORD_HEADER_BYTES, at));
        break;
      case 'lose-file':
        fs.rmSync(file);
        break;
    }
    did.push(`${kind} drive ${d + 1} ${path.basename(file)} @${at}`);
  }
  return did;
}

describe('a storage that lies', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: scrub repairs every lie on up to m drives, fsck agrees`, async () => {
      const r = rng(seed);
      const dir = await newDir();
      const config = testConfig(dir, { segmentSizeBytes: 512 * 1024 });
      const want = new Map<string, string>();
      const metas: ObjectMeta[] = [];
      let e = await openEngine(config);
      try {
        await e.createBucket('b', 'o');
        for (let i = 0; i < 25; i++) {
          const d = patternBytes(1 + Math.floor(r() * 200_000), seed * 100 + i);
          metas.push(await putObject(e, 'b', `o${i}`, d));
          want.set(`b/o${i}`, md5(d));
        }
      } finally {
        await e.close();
      }
      const victims = [Math.floor(r() * 6)];
      if (r() < 0.7) victims.push((victims[0]! + 1 + Math.floor(r() * 5)) % 6);
      const did = lie(dir, victims, metas, r, 4 + Math.floor(r() * 6));
      const why = `seed ${seed}: ${did.join('; ')}`;
      e = await openEngine(config);
      const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0 });
      try {
        expect(await snapshot(e), why).toEqual(want); // degraded reads, before any repair
        const s = await dur.scrub({ repair: true, rateBytesPerSec: Infinity });
        expect(s.unrecoverableBlocks, why).toBe(0);
        expect((await dur.scrub({ repair: false, rateBytesPerSec: Infinity })).badShards, why).toBe(0);
        const f = await fsck(e, { repair: false });
        expect(f.danglingRefs + f.unreadable.length + f.notBacked.length + f.missingFromIndex.length + f.stale.length, why).toBe(0);
        expect(await snapshot(e), why).toEqual(want);
      } finally {
        await dur.close();
        await e.close();
      }
    });
  }
});
