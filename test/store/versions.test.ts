// Object versions in the engine: ids and order, delete markers, permanent deletes with promotion, the
// single "null" version, tags per version, listing with markers — and all of it the same after a
// reopen, a rebuild from the segments, compaction, and in fsck's and scrub's view.
import { afterEach, describe, expect, it } from 'vitest';
import { type ObjectMeta, type VersioningMode, openEngine, rebuildIndex, type StrataEngine } from '../../src/store/index.js';
import { Durability } from '../../src/store/durability.js';
import { fsck } from '../../src/store/fsck.js';
import { isVersionId, versionIdOf } from '../../src/store/versions.js';
import { md5, patternBytes, readAll, testConfig } from '../helpers/engine.js';
import { cleanDirs, flipShard, newDir } from '../durability/helpers.js';

afterEach(cleanDirs);

async function put(e: StrataEngine, bucket: string, key: string, data: Buffer, versioning?: VersioningMode): Promise<ObjectMeta> {
  const w = e.createWriter({ placementKey: `${bucket}/${key}`, expectedSizeBytes: data.length });
  if (data.length > 0) w.write(data);
  const wd = await w.finish();
  return e.commitObject({ bucket, key, layout: wd.layout, sizeBytes: wd.sizeBytes, etag: wd.md5Hex, system: {}, user: {}, checksums: {}, ...(versioning ? { versioning } : {}) });
}

/** Every version of the bucket as "key id latest [marker] md5-of-bytes". */
async function versionsOf(e: StrataEngine, bucket: string): Promise<string[]> {
  const out: string[] = [];
  for (const { meta, isLatest } of e.listVersions(bucket, { limit: 10_000 })) {
    const body = meta.deleteMarker ? 'marker' : md5(await readAll(e, meta));
    out.push(`${meta.key} ${meta.versionId} ${isLatest ? 'latest' : '-'} ${body}`);
  }
  return out;
}

