// The storage engine's public contract. The S3 layer (src/s3, src/http) talks to the engine
// only through these types; everything else under src/store is private to the engine.
//
// Shape of a PUT, as the HTTP layer sees it:
//   const w = engine.createWriter({ checksums: ['CRC32'], expectedSizeBytes })
//   w.write(chunk)  // synchronous copy into a pooled shared block; false => pause the client until w.onDrain
//   const data = await w.finish()   // blocks encoded, shards queued for writing (NOT yet written or durable)
//   ... S3 layer checks data.md5 / data.checksums / data.sha256 against what the client claimed ...
//   const meta = await engine.commitObject({ bucket, key, data, ... })  // durable (group commit) + indexed
// A writer that is aborted, or whose data is never committed, leaves only garbage in segments.

import type { ScrubStats } from './durability.js';

export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256' | 'CRC64NVME';
/** Drives one node can have (segment counters key on segment * MAX_DRIVES + drive). */
export const MAX_DRIVES = 1024;

/**
 * Order is on disk: the meta codec stores a checksum set as a bit mask over these indexes. Append only,
 * never reorder (CRC64NVME came last, so records written before it decode unchanged).
 */
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'];

/** Erasure scheme: k data shards + m parity shards per block. */
export interface ErasureScheme {
  k: number;
  m: number;
}

export interface EngineConfig {
  /** Drive directories, in order. Their order is part of the on-disk format (checked at open). */
  drives: string[];
  /** Where the LMDB index lives (rebuildable from the segments). */
  indexDir: string;
  erasure: ErasureScheme;
  /** Largest block a stream is cut into before erasure coding. Default 1 MiB. */
  blockSizeBytes: number;
  /** A segment file is closed and a new one started past this size. Default 1 GiB. */
  segmentSizeBytes: number;
  /** Group commit: how long the first commit may wait for company when no flush is running. Default 0 (end of the event-loop turn). */
  commitWindowMs: number;
  /** Group commit: a window is flushed early once it holds this many commits. Default 256. */
  commitMaxBatch: number;
  /** Budget of bytes held in shared blocks across all in-flight writes and reads. Default 256 MiB. */
  inFlightBudgetBytes: number;
  /** Piscina worker threads. Default: number of cores. */
  workerThreads: number;
  /** Piscina maxQueue: tasks waiting for a worker before submit fails with StoreError('Busy'). */
  workerMaxQueue: number;
}

/** One error type for the storage layer; the S3 layer maps `code` to an S3 error in one place. */
export type StoreErrorCode =
  | 'NoSuchBucket'
  | 'BucketExists'
  | 'BucketNotEmpty'
  | 'NoSuchKey'
  | 'PreconditionFailed' // conditional commit lost (If-None-Match: * / If-Match)
  | 'Busy' // in-flight budget or worker queue exhausted for too long → 503 SlowDown
  | 'Unavailable' // too few healthy drives to write or to reconstruct → 503
  | 'DataLoss' // more than m shards of a block are missing/corrupt: refuse, never return wrong bytes
  | 'Aborted' // the writer was aborted
  | 'InvalidArgument' // caller broke the contract (range out of bounds etc.)
  | 'Internal';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

export interface WriterOptions {
  /** Checksums the S3 layer needs computed over the whole stream (besides MD5, always computed). */
  checksums?: readonly ChecksumAlgorithm[];
  /** Also compute SHA-256 of the payload as hex (for a signed x-amz-content-sha256). */
  sha256Hex?: boolean;
  /** Declared length when known (Content-Length / x-amz-decoded-content-length); lets the pool size blocks. */
  expectedSizeBytes?: number;
  /** Placement seed, normally `${bucket}/${key}`: shard positions rotate by its hash. */
  placementKey: string;
}

export interface ObjectWriter {
  /** Copies `chunk` synchronously (the caller's buffer may die on return). false => stop feeding until onDrain. */
  write(chunk: Uint8Array): boolean;
  onDrain(callback: () => void): void;
  /** All bytes written: waits for encoding and appends. Rejects with StoreError. */
  finish(): Promise<WrittenData>;
  /** Releases blocks; pending finish() rejects with StoreError('Aborted'). Idempotent. */
  abort(reason?: string): void;
  readonly bytesWritten: number;
}

