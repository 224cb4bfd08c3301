// The LMDB index: objects, buckets, aux records and per-segment bookkeeping. It is only an index:
// segments are the source of truth, so the environment is opened with noSync — every update it would
// lose in a crash is re-applied from the segments by recovery (replay from the per-segment checkpoint,
// which is written in the same transaction as the updates it covers).
//
// Keys are lmdb-js ordered-binary arrays: [bucket, key] sorts by bucket then by the UTF-8 bytes of the
// key, which is S3's listing order, so prefix/start-after listing is one range scan.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { BucketMeta, Layout, ObjectMeta } from './api.js';
import { decodeObjectMeta, encodeObjectMeta } from './meta-codec.js';

/** 2: object values in the binary meta codec (1 was msgpack); an older index is rebuilt from the segments. */
export const INDEX_FORMAT_VERSION = 2;

/**
 * lmdb-js encoder for the objects table. decode() gets the value's length as a number from cursors and
 * an options object from get(); it copies everything it keeps, so lmdb-js may hand it a reused buffer.
 */
const objectMetaEncoder = {
  encode: encodeObjectMeta,
  decode: (bytes: Uint8Array, endOrOptions?: unknown): ObjectMeta => decodeObjectMeta(bytes, typeof endOrOptions === 'number' ? endOrOptions : bytes.length),
};

function currentBootId(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** fsync of the LMDB data file (the env runs with noSync). */
function syncDataFile(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'data.mdb'), 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export interface SegmentStats {
  /** Records before this offset have been applied to the index (recovery replays from here). */
  appliedBytes: number;
  liveBytes: number;
  garbageBytes: number;
}

export interface AuxEntry {
  value: unknown;
  layout?: Layout;
  seq: number;
}

export class IndexDb {
  private constructor(
    readonly env: RootDatabase,
    readonly objects: Database<ObjectMeta, [string, string]>,
    readonly buckets: Database<BucketMeta, string>,
    readonly aux: Database<AuxEntry, [string, string]>,
    readonly segments: Database<SegmentStats, [number, number]>,
    readonly meta: Database<unknown, string>,
  ) {}

  static open(dir: string): IndexDb {
    const env = open({ path: dir, noSync: true, maxDbs: 8, mapSize: 64 * 1024 * 1024 * 1024 });
    return new IndexDb(
      env,
      // `encoder` is a documented lmdb-js option its typings lack.
      env.openDB({ name: 'objects', encoder: objectMetaEncoder } as { name: string }),
      env.openDB({ name: 'buckets', encoding: 'msgpack' }),
      env.openDB({ name: 'aux', encoding: 'msgpack' }),
      env.openDB({ name: 'segments', encoding: 'msgpack' }),
      env.openDB({ name: 'meta', encoding: 'msgpack' }),
    );
  }

  static async destroy(dir: string): Promise<void> {
    await fsp.rm(dir, { recursive: true, force: true });
  }

  /**
   * An index is usable when a complete build or a clean history of commits produced it. noSync makes
   * LMDB safe against a process crash (the page cache survives) but not against an OS crash, which can
   * leave a torn B-tree: an index that was open (not cleanly closed) when the machine rebooted is
   * treated as missing and rebuilt from the segments.
   */
  usable(nodeId: string): 'ok' | 'missing' | 'foreign' | 'unclean-reboot' {
    const id = this.meta.get('nodeId');
    if (id === undefined || this.meta.get('formatVersion') !== INDEX_FORMAT_VERSION || this.meta.get('complete') !== true) return 'missing';
    if (id !== nodeId) return 'foreign';
    const boot = currentBootId();
    if (this.meta.get('clean') === false && boot !== undefined && this.meta.get('bootId') !== boot) return 'unclean-reboot';
    return 'ok';
  }

  /**
   * Records that the index is in use by this boot (see usable()). With `dir`, the mark is made durable
   * before returning — which it must be before any other write of this session: under noSync a later
   * transaction may reuse pages of the last synced snapshot (the clean one written by markClean), so after
   * an OS crash the file can hold `clean=true` on a torn tree unless `clean=false` reached the disk first.
   */
  markOpen(dir?: string): void {
    this.txn(() => {
      this.meta.putSync('clean', false);
      this.meta.putSync('bootId', currentBootId() ?? 'unknown');
    });
    if (dir !== undefined) syncDataFile(dir);
  }

  /** Marks a clean shutdown and makes the whole index durable (the env runs with noSync). */
  markClean(dir: string): void {
    this.txn(() => this.meta.putSync('clean', true));
    syncDataFile(dir);
  }

  /** Segment counter changes made inside the current transaction, written once per segment at its end. */
  private readonly segmentDeltas = new Map<string, { drive: number; segment: number; live: number; garbage: number; appliedBytes: number }>();

  txn<T>(fn: () => T): T {
    return this.env.transactionSync(() => {
      this.segmentDeltas.clear();
      const out = fn();
      this.flushSegmentDeltas();
      return out;
    });
  }

  get lastSeq(): number {
    return (this.meta.get('lastSeq') as number | undefined) ?? 0;
  }

  segmentStats(drive: number, segment: number): SegmentStats | undefined {
    return this.segments.get([drive, segment]);
  }

  /**
   * Adds byte deltas and advances the checkpoint of a segment. Call inside txn(): deltas are summed in
   * memory and written once per segment when the transaction's callback returns (a window of 256 small
   * commits would otherwise do ~3000 LMDB reads and writes for counters alone).
   */
  bumpSegment(drive: number, segment: number, delta: { live?: number; garbage?: number; appliedBytes?: number }): void {
    const id = `${drive}:${segment}`;
    let d = this.segmentDeltas.get(id);
    if (!d) {
      d = { drive, segment, live: 0, garbage: 0, appliedBytes: 0 };
      this.segmentDeltas.set(id, d);
    }
    d.live += delta.live ?? 0;
    d.garbage += delta.garbage ?? 0;
    d.appliedBytes = Math.max(d.appliedBytes, delta.appliedBytes ?? 0);
  }

  private flushSegmentDeltas(): void {
    for (const d of this.segmentDeltas.values()) {
      const cur = this.segments.get([d.drive, d.segment]) ?? { appliedBytes: 0, liveBytes: 0, garbageBytes: 0 };
      this.segments.putSync([d.drive, d.segment], {
        appliedBytes: Math.max(cur.appliedBytes, d.appliedBytes),
        liveBytes: cur.liveBytes + d.live,
        garbageBytes: cur.garbageBytes + d.garbage,
      });
    }
    this.segmentDeltas.clear();
  }

  maxSegmentPerDrive(driveCount: number): number[] {
    const out = new Array<number>(driveCount).fill(0);
    for (const { key } of this.segments.getRange({})) {
      const [d, s] = key;
      if (d < driveCount && s > out[d]!) out[d] = s;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}
