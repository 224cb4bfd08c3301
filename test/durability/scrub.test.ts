// Scrub: flipped bytes (data, parity, headers) and truncated segments are found and repaired; the
// repair survives a restart and a rebuild of the index from the segments.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine, rebuildIndex } from '../../src/store/index.js';
import { Durability, startDurability } from '../../src/store/durability.js';
import { md5, patternBytes, putObject, getObject, testConfig } from '../helpers/engine.js';
import type { ObjectCommitBody } from '../../src/store/log-records.js';
import { cleanDirs, flipAt, flipShard, newDir, shardFile, snapshot } from './helpers.js';

afterEach(cleanDirs);

describe('scrub', () => {
  it('finds and repairs flipped bytes in every shard position, and the repair survives a rebuild', async () => {
    const dir = await newDir();
    const config = testConfig(dir);
    const want = new Map<string, string>();
    let e = await openEngine(config);
    try {
      await e.createBucket('b', 'o');
      for (let i = 0; i < 12; i++) {
        const data = patternBytes(150_000 + i * 1000, i + 1);
        const meta = await putObject(e, 'b', `k${i}`, data);
        want.set(`b/k${i}`, md5(data));
        flipShard(dir, meta, i % 3, i % 6, 7 + i, i === 11); // data and parity positions; one header
        if (i === 5) flipShard(dir, meta, 0, (i + 1) % 6, 3); // two bad in one block: still m
      }
      const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0 });
      try {
        const r = await dur.scrub({ repair: true, rateBytesPerSec: Infinity });
        expect(r.complete).toBe(true);
        expect(r.objectsChecked).toBe(12);
        expect(r.badShards).toBe(13);
        expect(r.repairedShards).toBe(13);
        expect(r.unrecoverableBlocks).toBe(0);
        const again = await dur.scrub({ repair: false, rateBytesPerSec: Infinity });
        expect(again.badShards).toBe(0);
        expect(dur.scrubStats().totals.repairedShards).toBe(13);
      } finally {
        await dur.close();
      }
      expect(await snapshot(e)).toEqual(want);
    } finally {
      await e.close();
    }
    // The index is only an index: rebuild it from the segments and the repaired layouts must come back.
    await rebuildIndex(config);
    e = await openEngine(config);
    try {
      expect(await snapshot(e)).toEqual(want);
      const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0 });
      try {
        const r = await dur.scrub({ repair: false, rateBytesPerSec: Infinity });
        expect(r.badShards).toBe(0);
      } finally {
        await dur.close();
      }
    } finally {
      await e.close();
    }
  });

  it('a truncated segment is found (segment walk and shard walk) and its shards rebuilt', async () => {
    const dir = await newDir();
    const config = testConfig(dir);
    const want = new Map<string, string>();
    let e = await openEngine(config);
    let victim = { drive: 0, segment: 0 };
    try {
      await e.createBucket('b', 'o');
      for (let i = 0; i < 20; i++) {
        const data = patternBytes(100_000, 100 + i);
        const meta = await putObject(e, 'b', `t${i}`, data);
        want.set(`b/t${i}`, md5(data));
        if (i === 0) victim = { drive: meta.layout.extents[0]!.blocks[0]!.shards[0]!.drive, segment: meta.layout.extents[0]!.blocks[0]!.shards[0]!.segment };
      }
    } finally {
      await e.close();
    }
    const file = shardFile(dir, victim.drive, victim.segment);
    const size = fs.statSync(file).size;
    fs.truncateSync(file, Math.floor(size / 3));
    e = await openEngine(config);
    try {
      const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0 });
      try {
        const r = await dur.scrub({ repair: true, rateBytesPerSec: Infinity });
        expect(r.badShards).toBeGreaterThan(0);
        expect(r.repairedShards).toBe(r.badShards);
        expect(r.unrecoverableBlocks).toBe(0);
        expect(r.findings.some((f) => /short read/.test(f.reason))).toBe(true);
        expect((await dur.scrub({ repair: false, rateBytesPerSec: Infinity })).badShards).toBe(0);
      } finally {
        await dur.close();
      }
      expect(await snapshot(e)).toEqual(want);
      // Take another drive away entirely: everything must still read (the rebuilt shards are real).
    } finally {
      await e.close();
    }
    const other = (victim.drive + 1) % 6;
    fs.rmSync(`${dir}/drive-${other + 1}`, { recursive: true });
    e = await openEngine(config);
    try {
      expect(await snapshot(e)).toEqual(want);
    } finally {
      await e.close();
    }
  });

  it('more than m bad shards in a block is reported unrecoverable, never "repaired" with wrong bytes', async () => {
    const dir = await newDir();
    const e = await openEngine(testConfig(dir));
    try {
      await e.createBucket('b', 'o');
      const meta = await putObject(e, 'b', 'lost', patternBytes(70_000, 9));
      const ok = patternBytes(70_000, 10);
      await putObject(e, 'b', 'fine', ok);
      for (const s of [0, 2, 5]) flipShard(dir, meta, 0, s);
      const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0 });
      try {
        const r = await dur.scrub({ repair: true, rateBytesPerSec: Infinity });
        expect(r.unrecoverableBlocks).toBe(1);
        expect(r.unrecoverableEntries).toEqual(['b/lost']);
        expect(r.repairedShards).toBe(0);
      } finally {
        await dur.close();
      }
      expect((await getObject(e, 'b', 'fine'))!.equals(ok)).toBe(true);
    } finally {
      await e.close();
    }
  });

  it('startDurability: a background pass runs, stats come through engine.scrubStats(), engine.close() stops it', async () => {
    const dir = await newDir();
    const e = await openEngine(testConfig(dir));
    await e.createBucket('b', 'o');
    for (let i = 0; i < 5; i++) await putObject(e, 'b', `s${i}`, patternBytes(30_000, i));
    expect(e.scrubStats()).toBeUndefined();
    startDurability(e, { scrubStartDelayMs: 10, scrubIntervalMs: 3600_000, driveCheckIntervalMs: 50, compactionIntervalMs: 0 });
    const t0 = Date.now();
    while ((e.scrubStats()?.passesCompleted ?? 0) < 1 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    const st = e.scrubStats()!;
    expect(st.passesCompleted).toBe(1);
    expect(st.totals.objectsChecked).toBe(5);
    expect(st.drives.map((d) => d.state)).toEqual(['online', 'online', 'online', 'online', 'online', 'online']);
    await e.close();
    expect(e.durability).toBeUndefined();
  });

  it('a commit record left on fewer than m+1 drives (rot on the other copies) is logged again', async () => {
    const dir = await newDir();
    const config = testConfig(dir);
    let e = await openEngine(config);
    const data = patternBytes(120_000, 77);
    try {
      await e.createBucket('b', 'o');
      await putObject(e, 'b', 'meta-rot', data);
      await putObject(e, 'b', 'other', patternBytes(1000, 1));
    } finally {
      await e.close();
    }
    // Rot every copy of the commit record but one (it is on every drive holding a shard: all six).
    const { scanSegmentFile } = await import('../../src/store/segment-scan.js');
    const { RecordType } = await import('../../src/store/record.js');
    const { decodeLogBody } = await import('../../src/store/log-records.js');
    const { listSegments } = await import('../../src/store/segment.js');
    const seedHex = JSON.parse(fs.readFileSync(`${dir}/drive-1/strata-format.json`, 'utf8')).nodeId as string;
    let rotted = 0;
    for (let d = 1; d <= 5; d++) {
      for (const n of await listSegments(`${dir}/drive-${d}`)) {
        const file = `${dir}/drive-${d}/seg-${String(n).padStart(8, '0')}.log`;
        const hits: number[] = [];
        for await (const ev of scanSegmentFile(file, BigInt(`0x${seedHex}`))) {
          if (ev.kind === 'record' && ev.type === RecordType.ObjectCommit && (decodeLogBody(ev.type, ev.payload) as ObjectCommitBody).meta.key === 'meta-rot') hits.push(ev.offset);
        }
        for (const at of hits) {
          flipAt(file, at + 48);
          rotted++;
        }
      }
    }
    expect(rotted).toBe(5);
    e = await openEngine(config);
    try {
      const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0 });
      try {
        const r = await dur.scrub({ repair: true, rateBytesPerSec: Infinity });
        expect(r.underReplicatedRecords).toBe(1);
        expect(r.reloggedRecords).toBe(1);
        const again = await dur.scrub({ repair: false, rateBytesPerSec: Infinity });
        expect(again.underReplicatedRecords).toBe(0);
      } finally {
        await dur.close();
      }
    } finally {
      await e.close();
    }
    // The re-logged record lives on m+1 drives: lose two of them and rebuild the index from the segments.
    fs.rmSync(`${dir}/drive-6`, { recursive: true });
    fs.rmSync(`${dir}/drive-1`, { recursive: true });
    await rebuildIndex(config);
    e = await openEngine(config);
    try {
      expect((await getObject(e, 'b', 'meta-rot'))!.equals(data)).toBe(true);
    } finally {
      await e.close();
    }
  });
});
