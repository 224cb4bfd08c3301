// Reads are bounded by the in-flight budget like writes: many stalled readers of a large object wait
// for room instead of each pinning two blocks outside any bound, and every one of them still gets
// the right bytes once the others move on.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/store/index.js';
import { md5, patternBytes, putObject, tempDir, testConfig } from '../helpers/engine.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
});

describe('read budget', () => {
  it('stalled readers wait for room; in-flight bytes stay within budget + one block; all finish with the right bytes', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const budget = 4 * MiB;
    const e = await openEngine(testConfig(dir, { inFlightBudgetBytes: budget, blockSizeBytes: MiB }));
    try {
      await e.createBucket('b', 'o');
      const data = patternBytes(6 * MiB, 7);
      const meta = await putObject(e, 'b', 'big', data, 256 * 1024);
      const blockBytes = Math.max(...meta.layout.extents[0]!.blocks.map((b) => b.shardBytes * 6));
      // 12 readers each take their first chunk and stop pulling (a slow client each).
      const its = Array.from({ length: 12 }, () => e.readObject(meta, undefined, { borrowChunks: true })[Symbol.asyncIterator]());
      const firsts = its.map((it) => it.next());
      await new Promise((r) => setTimeout(r, 300));
      let peak = e.stats().inFlightBytes;
      expect(peak).toBeLessThanOrEqual(budget + blockBytes);
      // Some readers are still waiting for room: the budget, not the reader count, bounded memory.
      const settled = await Promise.all(firsts.map((p) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))])));
      expect(settled.filter((x) => !x).length).toBeGreaterThan(0);
      // Now every reader drains its object; each must see exactly the object's bytes.
      const digests = await Promise.all(
        its.map(async (it, i) => {
          const h = createHash('md5');
          let r = await firsts[i]!;
          while (!r.done) {
            h.update(r.value as Uint8Array);
            peak = Math.max(peak, e.stats().inFlightBytes);
            r = await it.next();
          }
          return h.digest('hex');
        }),
      );
      expect(digests).toEqual(Array(12).fill(md5(data)));
      expect(peak).toBeLessThanOrEqual(budget + blockBytes);
      expect(e.stats().inFlightBytes).toBe(0);
    } finally {
      await e.close();
    }
  });
});
