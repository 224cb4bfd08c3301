// DeleteObject (204 whether or not the key existed) and DeleteObjects (POST ?delete, ≤ maxDeleteKeys,
// Content-MD5 or x-amz-checksum-* required, Quiet mode). On a versioned bucket a delete without a
// version id adds a delete marker; with one it removes that version for good.

import type { VersioningMode } from '../store/api.js';
import type { RequestContext } from '../http/context.js';
import type { HeaderList } from '../http/response.js';
import { toS3Error } from './errors.js';
import { requireBucket, requireKey, sendXml } from './common.js';
import { assertObjectKey } from './names.js';
import { readSmallBody } from './payload.js';
import { authorizeAction } from './policy-handlers.js';
import { bucketVersioning, invalidVersionId, isVersionIdSyntax, versionIdParam } from './versioning.js';
import { versionDeleteGuard } from './object-lock-handlers.js';
import { S3_NS, el, parseDeleteRequest } from './xml.js';

/** Deletes in flight at once within one DeleteObjects request. */
export const DELETE_OBJECTS_CONCURRENCY = 64;

/** What one delete did, in the terms of S3's response (headers of DeleteObject, <Deleted> of DeleteObjects). */
interface DeleteOutcome {
  /** The version removed (a version id was given) or the delete marker created. */
  versionId?: string;
  /** A delete marker was created, or the version removed was one. */
  deleteMarker: boolean;
}

/**
 * One delete, as S3 decides it:
 * - a version id: that version is removed for good (nothing to remove is still a success);
 * - no version id on a versioned bucket: a delete marker becomes the latest version (id "null" when
 *   Suspended, replacing the "null" version), whether or not the key had any version;
 * - no version id on a bucket never versioned: the object is removed.
 */
async function deleteOne(ctx: RequestContext, bucket: string, mode: VersioningMode | undefined, key: string, versionId: string | undefined): Promise<DeleteOutcome> {
  if (versionId !== undefined) {
    // Object Lock decides on the version as it is when the delete is decided (a locked one → AccessDenied).
    const removed = await ctx.engine.deleteVersion(bucket, key, versionId, undefined, versionDeleteGuard(ctx, bucket, key));
    return { versionId, deleteMarker: removed?.deleteMarker === true };
  }
  if (mode !== undefined) {
    const marker = await ctx.engine.putDeleteMarker(bucket, key, mode);
    return { versionId: marker.versionId, deleteMarker: true };
  }
  await ctx.engine.deleteObject(bucket, key);
  return { deleteMarker: false };
}

export async function deleteObject(ctx: RequestContext): Promise<void> {
  const key = requireKey(ctx);
  const b = requireBucket(ctx);
  const versionId = versionIdParam(ctx);
  const out = await deleteOne(ctx, b.name, bucketVersioning(b), key, versionId);
  const headers: HeaderList = {};
  if (out.deleteMarker) headers['x-amz-delete-marker'] = 'true';
  if (out.versionId !== undefined) headers['x-amz-version-id'] = out.versionId;
  ctx.res.send(204, headers, '');
}

/** <Deleted> as S3 writes it: the version asked for, and the marker created (or removed) with its id. */
function deletedXml(key: string, asked: string | undefined, out: DeleteOutcome): string {
  let xml = `<Deleted>${el('Key', key)}${el('VersionId', asked)}`;
  if (out.deleteMarker) xml += `${el('DeleteMarker', true)}${el('DeleteMarkerVersionId', out.versionId)}`;
  return xml + '</Deleted>';
}

export async function deleteObjects(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const bucket = b.name;
  const mode = bucketVersioning(b);
  const limits = ctx.config.limits;
  const body = await readSmallBody(ctx, limits.maxXmlBodyBytes, true);
  const req = parseDeleteRequest(body, limits.maxDeleteKeys);
  // Deletes run DELETE_OBJECTS_CONCURRENCY at a time so one group commit covers many of them
  // (sequential durable deletes would cost a commit window each); results keep request order.
  const results: string[] = new Array(req.objects.length).fill('');
  for (let base = 0; base < req.objects.length; base += DELETE_OBJECTS_CONCURRENCY) {
    if (ctx.aborted) return;
    const batch = req.objects.slice(base, base + DELETE_OBJECTS_CONCURRENCY);
    await Promise.all(
      batch.map(async (o, i) => {
        try {
          assertObjectKey(o.key, limits.maxKeyBytes);
          if (o.versionId !== undefined && !isVersionIdSyntax(o.versionId)) throw invalidVersionId(o.versionId, 'VersionId');
          // The bucket policy decides each key (a Deny on a prefix must hold here as for DeleteObject).
          // A version delete is not granted by a bucket ACL's WRITE (AWS: the bucket owner's alone).
          authorizeAction(ctx, b, o.versionId === undefined ? 's3:DeleteObject' : 's3:DeleteObjectVersion', o.key, o.versionId === undefined ? 'DeleteObjects' : 'DeleteObjectVersion', o.versionId);
          const out = await deleteOne(ctx, bucket, mode, o.key, o.versionId);
          if (!req.quiet) results[base + i] = deletedXml(o.key, o.versionId, out);
        } catch (err) {
          const { error, internal } = toS3Error(err, { bucket, key: o.key });
          if (internal) ctx.log.error({ err, reqId: ctx.reqId, key: o.key }, 'DeleteObjects: internal error on one key');
          results[base + i] = `<Error>${el('Key', o.key)}${el('VersionId', o.versionId)}${el('Code', error.code)}${el('Message', error.message)}</Error>`;
        }
      }),
    );
  }
  let xml = `<DeleteResult xmlns="${S3_NS}">` + results.join('');
  xml += '</DeleteResult>';
  sendXml(ctx, 200, xml);
}
