import { beforeAll, describe, expect, it } from 'vitest';
import { initXxhash, xxh64 } from '../../src/store/hash.js';
import { RECORD_HEADER_BYTES, RecordType, decodeRecord, encodeJsonRecord, parseJsonPayload, readHeader, recordBytes, writeHeader } from '../../src/store/record.js';
import { fnv1a32, placeShards, placementRotation } from '../../src/store/placement.js';

const SEED = 0x1234_5678_9abc_def0n;
beforeAll(async () => {
  await initXxhash();
});

describe('record codec', () => {
  it('round-trips metadata records and aligns to 8 bytes', () => {
    for (const body of [{ seq: 1 }, { seq: 2, s: 'é😀'.repeat(100) }, { seq: 3, a: [1, 2, 3] }]) {
      const rec = encodeJsonRecord(RecordType.ObjectCommit, body, SEED);
      expect(rec.length % 8).toBe(0);
      const dec = decodeRecord(rec, 0, SEED);
      expect(dec.ok).toBe(true);
      if (dec.ok) {
        expect(dec.type).toBe(RecordType.ObjectCommit);
        expect(dec.totalBytes).toBe(rec.length);
        expect(parseJsonPayload(dec.payload)).toEqual(body);
      }
    }
  });

  it('decodes consecutive records in one buffer', () => {
    const a = encodeJsonRecord(RecordType.BucketCreate, { seq: 1, x: 'a' }, SEED);
    const b = encodeJsonRecord(RecordType.AuxDelete, { seq: 2 }, SEED);
    const buf = Buffer.concat([a, b]);
    const d1 = decodeRecord(buf, 0, SEED);
    expect(d1.ok).toBe(true);
    const d2 = decodeRecord(buf, a.length, SEED);
    expect(d2.ok && d2.type === RecordType.AuxDelete).toBe(true);
  });

  it('detects torn tails at every cut point', () => {
    const rec = encodeJsonRecord(RecordType.ObjectDelete, { seq: 9, bucket: 'b', key: 'k'.repeat(50) }, SEED);
    const payloadEnd = rec.length - (rec.length - RECORD_HEADER_BYTES - JSON.stringify({ seq: 9, bucket: 'b', key: 'k'.repeat(50) }).length);
    for (let cut = 0; cut < payloadEnd; cut++) {
      const dec = decodeRecord(rec.subarray(0, cut), 0, SEED);
      expect(dec.ok).toBe(false);
    }
  });

  it('detects any flipped bit in header or payload', () => {
    const rec = encodeJsonRecord(RecordType.AuxPut, { seq: 5, ns: 'n', id: 'i', value: { a: 1 } }, SEED);
    const payloadBytes = rec.readUInt32LE(8);
    for (let i = 0; i < RECORD_HEADER_BYTES + payloadBytes; i++) {
      for (const bit of [0, 7]) {
        const c = Buffer.from(rec);
        c[i]! ^= 1 << bit;
        expect(decodeRecord(c, 0, SEED).ok, `byte ${i} bit ${bit}`).toBe(false);
      }
    }
  });

  it('a header is only valid under the node seed (forged records inside user data are ignored)', () => {
    const rec = encodeJsonRecord(RecordType.ObjectCommit, { seq: 1 }, SEED);
    expect(readHeader(rec, 0, SEED)).toBeDefined();
    expect(readHeader(rec, 0, SEED + 1n)).toBeUndefined();
    expect(readHeader(Buffer.alloc(64), 0, SEED)).toBeUndefined();
  });

  it('shard headers carry the payload hash', () => {
    const payload = Buffer.from('0123456789abcdef');
    const buf = Buffer.alloc(RECORD_HEADER_BYTES + payload.length);
    payload.copy(buf, RECORD_HEADER_BYTES);
    writeHeader(buf, 0, RecordType.Shard, payload.length, xxh64(payload), SEED);
    const dec = decodeRecord(buf, 0, SEED);
    expect(dec.ok && dec.type === RecordType.Shard).toBe(true);
    expect(recordBytes(payload.length)).toBe(buf.length);
    expect(() => encodeJsonRecord(RecordType.Shard, {}, SEED)).toThrow();
  });
});

describe('placement', () => {
  it('is deterministic and spreads rotations over all drives', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[placementRotation(`b/key-${i}`, 6)]++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });

  it('places k+m distinct drives, parity rotating', () => {
    for (let i = 0; i < 100; i++) {
      const p = placeShards(`b/${i}`, 6, 6);
      expect(new Set(p).size).toBe(6);
      const q = placeShards(`b/${i}`, 8, 5);
      expect(new Set(q).size).toBe(5);
      for (let j = 1; j < 5; j++) expect(q[j]).toBe((q[0]! + j) % 8);
    }
    expect(() => placeShards('x', 4, 5)).toThrow();
  });
});
