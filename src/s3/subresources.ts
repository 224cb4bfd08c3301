// Bucket and object sub-resources Strata does not implement. Clients probe a few of them and break
// on an error, so those get the answer S3 gives an unconfigured bucket; the rest are 501.

import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { ownerXml, requireBucket, requireKey, sendXml } from './common.js';
import { S3_NS, el } from './xml.js';

/** Bucket sub-resources that are recognised but not implemented (any method, unless routed before). */
export const UNSUPPORTED_BUCKET_SUBRESOURCES = [
  'acl', 'policy', 'policyStatus', 'versioning', 'lifecycle', 'website', 'logging', 'notification',
  'replication', 'encryption', 'object-lock', 'ownershipControls', 'publicAccessBlock', 'accelerate', 'requestPayment',
  'analytics', 'metrics', 'inventory', 'intelligent-tiering', 'session', 'metadataTable',
] as const;

export const UNSUPPORTED_OBJECT_SUBRESOURCES = [
  'acl', 'retention', 'legal-hold', 'torrent', 'restore', 'select', 'renameObject',
] as const;

export async function notImplemented(ctx: RequestContext): Promise<void> {
  throw new S3Error('NotImplemented', `${ctx.op} is not implemented by Strata.`);
}

export async function getBucketVersioning(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  sendXml(ctx, 200, `<VersioningConfiguration xmlns="${S3_NS}"/>`);
}

function aclXml(owner: string): string {
  return (
    `<AccessControlPolicy xmlns="${S3_NS}">${ownerXml(owner)}<AccessControlList>` +
    `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${el('ID', owner)}${el('DisplayName', owner)}</Grantee>` +
    '<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>'
  );
}

export async function getBucketAcl(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  sendXml(ctx, 200, aclXml(b.owner));
}

export async function getObjectAcl(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const key = requireKey(ctx);
  if (!ctx.engine.headObject(b.name, key)) throw new S3Error('NoSuchKey', undefined, { details: { Key: key } });
  sendXml(ctx, 200, aclXml(b.owner));
}
