// Bodies of the metadata records and how each one changes the index. Both the live commit path and
// recovery/rebuild apply records through applyRecord(), so replay can't drift from what the engine does
// at runtime. Object commits are written in the binary meta codec (meta-codec.ts), whose bytes are also
// the index value; the other (rare) records are JSON. Readers accept JSON object commits too (older
// segments): a codec payload starts with its version byte, a JSON one with '{'.
import type { BucketMeta, Layout, ObjectMeta } from './api.js';
import type { IndexDb } from './index-db.js';
import { decodeObjectMeta, isMetaCodecPayload, encodeObjectMetaInto, peekObjectMetaSeq } from './meta-codec.js';
import { RECORD_ALIGN_BYTES, RECORD_HEADER_BYTES, RecordType, alignUp, encodeJsonRecord, parseJsonPayload, recordBytes, writeHeader } from './record.js';
import { xxh64 } from './hash.js';
import { type VersionTables, applyVersionDelete, applyVersionedCommit } from './versions.js';

export type LogBody =
  | { seq: number; meta: ObjectMeta; encoded?: Uint8Array } // ObjectCommit
  | { seq: number; bucket: string; key: string; versionId?: string } // ObjectDelete
  | { seq: number; bucketMeta: BucketMeta } // BucketCreate, BucketSettings
  | { seq: number; name: string } // BucketDelete
  | { seq: number; ns: string; id: string; value: unknown; layout?: Layout } // AuxPut
  | { seq: number; ns: string; id: string }; // AuxDelete

export interface ObjectCommitBody {
  seq: number;
  meta: ObjectMeta;
  /** meta in the codec, when the caller already has it (the live path): stored in the index as is. */
  encoded?: Uint8Array;
}
export interface ObjectDeleteBody {
  seq: number;
  bucket: string;
  key: string;
  /** Removes this version for good (versions.ts); absent: removes the current object (unversioned bucket). */
  versionId?: string;
}
export interface BucketBody {
  seq: number;
  bucketMeta: BucketMeta;
}
export interface BucketDeleteBody {
  seq: number;
  name: string;
}
export interface AuxPutBody {
  seq: number;
  ns: string;
  id: string;
  value: unknown;
  layout?: Layout;
}
export interface AuxDeleteBody {
  seq: number;
  ns: string;
  id: string;
}

/** Layout the record points at, if any (the shards recovery must find intact before accepting it). */
export function layoutOf(type: RecordType, body: LogBody): Layout | undefined {
  if (type === RecordType.ObjectCommit) return (body as ObjectCommitBody).meta.layout;
  if (type === RecordType.AuxPut) return (body as AuxPutBody).layout;
  return undefined;
}

/**
 * Moves a layout's shard bytes (headers included) between live and garbage in the per-segment counters.
 * Runs once per applied commit, so it walks the layout directly instead of building a per-segment map.
 */
function account(db: IndexDb, layout: Layout | undefined, kind: 'live' | 'dead'): void {
  if (!layout) return;
  const sign = kind === 'live' ? 1 : -1;
  for (const ext of layout.extents) {
    for (const b of ext.blocks) {
      const bytes = RECORD_HEADER_BYTES + b.shardBytes;
      for (const s of b.shards) if (s) db.addSegmentBytes(s.drive, s.segment, sign * bytes, kind === 'dead' ? bytes : 0);
    }
  }
}

const versionTables = new WeakMap<IndexDb, VersionTables>();

/** The index as versions.ts sees it (IndexDb's own methods plus the segment accounting). */
function tablesOf(db: IndexDb): VersionTables {
  let t = versionTables.get(db);
  if (!t) {
    t = {
      getObject: (b, k) => db.getObject(b, k),
      putObject: (m, e) => db.putObject(m, e),
      removeObject: (b, k) => db.removeObject(b, k),
      getVersion: (b, k, o) => db.getVersion(b, k, o),
      putVersion: (m, e) => db.putVersion(m, e),
      removeVersion: (b, k, o) => db.removeVersion(b, k, o),
      newestVersion: (b, k) => db.newestVersion(b, k),
      getNullOrder: (b, k) => db.getNullOrder(b, k),
      setNullOrder: (b, k, o) => db.setNullOrder(b, k, o),
      clearNullOrder: (b, k) => db.clearNullOrder(b, k),
      account: (layout, kind) => account(db, layout, kind),
    };
    versionTables.set(db, t);
  }
  return t;
}

