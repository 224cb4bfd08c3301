// IndexDb.txnAsync: a live window's index writes are queued to lmdb-js's write thread. Reads made while
// applying must see the window's own earlier writes (two commits of one key in one window), and the
// batch is visible once the returned promise resolves.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Layout, ObjectMeta } from '../../src/store/api.js';
import { IndexDb } from '../../src/store/index-db.js';
import { applyRecord } from '../../src/store/log-records.js';
import { RecordType } from '../../src/store/record.js';

let dir: string;
let db: IndexDb;

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-index-async-'));
  db = IndexDb.open(dir);
});
afterEach(async () => {
  await db.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

function layoutOn(segment: number, shardBytes: number): Layout {
  const shards = [0, 1, 2].map((drive) => ({ drive, segment, offset: 0, xxh64: '0123456789abcdef' }));
  return { extents: [{ sizeBytes: shardBytes * 2, blockSizeBytes: 1024, k: 2, m: 1, blocks: [{ dataBytes: shardBytes * 2, shardBytes, shards }] }] };
}

function meta(seq: number, segment: number): ObjectMeta {
  return { bucket: 'b', key: 'k', sizeBytes: 16, etag: `e${seq}`, lastModifiedMs: seq, seq, versionId: 'null', system: {}, user: {}, checksums: {}, layout: layoutOn(segment, 8) };
}

describe('IndexDb.txnAsync', () => {
  it('applies a window with two commits of one key: the second sees the first, counters and value are exact', async () => {
    db.txn(() => applyRecord(db, RecordType.ObjectCommit, { seq: 1, meta: meta(1, 10) }));
    const committed = db.txnAsync(() => {
      applyRecord(db, RecordType.ObjectCommit, { seq: 2, meta: meta(2, 20) });
      // Not yet committed: lmdb-js still shows v1, the batch's own read shows v2.
      expect(db.objects.get(['b', 'k'])?.seq).toBe(1);
      expect(db.getObject('b', 'k')?.seq).toBe(2);
      applyRecord(db, RecordType.ObjectCommit, { seq: 3, meta: meta(3, 30) });
    });
    await committed;
    expect(db.objects.get(['b', 'k'])?.seq).toBe(3);
    const perShard = 32 + 8; // record header + shard
    for (const drive of [0, 1, 2]) {
      // v1 and v2 became garbage once each (not v1 twice), v3 is live.
      expect(db.segmentStats(drive, 10)).toMatchObject({ liveBytes: 0, garbageBytes: perShard });
      expect(db.segmentStats(drive, 20)).toMatchObject({ liveBytes: 0, garbageBytes: perShard });
      expect(db.segmentStats(drive, 30)).toMatchObject({ liveBytes: perShard, garbageBytes: 0 });
    }
  });

  it('a delete after a put in the same window removes it; a sync txn inside is refused', async () => {
    await db.txnAsync(() => {
      applyRecord(db, RecordType.ObjectCommit, { seq: 1, meta: meta(1, 10) });
      applyRecord(db, RecordType.ObjectDelete, { seq: 2, bucket: 'b', key: 'k' });
      expect(db.getObject('b', 'k')).toBeUndefined();
      expect(() => db.txn(() => undefined)).toThrow(/inside txnAsync/);
    });
    expect(db.objects.get(['b', 'k'])).toBeUndefined();
    expect(db.segmentStats(0, 10)).toMatchObject({ liveBytes: 0, garbageBytes: 40 });
  });
});
