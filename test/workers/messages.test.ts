import { describe, expect, it } from 'vitest';
import {
  EncodeFlag,
  type EncodedBlock,
  packEncode,
  packEncodeReply,
  packRead,
  packReadReply,
  unpackEncode,
  unpackEncodeReply,
  unpackRead,
  unpackReadReply,
} from '../../src/workers/messages.js';
import type { EncodeItem, HashState, ReadItem } from '../../src/workers/tasks.js';

const SEED = '00112233445566aa';

/** What a worker message looks like after postMessage: a structured clone. */
function wire<T>(v: T): T {
  return structuredClone(v);
}

function encodeItem(sab: SharedArrayBuffer, over: Partial<EncodeItem> = {}): EncodeItem {
  return {
    sab,
    dataBytes: 4000,
    shardBytes: 1000,
    k: 4,
    m: 2,
    parityOffset: 4000,
    headerOffset: 6000,
    seed: SEED,
    first: true,
    last: true,
    checksums: [],
    sha256Hex: false,
    ...over,
  };
}

const h64 = (i: number, s: number): bigint => (BigInt(i + 1) * 0x9e3779b97f4a7c15n + BigInt(s) * 0xff00000000000001n) & 0xffffffffffffffffn;
const hex = (v: bigint): string => v.toString(16).padStart(16, '0');
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

