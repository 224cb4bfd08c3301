// The binary ObjectMeta codec: commit record payload and LMDB value. Every field must survive the
// round trip (including ones the codec does not know yet), and corrupt bytes must throw, never decode
// into a different object.
import { describe, expect, it } from 'vitest';
import type { ObjectMeta } from '../../src/store/api.js';
import { decodeObjectMeta, encodeObjectMeta, encodeObjectMetaInto, peekObjectMetaSeq } from '../../src/store/meta-codec.js';

function shard(drive: number, i: number) {
  return { drive, segment: 1000 + i, offset: 2 ** 40 + i * 8, xxh64: (0xfedcba9876543210n + BigInt(i)).toString(16).padStart(16, '0') };
}

function fullMeta(): ObjectMeta {
  return {
    bucket: 'bücket-1',
    key: 'dir/ключ/😀/' + 'k'.repeat(900),
    sizeBytes: 5 * 2 ** 40 - 1,
    etag: '0123456789abcdef0123456789abcdef-3',
    lastModifiedMs: 1_795_000_000_123,
    seq: 2 ** 50 + 7,
    versionId: 'null',
    system: { contentType: 'text/plain; charset=utf-8', contentEncoding: 'gzip', contentDisposition: 'attachment; filename="a b.txt"', contentLanguage: 'de', cacheControl: 'no-cache', expires: 'Wed, 21 Oct 2026 07:28:00 GMT' },
    user: { colour: 'blau', 'x-empty': '', ünïcode: '値' },
    checksums: { CRC32: 'AAAAAA==', CRC32C: 'BBBBBB==', SHA1: 'c2hhMQ==', SHA256: 'c2hhMjU2' },
    checksumType: 'COMPOSITE',
    parts: [
      { partNumber: 1, sizeBytes: 5 * 2 ** 20, etag: 'aa', checksums: { CRC32: 'AAAAAA==' } },
      { partNumber: 10000, sizeBytes: 1, etag: 'bb' },
      { partNumber: 3, sizeBytes: 0, etag: 'cc', checksums: {} },
    ],
    layout: {
      extents: [
        {
          sizeBytes: 3 * 2 ** 20 + 5,
          blockSizeBytes: 2 ** 20,
          k: 4,
          m: 2,
          blocks: [
            { dataBytes: 2 ** 20, shardBytes: 2 ** 18, shards: [0, 1, 2, 3, 4, 5].map((d) => shard(d, d)) },
            { dataBytes: 2 ** 20, shardBytes: 2 ** 18, shards: [shard(5, 1), null, shard(1, 2), shard(2, 3), null, shard(4, 5)] },
            { dataBytes: 2 ** 20 + 5, shardBytes: 2 ** 18 + 8, shards: [0, 1, 2, 3, 4, 5].map((d) => shard(d, 9 + d)) },
          ],
        },
        { sizeBytes: 8, blockSizeBytes: 8, k: 1, m: 0, blocks: [{ dataBytes: 8, shardBytes: 8, shards: [shard(0, 0)] }] },
      ],
    },
  };
}

