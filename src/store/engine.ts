// The engine: wires drives, segments, the worker pool, group commit and the index into the Engine
// contract of api.ts. Metadata mutations all follow one shape: decide (conditions, existence) against
// the index plus not-yet-applied commits, take the next sequence number, append the record, submit it
// to group commit, resolve once it is durable and applied.
import './threadpool.js';
import { promises as fsp } from 'node:fs';
import type {
  BucketMeta,
  ByteRange,
  CommitRequest,
  Engine,
  EngineConfig,
  EngineStats,
  Layout,
  ListOptions,
  ListVersionsOptions,
  ObjectLockPatch,
  ObjectMeta,
  ObjectWriter,
  ReadOptions,
  VersionEntry,
  VersioningMode,
  WriterOptions,
} from './api.js';
import { MAX_DRIVES, NULL_VERSION_ID, StoreError } from './api.js';
import { BlockPool } from './block-pool.js';
import { type DriveSet, openDrives } from './drives.js';
import { type CommitEntry, GroupCommit, type LogAppend } from './group-commit.js';
import { initXxhash } from './hash.js';
import { IndexDb } from './index-db.js';
import { type NodeLock, lockDirectories } from './node-lock.js';
import { type LogBody, applyRecord, encodeLogRecord, isVersionedRecord } from './log-records.js';
import { VERSION_ORDER_TOP, orderOfVersionId, versionIdOf, versionOrder } from './versions.js';
import { placeShards } from './placement.js';
import { readObjectStream } from './reader.js';
import { RecordType } from './record.js';
import { type RecoveryReport, recover } from './recovery.js';
import { RepairQueue } from './repair-queue.js';
import { slabAlloc } from './slab.js';
import { DriveSegments, type Segment, listSegments } from './segment.js';
import { Writer, type WriterContext } from './writer.js';
import { Batcher } from '../workers/batcher.js';
import { WorkerPool } from '../workers/pool.js';
import type { EncodeItem, EncodeResult, ReadItem, ReadResult } from '../workers/tasks.js';
import type { ScrubStats } from './durability.js';

/** Small blocks from many requests share one worker task up to these limits (see batcher.ts). */
export const WORKER_BATCH_MAX_ITEMS = 64;
/**
 * Commit windows up to this size apply their index writes synchronously, larger ones through lmdb-js's
 * write thread (IndexDb.txnAsync). Measured at 16 writers (windows ≤ 16): async alone was ~10 % slower
 * than synchronous (the write-thread hop adds ~1–2.5 ms to every PUT); at 256 writers async is +14–21 %.
 */
export const SYNC_INDEX_MAX_COMMITS = 32;
export const WORKER_BATCH_MAX_BYTES = 512 * 1024;
/** Buckets whose metadata is kept decoded in memory (the cache is dropped whole when full). */
export const BUCKET_CACHE_MAX_ENTRIES = 10_000;
/** Longest S3 object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

export interface OpenOptions {
  /** Discard the index and rebuild it from the segments. */
  rebuild?: boolean;
  /** Progress and recovery messages. */
  log?: (message: string) => void;
}

type Pending<T> = { value: T | null; seq: number };
/** A pending change of a key's current version; `waiters` (keyIdle) are woken when its commit settles. */
type PendingObject = Pending<ObjectMeta> & { waiters?: (() => void)[] };
/** Most entries one listVersions() call returns. */
export const LIST_VERSIONS_MAX_ENTRIES = 10_000;

/** What relocate() re-points: an object, a noncurrent version, or an aux record carrying a layout (multipart part). */
export type RelocateTarget =
  | { kind: 'object'; bucket: string; key: string }
  | { kind: 'version'; bucket: string; key: string; order: number }
  | { kind: 'aux'; ns: string; id: string };

export interface DurabilityHandle {
  scrubStats(): ScrubStats;
  close(): Promise<void>;
}

export interface EngineInternals {
  driveSet: DriveSet;
  db: IndexDb;
  /** By drive index; null = offline since open. Durability code may swap in a fresh one (replaced drive). */
  segments: (DriveSegments | null)[];
  seedHex: string;
}

export class StrataEngine implements Engine {
  readonly repairQueue = new RepairQueue();
  /** Held from open to close: no second process may use these drives (openEngine sets it). */
  nodeLock: NodeLock | undefined;
  private seq: number;
  private closed = false;
  private readonly pendingObjects = new Map<string, PendingObject>();
  private readonly bucketCache = new Map<string, BucketMeta>();
  private readonly pendingBuckets = new Map<string, Pending<BucketMeta>>();
  private readonly pendingBucketWrites = new Map<string, number>();
  /** Aux commits in flight per `${ns}\u0000${id}` (relocate() must see them). */
  private readonly pendingAux = new Map<string, number>();
  private readonly encodeBatcher: Batcher<EncodeItem, EncodeResult>;
  private readonly readBatcher: Batcher<ReadItem, ReadResult>;
  private readonly groupCommit: GroupCommit;
  private readonly seedHex: string;
  /** What every writer shares (one object, not one per PUT). */
  private readonly writerContext: WriterContext;

