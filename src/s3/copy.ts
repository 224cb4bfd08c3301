// CopyObject: normally no data is rewritten — the source's layout is committed under the new key. The
// exception is x-amz-checksum-algorithm naming a checksum the source does not have as a whole-object
// value: S3 then computes it over the copied bytes, so the source is read (verified, as any GET) and
// written again through a writer, whose workers compute the checksum; the copy gets the new layout.

import { aclForNewObject, noteObjectOwner } from './acl.js';
import type { ChecksumAlgorithm, CommitRequest, ObjectMeta, WrittenData } from '../store/api.js';
import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { requireBucket, requireKey, sendXml } from './common.js';
import { refuseUnsupportedWriteHeaders } from './unsupported-write-headers.js';
import { assertObjectKey, decodePathComponent } from './names.js';
import { evaluateCopySourceConditions } from './conditional.js';
import { CHECKSUM_HEADERS, checksumAlgorithmFromName, systemMetaFromHeaders, userMetaFromHeaders } from './object-meta.js';
import { S3_NS, el, isoDate } from './xml.js';
import { precheckWriteCondition, writeCondition } from './object-put.js';
import { taggingDirective, tagsFromHeaders } from './tags.js';
import { authorizeCopySource } from './policy-handlers.js';
import { bucketVersioning, copySourceVersion, copySourceVersionHeaders, writtenVersionHeaders } from './versioning.js';
import type { HeaderList } from '../http/response.js';
import { lockAtCommit, planWriteLock } from './object-lock-handlers.js';

export interface CopySource {
  bucket: string;
  key: string;
  versionId?: string;
}

/** "bucket/key", "/bucket/key", optionally "?versionId=…"; the path part is URL-encoded. */
export function parseCopySource(header: string): CopySource {
  let s = header.trim();
  let versionId: string | undefined;
  const q = s.indexOf('?');
  if (q >= 0) {
    const params = new URLSearchParams(s.slice(q + 1));
    versionId = params.get('versionId') ?? undefined;
    s = s.slice(0, q);
  }
  const decoded = decodePathComponent(s);
  const path = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { details: { ArgumentName: 'x-amz-copy-source', ArgumentValue: header } });
  }
  const out: CopySource = { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
  if (versionId !== undefined) out.versionId = versionId;
  return out;
}

/** x-amz-checksum-algorithm of a copy, if any. */
function requestedChecksumAlgorithm(h: Readonly<Record<string, string>>): ChecksumAlgorithm | undefined {
  const raw = h['x-amz-checksum-algorithm']?.trim();
  if (raw === undefined || raw === '') return undefined;
  const alg = checksumAlgorithmFromName(raw);
  if (alg === undefined) throw new S3Error('InvalidRequest', `Checksum algorithm ${raw} is not supported.`);
  return alg;
}

/** Reads the source's verified bytes into a new writer computing `alg`; the caller commits the result. */
async function rewriteWithChecksum(ctx: RequestContext, source: ObjectMeta, alg: ChecksumAlgorithm, placementKey: string): Promise<WrittenData> {
  const writer = ctx.engine.createWriter({ checksums: [alg], expectedSizeBytes: source.sizeBytes, placementKey });
  ctx.cleanups.push(() => writer.abort('request ended'));
  let data: WrittenData;
  try {
    if (source.sizeBytes > 0) {
      for await (const chunk of ctx.engine.readObject(source)) {
        if (!writer.write(chunk)) await new Promise<void>((resolve) => writer.onDrain(resolve));
      }
    }
    data = await writer.finish();
  } catch (err) {
    writer.abort('copy source read failed');
    throw err;
  }
  // The bytes were verified shard by shard on the way out; a single-part source's ETag is their MD5 too.
  if (data.sizeBytes !== source.sizeBytes || (!source.etag.includes('-') && data.md5Hex !== source.etag)) {
    writer.abort('copy mismatch');
    throw new Error(`copy of ${source.bucket}/${source.key} wrote ${data.sizeBytes} bytes md5 ${data.md5Hex}, source has ${source.sizeBytes} etag ${source.etag}`);
  }
  return data;
}

