// DeleteObject (204 whether or not the key existed) and DeleteObjects (POST ?delete, ≤ maxDeleteKeys,
// Content-MD5 or x-amz-checksum-* required, Quiet mode).

import type { RequestContext } from '../http/context.js';
import { S3Error, toS3Error } from './errors.js';
import { requireBucket, requireKey, sendXml } from './common.js';
import { assertObjectKey } from './names.js';
import { readSmallBody } from './payload.js';
import { S3_NS, el, parseDeleteRequest } from './xml.js';

export async function deleteObject(ctx: RequestContext): Promise<void> {
  const key = requireKey(ctx);
  const bucket = requireBucket(ctx).name;
  await ctx.engine.deleteObject(bucket, key);
  ctx.res.send(204, {}, '');
}

export async function deleteObjects(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx).name;
  const limits = ctx.config.limits;
  const body = await readSmallBody(ctx, limits.maxXmlBodyBytes, true);
  const req = parseDeleteRequest(body, limits.maxDeleteKeys);
  let xml = `<DeleteResult xmlns="${S3_NS}">`;
  for (const o of req.objects) {
    try {
      assertObjectKey(o.key, limits.maxKeyBytes);
      await ctx.engine.deleteObject(bucket, o.key);
      if (!req.quiet) xml += `<Deleted>${el('Key', o.key)}${el('VersionId', o.versionId)}</Deleted>`;
    } catch (err) {
      const { error, internal } = toS3Error(err, { bucket, key: o.key });
      if (internal) ctx.log.error({ err, reqId: ctx.reqId, key: o.key }, 'DeleteObjects: internal error on one key');
      xml += `<Error>${el('Key', o.key)}${el('VersionId', o.versionId)}${el('Code', error.code)}${el('Message', error.message)}</Error>`;
    }
  }
  xml += '</DeleteResult>';
  sendXml(ctx, 200, xml);
}
