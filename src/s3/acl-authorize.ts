// What the owner and the ACLs allow, for the authorisation step (policy-handlers.ts), which asks this
// after the bucket policy has neither denied nor allowed. Following AWS's ACL model:
// - the node's root identity (the administrator) may do everything;
// - an object operation in ACL_NEEDS (reads and the object's ACL) is decided by that object version's
//   ACL: its owner, or a grant of the permission — the bucket owner too needs one for an object
//   another identity owns (AWS's ObjectWriter rule; BucketOwnerPreferred / -Enforced avoid it);
// - everything else on the bucket is the bucket owner's, plus what the bucket ACL grants for the
//   operations in ACL_NEEDS (listing: READ, writing and deleting objects: WRITE, its ACL: READ_ACP /
//   WRITE_ACP). Configuration (policy, CORS, lifecycle, tagging …), Object Lock and deleting a version
//   for good are never granted by an ACL.
// With ACLs disabled (BucketOwnerEnforced) acl-stored.ts answers "the bucket owner, FULL_CONTROL" for
// every ACL, so this reduces to the owner rule.

import type { RequestContext } from '../http/context.js';
import type { BucketMeta, ObjectMeta } from '../store/api.js';
import type { AuthResult } from '../auth/request.js';
import { aclAllows, type AclCaller, type Permission } from './acl-model.js';
import { FOREIGN_OBJECTS_SETTING, bucketAcl, objectAcl } from './acl-stored.js';

interface AclNeed {
  on: 'bucket' | 'object';
  permission: Permission;
}

const B = (permission: Permission): AclNeed => ({ on: 'bucket', permission });
const O = (permission: Permission): AclNeed => ({ on: 'object', permission });

/** Operation → the ACL permission that grants it (AWS's ACL-to-action mapping). Absent: owner only. */
export const ACL_NEEDS: Readonly<Record<string, AclNeed>> = {
  ListObjects: B('READ'),
  ListObjectVersions: B('READ'),
  ListMultipartUploads: B('READ'),
  HeadBucket: B('READ'),
  GetBucketAcl: B('READ_ACP'),
  PutBucketAcl: B('WRITE_ACP'),
  PutObject: B('WRITE'),
  PostObject: B('WRITE'),
  CopyObject: B('WRITE'), // and READ on the source object (authorizeCopySource)
  CreateMultipartUpload: B('WRITE'),
  UploadPart: B('WRITE'),
  UploadPartCopy: B('WRITE'),
  CompleteMultipartUpload: B('WRITE'),
  AbortMultipartUpload: B('WRITE'),
  ListParts: B('WRITE'), // the uploader of a public-write bucket must be able to resume
  DeleteObject: B('WRITE'),
  DeleteObjects: B('WRITE'),
  GetObject: O('READ'),
  HeadObject: O('READ'),
  GetObjectAttributes: O('READ'), // AWS: "you must have READ access to the object"
  GetObjectAcl: O('READ_ACP'),
  PutObjectAcl: O('WRITE_ACP'),
};

/** The verified signer of the request (header, presigned or POST form), or undefined. */
function signer(ctx: RequestContext): Pick<AuthResult, 'accessKeyId' | 'identity'> | undefined {
  const raw = ctx.auth?.raw as Partial<AuthResult> | undefined;
  return raw && (raw as { anonymous?: boolean }).anonymous !== true && raw.identity && typeof raw.accessKeyId === 'string' ? (raw as AuthResult) : undefined;
}

function aclCaller(ctx: RequestContext): AclCaller {
  const id = signer(ctx)?.accessKeyId;
  return id === undefined ? { anonymous: true } : { anonymous: false, id };
}

/** The version an object operation addresses, or undefined when there is none (or a delete marker). */
function addressedVersion(ctx: RequestContext, bucket: string, key: string, versionId: string | undefined): ObjectMeta | undefined {
  const meta = versionId === undefined ? ctx.engine.headObject(bucket, key) : ctx.engine.headVersion(bucket, key, versionId);
  return meta === undefined || meta.deleteMarker === true ? undefined : meta;
}

/** Whether the caller may list the bucket by ownership or ACL (for NoSuchKey vs AccessDenied). */
export function aclAllowsList(ctx: RequestContext, b: BucketMeta): boolean {
  const s = signer(ctx);
  if (s !== undefined && (s.identity.isRoot || s.accessKeyId === b.owner)) return true;
  return aclAllows(bucketAcl(b), aclCaller(ctx), 'READ');
}

/**
 * Whether ownership or an ACL lets this request's caller do `op` on the bucket (and `key`, for object
 * operations; `versionId` picks the version). A missing object is left to the handler (NoSuchKey) for
 * callers who may list the bucket, as S3 answers; for others it is refused, so no key's existence leaks.
 */
export function aclPermits(ctx: RequestContext, b: BucketMeta, op: string, key: string | undefined, versionId: string | undefined): boolean {
  const s = signer(ctx);
  if (s?.identity.isRoot === true) return true;
  const isBucketOwner = s !== undefined && s.accessKeyId === b.owner;
  // AWS: a bucket ACL's WRITE lets others delete objects (a delete marker on a versioned bucket), but
  // permanently deleting a version (s3:DeleteObjectVersion) is the bucket owner's alone.
  const need = op === 'DeleteObject' && versionId !== undefined ? undefined : ACL_NEEDS[op];
  if (need === undefined) return isBucketOwner;
  if (need.on === 'object' && key !== undefined) {
    // Fast path: until someone else has owned an object here, the bucket owner owns them all.
    if (isBucketOwner && b.settings[FOREIGN_OBJECTS_SETTING] !== true) return true;
    const meta = addressedVersion(ctx, b.name, key, versionId);
    if (meta === undefined) return aclAllowsList(ctx, b);
    const acl = objectAcl(b, meta);
    // AWS: an object's owner keeps READ_ACP / WRITE_ACP whatever its ACL says; here the owner keeps all
    // of it (an owner locked out of reading its own object is a support call, not a feature).
    if (s !== undefined && s.accessKeyId === acl.owner) return true;
    return aclAllows(acl, aclCaller(ctx), need.permission);
  }
  if (isBucketOwner) return true;
  return aclAllows(bucketAcl(b), aclCaller(ctx), need.permission);
}
