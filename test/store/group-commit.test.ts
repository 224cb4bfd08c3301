// Group commit must not acknowledge before the data a commit depends on is on stable storage, even when
// someone else (compaction) is fsyncing the same segment at that moment. With the old "dirty" flag, that
// other fsync cleared the flag when it *started*, the window skipped its own fsync and acknowledged while
// the shards were still only in the page cache.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/store/group-commit.js';
import { Segment } from '../../src/store/segment.js';
import { tempDir } from '../helpers/engine.js';

type SyncCb = (err: NodeJS.ErrnoException | null) => void;
const realFdatasync = fs.fdatasync;

/** Holds every fdatasync (of `onlyFd`, if given) until released; counts the calls it held. */
function holdFsyncs(onlyFd?: number): { calls: () => number; release: () => void } {
  const held: (() => void)[] = [];
  let calls = 0;
  (fs as { fdatasync: unknown }).fdatasync = (fd: number, cb: SyncCb) => {
    if (onlyFd !== undefined && fd !== onlyFd) return realFdatasync(fd, cb);
    calls++;
    held.push(() => realFdatasync(fd, cb));
  };
  return {
    calls: () => calls,
    release: () => {
      for (const f of held.splice(0)) f();
    },
  };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('group commit durability', () => {
  const fds: number[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    (fs as { fdatasync: unknown }).fdatasync = realFdatasync;
    for (const fd of fds.splice(0)) fs.closeSync(fd);
    for (const d of dirs.splice(0)) await fs.promises.rm(d, { recursive: true, force: true });
  });

  async function segmentWithWrite(dir: string, n: number): Promise<{ seg: Segment; end: number }> {
    const fd = fs.openSync(path.join(dir, `seg-${n}.log`), 'w+');
    fds.push(fd);
    const seg = new Segment(0, n, fd, 0);
    const { offset, written } = seg.append([Buffer.alloc(64, n)], 64);
    await written;
    return { seg, end: offset + 64 };
  }

  it('a commit waits for an fsync of its shard segment started by someone else (compaction)', async () => {
    const dir = await tempDir('strata-gc-');
    dirs.push(dir);
    const shards = await segmentWithWrite(dir, 1); // the object's shard, written and completed
    const record = await segmentWithWrite(dir, 2); // its commit record
    const fsyncs = holdFsyncs(shards.seg.fd);
    // Compaction fsyncs the active segment it appended to — the one holding the shard — and the fsync is slow.
    const compactionSync = shards.seg.fdatasync();
    expect(fsyncs.calls()).toBe(1);

    let acked = false;
    const gc = new GroupCommit(1, 256, { txn: (fn) => fn(), checkpoint: () => undefined });
    const commit = gc
      .submit({
        seq: 1,
        appends: [{ segment: record.seg, end: record.end, written: Promise.resolve() }],
        dependsOn: [shards.seg],
        apply: () => undefined,
        settle: () => undefined,
      })
      .then(() => {
        acked = true;
      });
    await tick(50);
    // The shard is not durable yet (the only fsync covering it has not returned): no acknowledgement.
    expect(acked).toBe(false);
    fsyncs.release();
    await Promise.all([compactionSync, commit]);
    expect(acked).toBe(true);
    expect(shards.seg.dirty).toBe(false);
    expect(record.seg.dirty).toBe(false);
  });

  it('a write that completes while an fsync runs is synced again by the next window', async () => {
    const dir = await tempDir('strata-gc-');
    dirs.push(dir);
    const { seg } = await segmentWithWrite(dir, 1);
    const fsyncs = holdFsyncs();
    const first = seg.sync();
    const { written } = seg.append([Buffer.alloc(64, 9)], 64);
    await written; // completes after the fsync started: not covered by it
    fsyncs.release();
    await first;
    expect(seg.dirty).toBe(true);
    const second = seg.sync();
    expect(fsyncs.calls()).toBe(2);
    fsyncs.release();
    await second;
    expect(seg.dirty).toBe(false);
    // Nothing new written: no fsync at all.
    await seg.sync();
    expect(fsyncs.calls()).toBe(2);
  });

  it('a commit whose shard writes are still in flight fsyncs only after they completed', async () => {
    const dir = await tempDir('strata-gc-');
    dirs.push(dir);
    const record = await segmentWithWrite(dir, 2);
    const fd = fs.openSync(path.join(dir, 'seg-1.log'), 'w+');
    fds.push(fd);
    const shardSeg = new Segment(0, 1, fd, 0);
    // The shard write is queued (its offset known, finish() resolved) but not complete.
    let completeShard!: () => void;
    const dataWritten = new Promise<void>((r) => (completeShard = r));
    const order: string[] = [];
    const gc = new GroupCommit(1, 256, { txn: (fn) => fn(), checkpoint: () => undefined });
    const syncsBefore = { shard: 0 };
    const realSync = shardSeg.sync.bind(shardSeg);
    shardSeg.sync = () => {
      syncsBefore.shard++;
      order.push('sync');
      return realSync();
    };
    const commit = gc.submit({
      seq: 1,
      appends: [{ segment: record.seg, end: record.end, written: Promise.resolve() }],
      dependsOn: [shardSeg],
      dataWritten,
      apply: () => order.push('apply'),
      settle: () => undefined,
    });
    await tick(30);
    expect(syncsBefore.shard).toBe(0);
    const { written } = shardSeg.append([Buffer.alloc(64, 7)], 64);
    await written;
    order.push('shard written');
    completeShard();
    await commit;
    expect(order).toEqual(['shard written', 'sync', 'apply']);
    expect(shardSeg.dirty).toBe(false);
  });

  it('a failed shard write fails the commit instead of acknowledging it', async () => {
    const dir = await tempDir('strata-gc-');
    dirs.push(dir);
    const record = await segmentWithWrite(dir, 2);
    let applied = false;
    const gc = new GroupCommit(1, 256, { txn: (fn) => fn(), checkpoint: () => undefined });
    const failed = Promise.reject(new Error('EIO on drive 3'));
    failed.catch(() => undefined);
    await expect(
      gc.submit({
        seq: 1,
        appends: [{ segment: record.seg, end: record.end, written: Promise.resolve() }],
        dependsOn: [],
        dataWritten: failed,
        apply: () => {
          applied = true;
        },
        settle: () => undefined,
      }),
    ).rejects.toThrow(/EIO/);
    expect(applied).toBe(false);
  });
});
