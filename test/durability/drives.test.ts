// Drive failure and replacement on a running engine: a vanished drive goes offline (reads degrade,
// writes continue with k+1 healthy drives and fail fast below), an empty directory in its place is
// formatted and rebuilt while the engine serves, and the rebuilt drive is proven by taking two others away.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine, type StrataEngine } from '../../src/store/index.js';
import { Durability } from '../../src/store/durability.js';
import { md5, patternBytes, putObject, readAll, testConfig } from '../helpers/engine.js';
import { cleanDirs, flipShard, newDir, snapshot } from './helpers.js';

afterEach(cleanDirs);

async function until(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function putMany(e: StrataEngine, prefix: string, n: number, want: Map<string, string>, seed: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const d = patternBytes(20_000 + ((i * 7919) % 150_000), seed + i);
    await putObject(e, 'b', `${prefix}${i}`, d);
    want.set(`b/${prefix}${i}`, md5(d));
  }
}

describe('drive failure and replacement', () => {
  it('one drive gone: degraded reads, writes go on; m gone: writes fail fast; replacement rebuilds it fully', async () => {
    const dir = await newDir();
    const config = testConfig(dir);
    const want = new Map<string, string>();
    let e = await openEngine(config);
    const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 50, healIntervalMs: 50 }).start();
    try {
      await e.createBucket('b', 'o');
      await putMany(e, 'a', 30, want, 1);
      // Drive 3 disappears.
      fs.rmSync(`${dir}/drive-3`, { recursive: true });
      await until('drive 3 offline', () => dur.scrubStats().drives[2]!.state === 'offline');
      expect(e.stats().drives[2]!.online).toBe(false);
      expect(await snapshot(e)).toEqual(want);
      await putMany(e, 'b', 20, want, 100); // k+1 = 5 healthy: writes continue, drive 3's shards recorded missing
      expect(await snapshot(e)).toEqual(want);
      // A second drive goes: m offline. Reads still work, writes fail fast.
      fs.rmSync(`${dir}/drive-5`, { recursive: true });
      await until('drive 5 offline', () => dur.scrubStats().drives[4]!.state === 'offline');
      expect(await snapshot(e)).toEqual(want);
      const t0 = Date.now();
      let err: unknown;
      try {
        await putObject(e, 'b', 'refused', patternBytes(10_000, 5));
      } catch (x) {
        err = x;
      }
      expect(err).toMatchObject({ code: 'Unavailable' });
      expect(Date.now() - t0).toBeLessThan(2000); // fail fast, never a hang (generous for a loaded CI box)
      expect(e.headObject('b', 'refused')).toBeUndefined();
      // Both come back as new, empty disks: formatted, attached and rebuilt while the engine serves.
      fs.mkdirSync(`${dir}/drive-3`);
      fs.mkdirSync(`${dir}/drive-5`);
      await until('rebuilds done', () => {
        const d = dur.scrubStats().drives;
        return d[2]!.rebuild?.done === true && d[4]!.rebuild?.done === true;
      }, 60_000);
      const st = dur.scrubStats().drives;
      expect(st[2]!.state).toBe('online');
      expect(st[2]!.rebuild!.unrecoverableBlocks + st[4]!.rebuild!.unrecoverableBlocks).toBe(0);
      // No deferredShards == 0 here: the two drives are attached one after the other, so drive 3's
      // rebuild may meet blocks whose drive-5 shard is missing too while drive 5 is still offline; it
      // defers those (seen once in CI: 18) and drive 5's own rebuild, which starts after, writes them.
      // What must hold is that nothing is missing once both are done:
      expect((await dur.scrub({ repair: false, rateBytesPerSec: Infinity })).badShards).toBe(0);
      expect(st[2]!.rebuild!.shardsRebuilt).toBeGreaterThan(0);
      await putMany(e, 'c', 5, want, 200);
      expect(await snapshot(e)).toEqual(want);
    } finally {
      await dur.close();
      await e.close();
    }
    // Proof: with two *other* drives gone, every block needs the rebuilt drives' shards.
    fs.rmSync(`${dir}/drive-1`, { recursive: true });
    fs.rmSync(`${dir}/drive-2`, { recursive: true });
    e = await openEngine(config);
    try {
      expect(await snapshot(e)).toEqual(want);
    } finally {
      await e.close();
    }
  });

  it('heal on read: a corrupt shard met by a GET is repaired from the repair queue', async () => {
    const dir = await newDir();
    const e = await openEngine(testConfig(dir));
    const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, healIntervalMs: 20 }).start();
    try {
      await e.createBucket('b', 'o');
      const d = patternBytes(200_000, 3);
      const meta = await putObject(e, 'b', 'h', d);
      flipShard(dir, meta, 1, 1);
      flipShard(dir, meta, 2, 0);
      expect((await readAll(e, meta)).equals(d)).toBe(true);
      await until('healed', () => dur.scrubStats().heal.repairedShards >= 2);
      expect(e.repairQueue.size).toBe(0);
      const fresh = e.headObject('b', 'h')!;
      expect(fresh.seq).toBeGreaterThan(meta.seq);
      expect((await readAll(e, fresh)).equals(d)).toBe(true);
      expect((await dur.scrub({ repair: false, rateBytesPerSec: Infinity })).badShards).toBe(0);
    } finally {
      await dur.close();
      await e.close();
    }
  });

  it('a drive missing at open is formatted when it reappears empty and rebuilt, including shards written while it was gone', async () => {
    const dir = await newDir();
    const config = testConfig(dir);
    const want = new Map<string, string>();
    let e = await openEngine(config);
    try {
      await e.createBucket('b', 'o');
      await putMany(e, 'x', 15, want, 7);
    } finally {
      await e.close();
    }
    fs.rmSync(`${dir}/drive-6`, { recursive: true });
    e = await openEngine(config);
    const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 50 }).start();
    try {
      await putMany(e, 'y', 10, want, 70);
      fs.mkdirSync(`${dir}/drive-6`);
      await until('rebuild done', () => dur.scrubStats().drives[5]!.rebuild?.done === true, 60_000);
      expect(dur.scrubStats().drives[5]!.rebuild!.deferredShards).toBe(0);
      expect((await dur.scrub({ repair: false, rateBytesPerSec: Infinity })).badShards).toBe(0);
    } finally {
      await dur.close();
      await e.close();
    }
    fs.rmSync(`${dir}/drive-1`, { recursive: true });
    fs.rmSync(`${dir}/drive-4`, { recursive: true });
    e = await openEngine(config);
    try {
      expect(await snapshot(e)).toEqual(want);
    } finally {
      await e.close();
    }
  });
});

