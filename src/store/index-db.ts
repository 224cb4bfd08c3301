// The LMDB index: objects, buckets, aux records and per-segment bookkeeping. It is only an index:
// segments are the source of truth, so the environment is opened with noSync — every update it would
// lose in a crash is re-applied from the segments by recovery (replay from the per-segment checkpoint,
// which is written in the same transaction as the updates it covers).
//
// Keys are lmdb-js ordered-binary arrays: [bucket, key] sorts by bucket then by the UTF-8 bytes of the
// key, which is S3's listing order, so prefix/start-after listing is one range scan.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { asBinary, open, type Database, type RootDatabase } from 'lmdb';
import { type BucketMeta, type Layout, MAX_DRIVES, type ObjectMeta } from './api.js';
import { decodeObjectMeta, encodeObjectMeta } from './meta-codec.js';
import { VERSION_ORDER_TOP, versionOrder } from './versions.js';

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
    /** Noncurrent versions and delete markers: [bucket, key, VERSION_ORDER_TOP - order] (versions.ts). */
    readonly versions: Database<ObjectMeta, [string, string, number]>,
    /** [bucket, key] → order of the key's noncurrent "null" version. */
    readonly nullVersions: Database<number, [string, string]>,
  ) {}

  static open(dir: string): IndexDb {
    const env = open({ path: dir, noSync: true, maxDbs: 10, mapSize: 64 * 1024 * 1024 * 1024 });
    return new IndexDb(
      env,
      // `encoder` is a documented lmdb-js option its typings lack.
      env.openDB({ name: 'objects', encoder: objectMetaEncoder } as { name: string }),
      env.openDB({ name: 'buckets', encoding: 'msgpack' }),
      env.openDB({ name: 'aux', encoding: 'msgpack' }),
      env.openDB({ name: 'segments', encoding: 'msgpack' }),
      env.openDB({ name: 'meta', encoding: 'msgpack' }),
      // Added after format 2 shipped: an older index simply has none (no bucket was versioned then).
      env.openDB({ name: 'versions', encoder: objectMetaEncoder } as { name: string }),
      env.openDB({ name: 'nullVersions', encoding: 'msgpack' }),
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

  /**
   * Segment counter changes made inside the current transaction, written once per segment at its end.
   * Keyed by segment * MAX_DRIVES + drive (exact for any realistic segment number).
   */
  private readonly segmentDeltas = new Map<number, { drive: number; segment: number; live: number; garbage: number; appliedBytes: number }>();

  txn<T>(fn: () => T): T {
    if (this.batch) throw new Error('index: txn() inside txnAsync()');
    return this.env.transactionSync(() => {
      this.segmentDeltas.clear();
      const out = fn();
      this.flushSegmentDeltas();
      return out;
    });
  }

  /**
   * Writes queued by txnAsync()'s callback, and what they set: reads of the callback must see the
   * callback's own earlier writes (two commits of one key in one window), which lmdb-js only shows once
   * committed.
   */
  private batch: { objects: Map<string, ObjectMeta | null>; aux: Map<string, AuxEntry | null>; last: Promise<unknown> | undefined } | undefined;

  /**
   * Runs fn with every write it makes queued to lmdb-js's write thread (async put/remove, applied in call
   * order and committed together), and resolves once they are committed. The main thread only encodes
   * the writes: a synchronous transaction cost ~5 µs per small commit here for the B-tree work and the
   * commit, which now happen on the other core.
   *
   * Reads made by fn see the committed index plus fn's own writes, so the caller must not start another
   * txnAsync (or txn) whose reads depend on this one before the returned promise settles — group commit
   * runs its windows one after another. If fn throws, writes it already queued still commit: the records
   * they come from are durable, so this is the state a crash at that point would leave, and replay
   * re-applies the rest.
   */
  txnAsync(fn: () => void): Promise<void> {
    if (this.batch) throw new Error('index: nested txnAsync()');
    const batch: NonNullable<IndexDb['batch']> = { objects: new Map(), aux: new Map(), last: undefined };
    this.batch = batch;
    this.segmentDeltas.clear();
    try {
      fn();
      this.flushSegmentDeltas();
    } finally {
      this.batch = undefined;
      this.segmentDeltas.clear();
    }
    return batch.last === undefined ? Promise.resolve() : batch.last.then(() => undefined);
  }

  private put<K extends string | number | (string | number)[], V>(table: Database<V, K>, key: K, value: V): void {
    if (this.batch) this.batch.last = table.put(key, value);
    else table.putSync(key, value);
  }

  private remove<K extends string | number | (string | number)[], V>(table: Database<V, K>, key: K): void {
    if (this.batch) this.batch.last = table.remove(key);
    else table.removeSync(key);
  }

  // ---- writes of applyRecord (log-records.ts): synchronous inside txn(), queued inside txnAsync() ----

  getObject(bucket: string, key: string): ObjectMeta | undefined {
    const b = this.batch?.objects.get(`${bucket}\u0000${key}`);
    if (b !== undefined) return b ?? undefined;
    return this.objects.get([bucket, key]);
  }

  /** `encoded`: meta in the codec, stored as is (the live path has it from the commit record). */
  putObject(meta: ObjectMeta, encoded?: Uint8Array): void {
    this.put(this.objects, [meta.bucket, meta.key], encoded ? (asBinary(encoded as Buffer) as unknown as ObjectMeta) : meta);
    this.batch?.objects.set(`${meta.bucket}\u0000${meta.key}`, meta);
  }

  removeObject(bucket: string, key: string): void {
    this.remove(this.objects, [bucket, key]);
    this.batch?.objects.set(`${bucket}\u0000${key}`, null);
  }

  // ---- versions (versions.ts): only in synchronous transactions — group commit applies any window
  // holding a versioned record with txn(), so the async batch overlay never needs range reads ----

  private assertSyncVersions(): void {
    if (this.batch) throw new Error('index: version tables are not available inside txnAsync()');
  }

  getVersion(bucket: string, key: string, order: number): ObjectMeta | undefined {
    this.assertSyncVersions();
    return this.versions.get([bucket, key, VERSION_ORDER_TOP - order]);
  }

  putVersion(meta: ObjectMeta, encoded?: Uint8Array): void {
    this.assertSyncVersions();
    const order = versionOrder(meta);
    this.versions.putSync([meta.bucket, meta.key, VERSION_ORDER_TOP - order], encoded ? (asBinary(encoded as Buffer) as unknown as ObjectMeta) : meta);
  }

  removeVersion(bucket: string, key: string, order: number): void {
    this.assertSyncVersions();
    this.versions.removeSync([bucket, key, VERSION_ORDER_TOP - order]);
  }

  newestVersion(bucket: string, key: string): ObjectMeta | undefined {
    this.assertSyncVersions();
    for (const { key: k, value } of this.versions.getRange({ start: [bucket, key, 0], limit: 1 })) {
      return k[0] === bucket && k[1] === key ? value : undefined;
    }
    return undefined;
  }

  getNullOrder(bucket: string, key: string): number | undefined {
    this.assertSyncVersions();
    return this.nullVersions.get([bucket, key]);
  }

  setNullOrder(bucket: string, key: string, order: number): void {
    this.assertSyncVersions();
    this.nullVersions.putSync([bucket, key], order);
  }

  clearNullOrder(bucket: string, key: string): void {
    this.assertSyncVersions();
    this.nullVersions.removeSync([bucket, key]);
  }

  getAux(ns: string, id: string): AuxEntry | undefined {
    const b = this.batch?.aux.get(`${ns}\u0000${id}`);
    if (b !== undefined) return b ?? undefined;
    return this.aux.get([ns, id]);
  }

  putAux(ns: string, id: string, entry: AuxEntry): void {
    this.put(this.aux, [ns, id], entry);
    this.batch?.aux.set(`${ns}\u0000${id}`, entry);
  }

  removeAux(ns: string, id: string): void {
    this.remove(this.aux, [ns, id]);
    this.batch?.aux.set(`${ns}\u0000${id}`, null);
  }

  putBucket(b: BucketMeta): void {
    this.put(this.buckets, b.name, b);
  }

  removeBucket(name: string): void {
    this.remove(this.buckets, name);
  }

  putMeta(key: string, value: unknown): void {
    this.put(this.meta, key, value);
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
    const d = this.segmentDelta(drive, segment);
    d.live += delta.live ?? 0;
    d.garbage += delta.garbage ?? 0;
    d.appliedBytes = Math.max(d.appliedBytes, delta.appliedBytes ?? 0);
  }

  /** bumpSegment for the per-commit live/garbage accounting, without a delta object per shard. */
  addSegmentBytes(drive: number, segment: number, live: number, garbage: number): void {
    const d = this.segmentDelta(drive, segment);
    d.live += live;
    d.garbage += garbage;
  }

  private segmentDelta(drive: number, segment: number): { drive: number; segment: number; live: number; garbage: number; appliedBytes: number } {
    if (drive >= MAX_DRIVES) throw new Error(`drive index ${drive} out of range`);
    const id = segment * MAX_DRIVES + drive;
    let d = this.segmentDeltas.get(id);
    if (!d) {
      d = { drive, segment, live: 0, garbage: 0, appliedBytes: 0 };
      this.segmentDeltas.set(id, d);
    }
    return d;
  }

  private flushSegmentDeltas(): void {
    for (const d of this.segmentDeltas.values()) {
      const cur = this.segments.get([d.drive, d.segment]) ?? { appliedBytes: 0, liveBytes: 0, garbageBytes: 0 };
      this.put(this.segments, [d.drive, d.segment], {
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
