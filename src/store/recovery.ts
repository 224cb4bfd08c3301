// Recovery and rebuild. Runs at open, before anything is served, so it reads synchronously.
//
// For every segment of every online drive, scan records from the segment's checkpoint (0 when
// rebuilding) to the end of the file, verifying each header and payload hash. A bad record is skipped
// by re-synchronising on the next 8-aligned offset that holds a valid header: concurrent positional
// writes mean a crash can leave a hole *before* a record whose commit was acknowledged, so cutting at
// the first bad byte could lose acknowledged data. Bytes after the last valid record are a torn tail
// and are cut (truncate). Metadata records newer than the index's last applied sequence number are then
// applied in sequence order (last commit wins), each only if every block of its layout still has ≥ k
// shards that verify — a crash between appends and fsync can leave a commit record whose shards never
// reached the disk, and such an object must not appear.
import fs from 'node:fs';
import path from 'node:path';
import type { Layout } from './api.js';
import type { DriveSet } from './drives.js';
import type { IndexDb } from './index-db.js';
import { INDEX_FORMAT_VERSION } from './index-db.js';
import { xxh64 } from './hash.js';
import { type LogBody, applyRecord, decodeLogBody, layoutOf } from './log-records.js';
import { RECORD_ALIGN_BYTES, RECORD_HEADER_BYTES, RecordType, decodeRecord, readHeader, recordBytes } from './record.js';
import { listSegments, segmentFileName } from './segment.js';

/** Bytes read per scan step (a record larger than this grows the buffer for that record only). */
const SCAN_CHUNK_BYTES = 8 * 1024 * 1024;
/** Records applied per LMDB transaction during recovery, to bound transaction size. */
const APPLY_BATCH_RECORDS = 10_000;

export interface RecoveryReport {
  mode: 'replay' | 'rebuild';
  segmentsScanned: number;
  bytesScanned: number;
  recordsApplied: number;
  /** Commit records rejected because a block had fewer than k intact shards (never acknowledged). */
  recordsRejected: number;
  truncated: { drive: number; segment: number; fromBytes: number; toBytes: number }[];
  holes: { drive: number; segment: number; offset: number; bytes: number }[];
  lastSeq: number;
}

interface FoundRecord {
  type: RecordType;
  body: LogBody;
  seq: number;
}

interface ScanResult {
  validEnd: number;
  fileBytes: number;
}

