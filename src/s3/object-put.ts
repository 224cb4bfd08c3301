// PutObject: stream the body into an engine writer, verify every digest the client claimed, and
// only then commit (atomically conditional for If-None-Match: * / If-Match).

import type { CommitRequest } from '../store/api.js';
import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { requireBucket, requireKey } from './common.js';
import { CHECKSUM_HEADERS, quoteEtag, systemMetaFromHeaders, userMetaFromHeaders } from './object-meta.js';
import { checksumsToRequest, planBody, streamBodyToWriter, verifyWritten } from './payload.js';
import { etagMatches } from './conditional.js';
import { aclForNewObject, noteObjectOwner } from './acl.js';
import type { HeaderList } from '../http/response.js';
import { tagsFromHeaders } from './tags.js';
import { addExpirationHeader } from './lifecycle-handlers.js';
import { refuseUnsupportedWriteHeaders } from './unsupported-write-headers.js';
import { bucketVersioning, writtenVersionHeaders } from './versioning.js';
import { assertLockedPutIntegrity, lockAtCommit, planWriteLock } from './object-lock-handlers.js';

/** If-None-Match / If-Match on writes → the engine's atomic commit condition. */
export function writeCondition(ctx: RequestContext): CommitRequest['condition'] | undefined {
  const inm = ctx.headers['if-none-match'];
  const im = ctx.headers['if-match'];
  if (inm !== undefined && im !== undefined) throw new S3Error('NotImplemented', 'If-Match and If-None-Match together are not supported on writes.');
  if (inm !== undefined) {
    if (inm.trim() !== '*') throw new S3Error('NotImplemented', 'If-None-Match on writes supports only *.');
    return { ifAbsent: true };
  }
  if (im !== undefined) {
    let t = im.trim();
    if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) t = t.slice(1, -1);
    if (t === '' || t === '*') throw new S3Error('NotImplemented', 'If-Match on writes needs an ETag.');
    return { ifEtag: t };
  }
  return undefined;
}

/** Fails fast (before reading the body) when the condition is already false; the commit re-checks atomically. */
export function precheckWriteCondition(ctx: RequestContext, bucket: string, key: string, condition: CommitRequest['condition']): void {
  if (!condition) return;
  const cur = ctx.engine.headObject(bucket, key);
  if (condition.ifAbsent && cur) throw new S3Error('PreconditionFailed', undefined, { details: { Condition: 'If-None-Match' } });
  if (condition.ifEtag !== undefined) {
    if (!cur) throw new S3Error('NoSuchKey', undefined, { details: { Key: key } });
    if (!etagMatches(condition.ifEtag, cur.etag)) throw new S3Error('PreconditionFailed', undefined, { details: { Condition: 'If-Match' } });
  }
}

export async function putObject(ctx: RequestContext): Promise<void> {
  const key = requireKey(ctx);
  const b = requireBucket(ctx);
  const bucket = b.name;
  const limits = ctx.config.limits;
  const plan = planBody(ctx, { requireLength: true, maxBytes: limits.maxObjectSizeBytes });
  const system = systemMetaFromHeaders(ctx.headers);
  const user = userMetaFromHeaders(ctx.headers, limits.maxUserMetadataBytes);
  // Validated before the body is read: a bad x-amz-tagging fails fast, with nothing written.
  const tags = tagsFromHeaders(ctx.headers);
  const condition = writeCondition(ctx);
  refuseUnsupportedWriteHeaders(ctx.headers);
  const acl = aclForNewObject(ctx, b);
  const lock = planWriteLock(ctx, b, key);
  assertLockedPutIntegrity(plan, lock);
  precheckWriteCondition(ctx, bucket, key, condition);

  const writer = ctx.engine.createWriter({
    checksums: checksumsToRequest(plan),
    sha256Hex: plan.sha256Hex !== undefined,
    ...(plan.decodedLength !== undefined ? { expectedSizeBytes: plan.decodedLength } : {}),
    placementKey: `${bucket}/${key}`,
  });
  ctx.cleanups.push(() => writer.abort('request ended before commit'));
  const received = await streamBodyToWriter(ctx, plan, writer, limits.maxObjectSizeBytes);
  const data = await writer.finish();
  if (data.sizeBytes !== received.decodedBytes) {
    throw new Error(`engine wrote ${data.sizeBytes} bytes but ${received.decodedBytes} were received`);
  }
  // Nothing is committed unless every digest the client claimed matches what was computed.
  const checksums = verifyWritten(plan, data, received);
  const req: CommitRequest = { bucket, key, layout: data.layout, sizeBytes: data.sizeBytes, etag: data.md5Hex, system, user, checksums };
  if (Object.keys(checksums).length > 0) req.checksumType = 'FULL_OBJECT';
  if (tags) req.tags = tags;
  if (condition) req.condition = condition;
  if (acl !== undefined) req.acl = acl;
  await noteObjectOwner(ctx, b, acl);
  const versioning = bucketVersioning(ctx.engine.getBucket(bucket) ?? b);
  if (versioning !== undefined) req.versioning = versioning;
  Object.assign(req, lockAtCommit(lock, ctx.engine.getBucket(bucket) ?? b, Date.now()));
  const meta = await ctx.engine.commitObject(req);
  const headers: HeaderList = { ETag: quoteEtag(meta.etag), ...writtenVersionHeaders(meta) };
  for (const [alg, v] of Object.entries(checksums)) headers[CHECKSUM_HEADERS[alg as keyof typeof CHECKSUM_HEADERS]] = v;
  if (req.checksumType) headers['x-amz-checksum-type'] = req.checksumType;
  addExpirationHeader(headers, ctx.engine.getBucket(bucket) ?? b, meta);
  ctx.res.send(200, headers, '');
}