  constructor(
    readonly config: EngineConfig,
    private readonly driveSet: DriveSet,
    private readonly db: IndexDb,
    private readonly segments: (DriveSegments | null)[],
    private readonly pool: WorkerPool,
    private readonly blockPool: BlockPool,
    readonly recovery: RecoveryReport,
  ) {
    this.seq = recovery.lastSeq;
    this.seedHex = driveSet.nodeId;
    const limits = { maxItems: WORKER_BATCH_MAX_ITEMS, maxBytes: WORKER_BATCH_MAX_BYTES };
    this.encodeBatcher = new Batcher(limits, (items) => pool.encode(items));
    this.readBatcher = new Batcher(limits, (items) => pool.read(items));
    this.writerContext = {
      blockPool,
      encode: (item, bytes) => this.encodeBatcher.submit(item, bytes),
      drives: segments,
      k: config.erasure.k,
      m: config.erasure.m,
      seedHex: this.seedHex,
      onLayout: (layout, written) => this.layoutWrites.set(layout, written),
    };
    this.groupCommit = new GroupCommit(config.commitWindowMs, config.commitMaxBatch, {
      // A small window is applied synchronously: its few commits cost little main thread, and its
      // writers (a lightly loaded node, so latency-bound) skip the hop to lmdb-js's write thread. Large
      // windows queue their writes to that thread, which takes ~5 µs per commit off the main thread.
      txn: (fn, commits, needsSync) => (needsSync || commits <= SYNC_INDEX_MAX_COMMITS ? db.txn(fn) : db.txnAsync(fn)),
      checkpoint: (ends, lastSeq) => {
        for (const [seg, end] of ends) db.bumpSegment(seg.drive, seg.number, { appliedBytes: end });
        db.putMeta('lastSeq', lastSeq);
      },
    });
  }

  /** Worker tasks submitted and the items they carried (items/tasks = batching achieved). */
  workerCounters(): { tasks: number; items: number; submitMs: number; blockAllocations: number } {
    return { tasks: this.pool.tasks, items: this.pool.items, submitMs: this.pool.submitMs, blockAllocations: this.blockPool.allocations };
  }

  get nodeId(): string {
    return this.driveSet.nodeId;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('Unavailable', 'engine is closed');
  }

  /** Online drives with an open segment set. Not cached: drive health changes at runtime (#5). */
  private onlineDrives(): number[] {
    return this.driveSet.drives.filter((d) => d.online && this.segments[d.index]).map((d) => d.index);
  }

  // ---- log plumbing ----

  private appendRecord(rec: Buffer, drives: Iterable<number>): LogAppend[] {
    const appends: LogAppend[] = [];
    for (const d of drives) {
      const segs = this.segments[d];
      if (!segs) continue;
      const { segment, offset, written } = segs.append([rec], rec.length);
      appends.push({ segment, end: offset + rec.length, written });
    }
    if (appends.length === 0) throw new StoreError('Unavailable', 'no drive online to write a record');
    return appends;
  }

  /** Record drives for a layout: every drive holding one of its shards, and at least m+1 drives. */
  private recordDrives(layout: Layout | undefined): number[] {
    const online = this.onlineDrives();
    const set = new Set<number>();
    // Only online drives: a layout may still point at a drive that failed since (repair, copy, completion).
    if (layout) for (const e of layout.extents) for (const b of e.blocks) for (const s of b.shards) if (s && this.segments[s.drive] && this.driveSet.drives[s.drive]!.online) set.add(s.drive);
    const want = Math.min(online.length, this.config.erasure.m + 1);
    for (const d of online) {
      if (set.size >= want) break;
      set.add(d);
    }
    return [...set];
  }

  private dependsOn(layout: Layout | undefined): Set<Segment> {
    const out = new Set<Segment>();
    if (!layout) return out;
    for (const e of layout.extents)
      for (const b of e.blocks)
        for (const s of b.shards) {
          const seg = s ? this.segments[s.drive]?.segment(s.segment) : undefined;
          if (seg) out.add(seg);
        }
    return out;
  }

  /**
   * Shard writes still in flight per layout a writer produced: finish() hands the layout out once its
   * shards are queued, so the commit record joins them in the same writev; group commit awaits them
   * before the window's fsyncs. Weak: a layout never committed (bad digest, aborted request) just goes.
   */
  private readonly layoutWrites = new WeakMap<Layout, Promise<void>>();

  private commit(type: RecordType, body: LogBody, drives: Iterable<number>, layout: Layout | undefined, settle: (ok: boolean) => void): Promise<void> {
    let appends: LogAppend[];
    let applied: LogBody;
    try {
      const encoded = encodeLogRecord(type, body, this.driveSet.seed, slabAlloc);
      applied = encoded.body;
      appends = this.appendRecord(encoded.record, drives);
    } catch (err) {
      settle(false);
      return Promise.reject(err);
    }
    const dataWritten = layout ? this.layoutWrites.get(layout) : undefined;
    const isBucketRecord = type === RecordType.BucketCreate || type === RecordType.BucketDelete || type === RecordType.BucketSettings;
    const entry: CommitEntry = {
      seq: body.seq,
      appends,
      dependsOn: this.dependsOn(layout),
      ...(dataWritten ? { dataWritten } : {}),
      apply: () => applyRecord(this.db, type, applied),
      needsSyncIndex: isVersionedRecord(type, body),
      settle: isBucketRecord
        ? (ok) => {
            // After the index commit (settle runs then): a lookup while the write was queued may have
            // cached the bucket as it was before.
            this.bucketCache.clear();
            settle(ok);
          }
        : settle,
    };
    return this.groupCommit.submit(entry);
  }

  private nextSeq(): number {
    return ++this.seq;
  }

  // ---- buckets ----

  private bucketView(name: string): BucketMeta | undefined {
    const p = this.pendingBuckets.get(name);
    if (p) return p.value ?? undefined;
    return this.getBucket(name);
  }

  private setPendingBucket(name: string, value: BucketMeta | null, seq: number): (ok: boolean) => void {
    this.pendingBuckets.set(name, { value, seq });
    return () => {
      if (this.pendingBuckets.get(name)?.seq === seq) this.pendingBuckets.delete(name);
    };
  }

