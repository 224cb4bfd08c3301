// Object tagging (?tagging on a key) and bucket tagging (?tagging on a bucket). Object tags live in the
// object's metadata and change through engine.updateObjectTags (a new commit record over the same
// layout, never a data rewrite); bucket tags live in the bucket settings.

import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { requireBucket, requireKey, sendXml } from './common.js';
import { readSmallBody } from './payload.js';
import { type Tags, parseTaggingXml, taggingXml } from './tags.js';

/** The bucket-settings field that holds bucket tags. */
export const BUCKET_TAGS_SETTING = 'tags';

/** Unversioned buckets: only the current version ("null") can be named. */
function checkVersion(ctx: RequestContext, key: string, versionId: string): void {
  const asked = ctx.query.get('versionId');
  if (asked !== undefined && asked !== 'null' && asked !== versionId) {
    throw new S3Error('NoSuchVersion', undefined, { details: { Key: key, VersionId: asked } });
  }
}

function currentObject(ctx: RequestContext): { bucket: string; key: string; versionId: string; seq: number; tags?: Tags } {
  const bucket = requireBucket(ctx).name;
  const key = requireKey(ctx);
  const meta = ctx.engine.headObject(bucket, key);
  if (!meta) throw new S3Error('NoSuchKey', undefined, { details: { Key: key } });
  checkVersion(ctx, key, meta.versionId);
  return { bucket, key, versionId: meta.versionId, seq: meta.seq, ...(meta.tags ? { tags: meta.tags } : {}) };
}

export async function getObjectTagging(ctx: RequestContext): Promise<void> {
  const cur = currentObject(ctx);
  sendXml(ctx, 200, taggingXml(cur.tags));
}

export async function putObjectTagging(ctx: RequestContext): Promise<void> {
  const cur = currentObject(ctx);
  const body = await readSmallBody(ctx, ctx.config.limits.maxXmlBodyBytes);
  const tags = parseTaggingXml(body, 'object');
  // The engine re-decides existence at commit time: an object deleted meanwhile is NoSuchKey there.
  await ctx.engine.updateObjectTags(cur.bucket, cur.key, tags);
  ctx.res.send(200, {}, '');
}

export async function deleteObjectTagging(ctx: RequestContext): Promise<void> {
  const cur = currentObject(ctx);
  if (cur.tags) await ctx.engine.updateObjectTags(cur.bucket, cur.key, undefined);
  ctx.res.send(204, {}, '');
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
