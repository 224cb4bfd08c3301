// Bucket and object sub-resources Strata does not implement. Clients probe a few of them and break
// on an error, so those get the answer S3 gives an unconfigured bucket; the rest are 501.

import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';

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
