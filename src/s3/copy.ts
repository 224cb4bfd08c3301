// CopyObject: no data is rewritten — the source's layout is committed under the new key.

import { checkObjectAcl } from './acl.js';
import type { CommitRequest } from '../store/api.js';
import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { requireBucket, requireKey, sendXml } from './common.js';
import { refuseUnsupportedWriteHeaders } from './unsupported-write-headers.js';
import { assertObjectKey, decodePathComponent } from './names.js';
import { evaluateCopySourceConditions } from './conditional.js';
import { CHECKSUM_HEADERS, systemMetaFromHeaders, userMetaFromHeaders } from './object-meta.js';
import { S3_NS, el, isoDate } from './xml.js';
import { precheckWriteCondition, writeCondition } from './object-put.js';
import { taggingDirective, tagsFromHeaders } from './tags.js';
import { authorizeCopySource } from './policy-handlers.js';

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

export async function copyObject(ctx: RequestContext): Promise<void> {
  const key = requireKey(ctx);
  const bucket = requireBucket(ctx).name;
  const limits = ctx.config.limits;
  if (ctx.body.receivedBytes > 0 || Number(ctx.headers['content-length'] ?? 0) > 0) {
    throw new S3Error('InvalidRequest', 'CopyObject requests must not carry a body.');
  }
  const src = parseCopySource(ctx.headers['x-amz-copy-source']!);
  assertObjectKey(src.key, limits.maxKeyBytes);
  refuseUnsupportedWriteHeaders(ctx.headers, { copySource: true });
  checkObjectAcl(ctx);
  authorizeCopySource(ctx, src.bucket, src.key);
  if (!ctx.engine.getBucket(src.bucket)) throw new S3Error('NoSuchBucket', undefined, { details: { BucketName: src.bucket } });
  const meta = ctx.engine.headObject(src.bucket, src.key);
  if (!meta) throw new S3Error('NoSuchKey', undefined, { details: { Key: src.key } });
  if (src.versionId !== undefined && src.versionId !== 'null' && src.versionId !== meta.versionId) {
    throw new S3Error('NoSuchVersion', undefined, { details: { Key: src.key, VersionId: src.versionId } });
  }
  const h = ctx.headers;
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
  if (src.bucket === bucket && src.key === key && directive !== 'REPLACE') {
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
  if (tags && Object.keys(tags).length > 0) req.tags = { ...tags };
  if (condition) req.condition = condition;
  const out = await ctx.engine.commitObject(req);
  let xml = `<CopyObjectResult xmlns="${S3_NS}">${el('LastModified', isoDate(out.lastModifiedMs))}${el('ETag', `"${out.etag}"`)}`;
  for (const [alg, v] of Object.entries(out.checksums)) {
    if (v !== undefined) xml += el('Checksum' + alg, v);
  }
  xml += '</CopyObjectResult>';
  const headers: Record<string, string> = {};
  for (const [alg, v] of Object.entries(out.checksums)) if (v !== undefined) headers[CHECKSUM_HEADERS[alg as keyof typeof CHECKSUM_HEADERS]] = v;
  sendXml(ctx, 200, xml, headers);
}
