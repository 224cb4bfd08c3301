// Bucket and object sub-resources Strata does not implement. Clients probe a few of them and break
// on an error, so those get the answer S3 gives an unconfigured bucket; the rest are 501.

import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { requireBucket, sendXml } from './common.js';
import { readSmallBody } from './payload.js';
import { S3_NS, el, parseXml, text } from './xml.js';

/** Bucket sub-resources that are recognised but not implemented (any method, unless routed before). */
// Configuration sub-resources of features Strata does not have (encryption, website, object lock …)
// are answered as S3 answers an unconfigured bucket, in unconfigured.ts.
export const UNSUPPORTED_BUCKET_SUBRESOURCES = [
  'acl', 'versioning', 'session', 'metadataTable',
] as const;

export const UNSUPPORTED_OBJECT_SUBRESOURCES = [
  'acl', 'torrent', 'restore', 'select', 'renameObject',
] as const;

export async function notImplemented(ctx: RequestContext): Promise<void> {
  throw new S3Error('NotImplemented', `${ctx.op} is not implemented by Strata.`);
}

/** Bucket setting that records a versioning state a client asked for (only "Suspended" is possible). */
export const BUCKET_VERSIONING_SETTING = 'versioning';

export async function getBucketVersioning(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const status = b.settings[BUCKET_VERSIONING_SETTING];
  sendXml(ctx, 200, `<VersioningConfiguration xmlns="${S3_NS}">${status === 'Suspended' ? el('Status', 'Suspended') : ''}</VersioningConfiguration>`);
}

/**
 * PutBucketVersioning. "Suspended" is exactly how Strata's buckets behave (every write is the "null"
 * version, replacing the previous one), so it is recorded and reported. "Enabled" would need version
 * history, which Strata does not keep: refused, never pretended. MFA Delete is not supported.
 */
export async function putBucketVersioning(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const doc = parseXml(await readSmallBody(ctx, ctx.config.limits.maxXmlBodyBytes));
  const conf = doc['VersioningConfiguration'];
  if (conf === undefined || (typeof conf === 'object' && conf !== null && Array.isArray(conf))) throw new S3Error('MalformedXML');
  const fields = typeof conf === 'object' && conf !== null ? (conf as Record<string, unknown>) : {};
  const status = text(fields['Status']);
  const mfa = text(fields['MfaDelete']);
  if (status !== undefined && status !== 'Enabled' && status !== 'Suspended') throw new S3Error('MalformedXML');
  if (mfa === 'Enabled') throw new S3Error('NotImplemented', 'MFA Delete is not supported by Strata.');
  if (status === 'Enabled') throw new S3Error('NotImplemented', 'Versioning (Status Enabled) is not supported by Strata: buckets keep one version per key ("null"). Status Suspended is accepted.');
  if (status === 'Suspended') await ctx.engine.updateBucketSettings(b.name, { [BUCKET_VERSIONING_SETTING]: 'Suspended' });
  ctx.res.send(200, {}, '');
}
