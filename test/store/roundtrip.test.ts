import { promises as fsp } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type StrataEngine } from '../../src/store/index.js';
import { md5, patternBytes, putObject, readAll, tempDir, testConfig } from '../helpers/engine.js';

const BLOCK = 64 * 1024;
const K = 4;
const SHARD = BLOCK / K;

describe('round trips (64 KiB blocks, 4+2)', () => {
  let dir: string;
  let engine: StrataEngine;
  beforeAll(async () => {
    dir = await tempDir();
    engine = await openEngine(testConfig(dir));
    await engine.createBucket('b', 'owner');
  });
  afterAll(async () => {
    await engine.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const sizes = new Set<number>([0, 1, K - 1, K, K + 1, 7, 8, 9]);
  for (const b of [SHARD, 2 * SHARD, 3 * SHARD, BLOCK, BLOCK + SHARD, 2 * BLOCK, 3 * BLOCK]) for (const d of [-1, 0, 1]) sizes.add(b + d);
  sizes.add(10 * 1024 * 1024);

  for (const size of [...sizes].sort((a, b) => a - b)) {
    it(`size ${size}`, async () => {
      const data = patternBytes(size, size + 7);
      const meta = await putObject(engine, 'b', `obj-${size}`, data, 13_000);
      expect(meta.sizeBytes).toBe(size);
      expect(meta.etag).toBe(md5(data));
      const head = engine.headObject('b', `obj-${size}`)!;
      expect(head.seq).toBe(meta.seq);
      const back = await readAll(engine, head);
      expect(back.length).toBe(size);
      expect(md5(back)).toBe(md5(data));
      // borrowed chunks: valid until the next pull, so hash them as they come
      const h = (await import('node:crypto')).createHash('md5');
      for await (const c of engine.readObject(head, undefined, { borrowChunks: true })) h.update(c);
      expect(h.digest('hex')).toBe(md5(data));
    });
  }

  it('range reads at every shard and block boundary', async () => {
    const size = 3 * BLOCK + 123;
    const data = patternBytes(size, 99);
    const meta = await putObject(engine, 'b', 'ranges', data);
    const points = new Set<number>([0, 1, size - 1, size - 2]);
    for (let b = SHARD; b < size; b += SHARD) for (const d of [-1, 0, 1]) points.add(b + d);
    const pts = [...points].filter((p) => p >= 0 && p < size).sort((a, b) => a - b);
    for (const s of pts) {
      for (const e of [s, s + 1, s + SHARD, s + BLOCK, size - 1]) {
        if (e >= size || e < s) continue;
        const got = await readAll(engine, meta, { start: s, end: e });
        expect(got.equals(data.subarray(s, e + 1))).toBe(true);
      }
    }
    await expect(readAll(engine, meta, { start: 0, end: size })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});