describe('encode messages', () => {
  it('round-trips a batch: shared buffers deduplicated, seed once, flags, states only where present', () => {
    const a = new SharedArrayBuffer(8192);
    const b = new SharedArrayBuffer(8192);
    const state: HashState = { md5: bytes(90, 1), sha1: bytes(100, 2), sha256: bytes(110, 3), crc32: 0xfffffff0, crc32c: 7 };
    const items = [
      encodeItem(a),
      encodeItem(b, { checksums: ['CRC32', 'SHA256'], sha256Hex: true, k: 6, m: 0, dataBytes: 6000, parityOffset: 6000, headerOffset: 6000 }),
      encodeItem(a, { first: false, last: false, checksums: ['SHA1', 'CRC32C'], state }),
      encodeItem(b, { first: false, last: true, checksums: ['CRC32', 'CRC32C', 'SHA1', 'SHA256'], sha256Hex: true, state }),
    ];
    const task = wire(packEncode(items));
    expect(task.sabs).toHaveLength(2);
    expect(task.seed).toBe(SEED);
    expect(task.states?.filter((s) => s !== null)).toHaveLength(2);
    const jobs = unpackEncode(task);
    expect(jobs.map((j) => [j.k, j.m, j.dataBytes, j.shardBytes, j.parityOffset, j.headerOffset])).toEqual(
      items.map((i) => [i.k, i.m, i.dataBytes, i.shardBytes, i.parityOffset, i.headerOffset]),
    );
    expect(jobs.map((j) => task.sabs.indexOf(j.sab))).toEqual([0, 1, 0, 1]);
    expect(jobs[0]!.seed).toBe(0x00112233445566aan);
    expect(jobs[0]!.flags).toBe(EncodeFlag.First | EncodeFlag.Last);
    expect(jobs[1]!.flags).toBe(EncodeFlag.First | EncodeFlag.Last | EncodeFlag.Crc32 | EncodeFlag.Sha256 | EncodeFlag.Sha256Hex);
    expect(jobs[2]!.state).toEqual(state);
    expect(jobs[0]!.state).toBeUndefined();

    const md5 = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const sha1 = Buffer.alloc(20, 0xab);
    const sha256 = Buffer.alloc(32, 0xcd);
    const blocks: EncodedBlock[] = jobs.map((j, i) => ({ hashes: Array.from({ length: j.k + j.m }, (_, s) => h64(i, s)) }));
    blocks[0]!.digests = { md5 };
    blocks[1]!.digests = { md5, sha256, crc32: 0xdeadbeef };
    blocks[2]!.state = { md5: bytes(90, 9), sha1: bytes(100, 8), crc32c: 12345 };
    blocks[3]!.digests = { md5, sha1, sha256, crc32: 1, crc32c: 0xffffffff };
    const reply = wire(packEncodeReply(jobs, blocks));
    const results = unpackEncodeReply(items, reply);
    results.forEach((r, i) => expect(r.shardXxh64).toEqual(blocks[i]!.hashes.map(hex)));
    expect(results[1]!.shardXxh64).toHaveLength(6);
    expect(results[0]).toEqual({ shardXxh64: results[0]!.shardXxh64, digests: { md5Hex: md5.toString('hex'), checksums: {} } });
    expect(results[1]!.digests).toEqual({
      md5Hex: md5.toString('hex'),
      checksums: { CRC32: Buffer.from('deadbeef', 'hex').toString('base64'), SHA256: sha256.toString('base64') },
      sha256Hex: sha256.toString('hex'),
    });
    expect(results[2]!.digests).toBeUndefined();
    expect(results[2]!.state).toEqual(blocks[2]!.state);
    expect(results[3]!.digests).toEqual({
      md5Hex: md5.toString('hex'),
      checksums: { SHA1: sha1.toString('base64'), SHA256: sha256.toString('base64'), CRC32: 'AAAAAQ==', CRC32C: '/////w==' },
      sha256Hex: sha256.toString('hex'),
    });
    expect(results[3]!.state).toBeUndefined();
  });

  it('carries CRC64NVME: flag, resumable state, 8 digest bytes after the CRC32s', () => {
    const sab = new SharedArrayBuffer(8192);
    const state: HashState = { md5: bytes(90, 1), crc32c: 5, crc64nvme: bytes(12, 0xee) };
    const items = [
      encodeItem(sab, { first: true, last: false, checksums: ['CRC64NVME'] }),
      encodeItem(sab, { first: false, last: false, checksums: ['CRC32C', 'CRC64NVME'], state }),
      encodeItem(sab, { first: false, last: true, checksums: ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1'], state }),
      encodeItem(sab, { checksums: ['CRC64NVME'] }),
    ];
    const task = wire(packEncode(items));
    const jobs = unpackEncode(task);
    expect(jobs[0]!.flags).toBe(EncodeFlag.First | EncodeFlag.Crc64nvme);
    expect(jobs[1]!.flags & EncodeFlag.Crc64nvme).toBe(EncodeFlag.Crc64nvme);
    expect(jobs[1]!.state).toEqual(state);
    const md5 = Buffer.alloc(16, 0x11);
    const crc64 = Buffer.from('ae8b14860a799888', 'hex');
    const blocks: EncodedBlock[] = jobs.map((j, i) => ({ hashes: Array.from({ length: j.k + j.m }, (_, s) => h64(i, s)) }));
    blocks[0]!.state = { md5: bytes(90, 2), crc64nvme: bytes(12, 3) };
    blocks[1]!.state = { md5: bytes(90, 4), crc32c: 6, crc64nvme: bytes(12, 5) };
    blocks[2]!.digests = { md5, sha1: Buffer.alloc(20, 0xab), crc32: 1, crc32c: 2, crc64nvme: crc64 };
    blocks[3]!.digests = { md5, crc64nvme: new Uint8Array(8) };
    const results = unpackEncodeReply(items, wire(packEncodeReply(jobs, blocks)));
    expect(results[0]!.state).toEqual(blocks[0]!.state);
    expect(results[1]!.state).toEqual(blocks[1]!.state);
    expect(results[2]!.digests!.checksums).toEqual({
      SHA1: Buffer.alloc(20, 0xab).toString('base64'),
      CRC32: 'AAAAAQ==',
      CRC32C: 'AAAAAg==',
      CRC64NVME: crc64.toString('base64'),
    });
    expect(results[3]!.digests!.checksums).toEqual({ CRC64NVME: 'AAAAAAAAAAA=' });
    // A worker that forgot the CRC64 (or sent a 4-byte one) is refused, not padded.
    expect(() => packEncodeReply(jobs.slice(3), [{ hashes: blocks[3]!.hashes, digests: { md5 } }])).toThrow(/crc64nvme/);
    expect(() => packEncodeReply(jobs.slice(3), [{ hashes: blocks[3]!.hashes, digests: { md5, crc64nvme: new Uint8Array(4) } }])).toThrow(/crc64nvme/);
  });

  it('sends no states array for single-block objects', () => {
    const sab = new SharedArrayBuffer(8192);
    const task = packEncode([encodeItem(sab), encodeItem(sab)]);
    expect(task.states).toBeUndefined();
    expect(task.sabs).toHaveLength(1);
    const jobs = unpackEncode(wire(task));
    const reply = packEncodeReply(jobs, jobs.map(() => ({ hashes: [1n, 2n, 3n, 4n, 5n, 0xffffffffffffffffn], digests: { md5: bytes(16, 0) } })));
    expect(reply.states).toBeUndefined();
    expect(unpackEncodeReply([encodeItem(sab), encodeItem(sab)], wire(reply))[1]!.shardXxh64[5]).toBe('ffffffffffffffff');
  });

  it('refuses malformed batches and replies', () => {
    const sab = new SharedArrayBuffer(8192);
    expect(() => packEncode([])).toThrow();
    expect(() => packEncode([encodeItem(sab), encodeItem(sab, { seed: 'ffffffffffffffff' })])).toThrow(/seed/);
    expect(() => packEncode([encodeItem(sab, { shardBytes: 0 })])).toThrow(/shardBytes/);
    expect(() => packEncode([encodeItem(sab, { k: 0 })])).toThrow(/k=0/);
    const jobs = unpackEncode(packEncode([encodeItem(sab)]));
    expect(() => packEncodeReply(jobs, [{ hashes: [1n] }])).toThrow(/hash per shard/);
    expect(() => packEncodeReply(jobs, [{ hashes: [1n, 2n, 3n, 4n, 5n, 6n] }])).toThrow(/digests/);
    const reply = packEncodeReply(jobs, [{ hashes: [1n, 2n, 3n, 4n, 5n, 6n], digests: { md5: bytes(16, 0) } }]);
    // The engine asked for a SHA-256 the reply does not carry: a layout mismatch, not garbage digests.
    expect(() => unpackEncodeReply([encodeItem(sab, { sha256Hex: true })], reply)).toThrow(/short/);
    expect(() => unpackEncodeReply([encodeItem(sab, { last: false })], reply)).toThrow(/unread/);
  });
});

function readItem(sab: SharedArrayBuffer, over: Partial<ReadItem> = {}): ReadItem {
  const k = over.k ?? 4;
  const m = over.m ?? 2;
  return {
    sab,
    base: 0,
    k,
    m,
    shardBytes: 1024,
    seed: SEED,
    shards: Array.from({ length: k + m }, (_, s) => ({ fd: 10 + s, offset: 2 ** 40 + s * 1056, xxh64: hex(h64(k, s)) })),
    needMask: (1 << k) - 1,
    ...over,
  };
}

describe('read messages', () => {
  it('round-trips shards, nulls for missing ones, unavailable segments, m=0 and large offsets', () => {
    const a = new SharedArrayBuffer(8192);
    const b = new SharedArrayBuffer(8192);
    const degraded = readItem(b, { base: 64, needMask: 0b0101 });
    degraded.shards[1] = null;
    degraded.shards[4] = { fd: -1, offset: 123, xxh64: '0000000000000000' };
    const items = [readItem(a), degraded, readItem(a, { k: 3, m: 0, needMask: 0b010, shards: [null, { fd: 3, offset: 0, xxh64: 'ffffffffffffffff' }, null] })];
    const task = wire(packRead(items));
    expect(task.sabs).toHaveLength(2);
    const jobs = unpackRead(task);
    expect(jobs).toHaveLength(3);
    jobs.forEach((j, i) => {
      const it = items[i]!;
      expect(j.sab).toBe(task.sabs[i === 1 ? 1 : 0]);
      expect([j.base, j.k, j.m, j.shardBytes, j.needMask]).toEqual([it.base, it.k, it.m, it.shardBytes, it.needMask]);
      expect(j.seed).toBe(0x00112233445566aan);
      expect(j.shards).toEqual(it.shards.map((s) => (s === null ? null : { fd: s.fd, offset: s.offset, xxh64: BigInt(`0x${s.xxh64}`) })));
    });
    expect(jobs[1]!.shards[1]).toBeNull();
    expect(jobs[1]!.shards[4]).toEqual({ fd: -1, offset: 123, xxh64: 0n });
  });

  it('refuses malformed layout hashes instead of sending zeros', () => {
    const sab = new SharedArrayBuffer(8192);
    const bad = readItem(sab);
    bad.shards[2] = { fd: 1, offset: 0, xxh64: 'zz' };
    expect(() => packRead([bad])).toThrow(/xxh64/);
    const short = readItem(sab);
    short.shards.pop();
    expect(() => packRead([short])).toThrow(/shard entry/);
  });

  it('replies nothing when every item is clean, and carries bad shards and failures otherwise', () => {
    expect(packReadReply([{ ok: true, bad: [] }, { ok: true, bad: [] }])).toBeUndefined();
    expect(unpackReadReply(2, undefined)).toEqual([{ ok: true, bad: [] }, { ok: true, bad: [] }]);
    const outcomes = [
      { ok: true, bad: [] },
      { ok: true, bad: [{ index: 1, reason: 'missing' }, { index: 4, reason: 'segment unavailable' }] },
      { ok: false, bad: [{ index: 0, reason: 'checksum mismatch' }] },
    ];
    const results = unpackReadReply(3, wire(packReadReply(outcomes)));
    expect(results).toEqual(outcomes);
    expect(() => unpackReadReply(2, packReadReply(outcomes))).toThrow(/length/);
  });
});
