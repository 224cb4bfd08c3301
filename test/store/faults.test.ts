// Corruption, lost drives, rebuild from segments, drive-set checks.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine, rebuildIndex, type ObjectMeta, type StrataEngine } from '../../src/store/index.js';
import { segmentFileName } from '../../src/store/segment.js';
import { RECORD_HEADER_BYTES } from '../../src/store/record.js';
import { IndexDb } from '../../src/store/index-db.js';
import { getObject, md5, patternBytes, putObject, readAll, tempDir, testConfig } from '../helpers/engine.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await fsp.rm(d, { recursive: true, force: true });
});
async function newDir(): Promise<string> {
  const d = await tempDir();
  dirs.push(d);
  return d;
}

function flipShardByte(dir: string, meta: ObjectMeta, block: number, shard: number, at = 5): void {
  const loc = meta.layout.extents[0]!.blocks[block]!.shards[shard]!;
  const file = path.join(dir, `drive-${loc.drive + 1}`, segmentFileName(loc.segment));
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, loc.offset + RECORD_HEADER_BYTES + at);
  b[0] = b[0]! ^ 0x5a;
  fs.writeSync(fd, b, 0, 1, loc.offset + RECORD_HEADER_BYTES + at);
  fs.closeSync(fd);
}

async function removeDriveSegments(dir: string, drive: number): Promise<void> {
  const d = path.join(dir, `drive-${drive + 1}`);
  for (const n of await fsp.readdir(d)) if (n.startsWith('seg-')) await fsp.rm(path.join(d, n));
}

async function snapshot(e: StrataEngine): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const b of e.listBuckets()) {
    for (const m of e.listObjects(b.name, { limit: 10_000 })) out[`${b.name}/${m.key}`] = `${m.etag}:${md5(await readAll(e, m))}:${m.seq}`;
  }
  return out;
}

describe('corruption and lost drives', () => {
  it('a flipped byte in any shard position is reconstructed and queued for repair', async () => {
    const dir = await newDir();
    const e = await openEngine(testConfig(dir));
    try {
      await e.createBucket('b', 'o');
      for (let pos = 0; pos < 6; pos++) {
        const data = patternBytes(200_000, pos);
        const meta = await putObject(e, 'b', `k${pos}`, data);
        flipShardByte(dir, meta, 0, pos);
        flipShardByte(dir, meta, 2, pos, 100);
        const before = e.repairQueue.size;
        const back = await readAll(e, meta);
        expect(back.equals(data)).toBe(true);
        // Parity shards are only read when a data shard is bad, so a corrupt parity shard is found by scrub, not by reads.
        if (pos < 4) {
          expect(e.repairQueue.size).toBe(before + 2);
          const items = e.repairQueue.peek().slice(-2);
          expect(items.every((i) => i.shardIndex === pos && i.key === `k${pos}` && /checksum/.test(i.reason))).toBe(true);
        }
        // Range reads that only touch the bad shard also reconstruct; dedup keeps the queue bounded.
        const sub = await readAll(e, meta, { start: 3, end: 10 });
        expect(sub.equals(data.subarray(3, 11))).toBe(true);
      }
      // corrupt two shards of one block (m=2): still correct
      const data = patternBytes(65_536, 42);
      const meta = await putObject(e, 'b', 'two', data);
      flipShardByte(dir, meta, 0, 0);
      flipShardByte(dir, meta, 0, 3);
      expect((await readAll(e, meta)).equals(data)).toBe(true);
      // three bad (m+1): DataLoss, never wrong bytes
      flipShardByte(dir, meta, 0, 4);
      await expect(readAll(e, meta)).rejects.toMatchObject({ code: 'DataLoss' });
    } finally {
      await e.close();
    }
  });

  it('parity of small objects encoded together in one batch reconstructs each object', async () => {
    const dir = await newDir();
    const e = await openEngine(testConfig(dir));
    try {
      await e.createBucket('b', 'o');
      const datas = Array.from({ length: 40 }, (_, i) => patternBytes(1 + i * 397, 1000 + i));
      const metas = await Promise.all(datas.map((d, i) => putObject(e, 'b', `small${i}`, d)));
      for (let i = 0; i < metas.length; i++) {
        const blk = metas[i]!.layout.extents[0]!.blocks[0]!;
        // lose two data shards (or one when the object is tiny): only the gathered parity can restore them
        flipShardByte(dir, metas[i]!, 0, 0, 0);
        if (blk.dataBytes > blk.shardBytes) flipShardByte(dir, metas[i]!, 0, 1, 0);
        expect((await readAll(e, metas[i]!)).equals(datas[i]!), `object ${i}`).toBe(true);
      }
    } finally {
      await e.close();
    }
  });

  it('m drives without segments still serve correct bytes; m+1 → DataLoss', async () => {
    const dir = await newDir();
    const cfg = testConfig(dir);
    const objects = new Map<string, Buffer>();
    let e = await openEngine(cfg);
    await e.createBucket('b', 'o');
    for (const size of [1, 5000, 64 * 1024, 300_000]) {
      const data = patternBytes(size, size);
      objects.set(`s${size}`, data);
      await putObject(e, 'b', `s${size}`, data);
    }
    await e.close();
    await removeDriveSegments(dir, 1);
    await removeDriveSegments(dir, 4);
    e = await openEngine(cfg);
    try {
      for (const [k, data] of objects) expect((await getObject(e, 'b', k))!.equals(data)).toBe(true);
      expect(e.repairQueue.size).toBeGreaterThan(0);
    } finally {
      await e.close();
    }
    await removeDriveSegments(dir, 2);
    e = await openEngine(cfg);
    try {
      await expect(getObject(e, 'b', 's300000')).rejects.toMatchObject({ code: 'DataLoss' });
    } finally {
      await e.close();
    }
  });

  it('offline (missing) drive: writes put null shards and read back; two offline → Unavailable', async () => {
    const dir = await newDir();
    const cfg = testConfig(dir);
    let e = await openEngine(cfg);
    await e.createBucket('b', 'o');
    await e.close();
    await fsp.rm(path.join(dir, 'drive-3'), { recursive: true });
    e = await openEngine(cfg);
    try {
      expect(e.stats().drives[2]!.online).toBe(false);
      const data = patternBytes(150_000, 3);
      const meta = await putObject(e, 'b', 'degraded', data);
      expect(meta.layout.extents[0]!.blocks[0]!.shards.filter((s) => s === null).length).toBe(1);
      expect((await readAll(e, meta)).equals(data)).toBe(true);
    } finally {
      await e.close();
    }
    await fsp.rm(path.join(dir, 'drive-4'), { recursive: true });
    e = await openEngine(cfg);
    try {
      expect(() => e.createWriter({ placementKey: 'b/x' })).toThrow(expect.objectContaining({ code: 'Unavailable' }));
      expect(await getObject(e, 'b', 'degraded')).toBeDefined();
    } finally {
      await e.close();
    }
  });
});

