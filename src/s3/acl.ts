// ACLs, as S3 answers them for buckets with Object Ownership "bucket owner enforced" (the AWS default
// since 2023): ACLs are disabled — the owner has full control of everything and nothing else can be
// granted. A request asking for another ACL gets a clear 400 instead of silently being stored private.

import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';

const CANNED_ACLS = new Set(['private', 'public-read', 'public-read-write', 'authenticated-read', 'aws-exec-read', 'bucket-owner-read', 'bucket-owner-full-control', 'log-delivery-write']);
/** What an ACL-disabled bucket still accepts on object writes: both mean "the owner has full control". */
const OBJECT_ACLS_ACCEPTED = new Set(['private', 'bucket-owner-full-control']);
const GRANT_HEADERS = ['x-amz-grant-full-control', 'x-amz-grant-read', 'x-amz-grant-read-acp', 'x-amz-grant-write', 'x-amz-grant-write-acp'];

function cannedAcl(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if (!CANNED_ACLS.has(v)) throw new S3Error('InvalidArgument', undefined, { details: { ArgumentName: 'x-amz-acl', ArgumentValue: value } });
  return v;
}

/** PutObject, CopyObject, CreateMultipartUpload (headers) and POST Object (the `acl` field). */
export function checkObjectAcl(ctx: RequestContext, aclField?: string): void {
  const acl = cannedAcl(aclField ?? ctx.headers['x-amz-acl']);
  if ((acl !== undefined && !OBJECT_ACLS_ACCEPTED.has(acl)) || GRANT_HEADERS.some((h) => ctx.headers[h] !== undefined)) {
    throw new S3Error('AccessControlListNotSupported');
  }
}

/** CreateBucket: only the default (private) ownership is possible. */
export function checkBucketAcl(ctx: RequestContext): void {
  const acl = cannedAcl(ctx.headers['x-amz-acl']);
  if ((acl !== undefined && acl !== 'private') || GRANT_HEADERS.some((h) => ctx.headers[h] !== undefined)) {
    throw new S3Error('InvalidBucketAclWithObjectOwnership');
  }
}