  async createBucket(name: string, owner: string, settings: Record<string, unknown> = {}): Promise<BucketMeta> {
    this.assertOpen();
    if (this.bucketView(name)) throw new StoreError('BucketExists', `bucket ${name} exists`);
    const seq = this.nextSeq();
    const bucketMeta: BucketMeta = { name, createdMs: Date.now(), owner, settings: { ...settings } };
    await this.commit(RecordType.BucketCreate, { seq, bucketMeta }, this.onlineDrives(), undefined, this.setPendingBucket(name, bucketMeta, seq));
    return bucketMeta;
  }

  async deleteBucket(name: string): Promise<void> {
    this.assertOpen();
    if (!this.bucketView(name)) throw new StoreError('NoSuchBucket', `bucket ${name} does not exist`);
    const hasObject =
      [...this.db.objects.getKeys({ start: [name, ''], limit: 1 })].some((k) => k[0] === name) ||
      [...this.db.versions.getKeys({ start: [name, '', 0], limit: 1 })].some((k) => k[0] === name);
    if (hasObject || (this.pendingBucketWrites.get(name) ?? 0) > 0) throw new StoreError('BucketNotEmpty', `bucket ${name} is not empty`);
    const seq = this.nextSeq();
    await this.commit(RecordType.BucketDelete, { seq, name }, this.onlineDrives(), undefined, this.setPendingBucket(name, null, seq));
  }

  /**
   * Applied bucket metadata, cached: every request checks its bucket, and a decode per request was a
   * visible share of a small GET. Cleared whenever a bucket record is applied (the only way buckets change).
   */
  getBucket(name: string): BucketMeta | undefined {
    const cached = this.bucketCache.get(name);
    if (cached) return cached;
    const b = this.db.buckets.get(name);
    if (b) {
      if (this.bucketCache.size >= BUCKET_CACHE_MAX_ENTRIES) this.bucketCache.clear();
      this.bucketCache.set(name, Object.freeze(b));
    }
    return b;
  }

  listBuckets(): BucketMeta[] {
    return [...this.db.buckets.getRange({})].map((e) => e.value);
  }

