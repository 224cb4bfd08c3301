// S3 Object Lock operations and the hooks other operations call: Get/PutObjectLockConfiguration,
// Get/PutObjectRetention, Get/PutObjectLegalHold, Object Lock on CreateBucket, the x-amz-object-lock-*
// headers of writes (with the bucket's default retention), the headers GET/HEAD answer with, and the
// guard that refuses to delete a locked version. The rules themselves are pure, in object-lock.ts; here
// they are handed to the engine as guards (updateObjectLock, deleteVersion), which run them on the
// version as it is when the change is decided — nothing can slip between the check and the change.

import type { BucketMeta, ObjectMeta, ObjectRetention } from '../store/api.js';
import type { RequestContext } from '../http/context.js';
import type { HeaderList } from '../http/response.js';
import { S3Error } from './errors.js';
import { requireBucket, requireKey, sendXml } from './common.js';
import type { BodyPlan } from './payload.js';
import { readSmallBody } from './payload.js';
import { authorizeAction } from './policy-handlers.js';
import { BUCKET_VERSIONING_SETTING, bucketVersioning, readableVersion, versionIdParam } from './versioning.js';
import {
  BUCKET_OBJECT_LOCK_SETTING,
  assertDeletable,
  assertRetentionChange,
  bucketObjectLock,
  defaultRetention,
  hasObjectLockHeaders,
  isLocked,
  legalHoldXml,
  lockFromHeaders,
  objectLockConfigurationXml,
  objectLockHeaders,
  parseLegalHoldXml,
  parseObjectLockConfiguration,
  parseRetentionXml,
  retentionXml,
  type BucketObjectLock,
  type DefaultRetention,
} from './object-lock.js';

/** Retention, LegalHold and ObjectLockConfiguration bodies are a few hundred bytes; this bounds them. */
export const OBJECT_LOCK_BODY_MAX_BYTES = 16 * 1024;

const MISSING_CONFIGURATION = 'Bucket is missing Object Lock Configuration';

/** Whether the request asked to bypass GOVERNANCE retention (the header alone; see bypassGovernance). */
function bypassRequested(ctx: RequestContext): boolean {
  return (ctx.headers['x-amz-bypass-governance-retention'] ?? '').trim().toLowerCase() === 'true';
}

/** The bucket policy's verdict as a boolean: AccessDenied → false; anything else propagates. */
function allowedTo(ctx: RequestContext, b: BucketMeta, action: string, key: string): boolean {
  try {
    // Owner, root or the policy: no ACL permission grants an Object Lock action.
    authorizeAction(ctx, b, action, key, action);
    return true;
  } catch (err) {
    if (err instanceof S3Error && err.code === 'AccessDenied') return false;
    throw err;
  }
}

/**
 * The bypass counts only when asked for AND the caller may use it: where a bucket policy exists it must
 * not deny s3:BypassGovernanceRetention (anonymous callers need it allowed), as IAM decides it on AWS.
 */
export function bypassGovernance(ctx: RequestContext, b: BucketMeta, key: string): boolean {
  return bypassRequested(ctx) && allowedTo(ctx, b, 's3:BypassGovernanceRetention', key);
}

/** Retention and legal-hold operations need a bucket with Object Lock; S3 checks that before the key. */
function lockedBucket(ctx: RequestContext): { b: BucketMeta; lock: BucketObjectLock } {
  const b = requireBucket(ctx);
  const lock = bucketObjectLock(b);
  if (!lock) throw new S3Error('InvalidRequest', MISSING_CONFIGURATION, { details: { BucketName: b.name } });
  return { b, lock };
}

// ------------------------------------------------------------------------------------------------
// bucket: CreateBucket header, Get/PutObjectLockConfiguration

/**
 * `x-amz-bucket-object-lock-enabled` of CreateBucket: true → the bucket is created with versioning
 * Enabled and Object Lock on. Checked before anything is created.
 */
export function objectLockRequestedOnCreate(ctx: RequestContext): boolean {
  const v = ctx.headers['x-amz-bucket-object-lock-enabled'];
  if (v === undefined) return false;
  const s = v.trim().toLowerCase();
  if (s !== 'true' && s !== 'false') throw new S3Error('InvalidArgument', 'x-amz-bucket-object-lock-enabled must be true or false', { details: { ArgumentName: 'x-amz-bucket-object-lock-enabled', ArgumentValue: v } });
  return s === 'true';
}

/**
 * The settings a bucket created with Object Lock starts with: versioning Enabled, Object Lock on. They are
 * part of the creating record (engine.createBucket's settings), so no crash leaves a plain bucket behind —
 * which a client's retry, answered 200 by the us-east-1 re-create rule, would have taken as locked.
 */
export function objectLockSettingsForNewBucket(): Record<string, unknown> {
  return { [BUCKET_VERSIONING_SETTING]: 'Enabled', [BUCKET_OBJECT_LOCK_SETTING]: { enabled: true } satisfies BucketObjectLock };
}