/** Opaque to the S3 layer except the digests; `layout` is the engine's own description of where the bytes are. */
export interface WrittenData {
  sizeBytes: number;
  md5Hex: string;
  /** base64 of the big-endian digest, the S3 wire form, for each requested algorithm. */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  sha256Hex?: string;
  layout: Layout;
}

/** A layout is a list of extents; an object made by multipart completion or copy concatenates existing ones. */
export interface Layout {
  extents: Extent[];
}
export interface Extent {
  sizeBytes: number;
  blockSizeBytes: number;
  k: number;
  m: number;
  /** One entry per block, in order. */
  blocks: BlockLocation[];
}
export interface BlockLocation {
  /** Bytes of object data in this block (the last one is usually short). */
  dataBytes: number;
  shardBytes: number;
  /** k+m entries, data shards first. null = shard not written (drive offline at write time). */
  shards: (ShardLocation | null)[];
}
export interface ShardLocation {
  drive: number;
  segment: number;
  /** Offset of the shard record (header included) in the segment file. */
  offset: number;
  /** xxHash64 of the shard payload, as 16 hex digits. */
  xxh64: string;
}

export interface SystemMeta {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
}

export interface PartInfo {
  partNumber: number;
  sizeBytes: number;
  etag: string;
  checksums?: Partial<Record<ChecksumAlgorithm, string>>;
}

export interface ObjectMeta {
  bucket: string;
  key: string;
  sizeBytes: number;
  /** Without quotes: 32 hex digits, or `<hex>-<n>` for multipart. */
  etag: string;
  lastModifiedMs: number;
  /** Engine-wide monotonic commit sequence: last commit wins. */
  seq: number;
  versionId: string;
  system: SystemMeta;
  /** x-amz-meta-* without the prefix, lower-case names. */
  user: Record<string, string>;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  checksumType?: 'FULL_OBJECT' | 'COMPOSITE';
  /** Present for multipart objects (GetObject?partNumber=N, x-amz-mp-parts-count). */
  parts?: PartInfo[];
  /** S3 object tags (absent when none). Changed by updateObjectTags without touching the data. */
  tags?: Record<string, string>;
  /**
   * Versioned buckets only: where this version sorts among its key's versions — the sequence number of
   * the commit that created it (later commits of the same version, tags or relocation, keep it). Absent
   * on objects written while the bucket was unversioned.
   */
  versionSeq?: number;
  /** A delete marker: a version with no data (size 0, empty layout) that hides the key. */
  deleteMarker?: boolean;
  /** S3 Object Lock retention of this version (the S3 layer enforces it; the engine stores it). */
  retention?: ObjectRetention;
  /** S3 Object Lock legal hold: true ON, false set OFF, absent never set. */
  legalHold?: boolean;
  /** The object's access control list as the S3 layer encodes it (stored, never read by the engine). */
  acl?: unknown;
  layout: Layout;
}

export interface ObjectRetention {
  mode: 'GOVERNANCE' | 'COMPLIANCE';
  /** Retain until this instant (ms since the epoch). */
  untilMs: number;
}

/** Object Lock settings of one version; a field left undefined in an update is unchanged. */
export interface ObjectLockPatch {
  /** null removes the retention. */
  retention?: ObjectRetention | null;
  legalHold?: boolean;
}

/**
 * A bucket's versioning state as the S3 layer passes it with each write. Absent: the bucket has never
 * had versioning enabled, and a write replaces the current object (version id "null").
 */
export type VersioningMode = 'Enabled' | 'Suspended';

/** The version id of objects written while versioning was off or suspended. */
export const NULL_VERSION_ID = 'null';

/** One entry of listVersions(): versions of a key come newest first, the first of them is the latest. */
export interface VersionEntry {
  meta: ObjectMeta;
  isLatest: boolean;
}

export interface ListVersionsOptions {
  prefix?: string;
  /** Exclusive: start after this key — or, with versionIdMarker, after that version of this key. */
  keyMarker?: string;
  versionIdMarker?: string;
  limit: number;
}

