// The packed messages through the real worker pool (dist/ workers: build first): digests of a
// multi-block object carried as hash state, shards verified, a degraded read rebuilt from parity, bad
// shards reported with their reasons.
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/workers/pool.js';
import type { EncodeItem, HashState, ReadItem } from '../../src/workers/tasks.js';
import { refCrc64nvmeBase64 } from '../helpers/crc64nvme-ref.js';

const K = 4;
const M = 2;
const SHARD = 1024;
const PARITY = K * SHARD;
const HEADERS = (K + M) * SHARD;
const SEED = '0011223344556677';

let pool: WorkerPool;
let dir: string;
beforeAll(() => {
  pool = new WorkerPool(1, 16);
  dir = mkdtempSync(path.join(os.tmpdir(), 'strata-pool-test-'));
});
afterAll(async () => {
  await pool.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function block(data: Uint8Array): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(HEADERS + 32 * (K + M));
  new Uint8Array(sab).set(data);
  return sab;
}

function item(sab: SharedArrayBuffer, dataBytes: number, first: boolean, last: boolean, state?: HashState): EncodeItem {
  return {
    sab,
    dataBytes,
    shardBytes: SHARD,
    k: K,
    m: M,
    parityOffset: PARITY,
    headerOffset: HEADERS,
    seed: SEED,
    first,
    last,
    checksums: ['CRC32', 'SHA256'],
    sha256Hex: true,
    ...(state ? { state } : {}),
  };
}

describe('worker pool messages', () => {
  it('carries hash state across blocks and returns the whole object digests', async () => {
    const body = Buffer.alloc(3 * PARITY);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    let state: HashState | undefined;
    let last;
    for (let b = 0; b < 3; b++) {
      const [r] = await pool.encode([item(block(body.subarray(b * PARITY, (b + 1) * PARITY)), PARITY, b === 0, b === 2, state)]);
      expect(r!.shardXxh64).toHaveLength(K + M);
      for (const h of r!.shardXxh64) expect(h).toMatch(/^[0-9a-f]{16}$/);
      state = r!.state;
      expect(state === undefined).toBe(b === 2);
      last = r!.digests;
    }
    expect(last!.md5Hex).toBe(createHash('md5').update(body).digest('hex'));
    expect(last!.sha256Hex).toBe(createHash('sha256').update(body).digest('hex'));
    expect(last!.checksums.SHA256).toBe(createHash('sha256').update(body).digest('base64'));
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE((await import('node:zlib')).crc32(body) >>> 0);
    expect(last!.checksums.CRC32).toBe(crc.toString('base64'));
  });

  it('CRC64NVME: one block hashed whole, or several carrying hash state, equals an independent CRC', async () => {
    const body = Buffer.alloc(3 * PARITY - 5);
    for (let i = 0; i < body.length; i++) body[i] = (i * 131 + 7) & 0xff;
    const want = refCrc64nvmeBase64(body);
    const crc64Item = (sab: SharedArrayBuffer, n: number, first: boolean, last: boolean, state?: HashState): EncodeItem => ({
      ...item(sab, n, first, last, state),
      checksums: ['CRC64NVME', 'CRC32C'],
      sha256Hex: false,
    });
    let state: HashState | undefined;
    let digests;
    for (let b = 0; b < 3; b++) {
      const chunk = body.subarray(b * PARITY, Math.min(body.length, (b + 1) * PARITY));
      const [r] = await pool.encode([crc64Item(block(chunk), chunk.length, b === 0, b === 2, state)]);
      state = r!.state;
      if (b < 2) expect(state?.crc64nvme).toBeInstanceOf(Uint8Array);
      digests = r!.digests;
    }
    expect(digests!.checksums.CRC64NVME).toBe(want);
    const small = body.subarray(0, PARITY - 3);
    const [single] = await pool.encode([crc64Item(block(small), small.length, true, true)]);
    expect(single!.digests!.checksums.CRC64NVME).toBe(refCrc64nvmeBase64(small));
  });

  it('reads verified shards, rebuilds missing ones, reports bad ones', async () => {
    const data = Buffer.alloc(4000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
    const src = block(data);
    const [enc] = await pool.encode([item(src, data.length, true, true)]);
    const file = path.join(dir, 'shards');
    const fdw = openSync(file, 'w');
    const u8 = new Uint8Array(src);
    const offsets: number[] = [];
    for (let i = 0; i < K + M; i++) {
      const off = i * (32 + SHARD);
      writeSync(fdw, u8, HEADERS + i * 32, 32, off);
      writeSync(fdw, u8, i < K ? i * SHARD : PARITY + (i - K) * SHARD, SHARD, off + 32);
      offsets.push(off);
    }
    // Shard 2's payload rots on disk.
    writeSync(fdw, Buffer.from([0xff ^ u8[2 * SHARD + 5]!]), 0, 1, offsets[2]! + 32 + 5);
    closeSync(fdw);
    const fd = openSync(file, 'r');
    try {
      const shards = (): ReadItem['shards'] => offsets.map((offset, i) => ({ fd, offset, xxh64: enc!.shardXxh64[i]! }));
      const readItem = (over: Partial<ReadItem>): ReadItem => ({
        sab: new SharedArrayBuffer((K + M) * SHARD),
        base: 0,
        k: K,
        m: M,
        shardBytes: SHARD,
        seed: SEED,
        shards: shards(),
        needMask: (1 << K) - 1,
        ...over,
      });
      const clean = readItem({ needMask: 0b0011 });
      const missing = readItem({ needMask: 0b1111 });
      missing.shards[0] = null;
      const tooFew = readItem({});
      tooFew.shards[0] = null;
      tooFew.shards[3] = { fd: -1, offset: 0, xxh64: enc!.shardXxh64[3]! };
      const res = await pool.read([clean, missing, tooFew]);
      expect(res[0]).toEqual({ ok: true, bad: [] });
      expect(Buffer.from(clean.sab, 0, 2 * SHARD).equals(data.subarray(0, 2 * SHARD))).toBe(true);
      // Shard 0 missing, shard 2 rotten: both rebuilt from 1, 3, 4 and 5.
      expect(res[1]!.ok).toBe(true);
      expect(res[1]!.bad).toEqual([
        { index: 0, reason: 'missing' },
        { index: 2, reason: 'checksum mismatch' },
      ]);
      expect(Buffer.from(missing.sab, 0, data.length).equals(data)).toBe(true);
      expect(res[2]!.ok).toBe(false);
      expect(res[2]!.bad).toEqual([
        { index: 0, reason: 'missing' },
        { index: 2, reason: 'checksum mismatch' },
        { index: 3, reason: 'segment unavailable' },
      ]);
    } finally {
      closeSync(fd);
    }
  });
});
