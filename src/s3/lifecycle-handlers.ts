// Bucket lifecycle operations (?lifecycle on a bucket) and the x-amz-expiration header object
// responses carry. The configuration lives in the bucket settings (settings.lifecycle); the XML,
// matching and expiry rules are pure functions in lifecycle.ts; acting on them is the sweeper's job
// (lifecycle-sweeper.ts), never the request path's.

import type { BucketMeta, ObjectMeta } from '../store/api.js';
import type { RequestContext } from '../http/context.js';
import type { HeaderList } from '../http/response.js';
import { S3Error } from './errors.js';
import { deleteBucketSetting, requireBucket, sendXml } from './common.js';
import { readSmallBody } from './payload.js';
import {
  BUCKET_LIFECYCLE_SETTING,
  MAX_LIFECYCLE_CONFIG_BYTES,
  expirationHeader,
  lifecycleFromSettings,
  lifecycleXml,
  objectExpiry,
  parseLifecycleXml,
} from './lifecycle.js';

export async function getBucketLifecycle(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const cfg = lifecycleFromSettings(b.settings);
  if (!cfg) throw new S3Error('NoSuchLifecycleConfiguration', undefined, { details: { BucketName: b.name } });
  sendXml(ctx, 200, lifecycleXml(cfg));
}

export async function putBucketLifecycle(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  // S3 requires Content-MD5 (or an x-amz-checksum-*) on PutBucketLifecycleConfiguration; every SDK
  // sends one, and readSmallBody verifies it before a byte is parsed.
  const body = await readSmallBody(ctx, Math.min(MAX_LIFECYCLE_CONFIG_BYTES, ctx.config.limits.maxXmlBodyBytes), true);
  const cfg = parseLifecycleXml(body);
  // Replaces the whole configuration (as S3 does), as a patch of this one settings key.
  await ctx.engine.updateBucketSettings(b.name, { [BUCKET_LIFECYCLE_SETTING]: cfg });
  ctx.res.send(200, {}, '');
}

export function deleteBucketLifecycle(ctx: RequestContext): Promise<void> {
  return deleteBucketSetting(ctx, BUCKET_LIFECYCLE_SETTING);
}

/**
 * Adds `x-amz-expiration: expiry-date="…", rule-id="…"` when an enabled rule will expire this object
 * (PUT, GET, HEAD). A bucket without lifecycle costs one settings lookup.
 */
export function addExpirationHeader(headers: HeaderList, bucket: BucketMeta, meta: ObjectMeta, isCurrent = true): void {
  if (bucket.settings[BUCKET_LIFECYCLE_SETTING] === undefined) return;
  // Expiration acts on current versions only (on a versioned bucket a delete marker hides it).
  if (!isCurrent) return;
  const cfg = lifecycleFromSettings(bucket.settings);
  const expiry = cfg ? objectExpiry(cfg, meta) : undefined;
  if (expiry) headers['x-amz-expiration'] = expirationHeader(expiry);
}