describe('torn tails, holes and partial commits (storage that lies)', () => {
  it('cuts a torn tail, skips a hole, rejects a commit whose shards never reached the disk', async () => {
    const dir = await newDir();
    const cfg = testConfig(dir);
    let e = await openEngine(cfg);
    await e.createBucket('b', 'o');
    const a = patternBytes(70_000, 1);
    const metaA = await putObject(e, 'b', 'a', a);
    const metaH = await putObject(e, 'b', 'holed', patternBytes(5000, 2)); // its shards become a hole
    const c = patternBytes(3000, 3);
    await putObject(e, 'b', 'c', c); // written after the hole
    const metaB = await putObject(e, 'b', 'b', patternBytes(90_000, 4));
    await e.close();

    // Hole: zero the first shard record of 'holed' on every drive (header and payload), as if those
    // positional writes never happened while later ones did.
    for (const s of metaH.layout.extents[0]!.blocks[0]!.shards) {
      const fd = fs.openSync(path.join(dir, `drive-${s!.drive + 1}`, segmentFileName(s!.segment)), 'r+');
      fs.writeSync(fd, Buffer.alloc(RECORD_HEADER_BYTES + 8), 0, RECORD_HEADER_BYTES + 8, s!.offset);
      fs.closeSync(fd);
    }
    // Partial commit: 'b' lost its shards on three drives (> m) — as if the crash hit before they were durable.
    for (const s of metaB.layout.extents[0]!.blocks[1]!.shards.slice(0, 3)) {
      const fd = fs.openSync(path.join(dir, `drive-${s!.drive + 1}`, segmentFileName(s!.segment)), 'r+');
      fs.writeSync(fd, Buffer.alloc(64, 0xee), 0, 64, s!.offset + RECORD_HEADER_BYTES);
      fs.closeSync(fd);
    }
    // Torn tail: half a shard record at the end of one segment.
    const loc = metaA.layout.extents[0]!.blocks[0]!.shards[0]!;
    const segFile = path.join(dir, `drive-${loc.drive + 1}`, segmentFileName(loc.segment));
    const head = Buffer.alloc(RECORD_HEADER_BYTES + 4096);
    const src = fs.openSync(segFile, 'r');
    fs.readSync(src, head, 0, head.length, loc.offset);
    fs.closeSync(src);
    const sizeBefore = fs.statSync(segFile).size;
    fs.appendFileSync(segFile, head.subarray(0, RECORD_HEADER_BYTES + 100));

    // Rebuild from zero so every commit record is replayed and verified.
    await fsp.rm(cfg.indexDir, { recursive: true });
    e = await openEngine(cfg);
    try {
      expect(e.recovery.truncated.some((t) => t.toBytes === sizeBefore)).toBe(true);
      expect(fs.statSync(segFile).size).toBe(sizeBefore);
      expect(e.recovery.holes.length).toBeGreaterThan(0);
      expect(e.recovery.recordsRejected).toBeGreaterThanOrEqual(2); // 'holed' (all shards gone) and 'b'
      expect((await getObject(e, 'b', 'a'))!.equals(a)).toBe(true);
      expect((await getObject(e, 'b', 'c'))!.equals(c)).toBe(true);
      expect(e.headObject('b', 'holed')).toBeUndefined();
      expect(e.headObject('b', 'b')).toBeUndefined();
    } finally {
      await e.close();
    }
  });
});

