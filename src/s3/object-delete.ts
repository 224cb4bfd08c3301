// DeleteObject (204 whether or not the key existed) and DeleteObjects (POST ?delete, ≤ maxDeleteKeys,
// Content-MD5 or x-amz-checksum-* required, Quiet mode).

import type { RequestContext } from '../http/context.js';
import { S3Error, toS3Error } from './errors.js';
import { requireBucket, requireKey, sendXml } from './common.js';
import { NULL_VERSION_ID, requireNullVersion } from './list-versions.js';
import { assertObjectKey } from './names.js';
import { readSmallBody } from './payload.js';
import { authorizeAction } from './policy-handlers.js';
import { S3_NS, el, parseDeleteRequest } from './xml.js';

/** Deletes in flight at once within one DeleteObjects request. */
export const DELETE_OBJECTS_CONCURRENCY = 64;

export async function deleteObject(ctx: RequestContext): Promise<void> {
  const key = requireKey(ctx);
  const bucket = requireBucket(ctx).name;
  // A version id other than "null" cannot name anything in an unversioned bucket: never delete for it.
  requireNullVersion(ctx);
  await ctx.engine.deleteObject(bucket, key);
  ctx.res.send(204, ctx.query.get('versionId') !== undefined ? { 'x-amz-version-id': NULL_VERSION_ID } : {}, '');
}

export async function deleteObjects(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const bucket = b.name;
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
          if (o.versionId !== undefined && o.versionId !== NULL_VERSION_ID) throw new S3Error('InvalidArgument', 'Invalid version id specified');
          // The bucket policy decides each key (a Deny on a prefix must hold here as for DeleteObject).
          authorizeAction(ctx, b, 's3:DeleteObject', o.key);
          await ctx.engine.deleteObject(bucket, o.key);
          if (!req.quiet) results[base + i] = `<Deleted>${el('Key', o.key)}${el('VersionId', o.versionId)}</Deleted>`;
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