export interface CommitRequest {
  bucket: string;
  key: string;
  /** The object's bytes: a WrittenData layout, or a layout assembled from existing extents (copy, multipart). */
  layout: Layout;
  sizeBytes: number;
  etag: string;
  system: SystemMeta;
  user: Record<string, string>;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  checksumType?: 'FULL_OBJECT' | 'COMPOSITE';
  parts?: PartInfo[];
  /** Object tags to store with the object (none when absent or empty). */
  tags?: Record<string, string>;
  /** Atomic with the commit: 'absent' = If-None-Match: *, otherwise the current ETag must equal it (If-Match). */
  condition?: { ifAbsent?: boolean; ifEtag?: string };
  /**
   * The bucket's versioning. Enabled: the commit adds a version with a new id and the current one stays
   * as a noncurrent version. Suspended: it gets id "null", replacing an earlier "null" version.
   */
  versioning?: VersioningMode;
  /** Object Lock settings the new version starts with. */
  retention?: ObjectRetention;
  legalHold?: boolean;
  /** Access control list the new version starts with (opaque to the engine). */
  acl?: unknown;
}

export interface BucketMeta {
  name: string;
  createdMs: number;
  owner: string;
  /** Free-form settings the S3 layer persists (versioning, policies …). */
  settings: Record<string, unknown>;
}

export interface ListOptions {
  prefix?: string;
  /** Exclusive lower bound on the key. */
  after?: string;
  limit: number;
}

export interface ByteRange {
  /** Inclusive first byte. */
  start: number;
  /** Inclusive last byte. */
  end: number;
}

export interface ReadOptions {
  /**
   * Yield views of the engine's pooled read buffers instead of copies. Each chunk is valid only until the
   * consumer pulls the next one (or stops iterating): write it out (uWS res.write copies) before pulling
   * again. Saves a copy and an allocation per block (~20% of GET CPU at 1 MiB). Default false: chunks are
   * the caller's to keep.
   */
  borrowChunks?: boolean;
}

export interface Engine {
  readonly config: EngineConfig;

  /**
   * BucketExists. `settings` are part of the creating record, so a bucket never exists without them
   * (Object Lock, ownership, ACL asked for at creation).
   */
  createBucket(name: string, owner: string, settings?: Record<string, unknown>): Promise<BucketMeta>;
  deleteBucket(name: string): Promise<void>; // NoSuchBucket | BucketNotEmpty
  getBucket(name: string): BucketMeta | undefined;
  listBuckets(): BucketMeta[];
  /**
   * Merges `patch` into the bucket's settings (a key set to undefined is removed), decided against every
   * earlier commit, applied or pending: two concurrent updates of different keys (CORS, tags) both land.
   */
  updateBucketSettings(name: string, patch: Record<string, unknown>): Promise<BucketMeta>;

