// Multipart uploads over the engine contract (src/store/api.ts): durable aux records for the upload,
// its parts (each referencing its own erasure-coded layout) and a completion marker; completion
// commits an object whose layout concatenates the parts' extents — zero bytes rewritten.
//
// Crash cases (each aux put / commit is durable when it resolves):
//   UploadPart:  data written → part record put → 200.   Crash before the put: the data is garbage.
//   Complete:    marker 'completing' and commitObject in one commit window → 200 (the upload leaves the in-memory
//                index) → then, in one more window: marker 'completed', upload record and part records deleted.
//                recover() at startup resolves a 'completing' marker by comparing the object's layout
//                fingerprint with the marker's: equal → finish the cleanup; different/absent → drop the marker,
//                the upload stays open with all its parts. An open upload with no marker (the commit became
//                durable, the marker did not) is recognised by its parts' extents in the object's layout.
//   Abort:       part records deleted → upload record deleted. A crash in between leaves an open upload with
//                fewer parts, which a retried abort (or the sweeper) finishes.
import type { ByteRange, ChecksumAlgorithm, Engine, Layout, ObjectMeta, ObjectRetention, PartInfo, SystemMeta, VersioningMode, WriterOptions, WrittenData } from '../../store/api.js';
import { S3Error } from '../errors.js';
import { compositeChecksum, defaultChecksumType, fullObjectChecksum, multipartEtag, supportsComposite, supportsFullObject, type ChecksumType } from './digests.js';
import { defaultMultipartLimits, type MultipartLimits } from './limits.js';
import { UploadLocks } from './locks.js';
import {
  NS_DONE,
  NS_PART,
  NS_UPLOAD,
  RECORD_VERSION,
  compareUtf8,
  concatenateLayouts,
  layoutFingerprint,
  newUploadId,
  normalizeEtag,
  parsePartId,
  partId,
  partIdPrefix,
  type CompletedPart,
  type CompletionRecord,
  type PartRecord,
  type Principal,
  type UploadRecord,
} from './records.js';
import { UploadIndex } from './upload-index.js';

export interface CreateUploadRequest {
  bucket: string;
  key: string;
  system: SystemMeta;
  user: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
  owner?: Principal;
  storageClass?: string;
  tags?: Record<string, string>;
  /** Stored ACL for the completed object (opaque here). */
  acl?: unknown;
  /** Object Lock the object starts with (x-amz-object-lock-* of the Create request). */
  retention?: ObjectRetention;
  legalHold?: boolean;
}

export interface RequestedPart {
  partNumber: number;
  etag: string;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

export interface CompleteOptions {
  /** x-amz-checksum-<alg> sent with the Complete request: the whole object's checksum as the client computed it. */
  claimedChecksum?: { algorithm: ChecksumAlgorithm; value: string };
  condition?: { ifAbsent?: boolean; ifEtag?: string };
  /** x-amz-mp-object-size: the size the client expects the object to have. */
  expectedSizeBytes?: number;
  /** The bucket's versioning mode, passed to commitObject (Enabled: the object becomes a new version). */
  versioning?: VersioningMode;
  /** The bucket's default retention as of completion, for an upload whose Create named none. */
  defaultRetention?: ObjectRetention;
}

export interface CompleteResult {
  bucket: string;
  key: string;
  etag: string;
  sizeBytes: number;
  partsCount: number;
  /** As stored in ObjectMeta: COMPOSITE values without their `-N` (see wireChecksum). */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  checksumType?: ChecksumType;
  versionId?: string;
}

export interface ListPartsResult {
  upload: UploadRecord;
  parts: PartRecord[];
  isTruncated: boolean;
  nextPartNumberMarker: number;
}

export interface ListUploadsOptions {
  prefix?: string;
  delimiter?: string;
  keyMarker?: string;
  uploadIdMarker?: string;
  maxUploads: number;
}

export interface ListUploadsResult {
  uploads: UploadRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextUploadIdMarker?: string;
}

export interface SweepReport {
  abortedUploads: number;
  removedMarkers: number;
  removedOrphanParts: number;
}

export const PART_NUMBER_MAX = 10_000;
/** Versions of one key recovery looks through for a completed upload's object (newest first). */
export const RECOVERY_VERSION_SCAN = 100;

export class MultipartService {
  readonly limits: MultipartLimits;
  private readonly index = new UploadIndex();
  private readonly locks = new UploadLocks();
  /** Completions answered whose records are still being cleaned up (bounded by the request rate × one commit window). */
  private readonly finishing = new Map<string, { marker: CompletionRecord; cleanup: Promise<void> }>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<SweepReport> | undefined;
  private uploadCursor = 0;
  private markerCursor: string | undefined;
  private partCursor: string | undefined;
  private closed = false;