function readAt(fd: number, buf: Buffer, len: number, pos: number): number {
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** Scans one segment file from `from`; reports valid shard records and metadata records. */
function scanSegment(
  fd: number,
  from: number,
  seed: bigint,
  onShard: (offset: number, xxh64hex: string) => void,
  onRecord: (offset: number, type: RecordType, payload: Uint8Array) => void,
  onHole: (offset: number, bytes: number) => void,
): ScanResult {
  const fileBytes = fs.fstatSync(fd).size;
  let buf = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
  let bufStart = from;
  let bufLen = 0;
  const view = (pos: number, len: number): Buffer | undefined => {
    if (pos + len > fileBytes) return undefined;
    if (pos >= bufStart && pos + len <= bufStart + bufLen) return buf.subarray(pos - bufStart, pos - bufStart + len);
    if (len > buf.length) buf = Buffer.allocUnsafe(len);
    bufStart = pos;
    bufLen = readAt(fd, buf, Math.min(buf.length, fileBytes - pos), pos);
    return pos + len <= bufStart + bufLen ? buf.subarray(0, len) : undefined;
  };
  let pos = from;
  let validEnd = from;
  let holeStart = -1;
  while (pos + RECORD_HEADER_BYTES <= fileBytes) {
    const hb = view(pos, RECORD_HEADER_BYTES);
    const h = hb ? readHeader(hb, 0, seed) : undefined;
    const total = h ? recordBytes(h.payloadBytes) : 0;
    const rb = h && pos + RECORD_HEADER_BYTES + h.payloadBytes <= fileBytes ? view(pos, RECORD_HEADER_BYTES + h.payloadBytes) : undefined;
    const dec = rb ? decodeRecord(rb, 0, seed) : undefined;
    if (!h || !dec || !dec.ok) {
      if (holeStart < 0) holeStart = pos;
      pos += RECORD_ALIGN_BYTES;
      continue;
    }
    if (holeStart >= 0) {
      onHole(holeStart, pos - holeStart);
      holeStart = -1;
    }
    if (h.type === RecordType.Shard) onShard(pos, h.payloadXxh64.toString(16).padStart(16, '0'));
    else onRecord(pos, h.type, dec.payload);
    pos += total;
    validEnd = Math.min(pos, fileBytes);
  }
  return { validEnd, fileBytes };
}

class ShardVerifier {
  private readonly fds = new Map<string, number>();
  private readonly header = Buffer.alloc(RECORD_HEADER_BYTES);

  constructor(
    private readonly driveSet: DriveSet,
    /** Shards seen valid during the scan: `${drive}:${segment}:${offset}` → xxh64 hex. */
    readonly known: Map<string, string>,
  ) {}

  private fd(drive: number, segment: number): number {
    const id = `${drive}:${segment}`;
    let fd = this.fds.get(id);
    if (fd === undefined) {
      const d = this.driveSet.drives[drive];
      try {
        fd = d && d.online ? fs.openSync(path.join(d.path, segmentFileName(segment)), 'r') : -1;
      } catch {
        fd = -1;
      }
      this.fds.set(id, fd);
    }
    return fd;
  }

  shardOk(drive: number, segment: number, offset: number, shardBytes: number, expect: string): boolean {
    const seen = this.known.get(`${drive}:${segment}:${offset}`);
    if (seen !== undefined) return seen === expect;
    const fd = this.fd(drive, segment);
    if (fd < 0) return false;
    const payload = Buffer.allocUnsafe(shardBytes);
    try {
      if (fs.readvSync(fd, [this.header, payload], offset) !== RECORD_HEADER_BYTES + shardBytes) return false;
    } catch {
      return false;
    }
    const h = readHeader(this.header, 0, this.driveSet.seed);
    if (!h || h.type !== RecordType.Shard || h.payloadBytes !== shardBytes) return false;
    const actual = xxh64(payload);
    return actual === h.payloadXxh64 && actual.toString(16).padStart(16, '0') === expect;
  }

  layoutOk(layout: Layout): boolean {
    for (const ext of layout.extents) {
      for (const b of ext.blocks) {
        let good = 0;
        for (const s of b.shards) {
          if (s && this.shardOk(s.drive, s.segment, s.offset, b.shardBytes, s.xxh64)) good++;
          if (good >= ext.k) break;
        }
        if (good < ext.k) return false;
      }
    }
    return true;
  }

  close(): void {
    for (const fd of this.fds.values()) if (fd >= 0) fs.closeSync(fd);
  }
}

export async function recover(db: IndexDb, driveSet: DriveSet, mode: 'replay' | 'rebuild'): Promise<RecoveryReport> {
  const report: RecoveryReport = { mode, segmentsScanned: 0, bytesScanned: 0, recordsApplied: 0, recordsRejected: 0, truncated: [], holes: [], lastSeq: 0 };
  const known = new Map<string, string>();
  const found = new Map<number, FoundRecord>();
  const ends: { drive: number; segment: number; end: number }[] = [];
  let maxSeq = mode === 'rebuild' ? 0 : db.lastSeq;
  const appliedSeq = maxSeq;

  for (const drive of driveSet.drives) {
    if (!drive.online) continue;
    for (const segment of await listSegments(drive.path)) {
      const from = mode === 'rebuild' ? 0 : (db.segmentStats(drive.index, segment)?.appliedBytes ?? 0);
      const file = path.join(drive.path, segmentFileName(segment));
      const fd = fs.openSync(file, 'r+');
      try {
        if (fs.fstatSync(fd).size < from) continue; // lost bytes past a checkpoint: reads will reconstruct
        const res = scanSegment(
          fd,
          from,
          driveSet.seed,
          (offset, h) => known.set(`${drive.index}:${segment}:${offset}`, h),
          (_offset, type, payload) => {
            const body = decodeLogBody(type, payload);
            if (!Number.isSafeInteger(body.seq) || body.seq <= 0) return;
            if (body.seq > maxSeq) maxSeq = body.seq;
            // The same record lives on several drives: one copy is enough.
            if (body.seq > appliedSeq && !found.has(body.seq)) found.set(body.seq, { type, body, seq: body.seq });
          },
          (offset, bytes) => report.holes.push({ drive: drive.index, segment, offset, bytes }),
        );
        report.segmentsScanned++;
        report.bytesScanned += res.fileBytes - from;
        if (res.validEnd < res.fileBytes) {
          // Torn tail: whatever follows the last valid record was never acknowledged.
          report.truncated.push({ drive: drive.index, segment, fromBytes: res.fileBytes, toBytes: res.validEnd });
          fs.ftruncateSync(fd, res.validEnd);
          fs.fdatasyncSync(fd);
        }
        ends.push({ drive: drive.index, segment, end: res.validEnd });
      } finally {
        fs.closeSync(fd);
      }
    }
  }

  const verifier = new ShardVerifier(driveSet, known);
  try {
    const ordered = [...found.values()].sort((a, b) => a.seq - b.seq);
    for (let i = 0; i < ordered.length; i += APPLY_BATCH_RECORDS) {
      const slice = ordered.slice(i, i + APPLY_BATCH_RECORDS);
      const accepted = slice.filter((r) => {
        const layout = layoutOf(r.type, r.body);
        const ok = layout === undefined || verifier.layoutOk(layout);
        if (!ok) report.recordsRejected++;
        return ok;
      });
      db.txn(() => {
        for (const r of accepted) applyRecord(db, r.type, r.body);
      });
      report.recordsApplied += accepted.length;
    }
  } finally {
    verifier.close();
  }
  db.txn(() => {
    for (const e of ends) db.bumpSegment(e.drive, e.segment, { appliedBytes: e.end });
    db.meta.putSync('lastSeq', maxSeq);
    db.meta.putSync('nodeId', driveSet.nodeId);
    db.meta.putSync('formatVersion', INDEX_FORMAT_VERSION);
    db.meta.putSync('complete', true);
  });
  report.lastSeq = maxSeq;
  return report;
}