  async updateBucketSettings(name: string, patch: Record<string, unknown>): Promise<BucketMeta> {
    this.assertOpen();
    const cur = this.bucketView(name);
    if (!cur) throw new StoreError('NoSuchBucket', `bucket ${name} does not exist`);
    const settings: Record<string, unknown> = { ...cur.settings };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete settings[k];
      else settings[k] = v;
    }
    const seq = this.nextSeq();
    const bucketMeta: BucketMeta = { ...cur, settings };
    await this.commit(RecordType.BucketSettings, { seq, bucketMeta }, this.onlineDrives(), undefined, this.setPendingBucket(name, bucketMeta, seq));
    return bucketMeta;
  }

  // ---- objects ----

  createWriter(options: WriterOptions): ObjectWriter {
    this.assertOpen();
    const { k, m } = this.config.erasure;
    const placed = placeShards(options.placementKey, this.config.drives.length, k + m);
    const shardDrives: (number | null)[] = placed;
    let offline = 0;
    for (let i = 0; i < placed.length; i++) {
      const d = placed[i]!;
      if (!(this.driveSet.drives[d]!.online && this.segments[d])) {
        shardDrives[i] = null;
        offline++;
      }
    }
    if (offline > 0) {
      const online = this.onlineDrives().length;
      if (online < k + 1) throw new StoreError('Unavailable', `only ${online} drives healthy; writing needs all placed drives or at least k+1=${k + 1}`);
    }
    return new Writer(this.writerContext, options, shardDrives);
  }

  private objectView(bucket: string, key: string): ObjectMeta | undefined {
    const p = this.pendingObjects.get(`${bucket}\u0000${key}`);
    if (p) return p.value ?? undefined;
    return this.db.objects.get([bucket, key]);
  }

  private setPendingObject(bucket: string, key: string, value: ObjectMeta | null, seq: number): (ok: boolean) => void {
    const id = `${bucket}\u0000${key}`;
    // No promise per commit (this runs for every PUT): keyIdle() registers a waiter only when it needs one.
    const pending: PendingObject = { value, seq };
    this.pendingObjects.set(id, pending);
    this.pendingBucketWrites.set(bucket, (this.pendingBucketWrites.get(bucket) ?? 0) + 1);
    return () => {
      if (this.pendingObjects.get(id) === pending) this.pendingObjects.delete(id);
      if (pending.waiters) for (const wake of pending.waiters) wake();
      const n = (this.pendingBucketWrites.get(bucket) ?? 1) - 1;
      if (n <= 0) this.pendingBucketWrites.delete(bucket);
      else this.pendingBucketWrites.set(bucket, n);
    };
  }

  private validateLayout(req: CommitRequest): void {
    let total = 0;
    for (const e of req.layout.extents) {
      if (e.k < 1 || e.m < 0 || e.k + e.m > this.config.drives.length) throw new StoreError('InvalidArgument', `bad extent scheme ${e.k}+${e.m}`);
      let sum = 0;
      for (const b of e.blocks) {
        if (b.shards.length !== e.k + e.m || b.dataBytes <= 0 || b.dataBytes > b.shardBytes * e.k) throw new StoreError('InvalidArgument', 'malformed block in layout');
        sum += b.dataBytes;
      }
      if (sum !== e.sizeBytes) throw new StoreError('InvalidArgument', `extent says ${e.sizeBytes} bytes, blocks hold ${sum}`);
      total += sum;
    }
    if (total !== req.sizeBytes) throw new StoreError('InvalidArgument', `layout holds ${total} bytes, request says ${req.sizeBytes}`);
  }

  async commitObject(req: CommitRequest): Promise<ObjectMeta> {
    this.assertOpen();
    if (Buffer.byteLength(req.key, 'utf8') > MAX_KEY_BYTES || req.key.length === 0) throw new StoreError('InvalidArgument', 'key must be 1..1024 UTF-8 bytes');
    if (!this.bucketView(req.bucket)) throw new StoreError('NoSuchBucket', `bucket ${req.bucket} does not exist`);
    this.validateLayout(req);
    // Conditions are decided against every earlier commit (applied or still in its window): that is
    // commit order, because sequence numbers are handed out right here, synchronously.
    // Read the current version only when a condition needs it: an unconditional PUT skips an index read.
    if (req.condition) {
      const cur = this.objectView(req.bucket, req.key);
      if (req.condition.ifAbsent && cur) throw new StoreError('PreconditionFailed', `${req.bucket}/${req.key} exists`);
      if (req.condition.ifEtag !== undefined && (!cur || cur.etag !== req.condition.ifEtag)) {
        throw new StoreError('PreconditionFailed', `${req.bucket}/${req.key}: ETag does not match`);
      }
    }
    const seq = this.nextSeq();
    const meta: ObjectMeta = {
      bucket: req.bucket,
      key: req.key,
      sizeBytes: req.sizeBytes,
      etag: req.etag,
      lastModifiedMs: Date.now(),
      seq,
      versionId: req.versioning === 'Enabled' ? versionIdOf(seq) : NULL_VERSION_ID,
      system: req.system,
      user: req.user,
      checksums: req.checksums,
      layout: req.layout,
    };
    if (req.versioning !== undefined) meta.versionSeq = seq;
    if (req.retention) meta.retention = { ...req.retention };
    if (req.legalHold !== undefined) meta.legalHold = req.legalHold;
    if (req.acl !== undefined) meta.acl = req.acl;
    if (req.checksumType) meta.checksumType = req.checksumType;
    if (req.parts) meta.parts = req.parts;
    if (req.tags && Object.keys(req.tags).length > 0) meta.tags = req.tags;
    const settle = this.setPendingObject(req.bucket, req.key, meta, seq);
    await this.commit(RecordType.ObjectCommit, { seq, meta }, this.recordDrives(req.layout), req.layout, settle);
    return meta;
  }

  async updateObjectTags(bucket: string, key: string, tags: Record<string, string> | undefined, expectSeq?: number, versionId?: string): Promise<ObjectMeta> {
    this.assertOpen();
    if (!this.bucketView(bucket)) throw new StoreError('NoSuchBucket', `bucket ${bucket} does not exist`);
    if (versionId !== undefined) return this.updateVersionTags(bucket, key, versionId, tags, expectSeq);
    // Same shape as relocate(): the version is decided here, synchronously, in commit order.
    const cur = this.objectView(bucket, key);
    if (!cur) throw new StoreError('NoSuchKey', `${bucket}/${key} does not exist`);
    if (expectSeq !== undefined && cur.seq !== expectSeq) throw new StoreError('PreconditionFailed', `${bucket}/${key} changed`);
    const seq = this.nextSeq();
    const meta: ObjectMeta = { ...cur, seq };
    if (tags && Object.keys(tags).length > 0) meta.tags = { ...tags };
    else delete meta.tags;
    const settle = this.setPendingObject(bucket, key, meta, seq);
    await this.commit(RecordType.ObjectCommit, { seq, meta }, this.recordDrives(meta.layout), meta.layout, settle);
    return meta;
  }

  headObject(bucket: string, key: string): ObjectMeta | undefined {
    return this.db.objects.get([bucket, key]);
  }

  // ---- versions (versions.ts has the index side) ----

  headVersion(bucket: string, key: string, versionId?: string): ObjectMeta | undefined {
    if (versionId !== undefined) return this.findVersion(bucket, key, versionId);
    return this.db.objects.get([bucket, key]) ?? this.db.newestVersion(bucket, key);
  }

  /** A version as the index has it: the current object or an entry of the versions table. */
  private findVersion(bucket: string, key: string, versionId: string): ObjectMeta | undefined {
    const cur = this.db.objects.get([bucket, key]);
    if (cur?.versionId === versionId) return cur;
    const order = versionId === NULL_VERSION_ID ? this.db.getNullOrder(bucket, key) : orderOfVersionId(versionId);
    if (order === undefined) return undefined;
    const v = this.db.getVersion(bucket, key, order);
    return v?.versionId === versionId ? v : undefined;
  }

  /**
   * Waits until no commit of this key is pending. Operations on a given version decide against the index
   * alone: a pending overwrite may be moving the current version into the versions table right now.
   */
  private async keyIdle(bucket: string, key: string): Promise<void> {
    const id = `${bucket}\u0000${key}`;
    for (let p = this.pendingObjects.get(id); p; p = this.pendingObjects.get(id)) {
      const pending = p;
      await new Promise<void>((resolve) => (pending.waiters ??= []).push(resolve));
    }
  }

  async putDeleteMarker(bucket: string, key: string, mode: VersioningMode, expectSeq?: number): Promise<ObjectMeta> {
    this.assertOpen();
    if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES || key.length === 0) throw new StoreError('InvalidArgument', 'key must be 1..1024 UTF-8 bytes');
    if (!this.bucketView(bucket)) throw new StoreError('NoSuchBucket', `bucket ${bucket} does not exist`);
    if (expectSeq !== undefined && this.objectView(bucket, key)?.seq !== expectSeq) throw new StoreError('PreconditionFailed', `${bucket}/${key} changed`);
    const seq = this.nextSeq();
    const meta: ObjectMeta = {
      bucket,
      key,
      sizeBytes: 0,
      etag: '',
      lastModifiedMs: Date.now(),
      seq,
      versionId: mode === 'Enabled' ? versionIdOf(seq) : NULL_VERSION_ID,
      versionSeq: seq,
      deleteMarker: true,
      system: {},
      user: {},
      checksums: {},
      layout: { extents: [] },
    };
    const settle = this.setPendingObject(bucket, key, null, seq);
    await this.commit(RecordType.ObjectCommit, { seq, meta }, this.onlineDrives(), undefined, settle);
    return meta;
  }

  async deleteVersion(bucket: string, key: string, versionId: string, expectSeq?: number, guard?: (version: ObjectMeta) => void): Promise<ObjectMeta | undefined> {
    this.assertOpen();
    if (!this.bucketView(bucket)) throw new StoreError('NoSuchBucket', `bucket ${bucket} does not exist`);
    await this.keyIdle(bucket, key);
    this.assertOpen();
    const target = this.findVersion(bucket, key, versionId);
    if (!target) return undefined;
    if (expectSeq !== undefined && target.seq !== expectSeq) throw new StoreError('PreconditionFailed', `${bucket}/${key} version ${versionId} changed`);
    guard?.(target);
    // The current version once applied (what conditions and relocation see meanwhile): versions.ts
    // promotes the next newest version when the latest one goes.
    const cur = this.db.objects.get([bucket, key]);
    let after: ObjectMeta | null = cur ?? null;
    const newest = [...this.db.versions.getRange({ start: [bucket, key, 0], limit: 2 })].filter((e) => e.key[0] === bucket && e.key[1] === key).map((e) => e.value);
    if (cur?.versionId === versionId) after = newest[0] && !newest[0].deleteMarker ? newest[0] : null;
    else if (!cur && newest[0]?.versionId === versionId) after = newest[1] && !newest[1].deleteMarker ? newest[1] : null;
    const seq = this.nextSeq();
    const settle = this.setPendingObject(bucket, key, after, seq);
    await this.commit(RecordType.ObjectDelete, { seq, bucket, key, versionId }, this.onlineDrives(), undefined, settle);
    return target;
  }

  private updateVersionTags(bucket: string, key: string, versionId: string, tags: Record<string, string> | undefined, expectSeq?: number): Promise<ObjectMeta> {
    return this.rewriteVersion(bucket, key, versionId, (target) => {
      if (expectSeq !== undefined && target.seq !== expectSeq) throw new StoreError('PreconditionFailed', `${bucket}/${key} version ${versionId} changed`);
    }, (meta) => {
      if (tags && Object.keys(tags).length > 0) meta.tags = { ...tags };
      else delete meta.tags;
    });
  }

  /** The version a per-version update names: `versionId`, or without one the current version (none under a marker). */
  private async versionToUpdate(bucket: string, key: string, versionId: string | undefined): Promise<string> {
    this.assertOpen();
    if (!this.bucketView(bucket)) throw new StoreError('NoSuchBucket', `bucket ${bucket} does not exist`);
    if (versionId !== undefined) return versionId;
    await this.keyIdle(bucket, key);
    this.assertOpen();
    const id = this.db.objects.get([bucket, key])?.versionId;
    if (id === undefined) throw new StoreError('NoSuchKey', `${bucket}/${key} does not exist`);
    return id;
  }

  async updateObjectAcl(bucket: string, key: string, versionId: string | undefined, acl: unknown): Promise<ObjectMeta> {
    const id = await this.versionToUpdate(bucket, key, versionId);
    return this.rewriteVersion(bucket, key, id, undefined, (meta) => {
      if (acl === undefined) delete meta.acl;
      else meta.acl = acl;
    });
  }

  async updateObjectLock(bucket: string, key: string, versionId: string | undefined, patch: ObjectLockPatch, guard?: (version: ObjectMeta) => void): Promise<ObjectMeta> {
    const id = await this.versionToUpdate(bucket, key, versionId);
    return this.rewriteVersion(bucket, key, id, guard, (meta) => {
      if (patch.retention === null) delete meta.retention;
      else if (patch.retention !== undefined) meta.retention = { ...patch.retention };
      // OFF is kept as false: a hold set OFF answers OFF, one never set is "no configuration".
      if (patch.legalHold !== undefined) meta.legalHold = patch.legalHold;
    });
  }

  /**
   * A new commit of an existing version over the same layout, decided against the index once the key
   * has no pending commit. The rewritten meta carries the version's order, so the record applies to that
   * version wherever it is by then (versions.ts) — and a replay can place it even without older records.
   */
  private async rewriteVersion(bucket: string, key: string, versionId: string, check: ((version: ObjectMeta) => void) | undefined, change: (meta: ObjectMeta) => void): Promise<ObjectMeta> {
    await this.keyIdle(bucket, key);
    this.assertOpen();
    const target = this.findVersion(bucket, key, versionId);
    if (!target || target.deleteMarker) throw new StoreError('NoSuchKey', `${bucket}/${key} has no version ${versionId}`);
    check?.(target);
    const cur = this.db.objects.get([bucket, key]);
    const seq = this.nextSeq();
    const meta: ObjectMeta = { ...target, seq, versionSeq: versionOrder(target) };
    change(meta);
    const settle = this.setPendingObject(bucket, key, cur?.versionId === target.versionId ? meta : (cur ?? null), seq);
    await this.commit(RecordType.ObjectCommit, { seq, meta }, this.recordDrives(meta.layout), meta.layout, settle);
    return meta;
  }

  listVersions(bucket: string, options: ListVersionsOptions): VersionEntry[] {
    const prefix = options.prefix ?? '';
    const limit = Math.min(LIST_VERSIONS_MAX_ENTRIES, Math.max(0, Math.floor(options.limit)));
    const out: VersionEntry[] = [];
    if (limit === 0) return out;
    let startKey = prefix;
    /** Versions of this key sort before where the scan starts: only its current object needs skipping. */
    let resumedKey: string | undefined;
    let versionsStart: [string, string, number] = [bucket, prefix, 0];
    const marker = options.keyMarker;
    if (marker !== undefined && marker !== '' && Buffer.compare(Buffer.from(marker, 'utf8'), Buffer.from(prefix, 'utf8')) >= 0) {
      startKey = marker;
      resumedKey = marker;
      const vm = options.versionIdMarker;
      const cur = this.db.objects.get([bucket, marker]);
      let order: number | undefined;
      if (vm !== undefined && vm !== '' && cur?.versionId !== vm) order = vm === NULL_VERSION_ID ? this.db.getNullOrder(bucket, marker) : orderOfVersionId(vm);
      if (vm !== undefined && vm !== '' && cur?.versionId === vm) versionsStart = [bucket, marker, 0]; // after the current: all noncurrent ones
      else if (order !== undefined) versionsStart = [bucket, marker, VERSION_ORDER_TOP - order + 1];
      else versionsStart = [bucket, marker, VERSION_ORDER_TOP]; // past every version of the marker key
    }
    const inScope = (k: readonly unknown[]): boolean => k[0] === bucket && (k[1] as string).startsWith(prefix);
    const objects = this.db.objects.getRange({ start: [bucket, startKey] })[Symbol.iterator]();
    const versions = this.db.versions.getRange({ start: versionsStart })[Symbol.iterator]();
    let o = objects.next();
    let v = versions.next();
    let lastKey: string | undefined;
    while (out.length < limit) {
      const oKey = !o.done && inScope(o.value.key) ? o.value.key[1] : undefined;
      const vKey = !v.done && inScope(v.value.key) ? v.value.key[1] : undefined;
      if (oKey === undefined && vKey === undefined) break;
      if (oKey !== undefined && oKey === resumedKey) {
        o = objects.next(); // listed on an earlier page
        continue;
      }
      const takeObject = oKey !== undefined && (vKey === undefined || Buffer.compare(Buffer.from(oKey, 'utf8'), Buffer.from(vKey, 'utf8')) <= 0);
      if (takeObject) {
        out.push({ meta: o.value!.value, isLatest: true });
        lastKey = oKey;
        o = objects.next();
      } else {
        // The newest entry of a key is the latest version unless a current object came first (it sorts
        // before its key's noncurrent versions) or an earlier page listed the key's start.
        out.push({ meta: v.value!.value, isLatest: vKey !== lastKey && vKey !== resumedKey });
        lastKey = vKey;
        v = versions.next();
      }
    }
    return out;
  }

  readObject(meta: ObjectMeta, range?: ByteRange, options?: ReadOptions): AsyncIterable<Uint8Array> {
    this.assertOpen();
    return readObjectStream(
      {
        read: (item, bytes) => this.readBatcher.submit(item, bytes),
        fd: (drive, segment) => {
          const segs = this.segments[drive];
          return segs && this.driveSet.drives[drive]!.online ? segs.fd(segment) : -1;
        },
        seedHex: this.seedHex,
        reportBad: (loc, reason, m) => this.repairQueue.report({ ...loc, bucket: m.bucket, key: m.key, versionId: m.versionId, reason }),
        acquire: (bytes) => this.blockPool.acquireForRead(bytes),
        release: (block) => this.blockPool.release(block),
      },
      meta,
      range,
      options?.borrowChunks === true,
    );
  }

  async deleteObject(bucket: string, key: string, expectSeq?: number): Promise<boolean> {
    this.assertOpen();
    if (!this.bucketView(bucket)) throw new StoreError('NoSuchBucket', `bucket ${bucket} does not exist`);
    // Decided here, synchronously, against every earlier commit (as updateObjectTags): with expectSeq
    // a version committed after the caller looked (an overwrite still in its window too) is never deleted.
    const cur = this.objectView(bucket, key);
    if (!cur) return false;
    if (expectSeq !== undefined && cur.seq !== expectSeq) throw new StoreError('PreconditionFailed', `${bucket}/${key} changed`);
    // Dropping the current version of a versioned key without a marker would lose it silently and
    // leave the next newest hidden: that is putDeleteMarker's or deleteVersion's job.
    if (cur.versionSeq !== undefined || this.db.newestVersion(bucket, key) !== undefined) {
      throw new StoreError('InvalidArgument', `${bucket}/${key} has versions: delete with a marker or by version id`);
    }
    const seq = this.nextSeq();
    const settle = this.setPendingObject(bucket, key, null, seq);
    await this.commit(RecordType.ObjectDelete, { seq, bucket, key }, this.onlineDrives(), undefined, settle);
    return true;
  }

  listObjects(bucket: string, options: ListOptions): ObjectMeta[] {
    const prefix = options.prefix ?? '';
    const limit = Math.max(0, Math.floor(options.limit));
    if (limit === 0) return [];
    let start = prefix;
    let skip: string | undefined;
    if (options.after !== undefined && Buffer.compare(Buffer.from(options.after, 'utf8'), Buffer.from(prefix, 'utf8')) >= 0) {
      start = options.after;
      skip = options.after;
    }
    const out: ObjectMeta[] = [];
    for (const { key, value } of this.db.objects.getRange({ start: [bucket, start] })) {
      if (key[0] !== bucket || !key[1].startsWith(prefix)) break;
      if (key[1] === skip) continue;
      out.push(value);
      if (out.length >= limit) break;
    }
    return out;
  }

  // ---- aux records ----

  async putAux(namespace: string, id: string, value: unknown, layout?: Layout): Promise<void> {
    this.assertOpen();
    const seq = this.nextSeq();
    const body = layout ? { seq, ns: namespace, id, value, layout } : { seq, ns: namespace, id, value };
    await this.commit(RecordType.AuxPut, body, this.recordDrives(layout), layout, this.trackAux(`${namespace}\u0000${id}`));
  }

  getAux<T>(namespace: string, id: string): T | undefined {
    return this.db.aux.get([namespace, id])?.value as T | undefined;
  }

  /** The layout stored with an aux record, if any (multipart parts). */
  getAuxLayout(namespace: string, id: string): Layout | undefined {
    return this.db.aux.get([namespace, id])?.layout;
  }

  async deleteAux(namespace: string, id: string): Promise<void> {
    this.assertOpen();
    if (this.db.aux.get([namespace, id]) === undefined) return;
    const seq = this.nextSeq();
    await this.commit(RecordType.AuxDelete, { seq, ns: namespace, id }, this.onlineDrives(), undefined, this.trackAux(`${namespace}\u0000${id}`));
  }

  listAux<T>(namespace: string, options: ListOptions): { id: string; value: T }[] {
    const prefix = options.prefix ?? '';
    const out: { id: string; value: T }[] = [];
    if (options.limit <= 0) return out;
    let start = prefix;
    let skip: string | undefined;
    if (options.after !== undefined && Buffer.compare(Buffer.from(options.after, 'utf8'), Buffer.from(prefix, 'utf8')) >= 0) {
      start = options.after;
      skip = options.after;
    }
    for (const { key, value } of this.db.aux.getRange({ start: [namespace, start] })) {
      if (key[0] !== namespace || !key[1].startsWith(prefix)) break;
      if (key[1] === skip) continue;
      out.push({ id: key[1], value: value.value as T });
      if (out.length >= options.limit) break;
    }
    return out;
  }

  // ---- durability operations (scrub, repair, compaction, fsck, drive health: src/store/*.ts of issue #5) ----

  /** Background durability operations attached by startDurability(); close() stops them first. */
  durability: DurabilityHandle | undefined;

  /** Scrub, heal, drive and compaction counters for metrics and /health/ready; undefined until startDurability(). */
  scrubStats(): ScrubStats | undefined {
    return this.durability?.scrubStats();
  }

  /** The parts the durability operations work on. Not part of the Engine contract: the S3 layer must not use it. */
  get internals(): EngineInternals {
    return { driveSet: this.driveSet, db: this.db, segments: this.segments, seedHex: this.seedHex };
  }

  /**
   * Points a live object or aux record at a layout whose shards moved (repair, compaction) with a new
   * commit record. Decided synchronously against every earlier commit, applied or still in its window
   * (like conditions): if the entry is no longer the version `expectSeq`, nothing is written and it
   * returns false — a concurrent overwrite or delete always wins. The record is a plain commit, so a
   * rebuild needs no older record to apply it (compaction may drop those).
   */
  async relocate(target: RelocateTarget, expectSeq: number, layout: Layout): Promise<boolean> {
    this.assertOpen();
    if (target.kind === 'object') {
      const cur = this.objectView(target.bucket, target.key);
      if (!cur || cur.seq !== expectSeq) return false;
      const seq = this.nextSeq();
      const meta: ObjectMeta = { ...cur, seq, layout };
      const settle = this.setPendingObject(target.bucket, target.key, meta, seq);
      await this.commit(RecordType.ObjectCommit, { seq, meta }, this.recordDrives(layout), layout, settle);
      return true;
    }
    if (target.kind === 'version') {
      // Busy keys are skipped (the caller retries later): a pending overwrite may be demoting the current
      // version into this very slot.
      if (this.pendingObjects.has(`${target.bucket}\u0000${target.key}`)) return false;
      const cur = this.db.getVersion(target.bucket, target.key, target.order);
      if (!cur || cur.seq !== expectSeq || cur.deleteMarker) return false;
      const seq = this.nextSeq();
      const meta: ObjectMeta = { ...cur, seq, versionSeq: target.order, layout };
      const settle = this.setPendingObject(target.bucket, target.key, this.db.objects.get([target.bucket, target.key]) ?? null, seq);
      await this.commit(RecordType.ObjectCommit, { seq, meta }, this.recordDrives(layout), layout, settle);
      return true;
    }
    const auxKey = `${target.ns}\u0000${target.id}`;
    const cur = this.db.aux.get([target.ns, target.id]);
    if (!cur || cur.seq !== expectSeq || !cur.layout || this.pendingAux.has(auxKey)) return false;
    const seq = this.nextSeq();
    const body = { seq, ns: target.ns, id: target.id, value: cur.value, layout };
    await this.commit(RecordType.AuxPut, body, this.recordDrives(layout), layout, this.trackAux(auxKey));
    return true;
  }

  /** Counts an aux commit in flight until it settles (relocate() must not race it). */
  private trackAux(auxKey: string): (ok: boolean) => void {
    this.pendingAux.set(auxKey, (this.pendingAux.get(auxKey) ?? 0) + 1);
    return () => {
      const n = (this.pendingAux.get(auxKey) ?? 1) - 1;
      if (n <= 0) this.pendingAux.delete(auxKey);
      else this.pendingAux.set(auxKey, n);
    };
  }

  // ---- lifecycle ----

  stats(): EngineStats {
    return {
      inFlightBytes: this.blockPool.inUseBytes,
      workerQueueDepth: this.pool.queueDepth,
      pendingCommits: this.groupCommit.pendingCount,
      readsWaiting: this.blockPool.waitingReads,
      drives: this.driveSet.drives.map((d) => ({ index: d.index, path: d.path, online: d.online })),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Background durability work re-points entries through this engine: it stops first.
    await this.durability?.close();
    this.closed = true;
    await this.groupCommit.drain();
    await this.pool.destroy();
    await Promise.all(this.segments.map((s) => s?.close()));
    this.db.markClean(this.config.indexDir);
    await this.db.close();
    await this.nodeLock?.release();
  }
}

