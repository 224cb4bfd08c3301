// The byte budget behind scrubRateBytesPerSec and the compaction rate.
import { describe, expect, it } from 'vitest';
import { ByteThrottle } from '../../src/store/durability-pool.js';

describe('ByteThrottle', () => {
  it('holds a rate (burst of one second), passes oversized requests once full, and stops waiting on stop', async () => {
    const t = new ByteThrottle(1_000_000);
    const t0 = performance.now();
    for (let i = 0; i < 30; i++) await t.take(100_000); // 1 MB burst + 2 MB at 1 MB/s ≈ 2 s
    const s = (performance.now() - t0) / 1000;
    expect(s).toBeGreaterThan(1.7);
    expect(s).toBeLessThan(3.0);
    const big = new ByteThrottle(1000);
    const t1 = performance.now();
    await big.take(10_000_000); // bigger than the whole burst: let through, not forever
    expect(performance.now() - t1).toBeLessThan(100);
    const stop = { stopped: true };
    const t2 = performance.now();
    await big.take(5000, stop);
    expect(performance.now() - t2).toBeLessThan(100);
    const free = new ByteThrottle(Infinity);
    await free.take(1e12);
  });
});
