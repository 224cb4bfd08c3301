import { describe, expect, it } from 'vitest';
import { BlockPool, copyIntoShared } from '../../src/store/block-pool.js';

describe('copyIntoShared', () => {
  it('copies exactly the source at any offset and alignment, nothing around it', () => {
    const dst = Buffer.from(new SharedArrayBuffer(4096));
    const src = new Uint8Array(1500);
    for (let i = 0; i < src.length; i++) src[i] = (i * 37 + 1) & 0xff;
    for (const at of [0, 1, 3, 7, 8, 13, 2595]) {
      for (const [s, e] of [[0, 1500], [5, 1001], [1, 2], [0, 0]] as const) {
        dst.fill(0xee);
        const part = src.subarray(s, e);
        copyIntoShared(dst, part, at);
        expect(dst.subarray(at, at + part.length).equals(part)).toBe(true);
        if (at > 0) expect(dst[at - 1]).toBe(0xee);
        expect(dst[at + part.length]).toBe(0xee);
      }
    }
  });

  it('pool blocks are Buffers over their SharedArrayBuffer', () => {
    const pool = new BlockPool(4, 2, 1 << 20, 64 << 20);
    const b = pool.acquire(pool.classFor(1 << 20));
    expect(Buffer.isBuffer(b.bytes)).toBe(true);
    expect(b.bytes.buffer).toBe(b.sab);
    expect(b.geometry.capacityBytes).toBe(1 << 20);
    pool.release(b);
  });
});
