// ACL operations (Get/Put Bucket/Object Acl) and the ACL a write asks for (x-amz-acl, x-amz-grant-*,
// POST Object's `acl` field). The model is pure (acl-model.ts); storage and defaults are in
// acl-stored.ts; enforcement is the authorisation step's (acl-authorize.ts).
//
// With Object Ownership BucketOwnerEnforced ACLs are disabled, as AWS: the only ACL accepted is one
// that says "the bucket owner has full control" (canned private / bucket-owner-full-control, or that
// ACL as XML), as a no-op; any other is 400 AccessControlListNotSupported.

import type { RequestContext } from '../http/context.js';
import type { BucketMeta, ObjectMeta } from '../store/api.js';
import { S3Error } from './errors.js';
import { displayNameOf, requireBucket, requireKey, sendXml } from './common.js';
import { readSmallBody } from './payload.js';
import {
  aclXml,
  cannedGrants,
  dedupeGrants,
  ownerOnlyAcl,
  parseAclXml,
  parseCannedAcl,
  parseGrantHeaders,
  type Acl,
  type CannedAcl,
  type Grant,
  type RequestedGrant,
} from './acl-model.js';
import { bucketVersioning, readableVersion, versionHeaders, versionIdParam } from './versioning.js';
import { BUCKET_ACL_SETTING, FOREIGN_OBJECTS_SETTING, aclsEnabled, bucketAcl, objectAcl, objectOwnership } from './acl-stored.js';

function isRootCaller(ctx: RequestContext): boolean {
  return ctx.identities.lookup(ctx.auth?.accessKeyId ?? '')?.isRoot === true;
}

/** Canonical id → display name for the XML: the identity's name, or the id itself. */
function displayNameFn(ctx: RequestContext): (id: string) => string {
  return (id) => displayNameOf(ctx, id);
}

/**
 * Requested grantees → stored grants. A canonical id must be an identity of this node (S3 answers an
 * unknown id 400 InvalidArgument). An e-mail grantee becomes the canonical user whose `email` (identities
 * file) it is, as S3 converts it; no such identity → UnresolvableGrantByEmailAddress, never a grant to nobody.
 */
function resolveGrants(ctx: RequestContext, requested: readonly RequestedGrant[]): Grant[] {
  return dedupeGrants(
    requested.map(({ grantee, permission }): Grant => {
      if ('uri' in grantee) return { uri: grantee.uri, permission };
      if ('email' in grantee) {
        const who = ctx.identities.lookupByEmail?.(grantee.email);
        if (who === undefined) throw new S3Error('UnresolvableGrantByEmailAddress', undefined, { details: { EmailAddress: grantee.email } });
        return { id: who.accessKeyId, permission };
      }
      if (ctx.identities.lookup(grantee.id) === undefined) throw new S3Error('InvalidArgument', 'Invalid id', { details: { ArgumentName: 'CanonicalUser/ID', ArgumentValue: grantee.id } });
      return { id: grantee.id, permission };
    }),
  );
}

/** The ACL headers of a request: a canned ACL or grants (S3 refuses both together), or neither. */
function aclHeaders(ctx: RequestContext, cannedField?: string): { canned?: CannedAcl; grants?: RequestedGrant[] } {
  const canned = parseCannedAcl(cannedField ?? ctx.headers['x-amz-acl']);
  // POST Object takes the canned ACL from its form; its headers belong to the browser's request.
  const grants = cannedField === undefined ? parseGrantHeaders(ctx.headers) : undefined;
  if (canned !== undefined && grants !== undefined) throw new S3Error('InvalidRequest', 'Specifying both Canned ACLs and Header Grants is not allowed');
  return { ...(canned !== undefined ? { canned } : {}), ...(grants !== undefined ? { grants } : {}) };
}

const OWNER_FULL_CONTROL_CANNED: ReadonlySet<string> = new Set(['private', 'bucket-owner-full-control']);

function isOwnerFullControl(grants: readonly Grant[], owner: string): boolean {
  return grants.length > 0 && grants.every((g) => g.id === owner && g.permission === 'FULL_CONTROL');
}

/**
 * The ACL a new object version starts with (PutObject, CopyObject, CreateMultipartUpload, POST Object),
 * or undefined for the default: the bucket owner's, FULL_CONTROL, nothing stored. Decides the owner too:
 * the writer (ObjectWriter; BucketOwnerPreferred unless the writer sent bucket-owner-full-control) or the
 * bucket owner (BucketOwnerEnforced; anonymous writers to a public-write bucket, which have no id; root).
 */
export function aclForNewObject(ctx: RequestContext, b: BucketMeta, cannedField?: string): Acl | undefined {
  const { canned, grants } = aclHeaders(ctx, cannedField);
  const mode = objectOwnership(b);
  if (mode === 'BucketOwnerEnforced') {
    if (grants !== undefined || (canned !== undefined && !OWNER_FULL_CONTROL_CANNED.has(canned))) throw new S3Error('AccessControlListNotSupported');
    return undefined;
  }
  // Root, the administrator, writes on the bucket owner's behalf: its objects do not lock the owner out.
  const writer = ctx.auth?.accessKeyId === undefined || isRootCaller(ctx) ? b.owner : ctx.auth.accessKeyId;
  const owner = mode === 'BucketOwnerPreferred' && canned === 'bucket-owner-full-control' ? b.owner : writer;
  let acl: Acl;
  if (grants !== undefined) acl = { owner, grants: resolveGrants(ctx, grants) };
  else if (canned !== undefined) acl = { owner, grants: cannedGrants(canned, owner, b.owner) };
  else acl = ownerOnlyAcl(owner);
  return owner === b.owner && isOwnerFullControl(acl.grants, owner) ? undefined : acl;
}

