// The multipart service on the real engine (temp dirs, real workers, real segments).
import { afterEach, describe, expect, it } from 'vitest';
import { promises as fsp } from 'node:fs';
import { openEngine, type StrataEngine, type ObjectMeta } from '../../src/store/index.js';
import { MultipartService } from '../../src/s3/multipart/service.js';
import type { UploadRecord } from '../../src/s3/multipart/records.js';
import { NS_PART, NS_UPLOAD } from '../../src/s3/multipart/records.js';
import { md5, patternBytes, tempDir, testConfig } from '../helpers/engine.js';

const MIN = 64 * 1024;
const dirs: string[] = [];
const engines: StrataEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close().catch(() => undefined);
  for (const d of dirs.splice(0)) await fsp.rm(d, { recursive: true, force: true });
});

async function open(dir?: string): Promise<{ dir: string; engine: StrataEngine; svc: MultipartService }> {
  const d = dir ?? (await tempDir('strata-mpu-'));
  if (!dir) dirs.push(d);
  const engine = await openEngine(testConfig(d));
  engines.push(engine);
  const svc = await MultipartService.open(engine, { minPartSizeBytes: MIN });
  return { dir: d, engine, svc };
}

async function putPart(svc: MultipartService, u: UploadRecord, n: number, data: Buffer) {
  const w = svc.engine.createWriter(svc.writerOptions(u, { expectedSizeBytes: data.length }));
  for (let off = 0; off < data.length; off += 100_000) {
    if (!w.write(data.subarray(off, off + 100_000))) await new Promise<void>((r) => w.onDrain(r));
  }
  return svc.putPart(u, n, await w.finish());
}

async function read(engine: StrataEngine, meta: ObjectMeta, range?: { start: number; end: number }): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of engine.readObject(meta, range)) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