describe('engine versions', () => {
  it('Enabled: each write is a new version, older ones stay readable, listing is newest first', async () => {
    const dir = await newDir();
    const e = await openEngine(testConfig(dir));
    try {
      await e.createBucket('b', 'o');
      const v1 = await put(e, 'b', 'k', patternBytes(10_000, 1), 'Enabled');
      const v2 = await put(e, 'b', 'k', patternBytes(20_000, 2), 'Enabled');
      const v3 = await put(e, 'b', 'k', patternBytes(30_000, 3), 'Enabled');
      for (const v of [v1, v2, v3]) expect(isVersionId(v.versionId)).toBe(true);
      expect(new Set([v1.versionId, v2.versionId, v3.versionId]).size).toBe(3);
      expect(e.headObject('b', 'k')!.versionId).toBe(v3.versionId);
      expect(e.headVersion('b', 'k')!.versionId).toBe(v3.versionId);
      expect((await readAll(e, e.headVersion('b', 'k', v1.versionId)!)).equals(patternBytes(10_000, 1))).toBe(true);
      expect(e.headVersion('b', 'k', 'null')).toBeUndefined();
      expect(e.headVersion('b', 'k', 'garbage')).toBeUndefined();
      expect(e.headVersion('b', 'k', versionIdOf(999_999))).toBeUndefined();
      const list = e.listVersions('b', { limit: 100 });
      expect(list.map((x) => [x.meta.versionId, x.isLatest])).toEqual([
        [v3.versionId, true],
        [v2.versionId, false],
        [v1.versionId, false],
      ]);
      // listObjects sees only the current version
      expect(e.listObjects('b', { limit: 100 }).map((m) => m.versionId)).toEqual([v3.versionId]);
      await expect(e.deleteBucket('b')).rejects.toMatchObject({ code: 'BucketNotEmpty' });
      // an unversioned delete of a versioned key is refused; a marker can be made conditional
      await expect(e.deleteObject('b', 'k')).rejects.toMatchObject({ code: 'InvalidArgument' });
      await expect(e.putDeleteMarker('b', 'k', 'Enabled', v2.seq)).rejects.toMatchObject({ code: 'PreconditionFailed' });
      expect((await e.putDeleteMarker('b', 'k', 'Enabled', v3.seq)).deleteMarker).toBe(true);
      expect(e.headObject('b', 'k')).toBeUndefined();
    } finally {
      await e.close();
    }
  });

  it('delete markers hide the key; removing the latest version promotes the next newest', async () => {
    const dir = await newDir();
    const e = await openEngine(testConfig(dir));
    try {
      await e.createBucket('b', 'o');
      const v1 = await put(e, 'b', 'k', patternBytes(1000, 1), 'Enabled');
      const v2 = await put(e, 'b', 'k', patternBytes(2000, 2), 'Enabled');
      const dm = await e.putDeleteMarker('b', 'k', 'Enabled');
      expect(dm.deleteMarker).toBe(true);
      expect(e.headObject('b', 'k')).toBeUndefined();
      expect(e.headVersion('b', 'k')!.versionId).toBe(dm.versionId);
      expect(e.headVersion('b', 'k', dm.versionId)!.deleteMarker).toBe(true);
      expect(e.listObjects('b', { limit: 10 })).toEqual([]);
      expect(e.listVersions('b', { limit: 10 }).map((x) => [x.meta.versionId, x.isLatest, x.meta.deleteMarker === true])).toEqual([
        [dm.versionId, true, true],
        [v2.versionId, false, false],
        [v1.versionId, false, false],
      ]);
      // removing the marker brings v2 back
      expect((await e.deleteVersion('b', 'k', dm.versionId))!.deleteMarker).toBe(true);
      expect(e.headObject('b', 'k')!.versionId).toBe(v2.versionId);
      // removing the current version promotes v1
      expect((await e.deleteVersion('b', 'k', v2.versionId))!.versionId).toBe(v2.versionId);
      expect(e.headObject('b', 'k')!.versionId).toBe(v1.versionId);
      expect((await readAll(e, e.headObject('b', 'k')!)).equals(patternBytes(1000, 1))).toBe(true);
      // a version that is gone: undefined, nothing changes
      expect(await e.deleteVersion('b', 'k', v2.versionId)).toBeUndefined();
      expect(await e.deleteVersion('b', 'k', 'nonsense')).toBeUndefined();
      // a marker below a newer marker is not promoted; removing a noncurrent version leaves the latest
      const dmA = await e.putDeleteMarker('b', 'k', 'Enabled');
      const dmB = await e.putDeleteMarker('b', 'k', 'Enabled');
      await e.deleteVersion('b', 'k', dmB.versionId);
      expect(e.headObject('b', 'k')).toBeUndefined();
      expect(e.headVersion('b', 'k')!.versionId).toBe(dmA.versionId);
      await e.deleteVersion('b', 'k', dmA.versionId);
      expect(e.headObject('b', 'k')!.versionId).toBe(v1.versionId);
      await e.deleteVersion('b', 'k', v1.versionId);
      expect(e.headVersion('b', 'k')).toBeUndefined();
      expect(e.listVersions('b', { limit: 10 })).toEqual([]);
      await e.deleteBucket('b');
    } finally {
      await e.close();
    }
  });

  it('a key has one "null" version: objects from before versioning, and writes while Suspended replace it', async () => {
    const dir = await newDir();
    const e = await openEngine(testConfig(dir));
    try {
      await e.createBucket('b', 'o');
      const plain = await put(e, 'b', 'k', patternBytes(100, 1)); // written before versioning was enabled
      expect(plain.versionId).toBe('null');
      const v1 = await put(e, 'b', 'k', patternBytes(200, 2), 'Enabled');
      expect(e.listVersions('b', { limit: 10 }).map((x) => x.meta.versionId)).toEqual([v1.versionId, 'null']);
      expect((await readAll(e, e.headVersion('b', 'k', 'null')!)).equals(patternBytes(100, 1))).toBe(true);
      // Suspended: the new "null" version replaces the old one (noncurrent) and becomes current
      const s1 = await put(e, 'b', 'k', patternBytes(300, 3), 'Suspended');
      expect(s1.versionId).toBe('null');
      expect(e.listVersions('b', { limit: 10 }).map((x) => `${x.meta.versionId}:${x.meta.sizeBytes}`)).toEqual(['null:300', `${v1.versionId}:200`]);
      // again: the current null is overwritten in place
      await put(e, 'b', 'k', patternBytes(400, 4), 'Suspended');
      expect(e.listVersions('b', { limit: 10 }).map((x) => `${x.meta.versionId}:${x.meta.sizeBytes}`)).toEqual(['null:400', `${v1.versionId}:200`]);
      // a Suspended delete is a "null" marker that replaces the null version
      const dm = await e.putDeleteMarker('b', 'k', 'Suspended');
      expect(dm.versionId).toBe('null');
      expect(e.listVersions('b', { limit: 10 }).map((x) => `${x.meta.versionId}:${x.meta.deleteMarker === true}`)).toEqual(['null:true', `${v1.versionId}:false`]);
      await e.deleteVersion('b', 'k', 'null');
      expect(e.headObject('b', 'k')!.versionId).toBe(v1.versionId);
    } finally {
      await e.close();
    }
  });

  it('tags per version; listing pages resume at key and version markers', async () => {
    const dir = await newDir();
    const e = await openEngine(testConfig(dir));
    try {
      await e.createBucket('b', 'o');
      const a1 = await put(e, 'b', 'a', patternBytes(10, 1), 'Enabled');
      const a2 = await put(e, 'b', 'a', patternBytes(11, 2), 'Enabled');
      const dmA = await e.putDeleteMarker('b', 'a', 'Enabled');
      const b1 = await put(e, 'b', 'b', patternBytes(12, 3), 'Enabled');
      const c1 = await put(e, 'b', 'c/x', patternBytes(13, 4), 'Enabled');
      const tagged = await e.updateObjectTags('b', 'a', { t: '1' }, undefined, a1.versionId);
      expect(tagged.versionId).toBe(a1.versionId);
      expect(e.headVersion('b', 'a', a1.versionId)!.tags).toEqual({ t: '1' });
      expect(e.headVersion('b', 'a', a2.versionId)!.tags).toBeUndefined();
      await expect(e.updateObjectTags('b', 'a', { t: '1' }, undefined, dmA.versionId)).rejects.toMatchObject({ code: 'NoSuchKey' });
      await e.updateObjectTags('b', 'b', { cur: 'y' }, undefined, b1.versionId);
      expect(e.headObject('b', 'b')!.tags).toEqual({ cur: 'y' });
      const all = e.listVersions('b', { limit: 100 }).map((x) => `${x.meta.key}:${x.meta.versionId}:${x.isLatest}`);
      expect(all).toEqual([`a:${dmA.versionId}:true`, `a:${a2.versionId}:false`, `a:${a1.versionId}:false`, `b:${b1.versionId}:true`, `c/x:${c1.versionId}:true`]);
      // page through two at a time with the last entry's key and version id as markers
      const paged: string[] = [];
      let keyMarker: string | undefined;
      let versionIdMarker: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = e.listVersions('b', { limit: 2, ...(keyMarker !== undefined ? { keyMarker } : {}), ...(versionIdMarker !== undefined ? { versionIdMarker } : {}) });
        if (page.length === 0) break;
        paged.push(...page.map((x) => `${x.meta.key}:${x.meta.versionId}:${x.isLatest}`));
        keyMarker = page[page.length - 1]!.meta.key;
        versionIdMarker = page[page.length - 1]!.meta.versionId;
      }
      expect(paged).toEqual(all);
      // a key marker alone skips all of that key's versions; prefix limits the scan
      expect(e.listVersions('b', { limit: 100, keyMarker: 'a' }).map((x) => x.meta.key)).toEqual(['b', 'c/x']);
      expect(e.listVersions('b', { limit: 100, prefix: 'c/' }).map((x) => x.meta.key)).toEqual(['c/x']);
      // a current version as the marker: the rest of its key follows
      expect(e.listVersions('b', { limit: 100, keyMarker: 'b', versionIdMarker: b1.versionId }).map((x) => x.meta.key)).toEqual(['c/x']);
    } finally {
      await e.close();
    }
  });

  it('reopen, rebuild from the segments, compaction and fsck all agree on the versions', async () => {
    const dir = await newDir();
    const config = testConfig(dir, { segmentSizeBytes: 256 * 1024 });
    let e = await openEngine(config);
    let want: string[];
    try {
      await e.createBucket('b', 'o');
      for (let r = 0; r < 6; r++) {
        for (let i = 0; i < 6; i++) await put(e, 'b', `k${i}`, patternBytes(20_000 + i * 1000 + r, r * 10 + i), r === 0 && i % 2 === 0 ? undefined : r === 3 ? 'Suspended' : 'Enabled');
        if (r % 2 === 1) await e.putDeleteMarker('b', `k${r}`, 'Enabled');
      }
      // tags on old versions: the records that created them become garbage that compaction drops
      for (const { meta } of e.listVersions('b', { limit: 1000 })) if (!meta.deleteMarker && meta.key < 'k3') await e.updateObjectTags('b', meta.key, { x: meta.versionId }, undefined, meta.versionId);
      // permanent deletes: the current version of k0, and a noncurrent one of k4
      await e.deleteVersion('b', 'k0', e.headObject('b', 'k0')!.versionId);
      await e.deleteVersion('b', 'k4', e.listVersions('b', { prefix: 'k4', limit: 10 })[2]!.meta.versionId);
      // garbage for compaction: an unversioned bucket churned
      await e.createBucket('u', 'o');
      for (let r = 0; r < 8; r++) for (let i = 0; i < 6; i++) await put(e, 'u', `x${i}`, patternBytes(30_000, 500 + r * 10 + i));
      want = await versionsOf(e, 'b');
      expect(want.length).toBeGreaterThan(25);
      const f0 = await fsck(e, { repair: false });
      expect(f0.problems).toBe(0);
      const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0, compactionMinAgeMs: 0, compactionDeleteGraceMs: 0, compactionFdCloseGraceMs: 0 });
      try {
        let compacted = 0;
        for (let round = 0; round < 10; round++) {
          const res = await dur.compact({ throttle: undefined, garbageRatio: 0.1 });
          compacted += res.filter((x) => x.outcome === 'compacted').length;
          if (res.length === 0) break;
        }
        expect(compacted).toBeGreaterThan(0);
        const scrub = await dur.scrub({ repair: false, rateBytesPerSec: Infinity });
        expect(scrub.badShards).toBe(0);
        expect(scrub.objectsChecked).toBeGreaterThan(e.listObjects('b', { limit: 1000 }).length + e.listObjects('u', { limit: 1000 }).length);
      } finally {
        await dur.close();
      }
      expect(await versionsOf(e, 'b')).toEqual(want);
      const f1 = await fsck(e, { repair: false });
      expect(f1.problems).toBe(0);
    } finally {
      await e.close();
    }
    e = await openEngine(config);
    try {
      expect(await versionsOf(e, 'b')).toEqual(want);
    } finally {
      await e.close();
    }
    await rebuildIndex(config);
    e = await openEngine(config);
    try {
      expect(await versionsOf(e, 'b')).toEqual(want);
      expect((await fsck(e, { repair: false })).problems).toBe(0);
    } finally {
      await e.close();
    }
  });

  /** An engine whose bucket b holds key k with a noncurrent version `old` (one shard rotten) under a newer one. */
  async function rottenNoncurrent(seed: number, shard: number, fn: (e: StrataEngine, dir: string, old: ObjectMeta, data: Buffer) => Promise<void>): Promise<void> {
    const dir = await newDir();
    const e = await openEngine(testConfig(dir));
    try {
      await e.createBucket('b', 'o');
      const data = patternBytes(50_000 + seed * 1000, seed);
      const old = await put(e, 'b', 'k', data, 'Enabled');
      await put(e, 'b', 'k', patternBytes(10, 8), 'Enabled');
      flipShard(dir, old, 0, shard);
      await fn(e, dir, old, data);
      const now = e.headVersion('b', 'k', old.versionId)!;
      expect(now.layout).not.toEqual(old.layout);
      expect((await readAll(e, now)).equals(data)).toBe(true);
    } finally {
      await e.close();
    }
  }

  it('scrub repairs a rotten shard of a noncurrent version', async () => {
    await rottenNoncurrent(7, 1, async (e) => {
      const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0 });
      try {
        const r = await dur.scrub({ repair: true, rateBytesPerSec: Infinity });
        expect(r.badShards).toBe(1);
        expect(r.repairedShards).toBe(1);
        expect((await dur.scrub({ repair: false, rateBytesPerSec: Infinity })).badShards).toBe(0);
      } finally {
        await dur.close();
      }
    });
  });

  it('a read of a noncurrent version that meets a rotten shard heals that version', async () => {
    await rottenNoncurrent(9, 0, async (e, _dir, old, data) => {
      expect((await readAll(e, e.headVersion('b', 'k', old.versionId)!)).equals(data)).toBe(true);
      expect(e.repairQueue.size).toBe(1);
      const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0, healIntervalMs: 3_600_000 });
      try {
        await dur.healOnce();
        expect(dur.scrubStats().heal.repairedShards).toBe(1);
        expect((await dur.scrub({ repair: false, rateBytesPerSec: Infinity })).badShards).toBe(0);
      } finally {
        await dur.close();
      }
    });
  });

  it('Object Lock fields per version: set at commit, changed by updateObjectLock, guards refuse atomically, kept by a rebuild', async () => {
    const dir = await newDir();
    const config = testConfig(dir);
    let e = await openEngine(config);
    const until = Date.now() + 3_600_000;
    let locked: ObjectMeta;
    try {
      await e.createBucket('b', 'o');
      const w = e.createWriter({ placementKey: 'b/k' });
      w.write(patternBytes(100, 1));
      const wd = await w.finish();
      locked = await e.commitObject({ bucket: 'b', key: 'k', layout: wd.layout, sizeBytes: wd.sizeBytes, etag: wd.md5Hex, system: {}, user: {}, checksums: {}, versioning: 'Enabled', retention: { mode: 'GOVERNANCE', untilMs: until } });
      expect(e.headObject('b', 'k')!.retention).toEqual({ mode: 'GOVERNANCE', untilMs: until });
      const v2 = await put(e, 'b', 'k', patternBytes(200, 2), 'Enabled');
      // a noncurrent version gets a legal hold; the current one is untouched
      await e.updateObjectLock('b', 'k', locked.versionId, { legalHold: true });
      expect(e.headVersion('b', 'k', locked.versionId)!.legalHold).toBe(true);
      expect(e.headObject('b', 'k')!.legalHold).toBeUndefined();
      // without a version id: the current version
      await e.updateObjectLock('b', 'k', undefined, { retention: { mode: 'COMPLIANCE', untilMs: until } });
      expect(e.headVersion('b', 'k', v2.versionId)!.retention!.mode).toBe('COMPLIANCE');
      // guards see the version as it is and refuse by throwing
      const refuse = (m: ObjectMeta): void => {
        if (m.legalHold || (m.retention && m.retention.untilMs > Date.now())) throw new Error('locked');
      };
      await expect(e.deleteVersion('b', 'k', locked.versionId, undefined, refuse)).rejects.toThrow('locked');
      await expect(e.updateObjectLock('b', 'k', v2.versionId, { retention: null }, (m) => refuse(m))).rejects.toThrow('locked');
      expect(e.headVersion('b', 'k', locked.versionId)).toBeDefined();
      await expect(e.updateObjectLock('b', 'k', 'ffffffffffffffff', { legalHold: true })).rejects.toMatchObject({ code: 'NoSuchKey' });
      await e.updateObjectLock('b', 'k', locked.versionId, { legalHold: false, retention: null });
      expect(e.headVersion('b', 'k', locked.versionId)!.legalHold).toBe(false); // set OFF, not "never set"
      expect(e.headVersion('b', 'k', locked.versionId)!.retention).toBeUndefined();
      await e.updateObjectLock('b', 'k', locked.versionId, { legalHold: true });
    } finally {
      await e.close();
    }
    await rebuildIndex(config);
    e = await openEngine(config);
    try {
      expect(e.headVersion('b', 'k', locked.versionId)!.legalHold).toBe(true);
      expect(e.headObject('b', 'k')!.retention).toEqual({ mode: 'COMPLIANCE', untilMs: until });
    } finally {
      await e.close();
    }
  });

  it('fsck finds versions missing from the index or only in it, and --repair makes both agree with a rebuild', async () => {
    const dir = await newDir();
    const config = testConfig(dir);
    let e = await openEngine(config);
    let want: string[];
    try {
      await e.createBucket('b', 'o');
      const v1 = await put(e, 'b', 'k', patternBytes(3000, 1), 'Enabled');
      await e.updateObjectTags('b', 'k', { t: 'x' }, undefined, v1.versionId);
      const v2 = await put(e, 'b', 'k', patternBytes(4000, 2), 'Enabled');
      await put(e, 'b', 'k', patternBytes(5000, 3), 'Enabled');
      const { db } = e.internals;
      const ghostSource = e.headVersion('b', 'k', v2.versionId)!;
      want = await versionsOf(e, 'b');
      // v1 vanishes from the index; a ghost noncurrent version (readable, sharing v2's layout, older than
      // every other version of the key) exists only there
      db.txn(() => db.removeVersion('b', 'k', v1.versionSeq!));
      const ghost: ObjectMeta = { ...ghostSource, versionId: versionIdOf(1), versionSeq: 1, seq: 999_000 };
      db.txn(() => db.putVersion(ghost));
      const r = await fsck(e, { repair: false });
      expect(r.missingFromIndex).toEqual([`version:b/k/${v1.versionSeq}`]);
      expect(r.notBacked).toEqual(['version:b/k/1']);
      const fixed = await fsck(e, { repair: true });
      expect(fixed.repaired!.indexFixed).toBe(1);
      expect(fixed.repaired!.relogged).toBe(1);
      expect((await fsck(e, { repair: false })).problems).toBe(0);
      want = [...want, `k ${ghost.versionId} - ${md5(patternBytes(4000, 2))}`];
      expect(await versionsOf(e, 'b')).toEqual(want);
      expect(e.headVersion('b', 'k', v1.versionId)!.tags).toEqual({ t: 'x' });
    } finally {
      await e.close();
    }
    await rebuildIndex(config);
    e = await openEngine(config);
    try {
      expect(await versionsOf(e, 'b')).toEqual(want);
    } finally {
      await e.close();
    }
  });

  it('ACLs per version: set at commit, replaced by updateObjectAcl without touching data or Last-Modified, kept by a rebuild', async () => {
    const dir = await newDir();
    const config = testConfig(dir);
    let e = await openEngine(config);
    try {
      await e.createBucket('b', 'o');
      const plain = await put(e, 'b', 'u', patternBytes(10, 1)); // unversioned
      const acl = await e.updateObjectAcl('b', 'u', undefined, { grants: ['public-read'] });
      expect(acl.lastModifiedMs).toBe(plain.lastModifiedMs);
      expect(acl.etag).toBe(plain.etag);
      expect(e.headObject('b', 'u')!.acl).toEqual({ grants: ['public-read'] });
      const v1 = await put(e, 'b', 'k', patternBytes(10, 2), 'Enabled');
      await put(e, 'b', 'k', patternBytes(10, 3), 'Enabled');
      await e.updateObjectAcl('b', 'k', v1.versionId, { grants: ['x'] });
      expect(e.headVersion('b', 'k', v1.versionId)!.acl).toEqual({ grants: ['x'] });
      expect(e.headObject('b', 'k')!.acl).toBeUndefined();
      await e.updateObjectAcl('b', 'u', 'null', undefined);
      expect(e.headObject('b', 'u')!.acl).toBeUndefined();
      await e.updateObjectAcl('b', 'u', undefined, 'private');
      await expect(e.updateObjectAcl('b', 'missing', undefined, 'x')).rejects.toMatchObject({ code: 'NoSuchKey' });
    } finally {
      await e.close();
    }
    await rebuildIndex(config);
    e = await openEngine(config);
    try {
      expect(e.headObject('b', 'u')!.acl).toBe('private');
      expect(e.listVersions('b', { prefix: 'k', limit: 10 }).map((x) => x.meta.acl)).toEqual([undefined, { grants: ['x'] }]);
    } finally {
      await e.close();
    }
  });

  it('a bucket created with settings (versioning, Object Lock) has them from its first record on', async () => {
    const dir = await newDir();
    const config = testConfig(dir);
    let e = await openEngine(config);
    try {
      const b = await e.createBucket('locked', 'o', { versioning: 'Enabled', objectLock: { enabled: true } });
      expect(b.settings).toEqual({ versioning: 'Enabled', objectLock: { enabled: true } });
      expect(e.getBucket('locked')!.settings).toEqual(b.settings);
    } finally {
      await e.close();
    }
    await rebuildIndex(config);
    e = await openEngine(config);
    try {
      expect(e.getBucket('locked')!.settings).toEqual({ versioning: 'Enabled', objectLock: { enabled: true } });
    } finally {
      await e.close();
    }
  });
});
