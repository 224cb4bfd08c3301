// Bucket and object sub-resources Strata does not implement. Clients probe a few of them and break
// on an error, so those get the answer S3 gives an unconfigured bucket; the rest are 501.

import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { displayNameOf, ownerXml, requireBucket, requireKey, sendXml } from './common.js';
import { S3_NS, el } from './xml.js';
import { bucketVersioning, readableVersion, versionHeaders, versionIdParam } from './versioning.js';

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

function aclXml(owner: string, displayName: string): string {
  return (
    `<AccessControlPolicy xmlns="${S3_NS}">${ownerXml(owner, displayName)}<AccessControlList>` +
    `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${el('ID', owner)}${el('DisplayName', displayName)}</Grantee>` +
    '<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>'
  );
}

export async function getBucketAcl(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  sendXml(ctx, 200, aclXml(b.owner, displayNameOf(ctx, b.owner)));
}

/** ACLs are disabled: the answer is the owner's FULL_CONTROL, once the (version of the) object is known to exist. */
export async function getObjectAcl(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const key = requireKey(ctx);
  const versionId = versionIdParam(ctx);
  const meta = readableVersion(ctx, b.name, key, versionId);
  sendXml(ctx, 200, aclXml(b.owner, displayNameOf(ctx, b.owner)), versionHeaders(bucketVersioning(b), meta, versionId));
}
