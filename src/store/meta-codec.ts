// Binary form of ObjectMeta: the payload of an object commit record and, byte for byte, the value of
// the LMDB objects table. One encoding built once per PUT serves both, where JSON for the record plus
// msgpack for the index cost ~20 µs of main thread per small PUT and ~12 µs per GET (msgpackr's
// record definitions were re-read on every get).
//
// Layout (integers are unsigned LEB128 varints, strings a varint byte length + UTF-8):
//   u8 codec version: 0x02 (0x01: the same without the layout's length, still read; a JSON record
//     payload starts with '{' = 0x7b instead)
//   seq, bucket, key, sizeBytes, etag, lastModifiedMs, versionId
//   u8 system mask (bit i = SYSTEM_FIELDS[i] present), then those strings
//   user: count, then name/value pairs
//   checksums: u8 mask over CHECKSUM_ALGORITHMS (append-only order; bit 7 is reserved: 0x80 marks a
//     part without checksums), then those strings
//   u8 checksumType (0 none, 1 FULL_OBJECT, 2 COMPOSITE)
//   parts: count + 1 (0 = absent); each partNumber, sizeBytes, etag, u8 checksum mask + strings
//   v2: u32 little-endian byte length of the layout that follows
//   layout: extent count; each sizeBytes, blockSizeBytes, k, m, block count; each block dataBytes,
//     shardBytes, then k+m shards: drive + 1 (0 = null shard, nothing follows), segment, offset,
//     8 bytes xxHash64 (big-endian, the hex string's byte order)
//   extra: JSON of fields this codec does not know (empty string when none), so a field added to
//     ObjectMeta later survives the round trip instead of vanishing.
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, type Layout, type ObjectMeta, type PartInfo, type SystemMeta } from './api.js';

export const META_CODEC_VERSION = 2;
/** Versions decodeObjectMeta reads (commit records in old segments keep theirs). */
export function isMetaCodecPayload(bytes: Uint8Array): boolean {
  return bytes[0] === 1 || bytes[0] === 2;
}
/**
 * Layouts longer than this many bytes (≈ 70 blocks) are decoded on first use, not with the rest of the
 * meta: HEAD, listings and conditional checks never need the layout, and a multipart object's lists
 * every block (~110 bytes each: ~1.1 MB and tens of ms to decode for 10 GiB).
 */
export const LAZY_LAYOUT_MIN_BYTES = 8 * 1024;
const SYSTEM_FIELDS: readonly (keyof SystemMeta)[] = ['contentType', 'contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'expires'];
const KNOWN_FIELDS = new Set([
  'bucket',
  'key',
  'sizeBytes',
  'etag',
  'lastModifiedMs',
  'seq',
  'versionId',
  'system',
  'user',
  'checksums',
  'checksumType',
  'parts',
  'layout',
]);
const CHECKSUM_TYPES = [undefined, 'FULL_OBJECT', 'COMPOSITE'] as const;
/** Strings shorter than this are tried as ASCII in JS first (and their length fits one varint byte). */
const SHORT_STRING_CHARS = 128;
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX_VALUE: number[] = [];
for (let i = 0; i < 16; i++) {
  // Lower case only: layouts are written lower case, and decoding returns lower case.
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
}

class Writer {
  buf: Buffer;
  pos = 0;
  constructor(initialBytes: number) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }
  private room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }
  uint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new TypeError(`meta codec: ${v} is not a non-negative safe integer`);
    this.room(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }
  str(s: string): void {
    if (typeof s !== 'string') throw new TypeError(`meta codec: expected a string, got ${typeof s}`);
    // Short ASCII strings (bucket, ETag, checksums, most keys) are copied here: cheaper than a native call.
    if (s.length < SHORT_STRING_CHARS) {
      this.room(s.length + 1);
      const start = this.pos;
      this.buf[this.pos++] = s.length;
      let i = 0;
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        this.buf[this.pos++] = c;
      }
      if (i === s.length) return;
      this.pos = start;
    }
    // ≤ 3 UTF-8 bytes per UTF-16 unit: write first, then the length (re-placed only if it needs more bytes).
    const max = s.length * 3;
    if (max >= 0x10000000) throw new RangeError('meta codec: string too long');
    this.room(max + 5);
    const lenAt = this.pos;
    const lenBytes = max < 0x80 ? 1 : max < 0x4000 ? 2 : max < 0x200000 ? 3 : 4;
    const n = this.buf.write(s, lenAt + lenBytes, 'utf8');
    let v = n;
    for (let i = 0; i < lenBytes; i++) {
      this.buf[lenAt + i] = (v & 0x7f) | (i < lenBytes - 1 ? 0x80 : 0);
      v >>>= 7;
    }
    this.pos = lenAt + lenBytes + n;
  }
  hash(hex: string): void {
    if (typeof hex !== 'string' || hex.length !== 16) throw new TypeError(`meta codec: shard hash must be 16 hex digits, got ${String(hex)}`);
    this.room(8);
    for (let i = 0; i < 16; i += 2) {
      const hi = HEX_VALUE[hex.charCodeAt(i)] ?? 255;
      const lo = HEX_VALUE[hex.charCodeAt(i + 1)] ?? 255;
      if ((hi | lo) > 15) throw new TypeError(`meta codec: shard hash ${hex} is not hex`);
      this.buf[this.pos++] = (hi << 4) | lo;
    }
  }
}

