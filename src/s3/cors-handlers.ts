// Bucket CORS operations (?cors on a bucket), the unauthenticated preflight (OPTIONS on a bucket or
// an object), and the hook the HTTP layer calls to add Access-Control-* headers to an actual
// request's response. The rules live in the bucket settings (settings.cors); the XML and the matcher
// are pure functions in cors.ts.

import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { deleteBucketSetting, requireBucket, sendXml } from './common.js';
import { readSmallBody } from './payload.js';
import {
  BUCKET_CORS_SETTING,
  MAX_CORS_CONFIG_BYTES,
  actualRequestHeaders,
  corsRulesFromSettings,
  corsXml,
  findCorsRule,
  parseCorsXml,
  parseRequestHeaders,
  preflightHeaders,
} from './cors.js';

export async function getBucketCors(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const rules = corsRulesFromSettings(b.settings);
  if (!rules) throw new S3Error('NoSuchCORSConfiguration', undefined, { details: { BucketName: b.name } });
  sendXml(ctx, 200, corsXml(rules));
}

export async function putBucketCors(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  // S3 requires Content-MD5 (or an x-amz-checksum-*) on PutBucketCors; every SDK sends one.
  const body = await readSmallBody(ctx, Math.min(MAX_CORS_CONFIG_BYTES, ctx.config.limits.maxXmlBodyBytes), true);
  const rules = parseCorsXml(body);
  // A patch of this one key: the engine merges it into the current settings (pending ones included).
  await ctx.engine.updateBucketSettings(b.name, { [BUCKET_CORS_SETTING]: rules });
  ctx.res.send(200, {}, '');
}

export function deleteBucketCors(ctx: RequestContext): Promise<void> {
  return deleteBucketSetting(ctx, BUCKET_CORS_SETTING);
}

/**
 * OPTIONS /bucket[/key]: the browser's preflight. Unauthenticated (browsers never sign it); the
 * answer depends only on the bucket's rules. The request's own query (?uploads …) does not matter.
 */
export async function corsPreflight(ctx: RequestContext): Promise<void> {
  const origin = ctx.headers['origin'];
  if (origin === undefined || origin === '') throw new S3Error('BadRequest');
  const method = ctx.headers['access-control-request-method'];
  if (method === undefined || method === '') throw new S3Error('BadRequest', 'Invalid Access-Control-Request-Method: null');
  const b = requireBucket(ctx);
  const rules = corsRulesFromSettings(b.settings);
  const requested = parseRequestHeaders(ctx.headers['access-control-request-headers']);
  const rule = rules ? findCorsRule(rules, origin, method.trim(), requested) : undefined;
  if (!rule) {
    throw new S3Error('AccessForbidden', undefined, { details: { Method: method, ResourceType: ctx.key === undefined ? 'BUCKET' : 'OBJECT' } });
  }
  ctx.res.send(200, preflightHeaders(rule, origin, requested), '');
}

/**
 * Called by the HTTP layer for every request that carries an Origin and names a bucket, before the
 * operation runs, so the headers go out on success and on error responses alike (as S3 does). A
 * bucket without CORS costs one cached metadata lookup; a request without Origin costs nothing.
 */
export function applyCorsHeaders(ctx: RequestContext): void {
  const origin = ctx.headers['origin'];
  if (origin === undefined || ctx.bucket === undefined || ctx.method === 'OPTIONS') return;
  const b = ctx.engine.getBucket(ctx.bucket);
  if (!b || b.settings[BUCKET_CORS_SETTING] === undefined) return;
  const rules = corsRulesFromSettings(b.settings);
  const rule = rules ? findCorsRule(rules, origin, ctx.method) : undefined;
  if (rule) ctx.res.addHeaders(actualRequestHeaders(rule, origin));
}