function validateConfig(config: EngineConfig): void {
  const positive: (keyof EngineConfig)[] = ['blockSizeBytes', 'segmentSizeBytes', 'commitMaxBatch', 'inFlightBudgetBytes', 'workerThreads', 'workerMaxQueue'];
  for (const k of positive) {
    const v = config[k] as number;
    if (!Number.isSafeInteger(v) || v <= 0) throw new StoreError('InvalidArgument', `config.${k} must be a positive integer, got ${v}`);
  }
  if (!(config.commitWindowMs >= 0)) throw new StoreError('InvalidArgument', 'config.commitWindowMs must be >= 0');
  if (config.blockSizeBytes % 8 !== 0) throw new StoreError('InvalidArgument', 'config.blockSizeBytes must be a multiple of 8');
  if (new Set(config.drives).size !== config.drives.length) throw new StoreError('InvalidArgument', 'config.drives has duplicates');
  if (config.drives.length > MAX_DRIVES) throw new StoreError('InvalidArgument', `at most ${MAX_DRIVES} drives per node, got ${config.drives.length}`);
}

async function openIndex(config: EngineConfig, driveSet: DriveSet, forceRebuild: boolean, log: (m: string) => void): Promise<{ db: IndexDb; mode: 'replay' | 'rebuild' }> {
  await fsp.mkdir(config.indexDir, { recursive: true });
  if (forceRebuild) {
    await IndexDb.destroy(config.indexDir);
    return { db: IndexDb.open(config.indexDir), mode: 'rebuild' };
  }
  let db: IndexDb;
  try {
    db = IndexDb.open(config.indexDir);
  } catch (err) {
    log(`index unreadable (${(err as Error).message}): rebuilding from segments`);
    await IndexDb.destroy(config.indexDir);
    return { db: IndexDb.open(config.indexDir), mode: 'rebuild' };
  }
  const state = db.usable(driveSet.nodeId);
  if (state === 'foreign') {
    await db.close();
    throw new StoreError('Internal', `index at ${config.indexDir} belongs to another node than drives (${driveSet.nodeId}): foreign drive set`);
  }
  if (state === 'missing' || state === 'unclean-reboot') {
    log(state === 'missing' ? 'index missing or incomplete: rebuilding from segments' : 'index was open when the machine went down (noSync): rebuilding from segments');
    await db.close();
    await IndexDb.destroy(config.indexDir);
    return { db: IndexDb.open(config.indexDir), mode: 'rebuild' };
  }
  return { db, mode: 'replay' };
}