export async function copyObject(ctx: RequestContext): Promise<void> {
  const key = requireKey(ctx);
  const b = requireBucket(ctx);
  const bucket = b.name;
  const limits = ctx.config.limits;
  if (ctx.body.receivedBytes > 0 || Number(ctx.headers['content-length'] ?? 0) > 0) {
    throw new S3Error('InvalidRequest', 'CopyObject requests must not carry a body.');
  }
  const src = parseCopySource(ctx.headers['x-amz-copy-source']!);
  assertObjectKey(src.key, limits.maxKeyBytes);
  refuseUnsupportedWriteHeaders(ctx.headers, { copySource: true });
  // The copy's ACL comes from this request (default private), never from the source, as S3.
  const acl = aclForNewObject(ctx, b);
  // The copy's own lock (headers or the bucket default); the source's retention and hold are not copied, as S3.
  const lock = planWriteLock(ctx, b, key);
  authorizeCopySource(ctx, src.bucket, src.key, src.versionId);
  if (!ctx.engine.getBucket(src.bucket)) throw new S3Error('NoSuchBucket', undefined, { details: { BucketName: src.bucket } });
  const meta = copySourceVersion(ctx, src);
  const h = ctx.headers;
  const checksumAlgorithm = requestedChecksumAlgorithm(h);
  const ok = evaluateCopySourceConditions(
    {
      ifMatch: h['x-amz-copy-source-if-match'],
      ifNoneMatch: h['x-amz-copy-source-if-none-match'],
      ifModifiedSince: h['x-amz-copy-source-if-modified-since'],
      ifUnmodifiedSince: h['x-amz-copy-source-if-unmodified-since'],
    },
    meta.etag,
    meta.lastModifiedMs,
  );
  if (!ok) throw new S3Error('PreconditionFailed', undefined, { details: { Condition: 'x-amz-copy-source-If-*' } });

  const directive = (h['x-amz-metadata-directive'] ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.', { details: { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive } });
  }
  // Copying in place is how S3 users add or change an object's checksum, so a checksum algorithm counts as a change.
  // Copying a named version onto its own key makes it current again (restoring an old version): allowed.
  if (src.bucket === bucket && src.key === key && src.versionId === undefined && directive !== 'REPLACE' && checksumAlgorithm === undefined) {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  // Tags follow their own directive (default COPY, which ignores x-amz-tagging, as S3 does).
  const tags = taggingDirective(h) === 'REPLACE' ? tagsFromHeaders(h) : meta.tags;
  const condition = writeCondition(ctx);
  precheckWriteCondition(ctx, bucket, key, condition);
  const req: CommitRequest = {
    bucket,
    key,
    layout: meta.layout,
    sizeBytes: meta.sizeBytes,
    etag: meta.etag,
    system: directive === 'REPLACE' ? systemMetaFromHeaders(h) : { ...meta.system },
    user: directive === 'REPLACE' ? userMetaFromHeaders(h, limits.maxUserMetadataBytes) : { ...meta.user },
    checksums: { ...meta.checksums },
  };
  if (meta.checksumType) req.checksumType = meta.checksumType;
  if (meta.parts) req.parts = meta.parts;
  if (checksumAlgorithm !== undefined) {
    // One checksum per object, as S3: the requested one, over the whole object (FULL_OBJECT).
    const have = meta.checksums[checksumAlgorithm];
    const value = have !== undefined && meta.checksumType !== 'COMPOSITE' ? have : undefined;
    if (value !== undefined) req.checksums = { [checksumAlgorithm]: value };
    else {
      const data = await rewriteWithChecksum(ctx, meta, checksumAlgorithm, `${bucket}/${key}`);
      req.layout = data.layout;
      req.checksums = { [checksumAlgorithm]: data.checksums[checksumAlgorithm]! };
    }
    req.checksumType = 'FULL_OBJECT';
    // Part checksums of another algorithm no longer describe this object's checksum.
    if (meta.parts) req.parts = meta.parts.map(({ checksums: _dropped, ...p }) => p);
  }
  if (tags && Object.keys(tags).length > 0) req.tags = { ...tags };
  if (condition) req.condition = condition;
  if (acl !== undefined) req.acl = acl;
  await noteObjectOwner(ctx, b, acl);
  // Read at commit time: a copy that rewrote data may have taken a while.
  const versioning = bucketVersioning(ctx.engine.getBucket(bucket) ?? b);
  if (versioning !== undefined) req.versioning = versioning;
  Object.assign(req, lockAtCommit(lock, ctx.engine.getBucket(bucket) ?? b, Date.now()));
  const out = await ctx.engine.commitObject(req);
  let xml = `<CopyObjectResult xmlns="${S3_NS}">${el('LastModified', isoDate(out.lastModifiedMs))}${el('ETag', `"${out.etag}"`)}`;
  for (const [alg, v] of Object.entries(out.checksums)) {
    if (v !== undefined) xml += el('Checksum' + alg, v);
  }
  if (out.checksumType && Object.keys(out.checksums).length > 0) xml += el('ChecksumType', out.checksumType);
  xml += '</CopyObjectResult>';
  const headers: HeaderList = { ...writtenVersionHeaders(out), ...copySourceVersionHeaders(meta, src.versionId) };
  for (const [alg, v] of Object.entries(out.checksums)) if (v !== undefined) headers[CHECKSUM_HEADERS[alg as keyof typeof CHECKSUM_HEADERS]] = v;
  sendXml(ctx, 200, xml, headers);
}