export async function getObjectLockConfiguration(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const lock = bucketObjectLock(b);
  if (!lock) throw new S3Error('ObjectLockConfigurationNotFoundError', undefined, { details: { BucketName: b.name } });
  sendXml(ctx, 200, objectLockConfigurationXml(lock));
}

/**
 * Sets (or, without a Rule, removes) the default retention. On a bucket without Object Lock it also
 * turns Object Lock on — which AWS allows for buckets whose versioning is Enabled — and otherwise is
 * 409 InvalidBucketState (s3-tests test_object_lock_put_obj_lock_invalid_bucket). Object Lock is never
 * turned off. The body needs Content-MD5 or an x-amz-checksum-*, as S3 requires.
 */
export async function putObjectLockConfiguration(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  const body = await readSmallBody(ctx, OBJECT_LOCK_BODY_MAX_BYTES, true);
  const rule = parseObjectLockConfiguration(body);
  // Decided on the bucket as it is now, not as it was before the body arrived (a concurrent
  // PutBucketVersioning Suspended must not slip in between).
  const b = requireBucket(ctx);
  if (!bucketObjectLock(b) && bucketVersioning(b) !== 'Enabled') {
    throw new S3Error('InvalidBucketState', "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration", { details: { BucketName: b.name } });
  }
  const next: BucketObjectLock = rule ? { enabled: true, rule } : { enabled: true };
  // Versioning is written with it: Object Lock never sits on a bucket whose versioning is not Enabled.
  await ctx.engine.updateBucketSettings(b.name, { [BUCKET_VERSIONING_SETTING]: 'Enabled', [BUCKET_OBJECT_LOCK_SETTING]: next });
  ctx.res.send(200, {}, '');
}

// ------------------------------------------------------------------------------------------------
// object: Get/PutObjectRetention, Get/PutObjectLegalHold

export async function getObjectRetention(ctx: RequestContext): Promise<void> {
  const { b } = lockedBucket(ctx);
  const key = requireKey(ctx);
  const meta = readableVersion(ctx, b.name, key, versionIdParam(ctx));
  if (!meta.retention) throw new S3Error('NoSuchObjectLockConfiguration', undefined, { details: { Key: key } });
  sendXml(ctx, 200, retentionXml(meta.retention));
}

export async function putObjectRetention(ctx: RequestContext): Promise<void> {
  const { b } = lockedBucket(ctx);
  const key = requireKey(ctx);
  const versionId = versionIdParam(ctx);
  const next = parseRetentionXml(await readSmallBody(ctx, OBJECT_LOCK_BODY_MAX_BYTES, true));
  if (next !== null && next.untilMs <= Date.now()) throw new S3Error('InvalidArgument', 'The retain until date must be in the future!');
  readableVersion(ctx, b.name, key, versionId); // NoSuchKey / NoSuchVersion / a delete marker, as S3 names them
  const bypass = bypassGovernance(ctx, b, key);
  await ctx.engine.updateObjectLock(b.name, key, versionId, { retention: next }, (v) => assertRetentionChange(v, next, Date.now(), bypass));
  ctx.res.send(200, {}, '');
}

/** A version whose hold was never set is 404 NoSuchObjectLockConfiguration, as on AWS; one set OFF answers OFF. */
export async function getObjectLegalHold(ctx: RequestContext): Promise<void> {
  const { b } = lockedBucket(ctx);
  const key = requireKey(ctx);
  const meta = readableVersion(ctx, b.name, key, versionIdParam(ctx));
  if (meta.legalHold === undefined) throw new S3Error('NoSuchObjectLockConfiguration', undefined, { details: { Key: key } });
  sendXml(ctx, 200, legalHoldXml(meta.legalHold));
}

/** A legal hold has no mode and no date: whoever may put one may lift it (s3:PutObjectLegalHold). */
export async function putObjectLegalHold(ctx: RequestContext): Promise<void> {
  const { b } = lockedBucket(ctx);
  const key = requireKey(ctx);
  const versionId = versionIdParam(ctx);
  const on = parseLegalHoldXml(await readSmallBody(ctx, OBJECT_LOCK_BODY_MAX_BYTES, true));
  readableVersion(ctx, b.name, key, versionId);
  await ctx.engine.updateObjectLock(b.name, key, versionId, { legalHold: on });
  ctx.res.send(200, {}, '');
}

// ------------------------------------------------------------------------------------------------
// writes: PutObject, CopyObject, CreateMultipartUpload (+ Complete), POST Object

/** What a write asked for, decided before any byte is read; the default rule is applied at commit. */
export interface WriteLock {
  retention?: ObjectRetention;
  legalHold?: boolean;
  /** The bucket's default retention when the request began, for a write that names none. */
  rule?: DefaultRetention;
}