  private constructor(
    readonly engine: Engine,
    limits: Partial<MultipartLimits>,
    private readonly now: () => number,
  ) {
    this.limits = { ...defaultMultipartLimits, ...limits };
    if (this.limits.maxPartsPerUpload > PART_NUMBER_MAX || this.limits.maxPartsPerUpload < 1) {
      throw new RangeError(`maxPartsPerUpload must be 1..${PART_NUMBER_MAX}`);
    }
  }

  /** Loads the open uploads and settles any completion a crash interrupted. Call before serving. */
  static async open(engine: Engine, limits: Partial<MultipartLimits> = {}, now: () => number = Date.now): Promise<MultipartService> {
    const s = new MultipartService(engine, limits, now);
    for (const { value } of s.scanAll<UploadRecord>(NS_UPLOAD, '')) {
      if (value.v === RECORD_VERSION) s.index.add(value);
    }
    await s.recover();
    return s;
  }

  get openUploads(): number {
    return this.index.size;
  }

  // ---------------------------------------------------------------- create / lookup

  async create(req: CreateUploadRequest): Promise<UploadRecord> {
    if (this.index.size >= this.limits.maxUploadsInFlight) {
      throw new S3Error('SlowDown', `Too many multipart uploads in progress (limit ${this.limits.maxUploadsInFlight}); complete or abort some.`);
    }
    let checksumType = req.checksumType;
    if (checksumType !== undefined && req.checksumAlgorithm === undefined) {
      throw new S3Error('InvalidRequest', 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
    }
    if (req.checksumAlgorithm !== undefined) {
      // S3's default is COMPOSITE, except for CRC64NVME, which has only FULL_OBJECT.
      checksumType ??= defaultChecksumType(req.checksumAlgorithm);
      if (checksumType === 'FULL_OBJECT' && !supportsFullObject(req.checksumAlgorithm)) {
        throw new S3Error('InvalidRequest', `The FULL_OBJECT checksum type is not supported with the ${req.checksumAlgorithm} algorithm.`);
      }
      if (checksumType === 'COMPOSITE' && !supportsComposite(req.checksumAlgorithm)) {
        throw new S3Error('InvalidRequest', `The COMPOSITE checksum type is not supported with the ${req.checksumAlgorithm} algorithm.`);
      }
    }
    const nowMs = this.now();
    const upload: UploadRecord = {
      v: RECORD_VERSION,
      uploadId: newUploadId(nowMs),
      bucket: req.bucket,
      key: req.key,
      initiatedMs: nowMs,
      system: req.system,
      user: req.user,
      ...(req.checksumAlgorithm !== undefined ? { checksumAlgorithm: req.checksumAlgorithm, checksumType } : {}),
      ...(req.owner !== undefined ? { owner: req.owner } : {}),
      ...(req.storageClass !== undefined ? { storageClass: req.storageClass } : {}),
      ...(req.tags !== undefined && Object.keys(req.tags).length > 0 ? { tags: req.tags } : {}),
      ...(req.acl !== undefined ? { acl: req.acl } : {}),
      ...(req.retention !== undefined ? { retention: req.retention } : {}),
      ...(req.legalHold === true ? { legalHold: true } : {}),
    };
    await this.engine.putAux(NS_UPLOAD, upload.uploadId, upload);
    this.index.add(upload);
    return upload;
  }

  /** The open upload, or NoSuchUpload (also when bucket/key do not match the id). */
  getUpload(bucket: string, key: string, uploadId: string): UploadRecord {
    const u = this.index.get(uploadId);
    if (u === undefined || u.bucket !== bucket || u.key !== key) {
      throw new S3Error('NoSuchUpload', undefined, { details: { UploadId: uploadId } });
    }
    return u;
  }

  checkPartNumber(partNumber: number): void {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > this.limits.maxPartsPerUpload) {
      throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${this.limits.maxPartsPerUpload}, inclusive`, {
        details: { ArgumentName: 'partNumber', ArgumentValue: String(partNumber) },
      });
    }
  }

  /** Options for the engine writer that receives a part's bytes: the upload's checksum is always computed. */
  writerOptions(upload: UploadRecord, extra: Partial<WriterOptions> = {}): WriterOptions {
    const checksums = new Set<ChecksumAlgorithm>(extra.checksums ?? []);
    if (upload.checksumAlgorithm !== undefined) checksums.add(upload.checksumAlgorithm);
    return { ...extra, checksums: [...checksums], placementKey: `${upload.bucket}/${upload.key}` };
  }

  // ---------------------------------------------------------------- parts

  /**
   * Records a part whose bytes the engine already holds. Durable when it resolves (the 200 may go out).
   * A part number uploaded again replaces the record; the old layout is no longer referenced → garbage.
   */
  async putPart(upload: UploadRecord, partNumber: number, data: WrittenData): Promise<PartRecord> {
    this.checkPartNumber(partNumber);
    if (data.sizeBytes > this.limits.maxPartSizeBytes) {
      throw new S3Error('EntityTooLarge', `A part may not exceed ${this.limits.maxPartSizeBytes} bytes.`);
    }
    if (upload.checksumAlgorithm !== undefined && data.checksums[upload.checksumAlgorithm] === undefined) {
      throw new Error(`part ${partNumber} of ${upload.uploadId} written without its ${upload.checksumAlgorithm}`);
    }
    const record: PartRecord = {
      v: RECORD_VERSION,
      uploadId: upload.uploadId,
      partNumber,
      sizeBytes: data.sizeBytes,
      md5Hex: data.md5Hex,
      checksums: data.checksums,
      lastModifiedMs: this.now(),
      layout: data.layout,
    };
    await this.locks.shared(upload.uploadId, async () => {
      // Completed or aborted while the body streamed: the bytes are garbage, the client learns why.
      this.getUpload(upload.bucket, upload.key, upload.uploadId);
      await this.engine.putAux(NS_PART, partId(upload.uploadId, partNumber), record, data.layout);
    });
    return record;
  }

  /** UploadPartCopy: the source range is read through the engine and written as the part's own data. */
  async copyPart(upload: UploadRecord, partNumber: number, source: ObjectMeta, range?: ByteRange): Promise<PartRecord> {
    this.checkPartNumber(partNumber);
    const sizeBytes = range === undefined ? source.sizeBytes : range.end - range.start + 1;
    if (sizeBytes > this.limits.maxPartSizeBytes) {
      throw new S3Error('EntityTooLarge', `A part may not exceed ${this.limits.maxPartSizeBytes} bytes.`);
    }
    const writer = this.engine.createWriter(this.writerOptions(upload, { expectedSizeBytes: sizeBytes }));
    let data: WrittenData;
    try {
      if (sizeBytes > 0) {
        for await (const chunk of this.engine.readObject(source, range)) {
          if (!writer.write(chunk)) await new Promise<void>((resolve) => writer.onDrain(resolve));
        }
      }
      data = await writer.finish();
    } catch (err) {
      writer.abort('copy source read failed');
      throw err;
    }
    if (data.sizeBytes !== sizeBytes) throw new Error(`copy wrote ${data.sizeBytes} bytes, expected ${sizeBytes}`);
    return this.putPart(upload, partNumber, data);
  }

  listParts(upload: UploadRecord, options: { partNumberMarker?: number; maxParts: number }): ListPartsResult {
    const max = Math.max(0, Math.min(options.maxParts, this.limits.maxListEntries));
    const marker = options.partNumberMarker ?? 0;
    const rows = this.engine.listAux<PartRecord>(NS_PART, {
      prefix: partIdPrefix(upload.uploadId),
      ...(marker > 0 ? { after: partId(upload.uploadId, marker) } : {}),
      limit: max + 1,
    });
    const parts = rows.slice(0, max).map((r) => r.value);
    return {
      upload,
      parts,
      isTruncated: rows.length > max,
      nextPartNumberMarker: parts.length > 0 ? parts[parts.length - 1]!.partNumber : marker,
    };
  }

  private allParts(uploadId: string): PartRecord[] {
    return this.scanAll<PartRecord>(NS_PART, partIdPrefix(uploadId)).map((r) => r.value);
  }

  // ---------------------------------------------------------------- complete

  async complete(bucket: string, key: string, uploadId: string, requested: readonly RequestedPart[], options: CompleteOptions = {}): Promise<CompleteResult> {
    if (requested.length === 0) {
      throw new S3Error('MalformedXML', 'You must specify at least one part.');
    }
    if (requested.length > this.limits.maxPartsPerUpload) {
      throw new S3Error('InvalidArgument', `A multipart upload has at most ${this.limits.maxPartsPerUpload} parts.`);
    }
    for (const p of requested) this.checkPartNumber(p.partNumber);
    for (let i = 1; i < requested.length; i++) {
      if (requested[i]!.partNumber <= requested[i - 1]!.partNumber) {
        throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', {
          details: { UploadId: uploadId },
        });
      }
    }
    if (this.index.get(uploadId) === undefined) return this.retriedCompletion(bucket, key, uploadId, requested);
    return this.locks.exclusive(uploadId, async () => {
      if (this.index.get(uploadId) === undefined) return this.retriedCompletion(bucket, key, uploadId, requested);
      const upload = this.getUpload(bucket, key, uploadId);
      const stored = new Map<number, PartRecord>();
      for (const p of this.allParts(uploadId)) stored.set(p.partNumber, p);

      const chosen: PartRecord[] = [];
      for (let i = 0; i < requested.length; i++) {
        const want = requested[i]!;
        const have = stored.get(want.partNumber);
        if (have === undefined || normalizeEtag(want.etag) !== have.md5Hex) {
          throw new S3Error(
            'InvalidPart',
            'One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.',
            { details: { UploadId: uploadId, PartNumber: String(want.partNumber), ETag: want.etag } },
          );
        }
        for (const [alg, value] of Object.entries(want.checksums) as [ChecksumAlgorithm, string][]) {
          const mine = have.checksums[alg];
          if (mine !== undefined && mine !== value) {
            throw new S3Error('InvalidPart', `The ${alg} checksum of part ${want.partNumber} does not match the uploaded part.`, {
              details: { UploadId: uploadId, PartNumber: String(want.partNumber) },
            });
          }
        }
        chosen.push(have);
      }
      // Sizes only once every part is known to exist: a wrong list is InvalidPart whatever its sizes.
      for (let i = 0; i < chosen.length - 1; i++) {
        const have = chosen[i]!;
        if (have.sizeBytes < this.limits.minPartSizeBytes) {
          throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
            details: {
              ProposedSize: String(have.sizeBytes),
              MinSizeAllowed: String(this.limits.minPartSizeBytes),
              PartNumber: String(have.partNumber),
              ETag: have.md5Hex,
            },
          });
        }
      }

      const etag = multipartEtag(chosen.map((p) => p.md5Hex));
      const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
      const alg = upload.checksumAlgorithm;
      if (alg !== undefined) {
        const partSums = chosen.map((p) => p.checksums[alg]!);
        checksums[alg] =
          upload.checksumType === 'FULL_OBJECT'
            ? fullObjectChecksum(alg, chosen.map((p, i) => ({ checksumBase64: partSums[i]!, sizeBytes: p.sizeBytes })))
            : compositeChecksum(alg, partSums);
      }
      const claimed = options.claimedChecksum;
      if (claimed !== undefined) {
        const mine = checksums[claimed.algorithm];
        // A composite value may be claimed with or without its "-N" suffix.
        const value = upload.checksumType === 'COMPOSITE' ? claimed.value.replace(/-\d+$/, '') : claimed.value;
        if (mine === undefined || value !== mine) {
          throw new S3Error('BadDigest', `The ${claimed.algorithm} you specified did not match the calculated checksum.`);
        }
      }
      const layout = concatenateLayouts(chosen.map((p) => p.layout));
      const sizeBytes = chosen.reduce((n, p) => n + p.sizeBytes, 0);
      if (options.expectedSizeBytes !== undefined && options.expectedSizeBytes !== sizeBytes) {
        throw new S3Error('InvalidRequest', `The provided 'x-amz-mp-object-size' header value ${options.expectedSizeBytes} does not match what was computed: ${sizeBytes}`);
      }
      const parts: PartInfo[] = chosen.map((p) => ({
        partNumber: p.partNumber,
        sizeBytes: p.sizeBytes,
        etag: p.md5Hex,
        ...(Object.keys(p.checksums).length > 0 ? { checksums: p.checksums } : {}),
      }));
      const marker: CompletionRecord = {
        v: RECORD_VERSION,
        state: 'completing',
        uploadId,
        bucket,
        key,
        etag,
        sizeBytes,
        checksums,
        ...(upload.checksumType !== undefined ? { checksumType: upload.checksumType } : {}),
        parts: chosen.map((p) => ({ partNumber: p.partNumber, etag: p.md5Hex })),
        layoutFingerprint: layoutFingerprint(layout),
        startedMs: this.now(),
      };
      // The marker goes into the same commit window as the object (not a round trip before it): the
      // marker is for retries and a cheap recovery scan; recovery does not depend on it — an open
      // upload whose parts' extents are the object's is completed (settleOpenUpload), marker or not.
      const [markerPut, committed] = await Promise.allSettled([
        this.engine.putAux(NS_DONE, uploadId, marker),
        this.engine.commitObject({
          bucket,
          key,
          layout,
          sizeBytes,
          etag,
          system: upload.system,
          user: upload.user,
          checksums,
          ...(upload.checksumType !== undefined ? { checksumType: upload.checksumType } : {}),
          parts,
          ...(upload.tags !== undefined ? { tags: upload.tags } : {}),
          ...(upload.acl !== undefined ? { acl: upload.acl } : {}),
          ...(options.condition !== undefined ? { condition: options.condition } : {}),
          ...(options.versioning !== undefined ? { versioning: options.versioning } : {}),
          ...((upload.retention ?? options.defaultRetention) !== undefined ? { retention: upload.retention ?? options.defaultRetention! } : {}),
          ...(upload.legalHold === true ? { legalHold: true } : {}),
        }),
      ]);
      if (committed.status === 'rejected') {
        // Not committed (a failed commit is not durable): the upload stays open with its parts.
        if (markerPut.status === 'fulfilled') await this.engine.deleteAux(NS_DONE, uploadId).catch(() => undefined);
        throw committed.reason;
      }
      const meta: ObjectMeta = committed.value;
      // Committed and durable: the answer is final. The upload leaves the index now; its records are
      // removed after the response (one group-commit window for all of them). A crash before that
      // leaves the 'completing' marker, which recover() settles by the layout fingerprint.
      const done: CompletionRecord = { ...marker, state: 'completed', completedMs: this.now(), versionId: meta.versionId };
      this.index.remove(uploadId);
      const cleanup = this.finishCompletion(done, [...stored.keys()])
        .catch(() => undefined) // the sweeper / next start finishes it
        .finally(() => this.finishing.delete(uploadId));
      this.finishing.set(uploadId, { marker: done, cleanup });
      return resultOf(done);
    });
  }

  private async finishCompletion(done: CompletionRecord, partNumbers: readonly number[]): Promise<void> {
    await Promise.all([
      this.engine.putAux(NS_DONE, done.uploadId, done),
      this.engine.deleteAux(NS_UPLOAD, done.uploadId),
      this.deleteParts(done.uploadId, partNumbers),
    ]);
  }

  /** Waits for the record cleanup of completions answered already (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.finishing.values()].map((f) => f.cleanup));
  }

  /**
   * No open upload under this id: a retried Complete of the same parts gets the same answer — from the
   * completion marker, or (marker expired) from the object if it was completed with exactly these parts.
   */
  private retriedCompletion(bucket: string, key: string, uploadId: string, requested: readonly RequestedPart[]): CompleteResult {
    const marker = this.finishing.get(uploadId)?.marker ?? this.engine.getAux<CompletionRecord>(NS_DONE, uploadId);
    if (marker !== undefined && marker.state === 'completed' && marker.bucket === bucket && marker.key === key && sameParts(marker.parts, requested)) {
      return resultOf(marker);
    }
    const meta = marker === undefined ? this.engine.headObject(bucket, key) : undefined;
    if (meta?.parts !== undefined && sameParts(meta.parts, requested)) {
      return {
        bucket,
        key,
        etag: meta.etag,
        sizeBytes: meta.sizeBytes,
        partsCount: meta.parts.length,
        checksums: meta.checksums,
        ...(meta.checksumType !== undefined ? { checksumType: meta.checksumType } : {}),
        versionId: meta.versionId,
      };
    }
    throw new S3Error('NoSuchUpload', undefined, { details: { UploadId: uploadId } });
  }

  /** Removes the upload record (it disappears from listings) and then every part record of it. */
  private async dropUpload(upload: UploadRecord, parts: Iterable<PartRecord>): Promise<void> {
    await this.engine.deleteAux(NS_UPLOAD, upload.uploadId);
    this.index.remove(upload.uploadId);
    await this.deleteParts(upload.uploadId, [...parts].map((p) => p.partNumber));
  }

  private async deleteParts(uploadId: string, partNumbers: readonly number[]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < partNumbers.length) {
        const n = partNumbers[next++]!;
        await this.engine.deleteAux(NS_PART, partId(uploadId, n));
      }
    };
    const lanes = Math.min(this.limits.cleanupConcurrency, partNumbers.length);
    await Promise.all(Array.from({ length: lanes }, worker));
  }

  // ---------------------------------------------------------------- abort

  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    this.getUpload(bucket, key, uploadId);
    await this.locks.exclusive(uploadId, async () => {
      const upload = this.getUpload(bucket, key, uploadId);
      await this.abortLocked(upload);
    });
  }

  private async abortLocked(upload: UploadRecord): Promise<void> {
    // Parts first: a crash in between leaves a listed upload that a retried abort finishes,
    // never part records whose upload is gone.
    await this.deleteParts(upload.uploadId, this.allParts(upload.uploadId).map((p) => p.partNumber));
    await this.engine.deleteAux(NS_UPLOAD, upload.uploadId);
    this.index.remove(upload.uploadId);
  }

  // ---------------------------------------------------------------- list uploads

  listUploads(bucket: string, options: ListUploadsOptions): ListUploadsResult {
    const prefix = options.prefix ?? '';
    const delimiter = options.delimiter || undefined;
    const max = Math.max(0, Math.min(options.maxUploads, this.limits.maxListEntries));
    const idx = this.index;
    const matches = (i: number): boolean => {
      const u = idx.at(i);
      return u !== undefined && u.bucket === bucket && u.key.startsWith(prefix);
    };
    // First position past every key that starts with `p` (keys with a prefix are contiguous).
    const skipPrefix = (from: number, p: string): number => {
      let lo = from;
      let hi = idx.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const u = idx.at(mid)!;
        if (u.bucket === bucket && (u.key.startsWith(p) || compareUtf8(u.key, p) < 0)) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };

    let pos = idx.lowerBound(bucket, prefix, '');
    const keyMarker = options.keyMarker || undefined;
    if (keyMarker !== undefined) {
      let p: number;
      if (options.uploadIdMarker) {
        p = idx.lowerBound(bucket, keyMarker, options.uploadIdMarker);
        const u = idx.at(p);
        if (u !== undefined && u.bucket === bucket && u.key === keyMarker && u.uploadId === options.uploadIdMarker) p++;
      } else {
        p = idx.lowerBound(bucket, keyMarker, '');
        while (idx.at(p)?.bucket === bucket && idx.at(p)?.key === keyMarker) p++;
        // A NextKeyMarker that was a common prefix: continue after everything it rolled up.
        if (delimiter !== undefined && keyMarker.startsWith(prefix) && keyMarker.endsWith(delimiter)) {
          const inner = keyMarker.slice(prefix.length, keyMarker.length - delimiter.length);
          if (!inner.includes(delimiter)) p = skipPrefix(p, keyMarker);
        }
      }
      pos = Math.max(pos, p);
    }

    const uploads: UploadRecord[] = [];
    const commonPrefixes: string[] = [];
    let lastKey: string | undefined;
    let lastUploadId: string | undefined;
    while (uploads.length + commonPrefixes.length < max && matches(pos)) {
      const u = idx.at(pos)!;
      if (delimiter !== undefined) {
        const d = u.key.indexOf(delimiter, prefix.length);
        if (d >= 0) {
          const cp = u.key.slice(0, d + delimiter.length);
          commonPrefixes.push(cp);
          lastKey = cp;
          lastUploadId = undefined;
          pos = skipPrefix(pos, cp);
          continue;
        }
      }
      uploads.push(u);
      lastKey = u.key;
      lastUploadId = u.uploadId;
      pos++;
    }
    const isTruncated = matches(pos);
    return {
      uploads,
      commonPrefixes,
      isTruncated,
      ...(isTruncated && lastKey !== undefined ? { nextKeyMarker: lastKey } : {}),
      ...(isTruncated && lastUploadId !== undefined ? { nextUploadIdMarker: lastUploadId } : {}),
    };
  }

  // ---------------------------------------------------------------- recovery and sweeping

  /** Settles completions a crash interrupted (see the header comment). Idempotent. */
  async recover(): Promise<void> {
    const marked = new Set<string>();
    for (const { id, value: marker } of this.scanAll<CompletionRecord>(NS_DONE, '')) {
      marked.add(id);
      await this.settleMarker(id, marker);
    }
    for (let i = 0; i < this.index.length; ) {
      const u = this.index.at(i)!;
      if (!marked.has(u.uploadId) && (await this.settleOpenUpload(u))) continue; // removed: same i is the next
      i++;
    }
  }

  /**
   * An open upload without a marker may still have been completed (the object's commit became durable,
   * its marker did not). It was iff the object at its key starts with the extent of one of its parts:
   * extents are physical shard locations, written once, so no other write can produce them.
   */
  private async settleOpenUpload(u: UploadRecord): Promise<boolean> {
    const meta = this.findVersion(u.bucket, u.key, (m) => this.isCompletionOf(m, u));
    if (meta === undefined) return false;
    const done: CompletionRecord = {
      v: RECORD_VERSION,
      state: 'completed',
      uploadId: u.uploadId,
      bucket: u.bucket,
      key: u.key,
      etag: meta.etag,
      sizeBytes: meta.sizeBytes,
      checksums: meta.checksums,
      ...(meta.checksumType !== undefined ? { checksumType: meta.checksumType } : {}),
      parts: meta.parts!.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
      layoutFingerprint: layoutFingerprint(meta.layout),
      startedMs: meta.lastModifiedMs,
      completedMs: meta.lastModifiedMs,
      versionId: meta.versionId,
    };
    await this.engine.putAux(NS_DONE, u.uploadId, done);
    await this.dropUpload(u, this.allParts(u.uploadId));
    return true;
  }

  /** True when `meta` starts with the extent of its first non-empty part as recorded for upload `u`. */
  private isCompletionOf(meta: ObjectMeta, u: UploadRecord): boolean {
    const first = meta.parts?.find((p) => p.sizeBytes > 0);
    if (first === undefined || meta.layout.extents.length === 0) return false;
    const part = this.engine.getAux<PartRecord>(NS_PART, partId(u.uploadId, first.partNumber));
    const ext = part?.layout.extents.find((e) => e.sizeBytes > 0);
    if (part === undefined || ext === undefined || part.md5Hex !== first.etag) return false;
    return layoutFingerprint({ extents: [ext] }) === layoutFingerprint({ extents: [meta.layout.extents[0]!] });
  }

  /**
   * Recovery: the version of bucket/key that `matches` — the current object, or on a versioned bucket
   * one of the key's newest RECOVERY_VERSION_SCAN versions (a completed upload overwritten before its
   * cleanup finished lives on as a noncurrent version; headObject alone would call it uncommitted).
   */
  private findVersion(bucket: string, key: string, matches: (m: ObjectMeta) => boolean): ObjectMeta | undefined {
    const cur = this.engine.headObject(bucket, key);
    if (cur !== undefined && matches(cur)) return cur;
    for (const e of this.engine.listVersions(bucket, { prefix: key, limit: RECOVERY_VERSION_SCAN })) {
      if (e.meta.key !== key) break;
      if (!e.meta.deleteMarker && matches(e.meta)) return e.meta;
    }
    return undefined;
  }

  private async settleMarker(uploadId: string, marker: CompletionRecord): Promise<'completed' | 'reopened' | 'expired'> {
    let completed = marker.state === 'completed';
    if (!completed) {
      const meta = this.findVersion(marker.bucket, marker.key, (m) => m.etag === marker.etag && layoutFingerprint(m.layout) === marker.layoutFingerprint);
      completed = meta !== undefined;
      if (completed) {
        await this.engine.putAux(NS_DONE, uploadId, { ...marker, state: 'completed', completedMs: this.now(), versionId: meta!.versionId });
      } else {
        // The commit never became durable: the upload is open again, with every part it had.
        // (Without its upload record — the object was committed and then overwritten before the
        // cleanup finished — the parts are orphans: drop them.)
        if (this.index.get(uploadId) === undefined) await this.deleteParts(uploadId, this.allParts(uploadId).map((p) => p.partNumber));
        await this.engine.deleteAux(NS_DONE, uploadId);
        return 'reopened';
      }
    }
    const upload = this.index.get(uploadId);
    if (upload !== undefined) await this.dropUpload(upload, this.allParts(uploadId));
    else await this.deleteParts(uploadId, this.allParts(uploadId).map((p) => p.partNumber));
    if (this.now() - (marker.completedMs ?? marker.startedMs) > this.limits.completedMarkerTtlMs) {
      await this.engine.deleteAux(NS_DONE, uploadId);
      return 'expired';
    }
    return 'completed';
  }

  /**
   * One bounded pass: aborts uploads older than uploadMaxAgeMs (or whose bucket is gone), expires
   * completion markers, and removes part records that belong to no upload. Resumes where it stopped.
   */
  sweepOnce(): Promise<SweepReport> {
    this.sweeping ??= this.sweepPass().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepPass(): Promise<SweepReport> {
    const report: SweepReport = { abortedUploads: 0, removedMarkers: 0, removedOrphanParts: 0 };
    const budget = this.limits.sweepMaxRecordsPerTick;
    const nowMs = this.now();

    // Uploads, round-robin over the sorted index.
    const expired: UploadRecord[] = [];
    const n = Math.min(budget, this.index.length);
    if (this.uploadCursor >= this.index.length) this.uploadCursor = 0;
    for (let i = 0; i < n; i++) {
      const u = this.index.at(this.uploadCursor)!;
      this.uploadCursor = (this.uploadCursor + 1) % this.index.length;
      if (nowMs - u.initiatedMs > this.limits.uploadMaxAgeMs || this.engine.getBucket(u.bucket) === undefined) expired.push(u);
    }
    for (const u of expired) {
      if (this.closed) break;
      await this.locks.exclusive(u.uploadId, async () => {
        if (this.index.get(u.uploadId) === u) {
          await this.abortLocked(u);
          report.abortedUploads++;
        }
      });
    }

    // Completion markers.
    const markers = this.engine.listAux<CompletionRecord>(NS_DONE, { ...(this.markerCursor ? { after: this.markerCursor } : {}), limit: budget });
    this.markerCursor = markers.length < budget ? undefined : markers[markers.length - 1]!.id;
    for (const { id, value } of markers) {
      if (this.closed) break;
      // A marker of an open upload belongs to a completion in flight (it holds the upload's lock).
      if (this.index.get(id) !== undefined || this.finishing.has(id)) continue;
      if (value.state === 'completing') {
        await this.settleMarker(id, value); // a cleanup that failed without a crash
        continue;
      }
      if (nowMs - (value.completedMs ?? value.startedMs) > this.limits.completedMarkerTtlMs) {
        await this.engine.deleteAux(NS_DONE, id);
        report.removedMarkers++;
      }
    }

    // Part records whose upload is gone (an interrupted cleanup).
    const parts = this.engine.listAux<PartRecord>(NS_PART, { ...(this.partCursor ? { after: this.partCursor } : {}), limit: budget });
    this.partCursor = parts.length < budget ? undefined : parts[parts.length - 1]!.id;
    for (const { id } of parts) {
      if (this.closed) break;
      const parsed = parsePartId(id);
      if (parsed === undefined || this.index.get(parsed.uploadId) !== undefined) continue;
      if (this.finishing.has(parsed.uploadId)) continue;
      const marker = this.engine.getAux<CompletionRecord>(NS_DONE, parsed.uploadId);
      if (marker !== undefined && marker.state === 'completing') continue;
      await this.engine.deleteAux(NS_PART, id);
      report.removedOrphanParts++;
    }
    return report;
  }

  startSweeper(): void {
    if (this.sweepTimer !== undefined || this.closed) return;
    this.sweepTimer = setInterval(() => {
      this.sweepOnce().catch(() => undefined); // a failed pass is retried on the next tick
    }, this.limits.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.sweeping?.catch(() => undefined);
    await this.settled();
  }

  /** Every aux record under a prefix, in pages (records are bounded by the upload and part limits). */
  private scanAll<T>(namespace: string, prefix: string): { id: string; value: T }[] {
    const out: { id: string; value: T }[] = [];
    const page = 1000;
    let after: string | undefined;
    for (;;) {
      const rows = this.engine.listAux<T>(namespace, { prefix, ...(after !== undefined ? { after } : {}), limit: page });
      out.push(...rows);
      if (rows.length < page) return out;
      after = rows[rows.length - 1]!.id;
    }
  }
}

function sameParts(done: readonly CompletedPart[], requested: readonly RequestedPart[]): boolean {
  if (done.length !== requested.length) return false;
  for (let i = 0; i < done.length; i++) {
    if (done[i]!.partNumber !== requested[i]!.partNumber || done[i]!.etag !== normalizeEtag(requested[i]!.etag)) return false;
  }
  return true;
}

function resultOf(m: CompletionRecord): CompleteResult {
  return {
    bucket: m.bucket,
    key: m.key,
    etag: m.etag,
    sizeBytes: m.sizeBytes,
    partsCount: m.parts.length,
    checksums: m.checksums,
    ...(m.checksumType !== undefined ? { checksumType: m.checksumType } : {}),
    ...(m.versionId !== undefined ? { versionId: m.versionId } : {}),
  };
}

export type { Layout };
