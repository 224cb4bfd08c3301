// Large objects at the default block size: 10 MiB round trip with ranges, and a ≥ 1 GiB object streamed
// from a generator and verified by a streaming hash (never held in memory).
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultEngineConfig, openEngine, type StrataEngine } from '../../src/store/index.js';
import { md5, patternBytes, putObject, readAll, tempDir } from '../helpers/engine.js';

const MiB = 1024 * 1024;
const GIB_OBJECT_BYTES = 1024 * MiB + 12345;

describe('large objects, default 1 MiB blocks', () => {
  let dir: string;
  let e: StrataEngine;
  beforeAll(async () => {
    dir = await tempDir();
    e = await openEngine({ ...defaultEngineConfig(dir), workerThreads: 2, segmentSizeBytes: 256 * MiB });
    await e.createBucket('big', 'o');
  });
  afterAll(async () => {
    await e.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('10 MiB round trip and block-boundary ranges', async () => {
    const data = patternBytes(10 * MiB + 7, 10);
    const meta = await putObject(e, 'big', 'ten', data, 256 * 1024);
    expect(meta.etag).toBe(md5(data));
    expect(md5(await readAll(e, meta))).toBe(md5(data));
    for (const b of [MiB / 4, MiB, 2 * MiB, 10 * MiB]) {
      for (const [s, t] of [[b - 1, b], [b, b], [b - 1, b + 1], [b + 1, b + MiB]] as const) {
        const end = Math.min(t, data.length - 1);
        expect((await readAll(e, meta, { start: s, end })).equals(data.subarray(s, end + 1))).toBe(true);
      }
    }
  });

  it(`streams a ${GIB_OBJECT_BYTES}-byte object in and out with bounded memory`, async () => {
    const chunk = patternBytes(256 * 1024, 77);
    const expected = createHash('md5');
    const w = e.createWriter({ placementKey: 'big/gib', checksums: ['CRC32C'] });
    let peakInFlight = 0;
    let sent = 0;
    let n = 0;
    while (sent < GIB_OBJECT_BYTES) {
      // vary the content per chunk so a misplaced block would be caught
      const len = Math.min(chunk.length, GIB_OBJECT_BYTES - sent);
      chunk.writeUInt32LE(n++, 0);
      const piece = chunk.subarray(0, len);
      expected.update(piece);
      const ok = w.write(piece);
      sent += len;
      peakInFlight = Math.max(peakInFlight, e.stats().inFlightBytes);
      if (!ok) await new Promise<void>((r) => w.onDrain(r));
    }
    const r = await w.finish();
    const digest = expected.digest('hex');
    expect(r.md5Hex).toBe(digest);
    expect(peakInFlight).toBeLessThan(16 * MiB);
    const meta = await e.commitObject({ bucket: 'big', key: 'gib', layout: r.layout, sizeBytes: r.sizeBytes, etag: r.md5Hex, system: {}, user: {}, checksums: r.checksums });
    const got = createHash('md5');
    let total = 0;
    const heapBefore = process.memoryUsage().rss;
    let peakRss = heapBefore;
    for await (const c of e.readObject(meta)) {
      got.update(c);
      total += c.length;
      if ((total & (64 * MiB - 1)) < c.length) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    expect(total).toBe(GIB_OBJECT_BYTES);
    expect(got.digest('hex')).toBe(digest);
    expect(peakRss - heapBefore).toBeLessThan(256 * MiB);
    // a range in the middle of the huge object touches only its blocks
    const mid = await readAll(e, meta, { start: 512 * MiB - 10, end: 512 * MiB + 10 });
    expect(mid.length).toBe(21);
  }, 180_000);
});
