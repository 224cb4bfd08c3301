// Metadata semantics: listing order, conditional and concurrent commits, deletes, buckets, aux records,
// backpressure and the error codes the S3 layer maps.
import { promises as fsp } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type StrataEngine } from '../../src/store/index.js';
import { blockGeometry } from '../../src/store/block-pool.js';
import { getObject, md5, openTestEngine, patternBytes, putObject, readAll, tempDir, testConfig } from '../helpers/engine.js';

describe('engine semantics', () => {
  let e: StrataEngine;
  let close: () => Promise<void>;
  beforeAll(async () => ({ e, close } = await openTestEngine(['b'])));
  afterAll(() => close());

  it('lists in UTF-8 byte order with prefix, after and limit, including non-ASCII and 1024-byte keys', async () => {
    await e.createBucket('list', 'o');
    const keys = ['a', 'a/b', 'a/c', 'ab', 'b', 'z', '\u007f', 'é', 'ｚ', '😀', 'a'.repeat(1024), 'é/x', 'Z', '0'];
    await Promise.all(keys.map((k, i) => putObject(e, 'list', k, patternBytes(i + 1, i))));
    const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(e.listObjects('list', { limit: 1000 }).map((m) => m.key)).toEqual(expected);
    expect(e.listObjects('list', { prefix: 'a/', limit: 1000 }).map((m) => m.key)).toEqual(['a/b', 'a/c']);
    expect(e.listObjects('list', { prefix: 'é', limit: 1000 }).map((m) => m.key)).toEqual(['é', 'é/x']);
    expect(e.listObjects('list', { after: 'ab', limit: 3 }).map((m) => m.key)).toEqual(expected.slice(expected.indexOf('ab') + 1, expected.indexOf('ab') + 4));
    expect(e.listObjects('list', { prefix: 'a', after: 'a/c', limit: 10 }).map((m) => m.key)).toEqual(['a'.repeat(1024), 'ab']);
    // paging through everything with `after` yields every key once
    const paged: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = e.listObjects('list', after === undefined ? { limit: 4 } : { limit: 4, after });
      if (page.length === 0) break;
      paged.push(...page.map((m) => m.key));
      after = page[page.length - 1]!.key;
    }
    expect(paged).toEqual(expected);
    expect(e.listObjects('lis', { limit: 10 })).toEqual([]);
    await expect(putObject(e, 'list', 'x'.repeat(1025), Buffer.from('x'))).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('concurrent PUTs to one key: last commit wins, never a mix', async () => {
    const datas = Array.from({ length: 12 }, (_, i) => patternBytes(70_000 + i * 1000, 100 + i));
    const metas = await Promise.all(datas.map((d) => putObject(e, 'b', 'hot', d, 7000)));
    const winner = metas.reduce((a, m) => (m.seq > a.seq ? m : a));
    const head = e.headObject('b', 'hot')!;
    expect(head.seq).toBe(winner.seq);
    const back = await readAll(e, head);
    expect(md5(back)).toBe(winner.etag);
    expect(datas.some((d) => d.equals(back))).toBe(true);
  });

  it('conditional commits are decided in commit order', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => putObject(e, 'b', 'once', patternBytes(100, i), 100, { ifAbsent: true })));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'PreconditionFailed' });
    const cur = e.headObject('b', 'once')!;
    await expect(putObject(e, 'b', 'once', Buffer.from('x'), 10, { ifEtag: 'nope' })).rejects.toMatchObject({ code: 'PreconditionFailed' });
    const next = await putObject(e, 'b', 'once', Buffer.from('second'), 10, { ifEtag: cur.etag });
    expect(e.headObject('b', 'once')!.etag).toBe(next.etag);
    await expect(putObject(e, 'b', 'absent-key', Buffer.from('x'), 10, { ifEtag: next.etag })).rejects.toMatchObject({ code: 'PreconditionFailed' });
  });

  it('read-after-write, overwrite and delete', async () => {
    const a = await putObject(e, 'b', 'rw', Buffer.from('first'));
    expect((await getObject(e, 'b', 'rw'))!.toString()).toBe('first');
    const b2 = await putObject(e, 'b', 'rw', Buffer.from('second!'));
    expect(b2.seq).toBeGreaterThan(a.seq);
    expect((await getObject(e, 'b', 'rw'))!.toString()).toBe('second!');
    expect(await e.deleteObject('b', 'rw')).toBe(true);
    expect(e.headObject('b', 'rw')).toBeUndefined();
    expect(await e.deleteObject('b', 'rw')).toBe(false);
    await expect(e.deleteObject('nob', 'x')).rejects.toMatchObject({ code: 'NoSuchBucket' });
  });

  it('a delete conditional on the version (expectSeq) never deletes a newer one', async () => {
    const old = await putObject(e, 'b', 'cond-del', Buffer.from('old'));
    const cur = await putObject(e, 'b', 'cond-del', Buffer.from('new'));
    await expect(e.deleteObject('b', 'cond-del', old.seq)).rejects.toMatchObject({ code: 'PreconditionFailed' });
    expect(e.headObject('b', 'cond-del')!.seq).toBe(cur.seq);
    // Racing an overwrite, in whichever order they commit, the overwrite survives: delete first, then
    // the new version is written; overwrite first (even still in its group-commit window), the delete fails.
    for (let i = 0; i < 5; i++) {
      const base = e.headObject('b', 'cond-del')!;
      const [put, del] = await Promise.allSettled([putObject(e, 'b', 'cond-del', Buffer.from(`v${i}`)), e.deleteObject('b', 'cond-del', base.seq)]);
      expect(put.status).toBe('fulfilled');
      if (del.status === 'rejected') expect(del.reason).toMatchObject({ code: 'PreconditionFailed' });
      expect(e.headObject('b', 'cond-del')!.seq).toBe((put as PromiseFulfilledResult<{ seq: number }>).value.seq);
    }
    const last = e.headObject('b', 'cond-del')!;
    expect(await e.deleteObject('b', 'cond-del', last.seq)).toBe(true);
    expect(await e.deleteObject('b', 'cond-del', last.seq)).toBe(false);
  });

  it('bucket lifecycle and errors', async () => {
    await e.createBucket('tmp', 'alice');
    await expect(e.createBucket('tmp', 'bob')).rejects.toMatchObject({ code: 'BucketExists' });
    expect(e.getBucket('tmp')!.owner).toBe('alice');
    const s = await e.updateBucketSettings('tmp', { versioning: 'Suspended' });
    expect(e.getBucket('tmp')!.settings).toEqual(s.settings);
    await putObject(e, 'tmp', 'x', Buffer.from('1'));
    await expect(e.deleteBucket('tmp')).rejects.toMatchObject({ code: 'BucketNotEmpty' });
    await e.deleteObject('tmp', 'x');
    await e.deleteBucket('tmp');
    expect(e.getBucket('tmp')).toBeUndefined();
    await expect(e.deleteBucket('tmp')).rejects.toMatchObject({ code: 'NoSuchBucket' });
    await expect(putObject(e, 'tmp', 'x', Buffer.from('1'))).rejects.toMatchObject({ code: 'NoSuchBucket' });
    await expect(e.updateBucketSettings('tmp', {})).rejects.toMatchObject({ code: 'NoSuchBucket' });
  });

  it('bucket settings are patched: concurrent updates of different keys both land; undefined removes a key', async () => {
    await e.createBucket('settings', 'o');
    await Promise.all([e.updateBucketSettings('settings', { cors: [{ origins: ['*'] }] }), e.updateBucketSettings('settings', { tags: { a: '1' } })]);
    expect(e.getBucket('settings')!.settings).toEqual({ cors: [{ origins: ['*'] }], tags: { a: '1' } });
    await e.updateBucketSettings('settings', { cors: undefined });
    expect(e.getBucket('settings')!.settings).toEqual({ tags: { a: '1' } });
  });

  it('aux records: put/get/list/delete, with a layout', async () => {
    const w = e.createWriter({ placementKey: 'mpu/part1' });
    w.write(patternBytes(5000, 1));
    const part = await w.finish();
    await e.putAux('mpu', 'u1#00001', { etag: part.md5Hex }, part.layout);
    await e.putAux('mpu', 'u1#00002', { etag: 'x' });
    await e.putAux('mpu', 'u2#00001', { etag: 'y' });
    await e.putAux('other', 'u1#00001', { etag: 'z' });
    expect(e.getAux('mpu', 'u1#00001')).toEqual({ etag: part.md5Hex });
    expect(e.getAuxLayout('mpu', 'u1#00001')).toEqual(part.layout);
    expect(e.listAux('mpu', { prefix: 'u1#', limit: 10 }).map((x) => x.id)).toEqual(['u1#00001', 'u1#00002']);
    expect(e.listAux('mpu', { after: 'u1#00001', limit: 10 }).map((x) => x.id)).toEqual(['u1#00002', 'u2#00001']);
    // a layout from an aux record can be committed as an object (multipart completion / copy)
    const meta = await e.commitObject({ bucket: 'b', key: 'from-part', layout: part.layout, sizeBytes: part.sizeBytes, etag: 'abc-1', system: {}, user: {}, checksums: {} });
    expect((await readAll(e, meta)).equals(patternBytes(5000, 1))).toBe(true);
    await e.deleteAux('mpu', 'u1#00002');
    expect(e.getAux('mpu', 'u1#00002')).toBeUndefined();
    await e.deleteAux('mpu', 'never');
  });

  it('writer contract: abort, finish twice, write after finish, bad layouts', async () => {
    const w = e.createWriter({ placementKey: 'b/ab' });
    w.write(patternBytes(100_000, 1));
    const p = w.finish();
    w.abort('client went away');
    await expect(p).rejects.toMatchObject({ code: 'Aborted' });
    w.abort();
    const w2 = e.createWriter({ placementKey: 'b/ab2' });
    w2.write(Buffer.from('x'));
    const d = await w2.finish();
    expect(() => w2.write(Buffer.from('y'))).toThrow();
    await expect(e.commitObject({ bucket: 'b', key: 'bad', layout: d.layout, sizeBytes: 2, etag: 'x', system: {}, user: {}, checksums: {} })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('checksums and sha256Hex match node:crypto / zlib', async () => {
    const { createHash } = await import('node:crypto');
    const zlib = await import('node:zlib');
    for (const size of [0, 10, 64 * 1024 + 3, 300_000]) {
      const data = patternBytes(size, 3);
      const w = e.createWriter({ placementKey: 'b/ck', checksums: ['CRC32', 'CRC32C', 'SHA1', 'SHA256'], sha256Hex: true });
      for (let off = 0; off < size; off += 10_000) w.write(data.subarray(off, off + 10_000));
      const r = await w.finish();
      expect(r.md5Hex).toBe(md5(data));
      expect(r.sha256Hex).toBe(createHash('sha256').update(data).digest('hex'));
      expect(r.checksums.SHA256).toBe(createHash('sha256').update(data).digest('base64'));
      expect(r.checksums.SHA1).toBe(createHash('sha1').update(data).digest('base64'));
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(zlib.crc32(data));
      expect(r.checksums.CRC32).toBe(crc.toString('base64'));
      expect(r.checksums.CRC32C).toBeTypeOf('string');
    }
    // CRC32C reference value: "123456789" → 0xE3069283
    const w = e.createWriter({ placementKey: 'b/c', checksums: ['CRC32C'] });
    w.write(Buffer.from('123456789'));
    expect((await w.finish()).checksums.CRC32C).toBe(Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString('base64'));
  });

  it('small declared objects use small blocks', async () => {
    const before = e.stats().inFlightBytes;
    const w = e.createWriter({ placementKey: 'b/small', expectedSizeBytes: 4096 });
    w.write(patternBytes(4096, 1));
    // The 8 KiB class: data, parity, headers and the records' staging region (~25 KB), not a 1 MiB block.
    expect(e.stats().inFlightBytes - before).toBeLessThan(32 * 1024);
    await w.finish();
  });
});

describe('backpressure', () => {
  it('writers whose half-filled blocks alone exceed the budget still all finish (no stall)', async () => {
    const dir = await tempDir();
    // One 64 KiB-class block (~194 KB with parity, headers and staging) is already over this budget.
    const e = await openEngine(testConfig(dir, { inFlightBudgetBytes: 128 * 1024, blockSizeBytes: 64 * 1024 }));
    try {
      await e.createBucket('b', 'o');
      const datas = Array.from({ length: 6 }, (_, i) => patternBytes(300_000 + i, i + 10));
      const writers = datas.map(async (data, i) => {
        const w = e.createWriter({ placementKey: `b/st${i}` });
        for (let off = 0; off < data.length; off += 40_000) {
          if (!w.write(data.subarray(off, off + 40_000))) await new Promise<void>((r) => w.onDrain(r));
        }
        const r = await w.finish();
        return e.commitObject({ bucket: 'b', key: `st${i}`, layout: r.layout, sizeBytes: r.sizeBytes, etag: r.md5Hex, system: {}, user: {}, checksums: {} });
      });
      const metas = await Promise.all(writers);
      for (let i = 0; i < metas.length; i++) expect(md5(await readAll(e, metas[i]!))).toBe(md5(datas[i]!));
      expect(e.stats().inFlightBytes).toBe(0);
    } finally {
      await e.close();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('write() returns false past the budget and onDrain resumes; memory stays bounded', async () => {
    const dir = await tempDir();
    const e = await openEngine(testConfig(dir, { inFlightBudgetBytes: 512 * 1024, blockSizeBytes: 64 * 1024 }));
    try {
      await e.createBucket('b', 'o');
      let falses = 0;
      let peak = 0;
      const writers = Array.from({ length: 4 }, async (_, i) => {
        const data = patternBytes(3 * 1024 * 1024, i);
        const w = e.createWriter({ placementKey: `b/bp${i}` });
        for (let off = 0; off < data.length; off += 50_000) {
          const ok = w.write(data.subarray(off, off + 50_000));
          peak = Math.max(peak, e.stats().inFlightBytes);
          if (!ok) {
            falses++;
            await new Promise<void>((r) => w.onDrain(r));
          }
        }
        const r = await w.finish();
        const meta = await e.commitObject({ bucket: 'b', key: `bp${i}`, layout: r.layout, sizeBytes: r.sizeBytes, etag: r.md5Hex, system: {}, user: {}, checksums: {} });
        expect(md5(await readAll(e, meta))).toBe(md5(data));
      });
      await Promise.all(writers);
      expect(falses).toBeGreaterThan(0);
      // budget + two blocks of overdraft per writer (its current block and one sealed block in flight)
      expect(peak).toBeLessThanOrEqual(512 * 1024 + 4 * 2 * blockGeometry(64 * 1024, 4, 2).totalBytes);
      expect(e.stats().inFlightBytes).toBe(0);
    } finally {
      await e.close();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
