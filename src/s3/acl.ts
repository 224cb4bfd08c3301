// ACLs, as S3 answers them for buckets with Object Ownership "bucket owner enforced" (the AWS default
// since 2023): ACLs are disabled — the owner has full control of everything and nothing else can be
// granted. A request asking for another ACL gets a clear 400 instead of silently being stored private.

import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { bucketVersioning, readableVersion, versionHeaders, versionIdParam } from './versioning.js';
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

/** An AccessControlPolicy body lists at most this many grants (S3's own limit is 100). */
const MAX_ACL_GRANTS = 100;

function asList(v: unknown): unknown[] {
  if (v === undefined || v === '') return [];
  return Array.isArray(v) ? v : [v];
}

function field(v: unknown, name: string): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[name] : undefined;
}

/**
 * Whether an AccessControlPolicy document says exactly "the owner has full control" — the one ACL an
 * ACL-disabled bucket accepts ("an equivalent form of bucket-owner-full-control expressed in XML").
 * Not a policy document at all → MalformedACLError.
 */
export function isOwnerFullControlXml(body: Buffer, owner: string): boolean {
  let doc: Record<string, unknown>;
  try {
    doc = parseXml(body);
  } catch {
    throw new S3Error('MalformedACLError');
  }
  const policy = doc['AccessControlPolicy'];
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) throw new S3Error('MalformedACLError');
  const ownerId = text(field(field(policy, 'Owner'), 'ID'));
  if (ownerId !== undefined && ownerId !== owner) return false;
  const grants = asList(field(field(policy, 'AccessControlList'), 'Grant'));
  if (grants.length > MAX_ACL_GRANTS) throw new S3Error('MalformedACLError', `An ACL has at most ${MAX_ACL_GRANTS} grants.`);
  if (grants.length === 0) return false; // revoking the owner's access is not "owner full control"
  return grants.every((g) => {
    const grantee = field(g, 'Grantee');
    return (
      text(field(g, 'Permission')) === 'FULL_CONTROL' &&
      text(field(grantee, 'ID')) === owner &&
      field(grantee, 'URI') === undefined &&
      field(grantee, 'EmailAddress') === undefined
    );
  });
}

/**
 * The ACL a PutBucketAcl / PutObjectAcl request asks for, from x-amz-acl, x-amz-grant-* or the body
 * (one or the other, as S3). Only "the owner has full control" is accepted, as a no-op: it is the state
 * every bucket and object is already in. Anything else is 400 AccessControlListNotSupported, what S3
 * answers on a bucket with ACLs disabled — never stored and then ignored.
 */
async function checkAclWrite(ctx: RequestContext, owner: string, cannedAccepted: ReadonlySet<string>): Promise<void> {
  const canned = cannedAcl(ctx.headers['x-amz-acl']);
  const grantHeaders = GRANT_HEADERS.some((h) => ctx.headers[h] !== undefined);
  const body = await readSmallBody(ctx, ctx.config.limits.maxXmlBodyBytes);
  const hasBody = body.toString('utf8').trim() !== '';
  if ((canned !== undefined || grantHeaders) && hasBody) throw new S3Error('UnexpectedContent', 'This request does not support content when an ACL header is given.');
  if (grantHeaders) throw new S3Error('AccessControlListNotSupported');
  if (canned !== undefined) {
    if (!cannedAccepted.has(canned)) throw new S3Error('AccessControlListNotSupported');
    return;
  }
  if (!hasBody) throw new S3Error('MalformedACLError', 'An ACL needs an x-amz-acl header, x-amz-grant-* headers or an AccessControlPolicy body.');
  if (!isOwnerFullControlXml(body, owner)) throw new S3Error('AccessControlListNotSupported');
}

/** For a bucket, `private` and `bucket-owner-full-control` both mean "the owner has full control". */
const BUCKET_ACLS_ACCEPTED = OBJECT_ACLS_ACCEPTED;

export async function putBucketAcl(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  await checkAclWrite(ctx, b.owner, BUCKET_ACLS_ACCEPTED);
  ctx.res.send(200, {}, '');
}

export async function putObjectAcl(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const key = requireKey(ctx);
  // The version addressed must exist (NoSuchVersion; a delete marker is 405, as for GetObjectAcl).
  const versionId = versionIdParam(ctx);
  const meta = readableVersion(ctx, b.name, key, versionId);
  await checkAclWrite(ctx, b.owner, OBJECT_ACLS_ACCEPTED);
  ctx.res.send(200, versionHeaders(bucketVersioning(b), meta, versionId), '');
}