/**
 * Before committing an object owned by someone else: mark the bucket, so the owner's reads stop
 * taking the no-lookup fast path (acl-authorize.ts). Written before the commit, never after.
 */
export async function noteObjectOwner(ctx: RequestContext, b: BucketMeta, acl: Acl | undefined): Promise<void> {
  if (acl === undefined || acl.owner === b.owner) return;
  if (ctx.engine.getBucket(b.name)?.settings[FOREIGN_OBJECTS_SETTING] === true) return;
  await ctx.engine.updateBucketSettings(b.name, { [FOREIGN_OBJECTS_SETTING]: true });
}

/**
 * CreateBucket's ACL headers → the bucket ACL to store (undefined: the default). With
 * x-amz-object-ownership: BucketOwnerEnforced any ACL but private is InvalidBucketAclWithObjectOwnership.
 */
export function aclForNewBucket(ctx: RequestContext, owner: string, enforced: boolean): Acl | undefined {
  const { canned, grants } = aclHeaders(ctx);
  if (enforced) {
    if (grants !== undefined || (canned !== undefined && !OWNER_FULL_CONTROL_CANNED.has(canned))) throw new S3Error('InvalidBucketAclWithObjectOwnership');
    return undefined;
  }
  if (grants !== undefined) return { owner, grants: resolveGrants(ctx, grants) };
  if (canned === undefined || OWNER_FULL_CONTROL_CANNED.has(canned) || canned === 'bucket-owner-read') return undefined;
  return { owner, grants: cannedGrants(canned, owner, owner) };
}

/**
 * The ACL a PutBucketAcl / PutObjectAcl asks for: x-amz-acl, x-amz-grant-* or an AccessControlPolicy
 * body — one of them (header and body → UnexpectedContent, none → MissingSecurityHeader). The owner
 * stays: a body naming another owner is AccessDenied (ownership is not transferable by ACL).
 */
async function requestedAcl(ctx: RequestContext, owner: string, bucketOwner: string): Promise<Acl> {
  const { canned, grants } = aclHeaders(ctx);
  const body = await readSmallBody(ctx, ctx.config.limits.maxXmlBodyBytes);
  const hasBody = body.toString('utf8').trim() !== '';
  if ((canned !== undefined || grants !== undefined) && hasBody) throw new S3Error('UnexpectedContent', 'Specify an ACL with the x-amz-acl / x-amz-grant-* headers or in the body, not both.');
  if (canned !== undefined) return { owner, grants: cannedGrants(canned, owner, bucketOwner) };
  if (grants !== undefined) return { owner, grants: resolveGrants(ctx, grants) };
  if (!hasBody) throw new S3Error('MissingSecurityHeader', 'An ACL is required: x-amz-acl, x-amz-grant-* or an AccessControlPolicy body.');
  const doc = parseAclXml(body);
  if (doc.ownerId !== undefined && doc.ownerId !== owner) throw new S3Error('AccessDenied', 'The owner of a bucket or object cannot be changed with an ACL.');
  return { owner, grants: resolveGrants(ctx, doc.grants) };
}

/** ACLs disabled: only "the owner has full control" is accepted (and changes nothing). */
function refuseUnlessOwnerFullControl(acl: Acl): void {
  if (!isOwnerFullControl(acl.grants, acl.owner)) throw new S3Error('AccessControlListNotSupported');
}

export async function putBucketAcl(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const acl = await requestedAcl(ctx, b.owner, b.owner);
  if (!aclsEnabled(b)) refuseUnlessOwnerFullControl(acl);
  else await ctx.engine.updateBucketSettings(b.name, { [BUCKET_ACL_SETTING]: isOwnerFullControl(acl.grants, acl.owner) ? undefined : acl });
  ctx.res.send(200, {}, '');
}

export async function getBucketAcl(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  sendXml(ctx, 200, aclXml(bucketAcl(b), displayNameFn(ctx)));
}

export async function putObjectAcl(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const key = requireKey(ctx);
  // The version addressed must exist (NoSuchVersion; a delete marker is 405, as for GetObjectAcl).
  const versionId = versionIdParam(ctx);
  const meta = readableVersion(ctx, b.name, key, versionId);
  const owner = objectAcl(b, meta).owner;
  const acl = await requestedAcl(ctx, owner, b.owner);
  if (!aclsEnabled(b)) refuseUnlessOwnerFullControl(acl);
  // The version read above, by id: a write that lands meanwhile does not take this ACL.
  else await ctx.engine.updateObjectAcl(b.name, key, meta.versionId, owner === b.owner && isOwnerFullControl(acl.grants, owner) ? undefined : acl);
  ctx.res.send(200, versionHeaders(bucketVersioning(b), meta, versionId), '');
}

export async function getObjectAcl(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const key = requireKey(ctx);
  const versionId = versionIdParam(ctx);
  const meta = readableVersion(ctx, b.name, key, versionId);
  sendXml(ctx, 200, aclXml(objectAcl(b, meta), displayNameFn(ctx)), versionHeaders(bucketVersioning(b), meta, versionId));
}
