// The durable records of a multipart upload (engine aux records) and their ids.
//
//   mpu.upload  <uploadId>               UploadRecord    (no layout)
//   mpu.part    <uploadId>.<00001>       PartRecord      (references the part's layout: the engine keeps it live)
//   mpu.done    <uploadId>               CompletionRecord (no layout; written before commitObject)
//
// Ids are ASCII hex and digits only, so their order does not depend on how the engine encodes aux keys.
// ListMultipartUploads ordering (key, then initiation) comes from an in-memory index rebuilt at startup.
import { randomBytes, createHash } from 'node:crypto';
import type { ChecksumAlgorithm, Layout, ObjectRetention, SystemMeta } from '../../store/api.js';
import type { ChecksumType } from './digests.js';

export const NS_UPLOAD = 'mpu.upload';
export const NS_PART = 'mpu.part';
export const NS_DONE = 'mpu.done';

export const RECORD_VERSION = 1;

export interface Principal {
  id: string;
  displayName?: string;
}

export interface UploadRecord {
  v: typeof RECORD_VERSION;
  uploadId: string;
  bucket: string;
  key: string;
  initiatedMs: number;
  system: SystemMeta;
  user: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
  owner?: Principal;
  storageClass?: string;
  /** x-amz-tagging of the Create request, validated then; applied to the object at completion. */
  tags?: Record<string, string>;
  /** The object's ACL from the Create request (acl-model.ts's stored form), applied at completion. */
  acl?: unknown;
  /** x-amz-object-lock-* of the Create request (Object Lock buckets), applied to the object at completion. */
  retention?: ObjectRetention;
  legalHold?: boolean;
}

export interface PartRecord {
  v: typeof RECORD_VERSION;
  uploadId: string;
  partNumber: number;
  sizeBytes: number;
  md5Hex: string;
  /** base64 wire form; always holds the upload's algorithm when it has one. */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  lastModifiedMs: number;
  layout: Layout;
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

export interface CompletionRecord {
  v: typeof RECORD_VERSION;
  /** 'completing' is written before commitObject, 'completed' after it resolved. */
  state: 'completing' | 'completed';
  uploadId: string;
  bucket: string;
  key: string;
  etag: string;
  sizeBytes: number;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  checksumType?: ChecksumType;
  parts: CompletedPart[];
  /** Identifies the committed layout: after a crash, the object is ours iff its layout has this fingerprint. */
  layoutFingerprint: string;
  startedMs: number;
  completedMs?: number;
  versionId?: string;
}

const PART_NUMBER_DIGITS = 5; // 1..10,000

export function partId(uploadId: string, partNumber: number): string {
  return `${uploadId}.${String(partNumber).padStart(PART_NUMBER_DIGITS, '0')}`;
}

export function partIdPrefix(uploadId: string): string {
  return `${uploadId}.`;
}

export function parsePartId(id: string): { uploadId: string; partNumber: number } | undefined {
  const dot = id.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const partNumber = Number(id.slice(dot + 1));
  if (!Number.isInteger(partNumber)) return undefined;
  return { uploadId: id.slice(0, dot), partNumber };
}

/**
 * 12 hex digits of the initiation time (ms) then 20 random hex digits: unique, URL-safe, and sorting the
 * ids of one key sorts its uploads by initiation time, as ListMultipartUploads must.
 */
export function newUploadId(nowMs: number): string {
  return nowMs.toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
}

export const UPLOAD_ID_PATTERN = /^[0-9a-f]{32}$/;

/**
 * Identifies a layout by where its bytes physically are: per extent, its size and block count and the
 * first written shard of its first and last block. Segments are append-only and their numbers never
 * reused, so no other write can produce the same locations. O(extents), not O(blocks): a 10 GiB object
 * has ~10k blocks but only as many extents as parts.
 */
export function layoutFingerprint(layout: Layout): string {
  const h = createHash('sha256');
  const loc = (b: Layout['extents'][number]['blocks'][number] | undefined): string => {
    const s = b?.shards.find((x) => x !== null);
    return s ? `${s.drive}/${s.segment}/${s.offset}/${s.xxh64}` : '-';
  };
  for (const e of layout.extents) {
    h.update(`E${e.sizeBytes}/${e.blockSizeBytes}/${e.k}/${e.m}/${e.blocks.length}:${loc(e.blocks[0])}:${loc(e.blocks[e.blocks.length - 1])};`);
  }
  return h.digest('hex');
}

/** The completed object's bytes: the parts' extents, in order. No byte is rewritten. */
export function concatenateLayouts(layouts: readonly Layout[]): Layout {
  const extents = [];
  for (const l of layouts) for (const e of l.extents) if (e.sizeBytes > 0) extents.push(e);
  return { extents };
}

/**
 * S3 ETags arrive quoted, unquoted, or with the quotes as character references: aws-sdk-go (rclone)
 * writes `&#34;` and the XML parser leaves numeric references undecoded. Compare them bare, lower-case.
 */
export function normalizeEtag(etag: string): string {
  let s = etag
    .trim()
    .replace(/&quot;/g, '"')
    .replace(/&#(?:34|x22);/gi, '"');
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  return s.toLowerCase();
}

/** JS compares UTF-16 code units; S3 orders keys by UTF-8 bytes. They differ only for astral vs U+E000..U+FFFF. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      const xs = x <= 0xdfff;
      const ys = y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1; // a surrogate (4-byte UTF-8) sorts after any BMP char ≥ U+E000
    }
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