describe('ObjectMeta codec', () => {
  it('round-trips every field of a fully populated object', () => {
    const m = fullMeta();
    const bytes = encodeObjectMeta(m);
    expect(decodeObjectMeta(bytes)).toEqual(m);
    expect(peekObjectMetaSeq(bytes)).toBe(m.seq);
  });

  it('round-trips a minimal object (empty maps, no parts, no layout extents) without inventing fields', () => {
    const m: ObjectMeta = { bucket: 'b', key: 'k', sizeBytes: 0, etag: 'd41d8cd98f00b204e9800998ecf8427e', lastModifiedMs: 0, seq: 1, versionId: 'null', system: {}, user: {}, checksums: {}, layout: { extents: [] } };
    const back = decodeObjectMeta(encodeObjectMeta(m));
    expect(back).toEqual(m);
    expect(Object.keys(back).sort()).toEqual(Object.keys(m).sort());
  });

  it('keeps fields it does not know (a later ObjectMeta field is not silently dropped)', () => {
    const m = { ...fullMeta(), tags: { env: 'prod' }, retainUntilMs: 123 } as ObjectMeta & { tags: Record<string, string>; retainUntilMs: number };
    expect(decodeObjectMeta(encodeObjectMeta(m))).toEqual(m);
  });

  it('decodes a value embedded in a larger buffer when given its end (LMDB cursors, record payloads)', () => {
    const m = fullMeta();
    const { out, bytes } = encodeObjectMetaInto(m, (n) => Buffer.alloc(n + 100, 0xee), 32);
    expect(decodeObjectMeta(out.subarray(32), bytes)).toEqual(m);
    expect(() => decodeObjectMeta(out.subarray(32))).toThrow(/trailing bytes|version|truncated/);
  });

  it('throws on every truncation and on a wrong version byte, never returns a different object', () => {
    const bytes = encodeObjectMeta(fullMeta());
    for (let n = 0; n < bytes.length; n++) expect(() => decodeObjectMeta(bytes.subarray(0, n))).toThrow();
    const bad = Buffer.from(bytes);
    bad[0] = 0x7b;
    expect(() => decodeObjectMeta(bad)).toThrow(/version/);
    expect(peekObjectMetaSeq(bad)).toBeUndefined();
  });

  it('CRC64NVME: round-trips on the object and its parts; records written before it decode unchanged', () => {
    const m = fullMeta();
    m.checksums = { CRC64NVME: 'AAAAAAAAAAA=', CRC32: 'AAAAAA==' };
    m.checksumType = 'FULL_OBJECT';
    m.parts![0]!.checksums = { CRC64NVME: 'rosUhgp5mIg=' };
    expect(decodeObjectMeta(encodeObjectMeta(m))).toEqual(m);
    // Bytes written by the codec before CRC64NVME existed (commit 90ab34f): the algorithm mask is
    // append-only, so they decode to the same object.
    const golden = Buffer.from(
      '01020162016b0a016501046e756c6c000009084141414141413d3d08633268684d6a55320203010a02616106084242424242423d3d08633268684d513d3d0200026262800000',
      'hex',
    );
    expect(decodeObjectMeta(golden)).toEqual({
      bucket: 'b', key: 'k', sizeBytes: 10, etag: 'e', lastModifiedMs: 1, seq: 2, versionId: 'null', system: {}, user: {},
      checksums: { CRC32: 'AAAAAA==', SHA256: 'c2hhMjU2' },
      checksumType: 'COMPOSITE',
      parts: [{ partNumber: 1, sizeBytes: 10, etag: 'aa', checksums: { CRC32C: 'BBBBBB==', SHA1: 'c2hhMQ==' } }, { partNumber: 2, sizeBytes: 0, etag: 'bb' }],
      layout: { extents: [] },
    });
  });

  it('refuses a checksum mask with bits past the known algorithms (a newer record, or damage)', () => {
    const m: ObjectMeta = { bucket: 'b', key: 'k', sizeBytes: 0, etag: 'e', lastModifiedMs: 0, seq: 1, versionId: 'null', system: {}, user: {}, checksums: { CRC64NVME: 'AAAAAAAAAAA=' }, layout: { extents: [] } };
    const bytes = Buffer.from(encodeObjectMeta(m));
    const at = bytes.indexOf(Buffer.concat([Buffer.from([0x10, 12]), Buffer.from('AAAAAAAAAAA=')]));
    expect(at).toBeGreaterThan(0);
    bytes[at] = 0x30;
    expect(() => decodeObjectMeta(bytes)).toThrow(/checksum mask/);
  });

  it('rejects values it cannot represent instead of writing them wrong', () => {
    expect(() => encodeObjectMeta({ ...fullMeta(), sizeBytes: -1 })).toThrow(/non-negative/);
    expect(() => encodeObjectMeta({ ...fullMeta(), seq: 1.5 })).toThrow(/non-negative/);
    const m = fullMeta();
    m.layout.extents[0]!.blocks[0]!.shards[0]!.xxh64 = 'xyz';
    expect(() => encodeObjectMeta(m)).toThrow(/hash/);
    const n = fullMeta();
    n.layout.extents[0]!.blocks[0]!.shards.pop();
    expect(() => encodeObjectMeta(n)).toThrow(/shards/);
  });

  it('encodes large layouts (a 10 GiB multipart object: 10,240 blocks) and shrinks its scratch afterwards', () => {
    const m = fullMeta();
    const block = m.layout.extents[0]!.blocks[0]!;
    m.layout.extents[0]!.blocks = Array.from({ length: 10_240 }, () => block);
    m.layout.extents[0]!.sizeBytes = 10_240 * 2 ** 20;
    const bytes = encodeObjectMeta(m);
    expect(decodeObjectMeta(bytes)).toEqual(m);
    expect(decodeObjectMeta(encodeObjectMeta(fullMeta()))).toEqual(fullMeta());
  });

  it('decodes a large layout only when it is read (HEAD and listings of big multipart objects skip it)', () => {
    const m = fullMeta();
    const block = m.layout.extents[0]!.blocks[0]!;
    m.layout.extents[0]!.blocks = Array.from({ length: 10_240 }, () => block);
    m.layout.extents[0]!.sizeBytes = 10_240 * 2 ** 20;
    const bytes = encodeObjectMeta(m);
    const lmdbBuffer = Buffer.from(bytes);
    const d = decodeObjectMeta(lmdbBuffer);
    expect(Object.getOwnPropertyDescriptor(d, 'layout')?.get).toBeTypeOf('function');
    expect(d.key).toBe(m.key);
    // The bytes were copied: lmdb-js reuses the buffer it hands to decode().
    lmdbBuffer.fill(0);
    expect(d.layout).toEqual(m.layout);
    expect(Object.getOwnPropertyDescriptor(d, 'layout')?.value).toBe(d.layout);
    // Spreads and assignments behave like an ordinary property.
    const d2 = decodeObjectMeta(bytes);
    expect({ ...d2, seq: 1 }.layout).toEqual(m.layout);
    const d3 = decodeObjectMeta(bytes);
    d3.layout = { extents: [] };
    expect(d3.layout).toEqual({ extents: [] });
    expect(JSON.parse(JSON.stringify(decodeObjectMeta(bytes)))).toEqual(JSON.parse(JSON.stringify(m)));
    // Small layouts are decoded at once, as before.
    expect(Object.getOwnPropertyDescriptor(decodeObjectMeta(encodeObjectMeta(fullMeta())), 'layout')?.get).toBeUndefined();
  });

  it('a damaged large layout throws when read or differs, never passes for the original', () => {
    const m = fullMeta();
    const block = m.layout.extents[0]!.blocks[0]!;
    m.layout.extents[0]!.blocks = Array.from({ length: 200 }, () => block);
    m.layout.extents[0]!.sizeBytes = 200 * 2 ** 20;
    const bytes = Buffer.from(encodeObjectMeta(m));
    // Flip bytes across the layout (it ends just before the 1-byte empty extra field).
    for (let at = bytes.length - 20_000; at < bytes.length - 1; at += 97) {
      const bad = Buffer.from(bytes);
      bad[at]! ^= 0x40;
      let text: string | undefined;
      try {
        text = JSON.stringify(decodeObjectMeta(bad).layout);
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
        continue;
      }
      expect(text).not.toBe(JSON.stringify(m.layout));
    }
    // A layout length that does not match its content: the lazy decode refuses it on first read.
    const lenAt = [...Array(bytes.length - 4).keys()].find((p) => bytes.readUInt32LE(p) === bytes.length - 1 - (p + 4))!;
    expect(lenAt).toBeGreaterThan(0);
    const extended = Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from([0x00, 0x00])]);
    extended.writeUInt32LE(bytes.readUInt32LE(lenAt) + 1, lenAt);
    const d = decodeObjectMeta(extended);
    expect(() => d.layout).toThrow(/layout length mismatch|truncated|varint/);
  });

  it('reads values written by version 1 of the codec (no layout length)', () => {
    const v1 = Buffer.from(
      '01020162016b0a016501046e756c6c000009084141414141413d3d08633268684d6a55320203010a02616106084242424242423d3d08633268684d513d3d0200026262800000',
      'hex',
    );
    expect(decodeObjectMeta(v1).layout).toEqual({ extents: [] });
    expect(peekObjectMetaSeq(v1)).toBe(2);
  });
});

