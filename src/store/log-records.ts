// Bodies of the metadata records (JSON payloads) and how each one changes the index. Both the live
// commit path and recovery/rebuild apply records through applyRecord(), so replay can't drift from
// what the engine does at runtime.
import type { BucketMeta, Layout, ObjectMeta } from './api.js';
import type { IndexDb } from './index-db.js';
import { RECORD_HEADER_BYTES, RecordType } from './record.js';

export type LogBody =
  | { seq: number; meta: ObjectMeta } // ObjectCommit
  | { seq: number; bucket: string; key: string } // ObjectDelete
  | { seq: number; bucketMeta: BucketMeta } // BucketCreate, BucketSettings
  | { seq: number; name: string } // BucketDelete
  | { seq: number; ns: string; id: string; value: unknown; layout?: Layout } // AuxPut
  | { seq: number; ns: string; id: string }; // AuxDelete

export interface ObjectCommitBody {
  seq: number;
  meta: ObjectMeta;
}
export interface ObjectDeleteBody {
  seq: number;
  bucket: string;
  key: string;
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

/** Per-segment byte totals of a layout's shard records (header included). */
export function layoutBytesBySegment(layout: Layout | undefined): Map<number, { drive: number; segment: number; bytes: number }> {
  const out = new Map<number, { drive: number; segment: number; bytes: number }>();
  if (!layout) return out;
  for (const ext of layout.extents) {
    for (const b of ext.blocks) {
      for (const s of b.shards) {
        if (!s) continue;
        const id = s.segment * 1024 + s.drive; // drives < 1024; exact for any realistic segment number
        const cur = out.get(id);
        if (cur) cur.bytes += RECORD_HEADER_BYTES + b.shardBytes;
        else out.set(id, { drive: s.drive, segment: s.segment, bytes: RECORD_HEADER_BYTES + b.shardBytes });
      }
    }
  }
  return out;
}

function account(db: IndexDb, layout: Layout | undefined, kind: 'live' | 'dead'): void {
  for (const { drive, segment, bytes } of layoutBytesBySegment(layout).values()) {
    if (kind === 'live') db.bumpSegment(drive, segment, { live: bytes });
    else db.bumpSegment(drive, segment, { live: -bytes, garbage: bytes });
  }
}

/**
 * Applies one record to the index. Must run inside db.txn(). Live/garbage counters are a hint for
 * compaction: layouts shared between an aux record (multipart part) and an object are counted twice.
 */
export function applyRecord(db: IndexDb, type: RecordType, body: LogBody): void {
  switch (type) {
    case RecordType.ObjectCommit: {
      const { meta } = body as ObjectCommitBody;
      const old = db.objects.get([meta.bucket, meta.key]);
      if (old) account(db, old.layout, 'dead');
      db.objects.putSync([meta.bucket, meta.key], meta);
      account(db, meta.layout, 'live');
      return;
    }
    case RecordType.ObjectDelete: {
      const { bucket, key } = body as ObjectDeleteBody;
      const old = db.objects.get([bucket, key]);
      if (old) {
        account(db, old.layout, 'dead');
        db.objects.removeSync([bucket, key]);
      }
      return;
    }
    case RecordType.BucketCreate:
    case RecordType.BucketSettings: {
      const { bucketMeta } = body as BucketBody;
      db.buckets.putSync(bucketMeta.name, bucketMeta);
      return;
    }
    case RecordType.BucketDelete:
      db.buckets.removeSync((body as BucketDeleteBody).name);
      return;
    case RecordType.AuxPut: {
      const { ns, id, value, layout, seq } = body as AuxPutBody;
      const old = db.aux.get([ns, id]);
      if (old?.layout) account(db, old.layout, 'dead');
      db.aux.putSync([ns, id], layout ? { value, layout, seq } : { value, seq });
      account(db, layout, 'live');
      return;
    }
    case RecordType.AuxDelete: {
      const { ns, id } = body as AuxDeleteBody;
      const old = db.aux.get([ns, id]);
      if (old) {
        if (old.layout) account(db, old.layout, 'dead');
        db.aux.removeSync([ns, id]);
      }
      return;
    }
    default:
      throw new Error(`applyRecord: record type ${type} is not a metadata record`);
  }
}