/** Node's Buffer slicers behind toString() (also used by lmdb-js): no argument checks, offsets are ours. */
type SlicingBuffer = Buffer & { utf8Slice(start: number, end: number): string; latin1Slice(start: number, end: number): string };

/** Every byte read is bounds-checked: a corrupt value throws instead of reading past its end. */
class Reader {
  pos = 0;
  readonly buf: SlicingBuffer;
  constructor(
    buf: Buffer,
    readonly end: number,
  ) {
    this.buf = buf as SlicingBuffer;
    if (end > buf.length) throw new RangeError('meta codec: end past the buffer');
  }
  private need(bytes: number): void {
    if (this.pos + bytes > this.end) throw new RangeError('meta codec: value is truncated');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  uint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
    throw new RangeError('meta codec: varint too long');
  }
  str(): string {
    const n = this.uint();
    this.need(n);
    const b = this.buf;
    const start = this.pos;
    this.pos += n;
    if (n < SHORT_STRING_CHARS) {
      let ascii = true;
      for (let i = start; i < start + n; i++) if (b[i]! >= 0x80) ascii = false;
      if (ascii) return b.latin1Slice(start, start + n);
    }
    return b.utf8Slice(start, start + n);
  }
  hash(): string {
    this.need(8);
    const b = this.buf;
    const p = this.pos;
    this.pos += 8;
    return HEX_BYTE[b[p]!]! + HEX_BYTE[b[p + 1]!]! + HEX_BYTE[b[p + 2]!]! + HEX_BYTE[b[p + 3]!]! + HEX_BYTE[b[p + 4]!]! + HEX_BYTE[b[p + 5]!]! + HEX_BYTE[b[p + 6]!]! + HEX_BYTE[b[p + 7]!]!;
  }
}

function writeChecksums(w: Writer, c: Partial<Record<ChecksumAlgorithm, string>>): void {
  let mask = 0;
  for (let i = 0; i < CHECKSUM_ALGORITHMS.length; i++) if (c[CHECKSUM_ALGORITHMS[i]!] !== undefined) mask |= 1 << i;
  w.u8(mask);
  for (let i = 0; i < CHECKSUM_ALGORITHMS.length; i++) if (mask & (1 << i)) w.str(c[CHECKSUM_ALGORITHMS[i]!]!);
}

function readChecksums(r: Reader): Partial<Record<ChecksumAlgorithm, string>> {
  const mask = r.u8();
  // A bit past the known algorithms (a record from a newer build, or damage) would leave its string
  // unread and misparse everything after it: refuse instead.
  if (mask >>> CHECKSUM_ALGORITHMS.length !== 0) throw new TypeError(`meta codec: unknown checksum mask 0x${mask.toString(16)}`);
  const out: Partial<Record<ChecksumAlgorithm, string>> = {};
  for (let i = 0; i < CHECKSUM_ALGORITHMS.length; i++) if (mask & (1 << i)) out[CHECKSUM_ALGORITHMS[i]!] = r.str();
  return out;
}