/**
 * The x-amz-object-lock-* headers (or POST fields) of a write to `key`: on a bucket without Object Lock
 * any of them is 400 InvalidRequest, as S3 answers — never an unlocked object the client believes
 * protected. Setting a retention or a hold at write time needs s3:PutObjectRetention /
 * s3:PutObjectLegalHold too, as on AWS. Returns undefined when the version gets no lock at all.
 */
export function planWriteLock(ctx: RequestContext, b: BucketMeta, key: string, headers: Readonly<Record<string, string | undefined>> = ctx.headers): WriteLock | undefined {
  const lock = bucketObjectLock(b);
  if (!lock) {
    if (hasObjectLockHeaders(headers)) throw new S3Error('InvalidRequest', MISSING_CONFIGURATION);
    return undefined;
  }
  const asked = lockFromHeaders(headers, Date.now());
  // Named as their own operations: a bucket ACL's WRITE does not grant setting a lock.
  if (asked.retention) authorizeAction(ctx, b, 's3:PutObjectRetention', key, 'PutObjectRetention');
  if (asked.legalHold !== undefined) authorizeAction(ctx, b, 's3:PutObjectLegalHold', key, 'PutObjectLegalHold');
  const out: WriteLock = {};
  if (asked.retention) out.retention = asked.retention;
  else if (lock.rule) out.rule = lock.rule;
  if (asked.legalHold !== undefined) out.legalHold = asked.legalHold;
  return out.retention || out.rule || out.legalHold !== undefined ? out : undefined;
}

/**
 * The lock a version committed now starts with: what the request asked for, else the default rule of the
 * bucket as it is at commit (`b` read then: a rule put while a large body streamed applies to it),
 * counted from the commit, as S3 dates it.
 */
export function lockAtCommit(plan: WriteLock | undefined, b: BucketMeta, nowMs: number): { retention?: ObjectRetention; legalHold?: boolean } {
  const out: { retention?: ObjectRetention; legalHold?: boolean } = {};
  const rule = bucketObjectLock(b)?.rule;
  const retention = plan?.retention ?? (rule ? defaultRetention(rule, nowMs) : undefined);
  if (retention) out.retention = retention;
  if (plan?.legalHold !== undefined) out.legalHold = plan.legalHold;
  return out;
}

/**
 * S3 requires an integrity check on a PutObject that locks its object (headers or the bucket default),
 * and on the parts of an upload that will: Content-MD5 or a checksum — a header, or the trailer the SDKs
 * send by default.
 */
export function assertLockedPutIntegrity(plan: BodyPlan, lock: WriteLock | undefined, operation: 'Put Object' | 'Upload Part' = 'Put Object'): void {
  if (!lock) return;
  if (plan.contentMd5Base64 === undefined && plan.headerChecksum === undefined && plan.trailerChecksum === undefined) {
    throw new S3Error('InvalidRequest', `Content-MD5 OR x-amz-checksum- HTTP header is required for ${operation} requests with Object Lock parameters`);
  }
}

/** The lock an upload's object will get: its Create request's, or the bucket's default rule. */
export function uploadLock(b: BucketMeta, upload: { retention?: ObjectRetention; legalHold?: boolean }): WriteLock | undefined {
  const rule = bucketObjectLock(b)?.rule;
  const out: WriteLock = {};
  if (upload.retention) out.retention = upload.retention;
  else if (rule) out.rule = rule;
  if (upload.legalHold !== undefined) out.legalHold = upload.legalHold;
  return out.retention || out.rule || out.legalHold !== undefined ? out : undefined;
}

// ------------------------------------------------------------------------------------------------
// reads and deletes

/**
 * x-amz-object-lock-* on GetObject / HeadObject. As on AWS, each is shown only to a caller the bucket
 * policy lets read it (s3:GetObjectRetention, s3:GetObjectLegalHold); without a policy, to every signed caller.
 */
export function objectLockReadHeaders(ctx: RequestContext, b: BucketMeta, meta: ObjectMeta): HeaderList {
  if (!meta.retention && !meta.legalHold) return {};
  return objectLockHeaders(meta, {
    retention: meta.retention !== undefined && allowedTo(ctx, b, 's3:GetObjectRetention', meta.key),
    legalHold: meta.legalHold === true && allowedTo(ctx, b, 's3:GetObjectLegalHold', meta.key),
  });
}

/**
 * The guard for engine.deleteVersion (DeleteObject / DeleteObjects naming a version): runs on the
 * version as it is when the delete is decided. A locked version → 403 AccessDenied; GOVERNANCE gives way
 * to an allowed bypass. A delete without a version id only adds a marker and needs no guard.
 */
export function versionDeleteGuard(ctx: RequestContext, bucket: string, key: string): (version: ObjectMeta) => void {
  return (version) => {
    const nowMs = Date.now();
    if (!isLocked(version, nowMs)) return;
    const b = ctx.engine.getBucket(bucket);
    assertDeletable(version, nowMs, b !== undefined && bypassGovernance(ctx, b, key));
  };
}