describe('object commit records', () => {
  it('are written in the codec, verified by the record hash, and read back; older JSON records still decode', async () => {
    const { encodeLogRecord, decodeLogBody, peekLogSeq } = await import('../../src/store/log-records.js');
    const { RecordType, decodeRecord, encodeJsonRecord } = await import('../../src/store/record.js');
    const { initXxhash } = await import('../../src/store/hash.js');
    await initXxhash();
    const seed = 0x1234_5678_9abc_def0n;
    const meta = fullMeta();
    const { record, body } = encodeLogRecord(RecordType.ObjectCommit, { seq: meta.seq, meta }, seed, (n) => Buffer.alloc(n, 0xff));
    expect(record.length % 8).toBe(0);
    const rec = decodeRecord(record, 0, seed);
    expect(rec.ok).toBe(true);
    if (!rec.ok) return;
    expect(decodeLogBody(rec.type, rec.payload)).toEqual({ seq: meta.seq, meta });
    expect(peekLogSeq(rec.type, rec.payload)).toBe(meta.seq);
    // The body handed to apply carries exactly the payload bytes (what the index stores).
    expect(Buffer.compare(Buffer.from((body as { encoded: Uint8Array }).encoded), Buffer.from(rec.payload))).toBe(0);
    const json = encodeJsonRecord(RecordType.ObjectCommit, { seq: meta.seq, meta }, seed);
    const old = decodeRecord(json, 0, seed);
    expect(old.ok && decodeLogBody(old.type, old.payload)).toEqual({ seq: meta.seq, meta });
    expect(old.ok && peekLogSeq(old.type, old.payload)).toBe(meta.seq);
    expect(() => encodeLogRecord(RecordType.ObjectCommit, { seq: meta.seq + 1, meta }, seed, Buffer.alloc)).toThrow(/seq/);
  });
});