function writeLayout(w: Writer, layout: Layout): void {
  w.uint(layout.extents.length);
  for (const e of layout.extents) {
    w.uint(e.sizeBytes);
    w.uint(e.blockSizeBytes);
    w.uint(e.k);
    w.uint(e.m);
    w.uint(e.blocks.length);
    for (const b of e.blocks) {
      if (b.shards.length !== e.k + e.m) throw new TypeError(`meta codec: block has ${b.shards.length} shards, extent is ${e.k}+${e.m}`);
      w.uint(b.dataBytes);
      w.uint(b.shardBytes);
      for (const s of b.shards) {
        if (s === null) {
          w.u8(0);
          continue;
        }
        w.uint(s.drive + 1);
        w.uint(s.segment);
        w.uint(s.offset);
        w.hash(s.xxh64);
      }
    }
  }
}

function readLayout(r: Reader): Layout {
  const extents: Layout['extents'] = [];
  for (let en = r.uint(); en > 0; en--) {
    const sizeBytes = r.uint();
    const blockSizeBytes = r.uint();
    const k = r.uint();
    const m = r.uint();
    const blocks: Layout['extents'][number]['blocks'] = [];
    for (let bn = r.uint(); bn > 0; bn--) {
      const dataBytes = r.uint();
      const shardBytes = r.uint();
      const shards: Layout['extents'][number]['blocks'][number]['shards'] = [];
      for (let i = 0; i < k + m; i++) {
        const drive = r.uint();
        if (drive === 0) shards.push(null);
        else shards.push({ drive: drive - 1, segment: r.uint(), offset: r.uint(), xxh64: r.hash() });
      }
      blocks.push({ dataBytes, shardBytes, shards });
    }
    extents.push({ sizeBytes, blockSizeBytes, k, m, blocks });
  }
  return { extents };
}

const writer = new Writer(64 * 1024);
/** The shared writer never keeps a buffer grown past this (a huge multipart layout). */
const WRITER_KEEP_BYTES = 1024 * 1024;

/**
 * Encodes meta into `alloc(bytes)` at `at`. Returns the buffer and the encoded length. The record
 * writer passes an allocator that leaves room for the record header in front.
 */
export function encodeObjectMetaInto(meta: ObjectMeta, alloc: (bytes: number) => Buffer, at: number): { out: Buffer; bytes: number } {
  const w = writer;
  w.pos = 0;
  try {
    w.u8(META_CODEC_VERSION);
    w.uint(meta.seq);
    w.str(meta.bucket);
    w.str(meta.key);
    w.uint(meta.sizeBytes);
    w.str(meta.etag);
    w.uint(meta.lastModifiedMs);
    w.str(meta.versionId);
    const sys = meta.system ?? {};
    let mask = 0;
    for (let i = 0; i < SYSTEM_FIELDS.length; i++) if (sys[SYSTEM_FIELDS[i]!] !== undefined) mask |= 1 << i;
    w.u8(mask);
    for (let i = 0; i < SYSTEM_FIELDS.length; i++) if (mask & (1 << i)) w.str(sys[SYSTEM_FIELDS[i]!]!);
    const user = meta.user ?? {};
    const names = Object.keys(user);
    w.uint(names.length);
    for (const n of names) {
      w.str(n);
      w.str(user[n]!);
    }
    writeChecksums(w, meta.checksums ?? {});
    const ct = CHECKSUM_TYPES.indexOf(meta.checksumType);
    if (ct < 0) throw new TypeError(`meta codec: unknown checksumType ${String(meta.checksumType)}`);
    w.u8(ct);
    if (meta.parts === undefined) w.uint(0);
    else {
      w.uint(meta.parts.length + 1);
      for (const p of meta.parts) {
        w.uint(p.partNumber);
        w.uint(p.sizeBytes);
        w.str(p.etag);
        if (p.checksums === undefined) w.u8(0x80);
        else writeChecksums(w, p.checksums);
      }
    }
    w.u8(0);
    w.u8(0);
    w.u8(0);
    w.u8(0);
    const layoutAt = w.pos;
    writeLayout(w, meta.layout);
    w.buf.writeUInt32LE(w.pos - layoutAt, layoutAt - 4);
    let extra: Record<string, unknown> | undefined;
    for (const f of Object.keys(meta)) {
      if (KNOWN_FIELDS.has(f) || (meta as unknown as Record<string, unknown>)[f] === undefined) continue;
      (extra ??= {})[f] = (meta as unknown as Record<string, unknown>)[f];
    }
    w.str(extra ? JSON.stringify(extra) : '');
    const out = alloc(at + w.pos);
    w.buf.copy(out, at, 0, w.pos);
    return { out, bytes: w.pos };
  } finally {
    if (w.buf.length > WRITER_KEEP_BYTES) w.buf = Buffer.allocUnsafe(64 * 1024);
  }
}