export async function openEngine(config: EngineConfig, options: OpenOptions = {}): Promise<StrataEngine> {
  const log = options.log ?? (() => undefined);
  validateConfig(config);
  await initXxhash();
  const lock = await lockDirectories([...config.drives, config.indexDir]);
  let driveSet: DriveSet;
  let opened: { db: IndexDb; mode: 'replay' | 'rebuild' };
  try {
    driveSet = await openDrives(config);
    opened = await openIndex(config, driveSet, options.rebuild === true, log);
  } catch (err) {
    await lock.release();
    throw err;
  }
  const { db, mode } = opened;
  let pool: WorkerPool | undefined;
  const segments: (DriveSegments | null)[] = [];
  try {
    // Durably "open" before recovery's own transactions: see IndexDb.markOpen.
    db.markOpen(config.indexDir);
    const report = await recover(db, driveSet, mode);
    if (report.truncated.length > 0) log(`recovery cut ${report.truncated.length} torn segment tail(s)`);
    const maxKnown = db.maxSegmentPerDrive(config.drives.length);
    for (const d of driveSet.drives) {
      if (!d.online) {
        segments.push(null);
        continue;
      }
      const onDisk = await listSegments(d.path);
      // Never reuse a segment number: old layouts may still point at a lost file of that number.
      const next = Math.max(maxKnown[d.index] ?? 0, onDisk[onDisk.length - 1] ?? 0) + 1;
      const segs = new DriveSegments(d.index, d.path, next, config.segmentSizeBytes);
      await segs.start();
      segments.push(segs);
    }
    pool = new WorkerPool(config.workerThreads, config.workerMaxQueue);
    const blockPool = new BlockPool(config.erasure.k, config.erasure.m, config.blockSizeBytes, config.inFlightBudgetBytes);
    const engine = new StrataEngine(config, driveSet, db, segments, pool, blockPool, report);
    engine.nodeLock = lock;
    return engine;
  } catch (err) {
    await Promise.all(segments.map((s) => s?.close()));
    await pool?.destroy();
    await db.close();
    await lock.release();
    throw err;
  }
}

/** `strata admin rebuild-index`: discards the index and rebuilds it from the segments. The node must be stopped. */
export async function rebuildIndex(config: EngineConfig): Promise<RecoveryReport> {
  validateConfig(config);
  await initXxhash();
  const lock = await lockDirectories([...config.drives, config.indexDir]);
  try {
    const driveSet = await openDrives(config, { create: false });
    await IndexDb.destroy(config.indexDir);
    await fsp.mkdir(config.indexDir, { recursive: true });
    const db = IndexDb.open(config.indexDir);
    try {
      const report = await recover(db, driveSet, 'rebuild');
      db.markClean(config.indexDir);
      return report;
    } finally {
      await db.close();
    }
  } finally {
    await lock.release();
  }
}
