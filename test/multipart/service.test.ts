import { beforeEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { MultipartService } from '../../src/s3/multipart/service.js';
import { NS_DONE, NS_PART, NS_UPLOAD, type UploadRecord } from '../../src/s3/multipart/records.js';
import { compositeChecksum } from '../../src/s3/multipart/digests.js';
import type { ChecksumAlgorithm, ObjectMeta } from '../../src/store/api.js';
import { FakeEngine, writeBytes } from './fake-engine.js';
import { refCrc64nvmeBase64 } from '../helpers/crc64nvme-ref.js';

const MIN = 1024; // lowered minPartSizeBytes

async function readAll(engine: FakeEngine, meta: ObjectMeta, range?: { start: number; end: number }): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of engine.readObject(meta, range)) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

function md5(b: Uint8Array): string {
  return createHash('md5').update(b).digest('hex');
}

async function put(svc: MultipartService, u: UploadRecord, n: number, data: Buffer) {
  const w = await writeBytes(svc.engine, data, svc.writerOptions(u));
  return svc.putPart(u, n, w);
}

async function s3code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
}

describe('MultipartService (fake engine)', () => {
  let engine: FakeEngine;
  let svc: MultipartService;
  let clock: number;
  beforeEach(async () => {
    engine = new FakeEngine();
    await engine.createBucket('b', 'me');
    clock = 1_700_000_000_000;
    svc = await MultipartService.open(engine, { minPartSizeBytes: MIN }, () => clock);
  });

  it('completes out-of-order parts into an object whose layout is the parts\' extents, byte-identical', async () => {
    const u = await svc.create({ bucket: 'b', key: 'k', system: { contentType: 'text/plain' }, user: { a: '1' } });
    const data = [randomBytes(3000), randomBytes(MIN), randomBytes(100)];
    const recs = await Promise.all([put(svc, u, 3, data[2]!), put(svc, u, 1, data[0]!), put(svc, u, 2, data[1]!)]);
    const byNum = new Map(recs.map((r) => [r.partNumber, r]));
    const res = await svc.complete('b', 'k', u.uploadId, [1, 2, 3].map((n) => ({ partNumber: n, etag: `"${byNum.get(n)!.md5Hex}"`, checksums: {} })));
    await svc.settled();
    const expectedEtag = md5(Buffer.concat(data.map((d) => Buffer.from(md5(d), 'hex')))) + '-3';
    expect(res.etag).toBe(expectedEtag);
    const meta = engine.headObject('b', 'k')!;
    expect(meta.sizeBytes).toBe(3100 + MIN);
    expect(meta.etag).toBe(expectedEtag);
    expect(meta.parts!.map((p) => [p.partNumber, p.sizeBytes, p.etag])).toEqual([
      [1, 3000, md5(data[0]!)],
      [2, MIN, md5(data[1]!)],
      [3, 100, md5(data[2]!)],
    ]);
    expect(meta.system.contentType).toBe('text/plain');
    expect(meta.user).toEqual({ a: '1' });
    // zero-copy: the object's extents are the parts' extents
    expect(meta.layout.extents).toEqual([1, 2, 3].map((n) => byNum.get(n)!.layout.extents[0]));
    expect(await readAll(engine, meta)).toEqual(Buffer.concat(data));
    expect(await readAll(engine, meta, { start: 2990, end: 3010 })).toEqual(Buffer.concat(data).subarray(2990, 3011));
    // the upload and its parts are gone; the marker answers retries
    expect(svc.openUploads).toBe(0);
    expect(engine.auxCount(NS_UPLOAD)).toBe(0);
    expect(engine.auxCount(NS_PART)).toBe(0);
    expect(engine.auxCount(NS_DONE)).toBe(1);
    expect(await s3code(() => svc.getUpload('b', 'k', u.uploadId))).toBe('NoSuchUpload');
  });

  it('a retried Complete with the same parts returns the same result; a different list gets NoSuchUpload', async () => {
    const u = await svc.create({ bucket: 'b', key: 'k', system: {}, user: {} });
    const p1 = await put(svc, u, 1, randomBytes(MIN));
    const p2 = await put(svc, u, 2, randomBytes(10));
    const list = [
      { partNumber: 1, etag: p1.md5Hex, checksums: {} },
      { partNumber: 2, etag: p2.md5Hex, checksums: {} },
    ];
    const first = await svc.complete('b', 'k', u.uploadId, list);
    expect(await svc.complete('b', 'k', u.uploadId, list)).toEqual(first);
    expect(await s3code(svc.complete('b', 'k', u.uploadId, list.slice(0, 1)))).toBe('NoSuchUpload');
    expect(await s3code(svc.complete('b', 'other', u.uploadId, list))).toBe('NoSuchUpload');
  });

  it('concurrent Completes of one upload: one commits, the other gets the same answer', async () => {
    const u = await svc.create({ bucket: 'b', key: 'k', system: {}, user: {} });
    const p1 = await put(svc, u, 1, randomBytes(MIN));
    const list = [{ partNumber: 1, etag: p1.md5Hex, checksums: {} }];
    const [a, b] = await Promise.all([svc.complete('b', 'k', u.uploadId, list), svc.complete('b', 'k', u.uploadId, list)]);
    expect(a).toEqual(b);
    expect(engine.calls.filter((c) => c === 'commitObject')).toHaveLength(1);
  });

  it('rules: InvalidPart (wrong ETag, missing part, checksum mismatch), InvalidPartOrder, EntityTooSmall, part number range', async () => {
    const u = await svc.create({ bucket: 'b', key: 'k', system: {}, user: {}, checksumAlgorithm: 'CRC32' });
    const p1 = await put(svc, u, 1, randomBytes(MIN - 1));
    const p2 = await put(svc, u, 2, randomBytes(MIN));
    const ok = (n: number, etag: string) => ({ partNumber: n, etag, checksums: {} });
    expect(await s3code(svc.complete('b', 'k', u.uploadId, [ok(1, p1.md5Hex), ok(2, 'f'.repeat(32))]))).toBe('InvalidPart');
    expect(await s3code(svc.complete('b', 'k', u.uploadId, [ok(1, p1.md5Hex), ok(3, p2.md5Hex)]))).toBe('InvalidPart');
    expect(
      await s3code(svc.complete('b', 'k', u.uploadId, [{ partNumber: 1, etag: p1.md5Hex, checksums: { CRC32: 'AAAAAA==' } }])),
    ).toBe('InvalidPart');
    expect(await s3code(svc.complete('b', 'k', u.uploadId, [ok(2, p2.md5Hex), ok(1, p1.md5Hex)]))).toBe('InvalidPartOrder');
    expect(await s3code(svc.complete('b', 'k', u.uploadId, [ok(1, p1.md5Hex), ok(1, p1.md5Hex)]))).toBe('InvalidPartOrder');
    expect(await s3code(svc.complete('b', 'k', u.uploadId, [ok(1, p1.md5Hex), ok(2, p2.md5Hex)]))).toBe('EntityTooSmall');
    expect(await s3code(svc.complete('b', 'k', u.uploadId, []))).toBe('MalformedXML');
    expect(await s3code(() => svc.checkPartNumber(0))).toBe('InvalidArgument');
    expect(await s3code(() => svc.checkPartNumber(10_001))).toBe('InvalidArgument');
    // the last part may be small, and a single small part is a valid object
    const r = await svc.complete('b', 'k', u.uploadId, [ok(1, p1.md5Hex)]);
    expect(r.etag.endsWith('-1')).toBe(true);
    expect(r.checksumType).toBe('COMPOSITE');
  });

  it('re-uploading a part number replaces it and its old data becomes garbage; abort makes everything garbage', async () => {
    const u = await svc.create({ bucket: 'b', key: 'k', system: {}, user: {} });
    const old = await put(svc, u, 1, randomBytes(200_000));
    const oldBlocks = old.layout.extents[0]!.blocks.map((b) => b.shards[0]!.offset);
    const fresh = await put(svc, u, 1, randomBytes(100));
    const live = engine.liveBlocks();
    for (const o of oldBlocks) expect(live.has(o)).toBe(false);
    expect(svc.listParts(u, { maxParts: 100 }).parts.map((p) => p.md5Hex)).toEqual([fresh.md5Hex]);
    await svc.abort('b', 'k', u.uploadId);
    expect(engine.liveBlocks().size).toBe(0);
    expect(await s3code(() => svc.getUpload('b', 'k', u.uploadId))).toBe('NoSuchUpload');
    expect(await s3code(svc.abort('b', 'k', u.uploadId))).toBe('NoSuchUpload');
    // a part whose body finished streaming after the abort is refused
    const late = await writeBytes(engine, randomBytes(10), svc.writerOptions(u));
    expect(await s3code(svc.putPart(u, 2, late))).toBe('NoSuchUpload');
    expect(engine.auxCount(NS_PART)).toBe(0);
  });

  it('ListParts pages with part-number-marker', async () => {
    const u = await svc.create({ bucket: 'b', key: 'k', system: {}, user: {} });
    for (const n of [5, 1, 3, 2, 4]) await put(svc, u, n, randomBytes(10));
    const a = svc.listParts(u, { maxParts: 2 });
    expect(a.parts.map((p) => p.partNumber)).toEqual([1, 2]);
    expect(a.isTruncated).toBe(true);
    const b = svc.listParts(u, { maxParts: 2, partNumberMarker: a.nextPartNumberMarker });
    expect(b.parts.map((p) => p.partNumber)).toEqual([3, 4]);
    const c = svc.listParts(u, { maxParts: 2, partNumberMarker: b.nextPartNumberMarker });
    expect(c.parts.map((p) => p.partNumber)).toEqual([5]);
    expect(c.isTruncated).toBe(false);
  });

  it.each([
    ['CRC32', 'FULL_OBJECT'],
    ['CRC32C', 'FULL_OBJECT'],
    ['CRC32', 'COMPOSITE'],
    ['SHA256', 'COMPOSITE'],
    ['SHA1', 'COMPOSITE'],
  ] as const)('%s %s checksum', async (alg: ChecksumAlgorithm, type) => {
    const u = await svc.create({ bucket: 'b', key: 'k', system: {}, user: {}, checksumAlgorithm: alg, checksumType: type });
    const data = [randomBytes(MIN + 7), randomBytes(MIN * 2), randomBytes(33)];
    const recs = [];
    for (let i = 0; i < data.length; i++) recs.push(await put(svc, u, i + 1, data[i]!));
    const res = await svc.complete('b', 'k', u.uploadId, recs.map((r) => ({ partNumber: r.partNumber, etag: r.md5Hex, checksums: { [alg]: r.checksums[alg]! } })));
    expect(res.checksumType).toBe(type);
    const value = res.checksums[alg]!;
    if (type === 'FULL_OBJECT') {
      const whole = Buffer.alloc(4);
      whole.writeUInt32BE(alg === 'CRC32' ? zlibCrc32(Buffer.concat(data)) : (await import('@node-rs/crc32')).crc32c(Buffer.concat(data)));
      expect(value).toBe(whole.toString('base64'));
    } else {
      expect(value).toBe(compositeChecksum(alg, recs.map((r) => r.checksums[alg]!)));
      expect(res.partsCount).toBe(3);
    }
    expect(engine.headObject('b', 'k')!.checksums[alg]).toBe(value);
  });

  it('FULL_OBJECT is refused for SHA256; checksum type without algorithm is refused', async () => {
    expect(await s3code(svc.create({ bucket: 'b', key: 'k', system: {}, user: {}, checksumAlgorithm: 'SHA256', checksumType: 'FULL_OBJECT' }))).toBe('InvalidRequest');
    expect(await s3code(svc.create({ bucket: 'b', key: 'k', system: {}, user: {}, checksumType: 'COMPOSITE' }))).toBe('InvalidRequest');
  });

  it('CRC64NVME: FULL_OBJECT only (the default when no type is given), combined from the parts, empty parts included', async () => {
    expect(await s3code(svc.create({ bucket: 'b', key: 'k', system: {}, user: {}, checksumAlgorithm: 'CRC64NVME', checksumType: 'COMPOSITE' }))).toBe('InvalidRequest');
    const u = await svc.create({ bucket: 'b', key: 'k64', system: {}, user: {}, checksumAlgorithm: 'CRC64NVME' });
    expect(u.checksumType).toBe('FULL_OBJECT');
    const data = [randomBytes(MIN + 7), randomBytes(MIN * 2), randomBytes(0)];
    const recs = [];
    for (let i = 0; i < data.length; i++) recs.push(await put(svc, u, i + 1, data[i]!));
    for (let i = 0; i < data.length; i++) expect(recs[i]!.checksums.CRC64NVME).toBe(refCrc64nvmeBase64(data[i]!));
    const parts = recs.map((r) => ({ partNumber: r.partNumber, etag: r.md5Hex, checksums: { CRC64NVME: r.checksums.CRC64NVME! } }));
    expect(await s3code(svc.complete('b', 'k64', u.uploadId, parts, { claimedChecksum: { algorithm: 'CRC64NVME', value: 'AAAAAAAAAAA=' } }))).toBe('BadDigest');
    const whole = refCrc64nvmeBase64(Buffer.concat(data));
    const res = await svc.complete('b', 'k64', u.uploadId, parts, { claimedChecksum: { algorithm: 'CRC64NVME', value: whole } });
    expect(res.checksumType).toBe('FULL_OBJECT');
    expect(res.checksums).toEqual({ CRC64NVME: whole });
    expect(engine.headObject('b', 'k64')!.checksums.CRC64NVME).toBe(whole);
  });

  it('a claimed whole-object checksum on Complete is verified', async () => {
    const u = await svc.create({ bucket: 'b', key: 'k', system: {}, user: {}, checksumAlgorithm: 'CRC32', checksumType: 'FULL_OBJECT' });
    const data = randomBytes(100);
    const p = await put(svc, u, 1, data);
    const parts = [{ partNumber: 1, etag: p.md5Hex, checksums: {} }];
    expect(await s3code(svc.complete('b', 'k', u.uploadId, parts, { claimedChecksum: { algorithm: 'CRC32', value: 'AAAAAA==' } }))).toBe('BadDigest');
    expect(await s3code(svc.complete('b', 'k', u.uploadId, parts, { expectedSizeBytes: 99 }))).toBe('InvalidRequest');
    const b = Buffer.alloc(4);
    b.writeUInt32BE(zlibCrc32(data));
    const r = await svc.complete('b', 'k', u.uploadId, parts, { claimedChecksum: { algorithm: 'CRC32', value: b.toString('base64') } });
    expect(r.checksums.CRC32).toBe(b.toString('base64'));
  });

  it('UploadPartCopy reads a source range and writes it as the part', async () => {
    const src = randomBytes(300_000);
    const w = await writeBytes(engine, src, { placementKey: 'b/src' });
    const srcMeta = await engine.commitObject({ bucket: 'b', key: 'src', layout: w.layout, sizeBytes: w.sizeBytes, etag: w.md5Hex, system: {}, user: {}, checksums: {} });
    const u = await svc.create({ bucket: 'b', key: 'k', system: {}, user: {}, checksumAlgorithm: 'CRC32C' });
    const p1 = await svc.copyPart(u, 1, srcMeta, { start: 1000, end: 1000 + MIN * 2 - 1 });
    const p2 = await svc.copyPart(u, 2, srcMeta);
    expect(p1.md5Hex).toBe(md5(src.subarray(1000, 1000 + MIN * 2)));
    expect(p1.checksums.CRC32C).toBeDefined();
    await svc.complete('b', 'k', u.uploadId, [p1, p2].map((p) => ({ partNumber: p.partNumber, etag: p.md5Hex, checksums: {} })));
    expect(await readAll(engine, engine.headObject('b', 'k')!)).toEqual(Buffer.concat([src.subarray(1000, 1000 + MIN * 2), src]));
  });

  it('ListMultipartUploads: ordering, prefix, delimiter, key-marker / upload-id-marker paging', async () => {
    const keys = ['a/1', 'a/2', 'b', 'b', 'c/x/y', 'd', 'z'];
    const ids: string[] = [];
    for (const k of keys) {
      clock++;
      ids.push((await svc.create({ bucket: 'b', key: k, system: {}, user: {} })).uploadId);
    }
    await svc.create({ bucket: 'other', key: 'a/1', system: {}, user: {} });
    const all = svc.listUploads('b', { maxUploads: 1000 });
    expect(all.uploads.map((u) => u.key)).toEqual(keys);
    expect(all.uploads.map((u) => u.uploadId)).toEqual(ids);
    // paging 2 at a time visits everything once, in order
    const seen: string[] = [];
    let km: string | undefined;
    let um: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = svc.listUploads('b', { maxUploads: 2, keyMarker: km, uploadIdMarker: um });
      seen.push(...page.uploads.map((u) => u.uploadId));
      if (!page.isTruncated) break;
      km = page.nextKeyMarker;
      um = page.nextUploadIdMarker;
    }
    expect(seen).toEqual(ids);
    // key-marker alone: keys strictly after it
    expect(svc.listUploads('b', { maxUploads: 10, keyMarker: 'b' }).uploads.map((u) => u.key)).toEqual(['c/x/y', 'd', 'z']);
    // delimiter rolls up, common prefixes count toward max-uploads
    const d = svc.listUploads('b', { maxUploads: 10, delimiter: '/' });
    expect(d.commonPrefixes).toEqual(['a/', 'c/']);
    expect(d.uploads.map((u) => u.key)).toEqual(['b', 'b', 'd', 'z']);
    const d1 = svc.listUploads('b', { maxUploads: 1, delimiter: '/' });
    expect(d1.commonPrefixes).toEqual(['a/']);
    expect(d1.isTruncated).toBe(true);
    const d2 = svc.listUploads('b', { maxUploads: 1, delimiter: '/', keyMarker: d1.nextKeyMarker });
    expect(d2.uploads.map((u) => u.key)).toEqual(['b']);
    expect(svc.listUploads('b', { maxUploads: 10, prefix: 'c/', delimiter: '/' }).commonPrefixes).toEqual(['c/x/']);
    expect(svc.listUploads('b', { maxUploads: 10, prefix: 'a/' }).uploads.map((u) => u.key)).toEqual(['a/1', 'a/2']);
  });

  it('maxUploadsInFlight: CreateMultipartUpload past it is SlowDown', async () => {
    const small = await MultipartService.open(new FakeEngine(), { maxUploadsInFlight: 2 });
    await small.create({ bucket: 'b', key: '1', system: {}, user: {} });
    await small.create({ bucket: 'b', key: '2', system: {}, user: {} });
    expect(await s3code(small.create({ bucket: 'b', key: '3', system: {}, user: {} }))).toBe('SlowDown');
  });

  it('reopening the service finds open uploads and their parts', async () => {
    const u = await svc.create({ bucket: 'b', key: 'k', system: {}, user: {} });
    await put(svc, u, 1, randomBytes(10));
    engine = engine.crash();
    const again = await MultipartService.open(engine, { minPartSizeBytes: MIN });
    const u2 = again.getUpload('b', 'k', u.uploadId);
    expect(again.listParts(u2, { maxParts: 10 }).parts.map((p) => p.partNumber)).toEqual([1]);
  });

  describe('crash during completion', () => {
    async function prepared() {
      const u = await svc.create({ bucket: 'b', key: 'k', system: {}, user: {} });
      const data = [randomBytes(MIN), randomBytes(5)];
      const recs = [await put(svc, u, 1, data[0]!), await put(svc, u, 2, data[1]!)];
      const list = recs.map((r) => ({ partNumber: r.partNumber, etag: r.md5Hex, checksums: {} }));
      return { u, data, list };
    }

    it('before the commit is durable: object absent, upload open with all parts, completes after restart', async () => {
      const { u, data, list } = await prepared();
      engine.faults.set('commitObject', 0);
      await expect(svc.complete('b', 'k', u.uploadId, list)).rejects.toThrow();
      engine = engine.crash();
      expect(engine.auxCount(NS_DONE)).toBe(1); // the 'completing' marker could not be removed
      const again = await MultipartService.open(engine, { minPartSizeBytes: MIN });
      expect(engine.headObject('b', 'k')).toBeUndefined();
      expect(engine.auxCount(NS_DONE)).toBe(0);
      const u2 = again.getUpload('b', 'k', u.uploadId);
      expect(again.listParts(u2, { maxParts: 10 }).parts).toHaveLength(2);
      await again.complete('b', 'k', u.uploadId, list);
      expect(await readAll(engine, engine.headObject('b', 'k')!)).toEqual(Buffer.concat(data));
    });

    it('commit durable but its marker lost: after restart the upload is recognised as completed by its extents', async () => {
      const { u, data, list } = await prepared();
      engine.losses.set('putAux', 0); // the 'completing' marker never reaches the disk
      engine.faults.set('putAux', 0); // and the process dies at the next one ('completed'), before any cleanup
      const first = await svc.complete('b', 'k', u.uploadId, list);
      await svc.settled();
      engine = engine.crash();
      expect(engine.auxCount(NS_DONE)).toBe(0);
      expect(engine.auxCount(NS_UPLOAD)).toBe(1);
      const again = await MultipartService.open(engine, { minPartSizeBytes: MIN }, () => clock);
      expect(again.openUploads).toBe(0);
      expect(engine.auxCount(NS_PART)).toBe(0);
      expect(await readAll(engine, engine.headObject('b', 'k')!)).toEqual(Buffer.concat(data));
      const retried = await again.complete('b', 'k', u.uploadId, list);
      expect(retried.etag).toBe(first.etag);
    });

    it('marker durable but the commit lost: the upload is open again with all its parts', async () => {
      const { u, list } = await prepared();
      engine.losses.set('commitObject', 0);
      engine.faults.set('putAux', 1); // dies at the 'completed' marker
      await svc.complete('b', 'k', u.uploadId, list).catch(() => undefined);
      await svc.settled();
      engine = engine.crash();
      const again = await MultipartService.open(engine, { minPartSizeBytes: MIN }, () => clock);
      expect(engine.headObject('b', 'k')).toBeUndefined();
      expect(again.listParts(again.getUpload('b', 'k', u.uploadId), { maxParts: 10 }).parts).toHaveLength(2);
      expect(engine.auxCount(NS_DONE)).toBe(0);
    });

    for (const [what, point, lost] of [
      ['commit durable, marker lost', 0, true],
      ["commit durable, marker still 'completing'", 1, false],
    ] as const) {
      it(`versioned bucket, ${what}, then a newer version before the restart: the upload is still recognised as completed`, async () => {
        const { u, data, list } = await prepared();
        if (lost) engine.losses.set('putAux', 0);
        engine.faults.set('putAux', point);
        const first = await svc.complete('b', 'k', u.uploadId, list, { versioning: 'Enabled' }).catch(() => undefined);
        await svc.settled();
        engine = engine.crash();
        // The overwrite landed before the crash: the completed object is now a noncurrent version.
        const newer = await writeBytes(engine, Buffer.from('newer'), { placementKey: 'b/k' });
        await engine.commitObject({ bucket: 'b', key: 'k', layout: newer.layout, sizeBytes: 5, etag: newer.md5Hex, system: {}, user: {}, checksums: {}, versioning: 'Enabled' });
        const again = await MultipartService.open(engine, { minPartSizeBytes: MIN }, () => clock);
        expect(again.openUploads).toBe(0);
        expect(engine.auxCount(NS_UPLOAD)).toBe(0);
        expect(engine.auxCount(NS_PART)).toBe(0);
        const versions = engine.listVersions('b', { prefix: 'k', limit: 10 });
        expect(versions).toHaveLength(2);
        const completed = versions[1]!.meta;
        if (first) expect(completed.versionId).toBe(first.versionId);
        expect(await readAll(engine, completed)).toEqual(Buffer.concat(data));
      });
    }

    for (const [what, point, after] of [
      ['after the commit, before the marker says completed', 'putAux', 1],
      ['after the marker, before the upload record is deleted', 'deleteAux', 0],
      ['midway through deleting part records', 'deleteAux', 1],
    ] as const) {
      it(`${what}: object complete, upload gone after restart, retry answers the same`, async () => {
        const { u, data, list } = await prepared();
        engine.faults.set(point, after);
        const before = engine.calls.length;
        const expected = await svc.complete('b', 'k', u.uploadId, list).catch(() => undefined);
        expect(engine.calls.length).toBeGreaterThan(before);
        engine = engine.crash();
        const again = await MultipartService.open(engine, { minPartSizeBytes: MIN }, () => clock);
        const meta = engine.headObject('b', 'k')!;
        expect(await readAll(engine, meta)).toEqual(Buffer.concat(data));
        expect(again.openUploads).toBe(0);
        expect(engine.auxCount(NS_UPLOAD)).toBe(0);
        expect(engine.auxCount(NS_PART)).toBe(0);
        const retried = await again.complete('b', 'k', u.uploadId, list);
        expect(retried.etag).toBe(meta.etag);
        if (expected) expect(retried).toEqual(expected);
      });
    }
  });

  it('the sweeper aborts uploads older than uploadMaxAgeMs, with bounded work per tick, and expires markers', async () => {
    const s = await MultipartService.open(engine, { minPartSizeBytes: MIN, uploadMaxAgeMs: 1000, sweepMaxRecordsPerTick: 2, completedMarkerTtlMs: 5000 }, () => clock);
    const uploads = [];
    for (let i = 0; i < 5; i++) {
      const u = await s.create({ bucket: 'b', key: `k${i}`, system: {}, user: {} });
      await put(s, u, 1, randomBytes(10));
      uploads.push(u);
    }
    clock += 500;
    const fresh = await s.create({ bucket: 'b', key: 'fresh', system: {}, user: {} });
    const done = await s.create({ bucket: 'b', key: 'done', system: {}, user: {} });
    const dp = await put(s, done, 1, randomBytes(10));
    await s.complete('b', 'done', done.uploadId, [{ partNumber: 1, etag: dp.md5Hex, checksums: {} }]);
    await s.settled();
    clock += 600; // the first five are 1100 ms old, 'fresh' 600 ms
    const r1 = await s.sweepOnce();
    expect(r1.abortedUploads).toBeLessThanOrEqual(2);
    let total = r1.abortedUploads;
    for (let i = 0; i < 10; i++) total += (await s.sweepOnce()).abortedUploads;
    expect(total).toBe(5);
    expect(s.openUploads).toBe(1);
    expect(s.getUpload('b', 'fresh', fresh.uploadId)).toBeDefined();
    expect(engine.auxCount(NS_PART)).toBe(0);
    expect(engine.auxCount(NS_DONE)).toBe(1);
    clock += 10_000;
    for (let i = 0; i < 3; i++) await s.sweepOnce();
    expect(engine.auxCount(NS_DONE)).toBe(0);
    // the marker has expired: a retried Complete is answered from the object completed with those parts
    const again = await s.complete('b', 'done', done.uploadId, [{ partNumber: 1, etag: dp.md5Hex, checksums: {} }]);
    expect(again.etag).toBe(engine.headObject('b', 'done')!.etag);
    expect(await s3code(s.complete('b', 'done', done.uploadId, [{ partNumber: 2, etag: dp.md5Hex, checksums: {} }]))).toBe('NoSuchUpload');
    // only the completed object's blocks are live
    expect(engine.liveBlocks().size).toBe(1);
  });
});

describe('normalizeEtag', () => {
  it('accepts bare, quoted, &quot; and numeric-reference quotes (aws-sdk-go / rclone)', async () => {
    const { normalizeEtag } = await import('../../src/s3/multipart/records.js');
    const bare = '1d0042d05b6cf5f79eab4c5657ace05c';
    for (const v of [bare, `"${bare}"`, `&quot;${bare}&quot;`, `&#34;${bare}&#34;`, `&#x22;${bare}&#x22;`, ` "${bare.toUpperCase()}" `]) expect(normalizeEtag(v)).toBe(bare);
  });
});