/** True for records that touch the version tables: their window is applied in a synchronous transaction. */
export function isVersionedRecord(type: RecordType, body: LogBody): boolean {
  if (type === RecordType.ObjectCommit) return (body as ObjectCommitBody).meta.versionSeq !== undefined;
  if (type === RecordType.ObjectDelete) return (body as ObjectDeleteBody).versionId !== undefined;
  return false;
}

/**
 * Applies one record to the index. Must run inside db.txn(). Live/garbage counters are a hint for
 * compaction: layouts shared between an aux record (multipart part) and an object are counted twice.
 */
export function applyRecord(db: IndexDb, type: RecordType, body: LogBody): void {
  switch (type) {
    case RecordType.ObjectCommit: {
      const { meta, encoded } = body as ObjectCommitBody;
      if (meta.versionSeq !== undefined) {
        applyVersionedCommit(tablesOf(db), meta, encoded);
        return;
      }
      const old = db.getObject(meta.bucket, meta.key);
      if (old) account(db, old.layout, 'dead');
      db.putObject(meta, encoded);
      account(db, meta.layout, 'live');
      return;
    }
    case RecordType.ObjectDelete: {
      const { bucket, key, versionId } = body as ObjectDeleteBody;
      if (versionId !== undefined) {
        applyVersionDelete(tablesOf(db), bucket, key, versionId);
        return;
      }
      const old = db.getObject(bucket, key);
      if (old) {
        account(db, old.layout, 'dead');
        db.removeObject(bucket, key);
      }
      return;
    }
    case RecordType.BucketCreate:
    case RecordType.BucketSettings: {
      db.putBucket((body as BucketBody).bucketMeta);
      return;
    }
    case RecordType.BucketDelete:
      db.removeBucket((body as BucketDeleteBody).name);
      return;
    case RecordType.AuxPut: {
      const { ns, id, value, layout, seq } = body as AuxPutBody;
      const old = db.getAux(ns, id);
      if (old?.layout) account(db, old.layout, 'dead');
      db.putAux(ns, id, layout ? { value, layout, seq } : { value, seq });
      account(db, layout, 'live');
      return;
    }
    case RecordType.AuxDelete: {
      const { ns, id } = body as AuxDeleteBody;
      const old = db.getAux(ns, id);
      if (old) {
        if (old.layout) account(db, old.layout, 'dead');
        db.removeAux(ns, id);
      }
      return;
    }
    default:
      throw new Error(`applyRecord: record type ${type} is not a metadata record`);
  }
}

/**
 * The whole record (header, payload, padding) ready to append, built once. For an object commit the
 * returned body carries the encoded meta, so applying it stores those same bytes in the index.
 */
export function encodeLogRecord(type: RecordType, body: LogBody, seed: bigint, alloc: (bytes: number) => Buffer): { record: Buffer; body: LogBody } {
  if (type !== RecordType.ObjectCommit) return { record: encodeJsonRecord(type, body, seed, alloc), body };
  const { meta } = body as ObjectCommitBody;
  if (meta.seq !== body.seq) throw new Error(`object commit: body seq ${body.seq} differs from meta seq ${meta.seq}`);
  const { out, bytes } = encodeObjectMetaInto(meta, (n) => alloc(alignUp(n, RECORD_ALIGN_BYTES)), RECORD_HEADER_BYTES);
  const total = recordBytes(bytes);
  out.fill(0, RECORD_HEADER_BYTES + bytes, total);
  const encoded = out.subarray(RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + bytes);
  writeHeader(out, 0, type, bytes, xxh64(encoded), seed);
  return { record: out.subarray(0, total), body: { seq: body.seq, meta, encoded } };
}

/** Body of a metadata record read back from a segment (payload already verified by its hash). */
export function decodeLogBody(type: RecordType, payload: Uint8Array): LogBody {
  if (type === RecordType.ObjectCommit && isMetaCodecPayload(payload)) {
    const meta = decodeObjectMeta(payload);
    return { seq: meta.seq, meta };
  }
  return parseJsonPayload<LogBody>(payload);
}

/** Sequence number of an object commit or aux record without decoding it all (scrub's copy count). */
export function peekLogSeq(type: RecordType, payload: Uint8Array): number | undefined {
  if (type === RecordType.ObjectCommit && isMetaCodecPayload(payload)) return peekObjectMetaSeq(payload);
  // JSON bodies are built as { seq, … }: the sequence number leads.
  const head = Buffer.from(payload.buffer, payload.byteOffset, Math.min(32, payload.length)).toString('latin1');
  const m = /^\{"seq":(\d+)/.exec(head);
  return m ? Number(m[1]) : undefined;
}
