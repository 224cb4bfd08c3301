// Segment record codec. Every record is self-describing so segments alone can rebuild the index and a
// torn or corrupt tail is detected rather than served.
//
// Header, 32 bytes, little-endian:
//   0  u32  magic 0x41525453 ("STRA")
//   4  u8   version (1)
//   5  u8   type (RecordType)
//   6  u16  flags (0; reserved)
//   8  u32  payloadBytes (unpadded)
//  12  u32  reserved (0)
//  16  u64  xxHash64(payload, seed 0)
//  24  u64  xxHash64(header bytes 0..23, seed = node seed)
// then the payload, then zero padding to a multiple of 8 bytes (not hashed).
//
// The header hash is seeded with the node's secret seed (from the format marker) so that user data that
// happens to (or is crafted to) look like a record inside a shard payload can never pass as a record when
// recovery re-synchronises after a hole.
import { xxh64 } from './hash.js';

export const RECORD_MAGIC = 0x41525453;
export const RECORD_VERSION = 1;
export const RECORD_HEADER_BYTES = 32;
export const RECORD_ALIGN_BYTES = 8;
/** Largest payload a record may declare; anything larger is corruption (a shard is at most a few MiB). */
export const RECORD_MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

export enum RecordType {
  Shard = 1,
  ObjectCommit = 2,
  ObjectDelete = 3,
  BucketCreate = 4,
  BucketDelete = 5,
  BucketSettings = 6,
  AuxPut = 7,
  AuxDelete = 8,
}
const MAX_RECORD_TYPE = RecordType.AuxDelete;

export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/** Bytes a record occupies in a segment, header and padding included. */
export function recordBytes(payloadBytes: number): number {
  return RECORD_HEADER_BYTES + alignUp(payloadBytes, RECORD_ALIGN_BYTES);
}

/** Writes a header into `out` at `at` for a payload whose xxHash64 is already known. */
export function writeHeader(
  out: Uint8Array,
  at: number,
  type: RecordType,
  payloadBytes: number,
  payloadXxh64: bigint,
  seed: bigint,
): void {
  if (payloadBytes < 0 || payloadBytes > RECORD_MAX_PAYLOAD_BYTES) throw new Error(`bad payload length ${payloadBytes}`);
  const v = new DataView(out.buffer, out.byteOffset + at, RECORD_HEADER_BYTES);
  v.setUint32(0, RECORD_MAGIC, true);
  v.setUint8(4, RECORD_VERSION);
  v.setUint8(5, type);
  v.setUint16(6, 0, true);
  v.setUint32(8, payloadBytes, true);
  v.setUint32(12, 0, true);
  v.setBigUint64(16, payloadXxh64, true);
  v.setBigUint64(24, xxh64(out.subarray(at, at + 24), seed), true);
}

export interface RecordHeader {
  type: RecordType;
  payloadBytes: number;
  payloadXxh64: bigint;
}

/** Parses and checks a header; undefined when it is not a valid header (torn, corrupt, zeros, foreign). */
export function readHeader(buf: Uint8Array, at: number, seed: bigint): RecordHeader | undefined {
  if (at + RECORD_HEADER_BYTES > buf.length) return undefined;
  const v = new DataView(buf.buffer, buf.byteOffset + at, RECORD_HEADER_BYTES);
  if (v.getUint32(0, true) !== RECORD_MAGIC) return undefined;
  if (v.getBigUint64(24, true) !== xxh64(buf.subarray(at, at + 24), seed)) return undefined;
  const version = v.getUint8(4);
  const type = v.getUint8(5);
  const payloadBytes = v.getUint32(8, true);
  if (version !== RECORD_VERSION || type < 1 || type > MAX_RECORD_TYPE) return undefined;
  if (v.getUint16(6, true) !== 0 || v.getUint32(12, true) !== 0) return undefined;
  if (payloadBytes > RECORD_MAX_PAYLOAD_BYTES) return undefined;
  return { type, payloadBytes, payloadXxh64: v.getBigUint64(16, true) };
}

/**
 * Encodes a whole metadata record (header + JSON payload + padding) into one buffer ready to append.
 * `alloc` may return uninitialised memory: every byte of the record is written here.
 */
export function encodeJsonRecord(type: RecordType, body: unknown, seed: bigint, alloc: (bytes: number) => Buffer = Buffer.allocUnsafe): Buffer {
  if (type === RecordType.Shard) throw new Error('shard records are built by the workers');
  const json = JSON.stringify(body);
  const maxBytes = recordBytes(Buffer.byteLength(json, 'utf8'));
  const out = alloc(maxBytes);
  const payloadBytes = out.write(json, RECORD_HEADER_BYTES, 'utf8');
  const total = recordBytes(payloadBytes);
  if (total !== maxBytes) throw new Error('record length changed while encoding');
  out.fill(0, RECORD_HEADER_BYTES + payloadBytes, total);
  writeHeader(out, 0, type, payloadBytes, xxh64(out.subarray(RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + payloadBytes)), seed);
  return out;
}

export type DecodeResult =
  | { ok: true; type: RecordType; payload: Uint8Array; totalBytes: number }
  | { ok: false; reason: 'short' | 'header' | 'payload' };

/** Decodes the record at `at`, verifying header and payload hashes. Never throws on bad bytes. */
export function decodeRecord(buf: Uint8Array, at: number, seed: bigint): DecodeResult {
  if (at + RECORD_HEADER_BYTES > buf.length) return { ok: false, reason: 'short' };
  const h = readHeader(buf, at, seed);
  if (h === undefined) return { ok: false, reason: 'header' };
  const start = at + RECORD_HEADER_BYTES;
  if (start + h.payloadBytes > buf.length) return { ok: false, reason: 'short' };
  const payload = buf.subarray(start, start + h.payloadBytes);
  if (xxh64(payload) !== h.payloadXxh64) return { ok: false, reason: 'payload' };
  return { ok: true, type: h.type, payload, totalBytes: recordBytes(h.payloadBytes) };
}

export function parseJsonPayload<T>(payload: Uint8Array): T {
  return JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8')) as T;
}