describe('drive probe', () => {
  it('marks a drive offline for a foreign marker, a full disk, or a directory that became a file, and back when it heals', async () => {
    const dir = await newDir();
    const e = await openEngine(testConfig(dir));
    const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0 });
    try {
      await e.createBucket('b', 'o');
      const d = patternBytes(100_000, 1);
      await putObject(e, 'b', 'x', d);
      const marker = `${dir}/drive-2/strata-format.json`;
      const good = fs.readFileSync(marker, 'utf8');
      fs.writeFileSync(marker, good.replace(/"nodeId": "[0-9a-f]+"/, '"nodeId": "0000000000000000"'));
      let r = await dur.drives.checkAll();
      expect(r.offline).toEqual([1]);
      expect(dur.scrubStats().drives[1]!.reason).toMatch(/belongs to node/);
      expect((await readAll(e, e.headObject('b', 'x')!)).equals(d)).toBe(true);
      fs.writeFileSync(marker, good);
      r = await dur.drives.checkAll();
      expect(r.attached).toEqual([1]);
      expect(e.stats().drives[1]!.online).toBe(true);
      // Full: below the free-space floor.
      const full = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0, minFreeBytes: Number.MAX_SAFE_INTEGER });
      try {
        expect(await full.drives.probe(3)).toMatch(/^full/);
      } finally {
        await full.close();
      }
      // The directory replaced by a file (a failed mount): ENOTDIR.
      fs.renameSync(`${dir}/drive-5`, `${dir}/drive-5.old`);
      fs.writeFileSync(`${dir}/drive-5`, 'not a directory');
      r = await dur.drives.checkAll();
      expect(r.offline).toEqual([4]);
      expect((await readAll(e, e.headObject('b', 'x')!)).equals(d)).toBe(true);
      await putObject(e, 'b', 'y', patternBytes(5000, 2)); // k+1 healthy: writes go on
    } finally {
      await dur.close();
      await e.close();
    }
  });

  it('a write error takes its drive offline at once; the next writes go on degraded; the probe brings it back and heals it', async () => {
    const dir = await newDir();
    const e = await openEngine(testConfig(dir));
    const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0, scrubRateBytesPerSec: Infinity });
    try {
      await e.createBucket('b', 'o');
      const want = new Map<string, string>();
      const first = patternBytes(90_000, 1);
      await putObject(e, 'b', 'before', first);
      want.set('b/before', md5(first));
      // Simulated EIO: the active segment of drive 3 now writes to a descriptor that does not exist.
      const seg = e.internals.segments[2]!.active as unknown as { fd: number };
      seg.fd = 1_000_000;
      await expect(putObject(e, 'b', 'victim', patternBytes(90_000, 2))).rejects.toMatchObject({ code: 'Internal' });
      expect(dur.scrubStats().drives[2]!.state).toBe('offline');
      expect(dur.scrubStats().drives[2]!.reason).toMatch(/write failed/);
      for (let i = 0; i < 5; i++) {
        const d = patternBytes(50_000 + i, 10 + i);
        await putObject(e, 'b', `after${i}`, d);
        want.set(`b/after${i}`, md5(d));
      }
      expect(await snapshot(e)).toEqual(want);
      // Repairs while it is out: their commit records must not go to the failed drive.
      const before = e.headObject('b', 'before')!;
      const onOther = before.layout.extents[0]!.blocks[0]!.shards.findIndex((x) => x !== null && x.drive !== 2);
      flipShard(dir, before, 0, onOther);
      const s = await dur.scrub({ repair: true, rateBytesPerSec: Infinity, segments: false });
      expect(s.repairedShards).toBe(1);
      expect(await snapshot(e)).toEqual(want);
      await dur.checkDrives(); // the drive probes fine: back with fresh segments, then healed
      expect(dur.scrubStats().drives[2]!.state).not.toBe('offline');
      const t0 = Date.now();
      while (dur.scrubStats().drives[2]!.rebuild?.done !== true && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
      expect((await dur.scrub({ repair: false, rateBytesPerSec: Infinity })).badShards).toBe(0);
      expect(await snapshot(e)).toEqual(want);
    } finally {
      await dur.close();
      await e.close();
    }
  });
});