  createWriter(options: WriterOptions): ObjectWriter;
  /** Durable (fsynced, group commit) and indexed when it resolves. */
  commitObject(request: CommitRequest): Promise<ObjectMeta>;
  headObject(bucket: string, key: string): ObjectMeta | undefined;
  /**
   * One version of a key (versionId "null" included), or without versionId the latest version, which
   * may be a delete marker (headObject skips those). undefined when there is no such version; a
   * malformed id is simply not found (see isVersionId).
   */
  headVersion(bucket: string, key: string, versionId?: string): ObjectMeta | undefined;
  /**
   * DeleteObject without a version id on a versioned bucket: a delete marker becomes the latest version
   * (with id "null" when Suspended, replacing an earlier "null" version). Returns the marker.
   * PreconditionFailed when `expectSeq` is given and the current version (pending commits included) is
   * not that commit — the lifecycle sweeper hides only the version it judged expired.
   */
  putDeleteMarker(bucket: string, key: string, mode: VersioningMode, expectSeq?: number): Promise<ObjectMeta>;
  /**
   * Removes one version for good (a delete marker too). When it was the latest, the next newest version
   * becomes the latest. Returns the removed version, undefined if there was none. NoSuchBucket;
   * PreconditionFailed when `expectSeq` is given and that version's latest commit is another one.
   * `guard` runs synchronously on the version about to go, once every earlier commit of the key is
   * applied, and may throw to refuse (Object Lock): nothing can change it between the check and the delete.
   */
  deleteVersion(bucket: string, key: string, versionId: string, expectSeq?: number, guard?: (version: ObjectMeta) => void): Promise<ObjectMeta | undefined>;
  /**
   * Changes a version's Object Lock retention / legal hold with a new commit record over the same layout
   * (like updateObjectTags). `guard` runs synchronously on the version about to change (after every
   * earlier commit of the key) and may throw to refuse — the S3 layer's retention rules, decided
   * atomically with the change. NoSuchKey when there is no such version or it is a delete marker.
   */
  updateObjectLock(bucket: string, key: string, versionId: string | undefined, patch: ObjectLockPatch, guard?: (version: ObjectMeta) => void): Promise<ObjectMeta>;
  /**
   * Replaces a version's access control list (undefined removes it) with a new commit record over the
   * same layout, like updateObjectTags: data, ETag and Last-Modified unchanged. Without versionId: the
   * current version. NoSuchBucket | NoSuchKey (no such version, or a delete marker).
   */
  updateObjectAcl(bucket: string, key: string, versionId: string | undefined, acl: unknown): Promise<ObjectMeta>;
  /**
   * Versions and delete markers, ordered by key (UTF-8 byte order), newest first within a key. Objects
   * of a bucket that was never versioned list as their one "null" version.
   */
  listVersions(bucket: string, options: ListVersionsOptions): VersionEntry[];
  /**
   * Streams verified bytes of `meta` (as returned by headObject), `range` inclusive.
   * Backpressure: the consumer pulls. Corrupt/missing shards are reconstructed; past m → StoreError('DataLoss').
   */
  readObject(meta: ObjectMeta, range?: ByteRange, options?: ReadOptions): AsyncIterable<Uint8Array>;
  /**
   * Replaces the object's tags (undefined or {} removes them) with a new commit record pointing at the
   * same layout: no data is rewritten. Decided synchronously against every earlier commit, so it applies
   * to the current version (or to `versionId`) and never resurrects an overwritten one. NoSuchBucket |
   * NoSuchKey (no such version, or a delete marker);
   * PreconditionFailed when `expectSeq` is given and the current version is another one.
   */
  updateObjectTags(bucket: string, key: string, tags: Record<string, string> | undefined, expectSeq?: number, versionId?: string): Promise<ObjectMeta>;
  /**
   * Removes the index entry and appends a delete record. Returns false if there was nothing.
   * PreconditionFailed when `expectSeq` is given and the current version (pending commits included) is
   * another one: the lifecycle sweeper deletes only the version it judged expired. InvalidArgument on a
   * key that has versions (a versioned bucket): use putDeleteMarker or deleteVersion there.
   */
  deleteObject(bucket: string, key: string, expectSeq?: number): Promise<boolean>;
  /** Ordered by key (UTF-8 byte order), keys > after, starting with prefix. */
  listObjects(bucket: string, options: ListOptions): ObjectMeta[];

  /** Generic namespaced records for the layers above (multipart uploads, parts). Durable like commits. */
  putAux(namespace: string, id: string, value: unknown, layout?: Layout): Promise<void>;
  getAux<T>(namespace: string, id: string): T | undefined;
  deleteAux(namespace: string, id: string): Promise<void>;
  listAux<T>(namespace: string, options: ListOptions): { id: string; value: T }[];

  stats(): EngineStats;
  /** Scrub, heal, drive-health and compaction counters; undefined until durability operations start. */
  scrubStats?(): ScrubStats | undefined;
  /** Finishes in-flight commits, closes segments and the index. */
  close(): Promise<void>;
}

export interface EngineStats {
  inFlightBytes: number;
  workerQueueDepth: number;
  pendingCommits: number;
  /** Reads waiting for room in the in-flight budget. */
  readsWaiting: number;
  drives: { index: number; path: string; online: boolean }[];
}
