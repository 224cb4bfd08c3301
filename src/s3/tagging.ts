// Object tagging (?tagging on a key) and bucket tagging (?tagging on a bucket). Object tags live in the
// object's metadata and change through engine.updateObjectTags (a new commit record over the same
// layout, never a data rewrite); bucket tags live in the bucket settings.

import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { requireBucket, requireKey, sendXml } from './common.js';
import { readSmallBody } from './payload.js';
import { type Tags, parseTaggingXml, taggingXml } from './tags.js';
import type { HeaderList } from '../http/response.js';
import { bucketVersioning, readableVersion, versionHeaders, versionIdParam } from './versioning.js';

/** The bucket-settings field that holds bucket tags. */
export const BUCKET_TAGS_SETTING = 'tags';

/** The object version a tagging request addresses, and the x-amz-version-id its response carries. */
function taggedObject(ctx: RequestContext): { bucket: string; key: string; versionId?: string; tags?: Tags; headers: HeaderList } {
  const b = requireBucket(ctx);
  const key = requireKey(ctx);
  const versionId = versionIdParam(ctx);
  const meta = readableVersion(ctx, b.name, key, versionId);
  return {
    bucket: b.name,
    key,
    ...(versionId !== undefined ? { versionId } : {}),
    ...(meta.tags ? { tags: meta.tags } : {}),
    headers: versionHeaders(bucketVersioning(b), meta, versionId),
  };
}

export async function getObjectTagging(ctx: RequestContext): Promise<void> {
  const cur = taggedObject(ctx);
  sendXml(ctx, 200, taggingXml(cur.tags), cur.headers);
}

export async function putObjectTagging(ctx: RequestContext): Promise<void> {
  const cur = taggedObject(ctx);
  const body = await readSmallBody(ctx, ctx.config.limits.maxXmlBodyBytes);
  const tags = parseTaggingXml(body, 'object');
  // The engine re-decides existence at commit time: an object (version) deleted meanwhile is NoSuchKey there.
  await ctx.engine.updateObjectTags(cur.bucket, cur.key, tags, undefined, cur.versionId);
  ctx.res.send(200, cur.headers, '');
}

export async function deleteObjectTagging(ctx: RequestContext): Promise<void> {
  const cur = taggedObject(ctx);
  if (cur.tags) await ctx.engine.updateObjectTags(cur.bucket, cur.key, undefined, undefined, cur.versionId);
  ctx.res.send(204, cur.headers, '');
}

function bucketTags(settings: Record<string, unknown>): Tags | undefined {
  const t = settings[BUCKET_TAGS_SETTING];
  if (!t || typeof t !== 'object' || Object.keys(t).length === 0) return undefined;
  return t as Tags;
}

export async function getBucketTagging(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const tags = bucketTags(b.settings);
  if (!tags) throw new S3Error('NoSuchTagSet', undefined, { details: { BucketName: b.name } });
  sendXml(ctx, 200, taggingXml(tags));
}

export async function putBucketTagging(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const body = await readSmallBody(ctx, ctx.config.limits.maxXmlBodyBytes);
  const tags = parseTaggingXml(body, 'bucket');
  // A patch of this one key: the engine merges it into the current settings (pending ones included).
  await ctx.engine.updateBucketSettings(b.name, { [BUCKET_TAGS_SETTING]: Object.keys(tags).length > 0 ? tags : undefined });
  ctx.res.send(204, {}, '');
}

export async function deleteBucketTagging(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  if (bucketTags(b.settings)) await ctx.engine.updateBucketSettings(b.name, { [BUCKET_TAGS_SETTING]: undefined });
  ctx.res.send(204, {}, '');
}
