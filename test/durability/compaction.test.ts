// Compaction: segments past the garbage threshold are rewritten with live records only and deleted;
// space returns, every object reads back, and index/segments agree (fsck, rebuild from segments).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine, rebuildIndex, type StrataEngine } from '../../src/store/index.js';
import { Durability } from '../../src/store/durability.js';
import { fsck } from '../../src/store/fsck.js';
import { md5, patternBytes, putObject, readAll, testConfig } from '../helpers/engine.js';
import { cleanDirs, flipShard, newDir, snapshot } from './helpers.js';

afterEach(cleanDirs);

function diskBytes(dir: string): number {
  let n = 0;
  for (let d = 1; d <= 6; d++) {
    const p = path.join(dir, `drive-${d}`);
    for (const f of fs.readdirSync(p)) if (f.startsWith('seg-')) n += fs.statSync(path.join(p, f)).size;
  }
  return n;
}

/** Writes a layout without committing it as an object, then stores it as an aux record (a multipart part). */
async function putPart(e: StrataEngine, id: string, data: Buffer): Promise<void> {
  const w = e.createWriter({ placementKey: `parts/${id}` });
  w.write(data);
  const wd = await w.finish();
  await e.putAux('mpu-part', id, { etag: wd.md5Hex }, wd.layout);
}

export async function churn(e: StrataEngine, want: Map<string, string>, rounds: number, seed: number): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < 12; i++) {
      const d = patternBytes(8_000 + ((i * 37 + r * 101) % 60) * 1000, seed + r * 100 + i);
      await putObject(e, 'b', `k${i}`, d);
      want.set(`b/k${i}`, md5(d));
    }
    if (r % 2 === 1) {
      await e.deleteObject('b', `k${r % 12}`);
      want.delete(`b/k${r % 12}`);
    }
  }
}

describe('compaction', () => {
  it('rewrites garbage-heavy segments, returns space, keeps every live object and the index rebuildable', async () => {
    const dir = await newDir();
    const config = testConfig(dir, { segmentSizeBytes: 256 * 1024 });
    const want = new Map<string, string>();
    let e = await openEngine(config);
    let before = 0;
    let after = 0;
    try {
      await e.createBucket('b', 'o');
      const part = patternBytes(70_000, 4242);
      await putPart(e, 'p1', part);
      // Zero-copy "completion": an object sharing the part's layout (the aux record still points at it too).
      const layout = e.getAuxLayout('mpu-part', 'p1')!;
      await e.commitObject({ bucket: 'b', key: 'mp', layout, sizeBytes: part.length, etag: 'x-1', system: {}, user: {}, checksums: {} });
      want.set('b/mp', md5(part));
      await churn(e, want, 8, 1);
      before = diskBytes(dir);
      const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0, compactionMinAgeMs: 0, compactionDeleteGraceMs: 0, compactionFdCloseGraceMs: 0 });
      try {
        let compacted = 0;
        for (let round = 0; round < 10; round++) {
          const res = await dur.compact({ throttle: undefined });
          compacted += res.filter((r) => r.outcome === 'compacted').length;
          if (res.length === 0) break;
        }
        expect(compacted).toBeGreaterThan(0);
        expect(dur.scrubStats().compaction.bytesReclaimed).toBeGreaterThan(0);
        expect((await dur.scrub({ repair: false, rateBytesPerSec: Infinity })).badShards).toBe(0);
      } finally {
        await dur.close();
      }
      after = diskBytes(dir);
      expect(after).toBeLessThan(before * 0.8);
      expect(await snapshot(e)).toEqual(want);
      expect((await readAll(e, e.headObject('b', 'mp')!)).equals(part)).toBe(true);
      const f = await fsck(e, { repair: false });
      expect(f.danglingRefs + f.notBacked.length + f.missingFromIndex.length + f.stale.length + f.badRegions).toBe(0);
    } finally {
      await e.close();
    }
    // Replay after restart, then a full rebuild from the segments: same objects.
    e = await openEngine(config);
    try {
      expect(await snapshot(e)).toEqual(want);
    } finally {
      await e.close();
    }
    await rebuildIndex(config);
    e = await openEngine(config);
    try {
      expect(await snapshot(e)).toEqual(want);
      expect(e.getAuxLayout('mpu-part', 'p1')).toBeDefined();
      const f = await fsck(e, { repair: false });
      expect(f.danglingRefs + f.notBacked.length + f.missingFromIndex.length + f.stale.length).toBe(0);
    } finally {
      await e.close();
    }
  });

  it('leaves segments below the threshold and the active segment alone', async () => {
    const dir = await newDir();
    const e = await openEngine(testConfig(dir, { segmentSizeBytes: 256 * 1024 }));
    try {
      await e.createBucket('b', 'o');
      for (let i = 0; i < 30; i++) await putObject(e, 'b', `u${i}`, patternBytes(30_000, i));
      const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0, compactionMinAgeMs: 0, compactionDeleteGraceMs: 0 });
      try {
        const res = await dur.compact();
        expect(res.filter((r) => r.outcome === 'compacted')).toEqual([]);
      } finally {
        await dur.close();
      }
    } finally {
      await e.close();
    }
  });

  it('a rotten live shard in a segment being compacted is rebuilt, not copied', async () => {
    const dir = await newDir();
    const config = testConfig(dir, { segmentSizeBytes: 256 * 1024 });
    const want = new Map<string, string>();
    const e = await openEngine(config);
    try {
      await e.createBucket('b', 'o');
      const keep = patternBytes(40_000, 555);
      const meta = await putObject(e, 'b', 'keep', keep);
      want.set('b/keep', md5(keep));
      await churn(e, want, 6, 50);
      const sealed = meta.layout.extents[0]!.blocks[0]!.shards.map((s) => s!).filter((s) => s.segment < e.internals.segments[s.drive]!.active.number);
      expect(sealed.length).toBeGreaterThan(0);
      flipShard(dir, meta, 0, meta.layout.extents[0]!.blocks[0]!.shards.indexOf(sealed[0]!));
      const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0, compactionMinAgeMs: 0, compactionDeleteGraceMs: 0, compactionFdCloseGraceMs: 0 });
      try {
        for (let round = 0; round < 10; round++) if ((await dur.compact({ garbageRatio: 0 })).length === 0) break;
        const scrub = await dur.scrub({ repair: false, rateBytesPerSec: Infinity });
        expect(scrub.badShards).toBe(0);
      } finally {
        await dur.close();
      }
      expect(fs.existsSync(path.join(dir, `drive-${sealed[0]!.drive + 1}`, `seg-${String(sealed[0]!.segment).padStart(8, '0')}.log`))).toBe(false);
      expect(await snapshot(e)).toEqual(want);
    } finally {
      await e.close();
    }
  });
});