describe('multipart on the real engine', () => {
  it('parallel out-of-order parts complete zero-copy; reads and ranges across part boundaries are byte-identical', async () => {
    const { engine, svc } = await open();
    await engine.createBucket('b', 'o');
    const u = await svc.create({ bucket: 'b', key: 'obj', system: {}, user: {}, checksumAlgorithm: 'CRC32', checksumType: 'FULL_OBJECT' });
    const sizes = [MIN * 3 + 17, MIN * 2, MIN * 5 - 3, 1000];
    const data = sizes.map((s, i) => patternBytes(s, i + 7));
    const order = [3, 1, 0, 2];
    const recs = await Promise.all(order.map((i) => putPart(svc, u, i + 1, data[i]!)));
    recs.sort((a, b) => a.partNumber - b.partNumber);
    const t0 = performance.now();
    const res = await svc.complete('b', 'obj', u.uploadId, recs.map((r) => ({ partNumber: r.partNumber, etag: `"${r.md5Hex}"`, checksums: {} })));
    const completeMs = performance.now() - t0;
    await svc.settled();
    const whole = Buffer.concat(data);
    const meta = engine.headObject('b', 'obj')!;
    expect(meta.etag).toBe(res.etag);
    expect(meta.sizeBytes).toBe(whole.length);
    expect(meta.layout.extents).toEqual(recs.flatMap((r) => r.layout.extents));
    const { crc32 } = await import('node:zlib');
    const b = Buffer.alloc(4);
    b.writeUInt32BE(crc32(whole));
    expect(meta.checksums.CRC32).toBe(b.toString('base64'));
    expect(md5(await read(engine, meta))).toBe(md5(whole));
    let boundary = 0;
    for (const s of sizes.slice(0, -1)) {
      boundary += s;
      for (const [a, z] of [[boundary - 1, boundary], [boundary - 70_000, boundary + 70_000], [boundary, boundary]]) {
        const start = Math.max(0, a!);
        const end = Math.min(whole.length - 1, z!);
        expect((await read(engine, meta, { start, end })).equals(whole.subarray(start, end + 1))).toBe(true);
      }
    }
    expect(engine.listAux(NS_PART, { limit: 100 })).toHaveLength(0);
    expect(engine.listAux(NS_UPLOAD, { limit: 100 })).toHaveLength(0);
    expect(completeMs).toBeLessThan(2000);
  });

  it('an open upload and its acknowledged parts survive a restart; a replaced part reads as the new bytes', async () => {
    const first = await open();
    await first.engine.createBucket('b', 'o');
    const u = await first.svc.create({ bucket: 'b', key: 'k', system: { contentType: 'x/y' }, user: { m: 'v' } });
    const p1old = patternBytes(MIN, 1);
    const p1 = patternBytes(MIN + 5, 2);
    const p2 = patternBytes(10, 3);
    await putPart(first.svc, u, 1, p1old);
    await putPart(first.svc, u, 2, p2);
    await putPart(first.svc, u, 1, p1);
    await first.svc.close();
    await first.engine.close();
    engines.length = 0;

    const again = await open(first.dir);
    const u2 = again.svc.getUpload('b', 'k', u.uploadId);
    expect(u2.system.contentType).toBe('x/y');
    const parts = again.svc.listParts(u2, { maxParts: 10 }).parts;
    expect(parts.map((p) => [p.partNumber, p.md5Hex])).toEqual([
      [1, md5(p1)],
      [2, md5(p2)],
    ]);
    await again.svc.complete('b', 'k', u.uploadId, parts.map((p) => ({ partNumber: p.partNumber, etag: p.md5Hex, checksums: {} })));
    const meta = again.engine.headObject('b', 'k')!;
    expect(meta.user).toEqual({ m: 'v' });
    expect((await read(again.engine, meta)).equals(Buffer.concat([p1, p2]))).toBe(true);
  });

  it('empty parts: a single empty part, and an empty last part', async () => {
    const { engine, svc } = await open();
    await engine.createBucket('b', 'o');
    const u = await svc.create({ bucket: 'b', key: 'empty', system: {}, user: {} });
    const e = await putPart(svc, u, 1, Buffer.alloc(0));
    await svc.complete('b', 'empty', u.uploadId, [{ partNumber: 1, etag: e.md5Hex, checksums: {} }]);
    const m = engine.headObject('b', 'empty')!;
    expect(m.sizeBytes).toBe(0);
    expect(m.etag).toMatch(/-1$/);

    const u2 = await svc.create({ bucket: 'b', key: 'tail', system: {}, user: {}, checksumAlgorithm: 'CRC32C', checksumType: 'FULL_OBJECT' });
    const a = patternBytes(MIN, 9);
    const pa = await putPart(svc, u2, 1, a);
    const pb = await putPart(svc, u2, 2, Buffer.alloc(0));
    await svc.complete('b', 'tail', u2.uploadId, [pa, pb].map((p) => ({ partNumber: p.partNumber, etag: p.md5Hex, checksums: {} })));
    const m2 = engine.headObject('b', 'tail')!;
    expect((await read(engine, m2)).equals(a)).toBe(true);
    expect(m2.checksums.CRC32C).toBe(pa.checksums.CRC32C);
  });

  it('UploadPartCopy of a range of a stored object', async () => {
    const { engine, svc } = await open();
    await engine.createBucket('b', 'o');
    const src = patternBytes(500_000, 4);
    const w = engine.createWriter({ placementKey: 'b/src' });
    w.write(src);
    const wd = await w.finish();
    const sm = await engine.commitObject({ bucket: 'b', key: 'src', layout: wd.layout, sizeBytes: wd.sizeBytes, etag: wd.md5Hex, system: {}, user: {}, checksums: {} });
    const u = await svc.create({ bucket: 'b', key: 'dst', system: {}, user: {} });
    const c1 = await svc.copyPart(u, 1, sm, { start: 12_345, end: 12_345 + MIN * 2 });
    const c2 = await svc.copyPart(u, 2, sm, { start: 0, end: 99 });
    await svc.complete('b', 'dst', u.uploadId, [c1, c2].map((p) => ({ partNumber: p.partNumber, etag: p.md5Hex, checksums: {} })));
    const got = await read(engine, engine.headObject('b', 'dst')!);
    expect(got.equals(Buffer.concat([src.subarray(12_345, 12_345 + MIN * 2 + 1), src.subarray(0, 100)]))).toBe(true);
  });
});