describe('ObjectMeta codec, randomized', () => {
  // Deterministic PRNG: a failure names its seed.
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const ALPHABET = ['a', 'Z', '0', '/', ' ', '%', '"', '<', '\u007f', 'é', 'ß', '値', '😀', '\u0000', '\uffff'];
  function str(r: () => number, maxLen: number): string {
    const n = Math.floor(r() * maxLen);
    let out = '';
    for (let i = 0; i < n; i++) out += ALPHABET[Math.floor(r() * ALPHABET.length)]!;
    return out;
  }
  function uint(r: () => number): number {
    const pick = r();
    if (pick < 0.2) return Math.floor(r() * 128);
    if (pick < 0.4) return Math.floor(r() * 2 ** 32);
    if (pick < 0.5) return Number.MAX_SAFE_INTEGER;
    return Math.floor(r() * Number.MAX_SAFE_INTEGER);
  }
  function hex(r: () => number): string {
    let out = '';
    for (let i = 0; i < 16; i++) out += '0123456789abcdef'[Math.floor(r() * 16)];
    return out;
  }
  function randomMeta(r: () => number): ObjectMeta {
    const k = 1 + Math.floor(r() * 6);
    const m = Math.floor(r() * 4);
    const extents = Array.from({ length: Math.floor(r() * 3) }, () => ({
      sizeBytes: uint(r),
      blockSizeBytes: uint(r),
      k,
      m,
      blocks: Array.from({ length: Math.floor(r() * 4) }, () => ({
        dataBytes: uint(r),
        shardBytes: uint(r),
        shards: Array.from({ length: k + m }, () => (r() < 0.2 ? null : { drive: Math.floor(r() * 64), segment: uint(r), offset: uint(r), xxh64: hex(r) })),
      })),
    }));
    const meta: ObjectMeta = {
      bucket: str(r, 63),
      key: str(r, r() < 0.1 ? 1024 : 200),
      sizeBytes: uint(r),
      etag: str(r, 40),
      lastModifiedMs: uint(r),
      seq: uint(r),
      versionId: r() < 0.9 ? 'null' : str(r, 32),
      system: r() < 0.5 ? {} : { contentType: str(r, 300), cacheControl: str(r, 20) },
      user: Object.fromEntries(Array.from({ length: Math.floor(r() * 5) }, () => [str(r, 20), str(r, 200)])),
      checksums: r() < 0.5 ? {} : { CRC32: str(r, 12), SHA256: str(r, 44) },
      layout: { extents },
    };
    if (r() < 0.3) meta.checksumType = r() < 0.5 ? 'FULL_OBJECT' : 'COMPOSITE';
    if (r() < 0.3) meta.parts = Array.from({ length: Math.floor(r() * 4) }, () => ({ partNumber: uint(r), sizeBytes: uint(r), etag: str(r, 40), ...(r() < 0.5 ? { checksums: { CRC32C: str(r, 12) } } : {}) }));
    return meta;
  }

  it('round-trips 2,000 random objects (strings with astral, NUL and non-ASCII characters, lengths across the short-string boundary, integers up to 2^53-1)', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const meta = randomMeta(rng(seed));
      const back = decodeObjectMeta(encodeObjectMeta(meta));
      if (JSON.stringify(back) !== JSON.stringify(meta)) expect({ seed, back }).toEqual({ seed, back: meta });
    }
  });

  it('a flipped byte anywhere either throws or decodes to an object that differs (never silently to the same object)', () => {
    const r = rng(42);
    for (let n = 0; n < 200; n++) {
      const meta = randomMeta(r);
      const bytes = encodeObjectMeta(meta);
      const at = Math.floor(r() * bytes.length);
      const bad = Buffer.from(bytes);
      bad[at]! ^= 1 + Math.floor(r() * 255);
      let decoded: ObjectMeta | undefined;
      try {
        decoded = decodeObjectMeta(bad);
      } catch {
        continue;
      }
      expect(JSON.stringify(decoded)).not.toBe(JSON.stringify(meta));
    }
  });
});
