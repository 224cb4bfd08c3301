// Small helpers every operation uses: bucket lookup, XML responses, owner element.

import type { BucketMeta } from '../store/api.js';
import type { RequestContext } from '../http/context.js';
import type { HeaderList } from '../http/response.js';
import { S3Error } from './errors.js';
import { XML_DECL, el } from './xml.js';

export function requireBucket(ctx: RequestContext): BucketMeta {
  const name = ctx.bucket!;
  const b = ctx.engine.getBucket(name);
  if (!b) throw new S3Error('NoSuchBucket', undefined, { details: { BucketName: name } });
  return b;
}

/**
 * DeleteBucket{Cors,Lifecycle,Policy}: a bucket configuration lives in one settings key, and deleting it
 * is a patch removing that key (nothing to write when it is absent), answered 204 either way.
 */
export async function deleteBucketSetting(ctx: RequestContext, key: string): Promise<void> {
  const b = requireBucket(ctx);
  if (b.settings[key] !== undefined) await ctx.engine.updateBucketSettings(b.name, { [key]: undefined });
  ctx.res.send(204, {}, '');
}

export function requireKey(ctx: RequestContext): string {
  if (ctx.key === undefined) throw new S3Error('InvalidRequest', 'An object key is required.');
  return ctx.key;
}

export function sendXml(ctx: RequestContext, status: number, body: string, headers: HeaderList = {}): void {
  ctx.res.send(status, { 'Content-Type': 'application/xml', ...headers }, XML_DECL + body);
}

export function ownerXml(id: string, displayName: string = id): string {
  return `<Owner>${el('ID', id)}${el('DisplayName', displayName)}</Owner>`;
}

/** The display name an owner id (access key id) is shown with: the identity's, or the id itself. */
export function displayNameOf(ctx: RequestContext, id: string): string {
  return ctx.identities.lookup(id)?.displayName ?? id;
}

/** Query parameter as a bounded non-negative integer; InvalidArgument otherwise. */
export function intParam(ctx: RequestContext, name: string, dflt: number, max: number, min = 0): number {
  const v = ctx.query.get(name);
  if (v === undefined || v === '') return dflt;
  if (!/^-?\d{1,10}$/.test(v)) throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, { details: { ArgumentName: name, ArgumentValue: v } });
  const n = Number(v);
  if (n < min) throw new S3Error('InvalidArgument', `Argument ${name} must be an integer between ${min} and 2147483647`, { details: { ArgumentName: name, ArgumentValue: v } });
  return Math.min(n, max);
}