export function encodeObjectMeta(meta: ObjectMeta): Buffer {
  return encodeObjectMetaInto(meta, (n) => Buffer.allocUnsafe(n), 0).out;
}

/** Decodes what encodeObjectMeta wrote; `end` bounds the value inside a larger buffer. Throws on corrupt input. */
export function decodeObjectMeta(bytes: Uint8Array, end: number = bytes.length): ObjectMeta {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new Reader(buf, end);
  const version = r.u8();
  if (version !== 1 && version !== 2) throw new RangeError(`meta codec: unknown version ${version}`);
  const seq = r.uint();
  const bucket = r.str();
  const key = r.str();
  const sizeBytes = r.uint();
  const etag = r.str();
  const lastModifiedMs = r.uint();
  const versionId = r.str();
  const system: SystemMeta = {};
  const sysMask = r.u8();
  for (let i = 0; i < SYSTEM_FIELDS.length; i++) if (sysMask & (1 << i)) system[SYSTEM_FIELDS[i]!] = r.str();
  const user: Record<string, string> = {};
  for (let n = r.uint(); n > 0; n--) {
    const name = r.str();
    user[name] = r.str();
  }
  const checksums = readChecksums(r);
  const checksumType = CHECKSUM_TYPES[r.u8()];
  const meta: ObjectMeta = { bucket, key, sizeBytes, etag, lastModifiedMs, seq, versionId, system, user, checksums, layout: { extents: [] } };
  if (checksumType !== undefined) meta.checksumType = checksumType;
  const partsPlusOne = r.uint();
  if (partsPlusOne > 0) {
    const parts: PartInfo[] = [];
    for (let n = partsPlusOne - 1; n > 0; n--) {
      const partNumber = r.uint();
      const size = r.uint();
      const partEtag = r.str();
      const p: PartInfo = { partNumber, sizeBytes: size, etag: partEtag };
      if (r.u8() !== 0x80) {
        r.pos--;
        p.checksums = readChecksums(r);
      }
      parts.push(p);
    }
    meta.parts = parts;
  }
  if (version === 1) meta.layout = readLayout(r);
  else {
    const layoutBytes = r.u32();
    const layoutEnd = r.pos + layoutBytes;
    if (layoutEnd > end) throw new RangeError('meta codec: layout is truncated');
    if (layoutBytes < LAZY_LAYOUT_MIN_BYTES) {
      meta.layout = readLayout(r);
      if (r.pos !== layoutEnd) throw new RangeError('meta codec: layout length mismatch');
    } else {
      // Copied: lmdb-js may hand decode() a buffer it reuses.
      lazyLayout(meta, Buffer.from(buf.subarray(r.pos, layoutEnd)));
      r.pos = layoutEnd;
    }
  }
  const extra = r.str();
  if (extra !== '') Object.assign(meta, JSON.parse(extra) as object);
  if (r.pos !== end) throw new RangeError(`meta codec: ${end - r.pos} trailing bytes`);
  return meta;
}

/**
 * Makes meta.layout a property that decodes `bytes` on first read and then holds the result (an
 * ordinary data property from then on; spreading or assigning it behaves as usual).
 */
function lazyLayout(meta: ObjectMeta, bytes: Buffer): void {
  const settle = (layout: Layout): Layout => {
    Object.defineProperty(meta, 'layout', { value: layout, writable: true, enumerable: true, configurable: true });
    return layout;
  };
  Object.defineProperty(meta, 'layout', {
    get() {
      const r = new Reader(bytes, bytes.length);
      const layout = readLayout(r);
      if (r.pos !== bytes.length) throw new RangeError('meta codec: layout length mismatch');
      return settle(layout);
    },
    set(layout: Layout) {
      settle(layout);
    },
    enumerable: true,
    configurable: true,
  });
}

/** The sequence number of an encoded value, without decoding the rest (scrub counts record copies). */
export function peekObjectMetaSeq(bytes: Uint8Array): number | undefined {
  if (!isMetaCodecPayload(bytes)) return undefined;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new Reader(buf, Math.min(buf.length, 10));
  r.pos = 1;
  try {
    return r.uint();
  } catch {
    return undefined;
  }
}
