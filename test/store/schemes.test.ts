// Other erasure schemes (k ≥ 1, m ≥ 0, k+m ≤ D) and the bounded worker queue.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError, openEngine } from '../../src/store/index.js';
import { md5, patternBytes, putObject, readAll, tempDir, testConfig } from '../helpers/engine.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await fsp.rm(d, { recursive: true, force: true });
});

describe('erasure schemes', () => {
  for (const [k, m, d] of [
    [1, 0, 1],
    [1, 1, 2],
    [3, 1, 4],
    [2, 2, 5],
    [5, 3, 8],
  ] as const) {
    it(`${k}+${m} on ${d} drives`, async () => {
      const dir = await tempDir();
      dirs.push(dir);
      const drives = Array.from({ length: d }, (_, i) => path.join(dir, `drive-${i + 1}`));
      const e = await openEngine(testConfig(dir, { drives, erasure: { k, m } }));
      try {
        await e.createBucket('b', 'o');
        for (const size of [0, 1, k - 1, k * 8 + 1, 64 * 1024 + 5, 200_000]) {
          if (size < 0) continue;
          const data = patternBytes(size, size + k);
          const meta = await putObject(e, 'b', `o${size}`, data);
          const back = await readAll(e, meta);
          expect(md5(back)).toBe(md5(data));
          const ext = meta.layout.extents[0];
          if (ext) expect(ext.blocks.every((b) => b.shards.length === k + m && b.shardBytes % 8 === 0)).toBe(true);
        }
      } finally {
        await e.close();
      }
    });
  }

  it('rejects impossible schemes', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    await expect(openEngine(testConfig(dir, { erasure: { k: 5, m: 2 } }))).rejects.toBeInstanceOf(StoreError);
    await expect(openEngine(testConfig(dir, { erasure: { k: 0, m: 2 } }))).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});

describe('bounded worker queue', () => {
  it('a full Piscina queue fails fast with Busy, and the engine keeps working', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const e = await openEngine(testConfig(dir, { workerThreads: 1, workerMaxQueue: 1, blockSizeBytes: 1024 * 1024, inFlightBudgetBytes: 512 * 1024 * 1024 }));
    try {
      await e.createBucket('b', 'o');
      const data = patternBytes(1024 * 1024 + 1, 9);
      const results = await Promise.allSettled(
        Array.from({ length: 24 }, (_, i) => {
          const w = e.createWriter({ placementKey: `b/busy${i}` });
          w.write(data);
          return w.finish();
        }),
      );
      const busy = results.filter((r) => r.status === 'rejected' && (r.reason as StoreError).code === 'Busy');
      expect(busy.length).toBeGreaterThan(0);
      expect(e.stats().workerQueueDepth).toBeLessThanOrEqual(1);
      const meta = await putObject(e, 'b', 'after', data);
      expect(md5(await readAll(e, meta))).toBe(md5(data));
    } finally {
      await e.close();
    }
  });
});
