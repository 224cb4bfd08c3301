// ACLs, as S3 answers them for buckets with Object Ownership "bucket owner enforced" (the AWS default
// since 2023): ACLs are disabled — the owner has full control of everything and nothing else can be
// granted. A request asking for another ACL gets a clear 400 instead of silently being stored private.

import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { requireBucket, requireKey } from './common.js';
import { readSmallBody } from './payload.js';
import { parseXml, text } from './xml.js';

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

// --- PutBucketAcl / PutObjectAcl ------------------------------------------------------------------
// AWS, for a bucket owner enforced bucket: an ACL that only says "the owner has full control" — the
// canned `private` / `bucket-owner-full-control`, or the same thing as an AccessControlPolicy body —
// succeeds and changes nothing; any other ACL is 400 AccessControlListNotSupported.

/** The one ACL an ACL-disabled bucket accepts, written as XML: the owner, FULL_CONTROL, nothing else. */
function isOwnerFullControlXml(doc: Record<string, unknown>, owner: string): boolean {
  const policy = doc['AccessControlPolicy'];
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) throw new S3Error('MalformedACLError');
  const p = policy as Record<string, unknown>;
  const ownerEl = p['Owner'];
  if (ownerEl !== undefined && (ownerEl === null || typeof ownerEl !== 'object' || text((ownerEl as Record<string, unknown>)['ID']) !== owner)) return false;
  const list = p['AccessControlList'];
  if (list === null || typeof list !== 'object' || Array.isArray(list)) return false; // no grants: not the owner's full control
  const grants = (list as Record<string, unknown>)['Grant'];
  if (grants === null || typeof grants !== 'object' || Array.isArray(grants)) return false; // zero or several grants
  const g = grants as Record<string, unknown>;
  const grantee = g['Grantee'];
  if (grantee === null || typeof grantee !== 'object' || Array.isArray(grantee)) throw new S3Error('MalformedACLError');
  const who = grantee as Record<string, unknown>;
  return text(who['ID']) === owner && who['URI'] === undefined && who['EmailAddress'] === undefined && text(g['Permission']) === 'FULL_CONTROL';
}

async function putAcl(ctx: RequestContext, owner: string): Promise<void> {
  const acl = cannedAcl(ctx.headers['x-amz-acl']);
  const grants = GRANT_HEADERS.some((h) => ctx.headers[h] !== undefined);
  const body = await readSmallBody(ctx, ctx.config.limits.maxXmlBodyBytes);
  const hasBody = body.toString('utf8').trim() !== '';
  if ((acl !== undefined || grants) && hasBody) throw new S3Error('UnexpectedContent', 'Specify an ACL with the x-amz-acl / x-amz-grant-* headers or in the body, not both.');
  if (acl === undefined && !grants && !hasBody) throw new S3Error('MissingSecurityHeader', 'An ACL is required: x-amz-acl, x-amz-grant-* or an AccessControlPolicy body.');
  const ownerOnly = hasBody ? isOwnerFullControlXml(parseXml(body), owner) : !grants && acl !== undefined && OBJECT_ACLS_ACCEPTED.has(acl);
  if (!ownerOnly) throw new S3Error('AccessControlListNotSupported');
  ctx.res.send(200, {}, '');
}

export async function putBucketAcl(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  await putAcl(ctx, b.owner);
}

export async function putObjectAcl(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const key = requireKey(ctx);
  if (!ctx.engine.headObject(b.name, key)) throw new S3Error('NoSuchKey', undefined, { details: { Key: key } });
  await putAcl(ctx, b.owner);
}