describe('index rebuild and drive set', () => {
  it('deleting the LMDB files → reopen rebuilds; rebuildIndex gives the same listing and contents', async () => {
    const dir = await newDir();
    const cfg = testConfig(dir, { segmentSizeBytes: 256 * 1024 });
    let e = await openEngine(cfg);
    await e.createBucket('b1', 'o');
    await e.createBucket('b2', 'o');
    await e.createBucket('gone', 'o');
    await e.updateBucketSettings('b2', { versioning: 'Enabled' });
    await e.deleteBucket('gone');
    for (let i = 0; i < 40; i++) await putObject(e, i % 2 ? 'b1' : 'b2', `key/${i}`, patternBytes(i * 997, i));
    await putObject(e, 'b1', 'key/1', patternBytes(12345, 777)); // overwrite
    await e.deleteObject('b1', 'key/3');
    await e.putAux('mpu', 'u1', { parts: 3 });
    await e.putAux('mpu', 'u2', { parts: 1 });
    await e.deleteAux('mpu', 'u2');
    const before = await snapshot(e);
    const buckets = e.listBuckets();
    await e.close();

    await fsp.rm(cfg.indexDir, { recursive: true });
    e = await openEngine(cfg);
    try {
      expect(e.recovery.mode).toBe('rebuild');
      expect(await snapshot(e)).toEqual(before);
      expect(e.listBuckets()).toEqual(buckets);
      expect(e.getAux('mpu', 'u1')).toEqual({ parts: 3 });
      expect(e.getAux('mpu', 'u2')).toBeUndefined();
      expect(e.headObject('b1', 'key/3')).toBeUndefined();
      // new writes after a rebuild keep increasing sequence numbers
      const m = await putObject(e, 'b1', 'after', patternBytes(10, 1));
      expect(m.seq).toBeGreaterThan(Math.max(...Object.values(before).map((v) => Number(v.split(':')[2]))));
    } finally {
      await e.close();
    }
    const report = await rebuildIndex(cfg);
    expect(report.mode).toBe('rebuild');
    e = await openEngine(cfg);
    try {
      const after = await snapshot(e);
      delete after['b1/after'];
      expect(after).toEqual(before);
    } finally {
      await e.close();
    }
  });

  it('an index left open across a reboot (noSync) is rebuilt; a process crash is only replayed', async () => {
    const dir = await newDir();
    const cfg = testConfig(dir);
    let e = await openEngine(cfg);
    await e.createBucket('b', 'o');
    const data = patternBytes(50_000, 8);
    await putObject(e, 'b', 'x', data);
    await e.close();
    // Same boot, not closed cleanly (process crash): replay.
    let db = IndexDb.open(cfg.indexDir);
    db.markOpen();
    await db.close();
    e = await openEngine(cfg);
    expect(e.recovery.mode).toBe('replay');
    await e.close();
    // Not closed cleanly and the boot id changed (machine crashed while open): rebuild.
    db = IndexDb.open(cfg.indexDir);
    db.txn(() => {
      db.meta.putSync('clean', false);
      db.meta.putSync('bootId', 'some-earlier-boot');
    });
    await db.close();
    e = await openEngine(cfg);
    try {
      expect(e.recovery.mode).toBe('rebuild');
      expect((await getObject(e, 'b', 'x'))!.equals(data)).toBe(true);
    } finally {
      await e.close();
    }
  });

  it('refuses reordered, foreign and mismatched drive sets; an empty (replaced) drive serves degraded', async () => {
    const dir = await newDir();
    const cfg = testConfig(dir);
    let e = await openEngine(cfg);
    await e.createBucket('b', 'o');
    const data = patternBytes(100_000, 5);
    await putObject(e, 'b', 'x', data);
    await e.close();

    const swapped = [...cfg.drives];
    [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
    await expect(openEngine({ ...cfg, drives: swapped })).rejects.toThrow(/reordered/);
    await expect(openEngine({ ...cfg, erasure: { k: 3, m: 2 } })).rejects.toThrow(/erasure/);

    const other = await newDir();
    const otherCfg = testConfig(other);
    const o = await openEngine(otherCfg);
    await o.close();
    const mixed = [...cfg.drives];
    mixed[5] = otherCfg.drives[5]!;
    await expect(openEngine({ ...cfg, drives: mixed })).rejects.toThrow(/foreign/);
    await expect(openEngine({ ...otherCfg, indexDir: cfg.indexDir })).rejects.toThrow(/foreign/);

    // Replace drive 2 with an empty directory.
    await fsp.rm(cfg.drives[1]!, { recursive: true });
    await fsp.mkdir(cfg.drives[1]!);
    e = await openEngine(cfg);
    try {
      expect((await getObject(e, 'b', 'x'))!.equals(data)).toBe(true);
      expect(e.stats().drives.every((d) => d.online)).toBe(true);
      await putObject(e, 'b', 'y', data);
      expect((await getObject(e, 'b', 'y'))!.equals(data)).toBe(true);
    } finally {
      await e.close();
    }
  });
});
