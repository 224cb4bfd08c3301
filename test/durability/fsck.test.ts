// fsck finds each injected inconsistency (both directions), --repair fixes what can be fixed, and the
// repaired index agrees with a rebuild from the segments.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine, rebuildIndex, type ObjectMeta } from '../../src/store/index.js';
import { Durability } from '../../src/store/durability.js';
import { fsck } from '../../src/store/fsck.js';
import { decodeLogBody, type ObjectCommitBody } from '../../src/store/log-records.js';
import { RecordType } from '../../src/store/record.js';
import { scanSegmentFile } from '../../src/store/segment-scan.js';
import { listSegments, segmentFileName } from '../../src/store/segment.js';
import { md5, patternBytes, putObject, testConfig } from '../helpers/engine.js';
import { cleanDirs, flipAt, flipShard, newDir, snapshot } from './helpers.js';

afterEach(cleanDirs);

describe('fsck', () => {
  it('finds every injected inconsistency and repairs what can be repaired', async () => {
    const dir = await newDir();
    const config = testConfig(dir);
    const data = new Map<string, Buffer>();
    let e = await openEngine(config);
    let expected: Map<string, string>;
    try {
      await e.createBucket('b', 'o');
      const metas: ObjectMeta[] = [];
      for (let i = 0; i < 10; i++) {
        const d = patternBytes(90_000 + i * 100, 300 + i);
        data.set(`o${i}`, d);
        metas.push(await putObject(e, 'b', `o${i}`, d));
      }
      const v1 = metas[4]!;
      const v2data = patternBytes(5000, 999);
      data.set('o4', v2data);
      await putObject(e, 'b', 'o4', v2data);
      // Orphans: a writer whose data is never committed.
      const w = e.createWriter({ placementKey: 'b/aborted' });
      w.write(patternBytes(50_000, 77));
      await w.finish();

      const { db, driveSet } = e.internals;
      flipShard(dir, metas[1]!, 0, 2); // (a) dangling: hash differs
      db.txn(() => db.objects.removeSync(['b', 'o2'])); // (b) missing from index
      db.txn(() => db.objects.putSync(['b', 'ghost'], { ...metas[3]!, key: 'ghost', seq: 1_000_000 })); // (c) not backed (but readable)
      db.txn(() => db.objects.putSync(['b', 'o4'], v1)); // (d) stale
      for (const s of [0, 1, 4]) flipShard(dir, metas[5]!, 0, s); // (e) unreadable
      // (f) a corrupt metadata record: the commit record of o6 on one drive (other drives hold copies)
      let flipped = false;
      for (const d of driveSet.drives) {
        for (const n of await listSegments(d.path)) {
          const file = path.join(d.path, segmentFileName(n));
          let at = -1;
          for await (const ev of scanSegmentFile(file, driveSet.seed)) {
            if (ev.kind === 'record' && ev.type === RecordType.ObjectCommit && (decodeLogBody(ev.type, ev.payload) as ObjectCommitBody).meta.key === 'o6') at = ev.offset + 40;
          }
          if (at >= 0 && !flipped) {
            flipAt(file, at);
            flipped = true;
          }
        }
      }
      expect(flipped).toBe(true);
      // (g) an index entry pointing at a segment that does not exist
      const m7 = metas[7]!;
      const bad7 = structuredClone(m7);
      bad7.layout.extents[0]!.blocks[1]!.shards[0]!.segment = 9999;
      db.txn(() => db.objects.putSync(['b', 'o7'], bad7));

      const r = await fsck(e, { repair: false });
      expect(r.badRegions).toBe(1 + 3 + 1); // the rotten shard records of o1 and o5, and the metadata record
      expect(r.dangling.some((x) => x.entry === 'b/o1' && x.shard === 2 && /hash differs|no valid record/.test(x.reason))).toBe(true);
      expect(r.dangling.some((x) => x.entry === 'b/o7' && x.reason === 'segment missing')).toBe(true);
      expect(r.missingFromIndex).toEqual(['b/o2']);
      expect(r.notBacked.sort()).toEqual(['b/ghost', 'b/o5']);
      expect(r.stale).toEqual([{ entry: 'b/o4', indexSeq: v1.seq, segmentSeq: expect.any(Number) }]);
      expect(r.unreadable).toEqual(['b/o5']);
      expect(r.orphanShardRecords).toBeGreaterThanOrEqual(6 + 6); // the aborted write + o4's first version
      expect(r.problems).toBeGreaterThan(0);

      const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0 });
      try {
        const fixed = await fsck(e, { repair: true, repairer: dur.repairer });
        expect(fixed.repaired!.dropped).toBe(1);
        expect(fixed.repaired!.relogged).toBe(1);
        expect(fixed.repaired!.indexFixed).toBe(2);
        expect(fixed.repaired!.shardsRebuilt).toBeGreaterThanOrEqual(2);
      } finally {
        await dur.close();
      }
      const after = await fsck(e, { repair: false });
      expect(after.problems).toBe(0); // the rotten regions left hold only dead records
      expect(after.badRegions).toBe(5);
      expect(after.danglingRefs + after.notBacked.length + after.missingFromIndex.length + after.stale.length + after.unreadable.length).toBe(0);
      expected = await snapshot(e);
      const want = new Map<string, string>();
      for (const [k, d] of data) if (k !== 'o5') want.set(`b/${k}`, md5(d));
      want.set('b/ghost', md5(data.get('o3')!));
      expect(expected).toEqual(want);
    } finally {
      await e.close();
    }
    await rebuildIndex(config);
    e = await openEngine(config);
    try {
      expect(await snapshot(e)).toEqual(expected);
      expect((await fsck(e, { repair: false })).danglingRefs).toBe(0);
    } finally {
      await e.close();
    }
  });
});
