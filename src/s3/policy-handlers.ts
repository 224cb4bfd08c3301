// Bucket policy operations (?policy, ?policyStatus on a bucket) and the authorisation step the HTTP
// layer runs after authentication. The policy is stored as the JSON text the client sent
// (settings.policy) and compiled on first use; parsing and IAM evaluation are pure, in policy.ts.
//
// Who may do what:
// - a Deny statement that applies wins; an Allow that applies allows;
// - otherwise ownership and ACLs (acl-authorize.ts): the bucket's owner (the identity that created it)
//   and the node's root identity everything on the bucket; anyone else — anonymous, or another identity
//   from --identities-file, like another AWS account — what the bucket or object ACL grants;
// - the bucket owner and the node's root identity may always Get/Put/DeleteBucketPolicy (as AWS lets
//   the account root), so no policy can lock them out of fixing it. Nobody anonymous ever may.

import type { RequestContext } from '../http/context.js';
import type { BucketMeta, ObjectMeta } from '../store/api.js';
import type { AuthResult } from '../auth/request.js';
import { S3Error } from './errors.js';
import { aclAllowsList, aclPermits } from './acl-authorize.js';
import { deleteBucketSetting, requireBucket, sendXml } from './common.js';
import { readSmallBody } from './payload.js';
import { S3_NS, el } from './xml.js';
import { BUCKET_POLICY_SETTING, evaluatePolicy, isPolicyPublic, normaliseIp, parsePolicy, type Caller, type CompiledPolicy, type RequestFacts } from './policy.js';

/**
 * Operation (router op) → the IAM action a policy names it by. THE table: a route whose op is missing
 * here fails the unit test. null = no bucket-policy action (service-level, preflight, 501 stubs):
 * signed callers pass as before, anonymous ones never.
 */
export const POLICY_ACTIONS: Readonly<Record<string, string | null>> = {
  ListBuckets: null, // service level: not governed by a bucket policy (s3:ListAllMyBuckets)
  PreflightBucket: null, // unauthenticated by design (CORS preflight)
  PreflightObject: null,
  GetBucketLocation: 's3:GetBucketLocation',
  GetBucketVersioning: 's3:GetBucketVersioning',
  PutBucketVersioning: 's3:PutBucketVersioning',
  GetBucketAcl: 's3:GetBucketAcl',
  PutBucketAcl: 's3:PutBucketAcl',
  DeleteObjects: 's3:DeleteObject', // checked per key by the handler (authorizeObjectAction)
  GetBucketTagging: 's3:GetBucketTagging',
  PutBucketTagging: 's3:PutBucketTagging',
  DeleteBucketTagging: 's3:PutBucketTagging', // AWS: DeleteBucketTagging needs s3:PutBucketTagging
  GetBucketCors: 's3:GetBucketCORS',
  PutBucketCors: 's3:PutBucketCORS',
  DeleteBucketCors: 's3:PutBucketCORS', // likewise
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  PutBucketLifecycleConfiguration: 's3:PutLifecycleConfiguration',
  DeleteBucketLifecycle: 's3:PutLifecycleConfiguration', // AWS: DeleteBucketLifecycle needs s3:PutLifecycleConfiguration
  // features Strata answers as unconfigured (unconfigured.ts): the IAM actions AWS checks for them
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  PutBucketEncryption: 's3:PutEncryptionConfiguration',
  DeleteBucketEncryption: 's3:PutEncryptionConfiguration',
  GetPublicAccessBlock: 's3:GetBucketPublicAccessBlock',
  PutPublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  DeletePublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  GetBucketWebsite: 's3:GetBucketWebsite',
  PutBucketWebsite: 's3:PutBucketWebsite',
  DeleteBucketWebsite: 's3:DeleteBucketWebsite',
  GetBucketReplication: 's3:GetReplicationConfiguration',
  PutBucketReplication: 's3:PutReplicationConfiguration',
  DeleteBucketReplication: 's3:PutReplicationConfiguration',
  GetObjectLockConfiguration: 's3:GetBucketObjectLockConfiguration',
  PutObjectLockConfiguration: 's3:PutBucketObjectLockConfiguration',
  GetBucketOwnershipControls: 's3:GetBucketOwnershipControls',
  PutBucketOwnershipControls: 's3:PutBucketOwnershipControls',
  DeleteBucketOwnershipControls: 's3:PutBucketOwnershipControls',
  GetBucketLogging: 's3:GetBucketLogging',
  PutBucketLogging: 's3:PutBucketLogging',
  GetBucketNotificationConfiguration: 's3:GetBucketNotification',
  PutBucketNotificationConfiguration: 's3:PutBucketNotification',
  GetBucketAccelerateConfiguration: 's3:GetAccelerateConfiguration',
  PutBucketAccelerateConfiguration: 's3:PutAccelerateConfiguration',
  GetBucketRequestPayment: 's3:GetBucketRequestPayment',
  PutBucketRequestPayment: 's3:PutBucketRequestPayment',
  ListBucketAnalyticsConfigurations: 's3:GetAnalyticsConfiguration',
  GetBucketAnalyticsConfiguration: 's3:GetAnalyticsConfiguration',
  PutBucketAnalyticsConfiguration: 's3:PutAnalyticsConfiguration',
  DeleteBucketAnalyticsConfiguration: 's3:PutAnalyticsConfiguration',
  ListBucketMetricsConfigurations: 's3:GetMetricsConfiguration',
  GetBucketMetricsConfiguration: 's3:GetMetricsConfiguration',
  PutBucketMetricsConfiguration: 's3:PutMetricsConfiguration',
  DeleteBucketMetricsConfiguration: 's3:PutMetricsConfiguration',
  ListBucketInventoryConfigurations: 's3:GetInventoryConfiguration',
  GetBucketInventoryConfiguration: 's3:GetInventoryConfiguration',
  PutBucketInventoryConfiguration: 's3:PutInventoryConfiguration',
  DeleteBucketInventoryConfiguration: 's3:PutInventoryConfiguration',
  ListBucketIntelligentTieringConfigurations: 's3:GetIntelligentTieringConfiguration',
  GetBucketIntelligentTieringConfiguration: 's3:GetIntelligentTieringConfiguration',
  PutBucketIntelligentTieringConfiguration: 's3:PutIntelligentTieringConfiguration',
  DeleteBucketIntelligentTieringConfiguration: 's3:PutIntelligentTieringConfiguration',
  UnconfiguredBucketSubresourceMethod: null, // 405 whoever asks
  GetObjectRetention: 's3:GetObjectRetention',
  PutObjectRetention: 's3:PutObjectRetention',
  GetObjectLegalHold: 's3:GetObjectLegalHold',
  PutObjectLegalHold: 's3:PutObjectLegalHold',
  UnconfiguredObjectSubresourceMethod: null,
  GetBucketPolicy: 's3:GetBucketPolicy',
  PutBucketPolicy: 's3:PutBucketPolicy',
  DeleteBucketPolicy: 's3:DeleteBucketPolicy',
  GetBucketPolicyStatus: 's3:GetBucketPolicyStatus',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  ListObjectVersions: 's3:ListBucketVersions',
  UnsupportedBucketSubresource: null,
  PostObject: 's3:PutObject', // credentials in the form: checked by post-object.ts once the key is known
  ListObjects: 's3:ListBucket', // V1 and V2
  CreateBucket: 's3:CreateBucket',
  HeadBucket: 's3:ListBucket',
  DeleteBucket: 's3:DeleteBucket',
  CreateMultipartUpload: 's3:PutObject',
  UploadPartCopy: 's3:PutObject', // and s3:GetObject on the source (authorizeCopySource)
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  ListParts: 's3:ListMultipartUploadParts',
  GetObjectAcl: 's3:GetObjectAcl',
  PutObjectAcl: 's3:PutObjectAcl',
  GetObjectAttributes: 's3:GetObjectAttributes',
  GetObjectTagging: 's3:GetObjectTagging',
  PutObjectTagging: 's3:PutObjectTagging',
  DeleteObjectTagging: 's3:DeleteObjectTagging',
  UnsupportedObjectSubresource: null,
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  CopyObject: 's3:PutObject', // and s3:GetObject on the source (authorizeCopySource)
  PutObject: 's3:PutObject',
  DeleteObject: 's3:DeleteObject',
  Unknown: null, // MethodNotAllowed
};

/**
 * The same operations naming a version (`?versionId=`): AWS checks the *Version action instead
 * (s3:GetObjectVersion for a GET of a version, …). DeleteObjects and copy sources decide per key.
 */
export const VERSION_POLICY_ACTIONS: Readonly<Record<string, string>> = {
  GetObject: 's3:GetObjectVersion',
  HeadObject: 's3:GetObjectVersion',
  DeleteObject: 's3:DeleteObjectVersion',
  GetObjectAcl: 's3:GetObjectVersionAcl',
  PutObjectAcl: 's3:PutObjectVersionAcl',
  GetObjectAttributes: 's3:GetObjectVersionAttributes',
  GetObjectTagging: 's3:GetObjectVersionTagging',
  PutObjectTagging: 's3:PutObjectVersionTagging',
  DeleteObjectTagging: 's3:DeleteObjectVersionTagging',
};

/** The IAM action of this request: the op's, or its *Version variant when the request names a version. */
export function policyActionOf(op: string, versionId: string | undefined): string | null | undefined {
  if (versionId !== undefined) {
    const v = VERSION_POLICY_ACTIONS[op];
    if (v !== undefined) return v;
  }
  return POLICY_ACTIONS[op];
}

/** Operations on the policy itself: owner and root are exempt from Deny; anonymous callers never pass. */
const POLICY_OPS = new Set(['GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy', 'GetBucketPolicyStatus']);
/** Operations whose handler checks each key it touches (one request, many resources). */
const PER_KEY_OPS = new Set(['DeleteObjects']);
/** Actions for which s3:prefix / s3:delimiter / s3:max-keys are defined. */
const LIST_ACTIONS = new Set(['s3:ListBucket', 's3:ListBucketVersions', 's3:ListBucketMultipartUploads']);

function accessDenied(): S3Error {
  return new S3Error('AccessDenied');
}

// Compiled once per bucket-settings object: the engine's bucket cache hands out the same frozen
// record until a bucket record changes, so a policy is parsed once per change, not per request.
const compiled = new WeakMap<object, CompiledPolicy>();

/** The bucket's compiled policy, or undefined. One property lookup when the bucket has none. */
export function bucketPolicy(b: BucketMeta): CompiledPolicy | undefined {
  const text = b.settings[BUCKET_POLICY_SETTING];
  if (text === undefined) return undefined;
  let p = compiled.get(b.settings);
  if (p) return p;
  // The pair of the validation in putBucketPolicy: what was stored must still parse. If it does not,
  // fail closed (500 and a log line) rather than guess at a policy.
  if (typeof text !== 'string') throw new Error(`bucket settings: policy of ${b.name} is not a string`);
  try {
    p = parsePolicy(text, b.name);
  } catch (err) {
    throw new Error(`bucket settings: stored policy of ${b.name} no longer parses`, { cause: err });
  }
  compiled.set(b.settings, p);
  return p;
}

function callerOf(ctx: RequestContext): Caller {
  const id = ctx.auth?.accessKeyId;
  return id === undefined ? { anonymous: true } : { anonymous: false, accessKeyId: id };
}

/** The verified signer: a header / presigned AuthResult, or a POST form's PostPolicyResult (no `anonymous` field). */
function signedBy(ctx: RequestContext): Pick<AuthResult, 'accessKeyId' | 'identity'> & { kind?: AuthResult['kind'] } | undefined {
  const raw = ctx.auth?.raw as Partial<AuthResult> | undefined;
  return raw && (raw as { anonymous?: boolean }).anonymous !== true && raw.identity && typeof raw.accessKeyId === 'string' ? (raw as AuthResult) : undefined;
}

/** The request's condition-key values (policy.ts decides which keys are supported at all). */
function facts(ctx: RequestContext, action: string, bucket: string, key: string | undefined): RequestFacts {
  const caller = callerOf(ctx);
  return {
    caller,
    action,
    resource: key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`,
    key(lower, asWritten) {
      switch (lower) {
        case 'aws:sourceip':
          return normaliseIp(ctx.remoteAddress);
        case 'aws:securetransport':
          return 'false'; // Strata serves plain HTTP (TLS, if any, ends in front of it)
        case 'aws:currenttime':
          return new Date().toISOString();
        case 'aws:epochtime':
          return String(Math.floor(Date.now() / 1000));
        case 'aws:useragent':
          return ctx.headers['user-agent'];
        case 'aws:referer':
          return ctx.headers['referer'];
        case 'aws:principaltype':
          return caller.anonymous ? 'Anonymous' : signedBy(ctx)?.identity.isRoot ? 'Account' : 'User';
        case 'aws:username':
          return caller.anonymous ? undefined : caller.accessKeyId;
        case 's3:prefix':
        case 's3:delimiter':
        case 's3:max-keys':
          return LIST_ACTIONS.has(action) ? ctx.query.get(lower.slice(3)) : undefined;
        case 's3:authtype': {
          const kind = signedBy(ctx)?.kind;
          return kind === undefined ? undefined : kind.startsWith('presigned') ? 'REST-QUERY-STRING' : 'REST-HEADER';
        }
        case 's3:signatureversion': {
          const kind = signedBy(ctx)?.kind;
          return kind === undefined ? undefined : kind.endsWith('v2') ? 'AWS' : 'AWS4-HMAC-SHA256';
        }
      }
      if (lower.startsWith('s3:x-amz-')) return ctx.headers[lower.slice(3)];
      if (lower.startsWith('s3:existingobjecttag/')) {
        if (key === undefined) return undefined;
        return existingObject(ctx, bucket, key)?.tags?.[asWritten.slice('s3:existingobjecttag/'.length)];
      }
      return undefined;
    },
  };
}

/** The object (version) a request acts on, for condition keys and the missing-key check; undefined if none. */
function existingObject(ctx: RequestContext, bucket: string, key: string): ObjectMeta | undefined {
  if (ctx.key !== key) return ctx.engine.headObject(bucket, key); // DeleteObjects: another key of the request
  const versionId = ctx.query.get('versionId');
  if (versionId === undefined) return ctx.engine.headObject(bucket, key);
  const meta = ctx.engine.headVersion(bucket, key, versionId);
  return meta?.deleteMarker ? undefined : meta;
}

/**
 * The bucket's own side: its owner, and the node's root identity (the administrator, who must reach
 * every bucket — including ones created under a root key since rotated). They need only the absence
 * of an applicable Deny. Everyone else — anonymous or another identity — is an outsider to the
 * bucket, as another AWS account is, and needs an Allow from the bucket policy.
 */
function isInsider(ctx: RequestContext, b: BucketMeta): boolean {
  const id = signedBy(ctx);
  return id !== undefined && (id.identity.isRoot || id.accessKeyId === b.owner);
}

/** The owner's side may always read and change the policy itself, so no Deny can lock it out. */
function exemptFromDeny(ctx: RequestContext, b: BucketMeta): boolean {
  return POLICY_OPS.has(ctx.op) && isInsider(ctx, b);
}

function refuseOutsider(ctx: RequestContext): never {
  if (ctx.auth?.accessKeyId === undefined) throw new S3Error('AccessDenied', 'Anonymous access is not allowed.');
  throw accessDenied();
}

/**
 * Decide one (action, bucket, key) for this request's caller. Throws AccessDenied.
 * A policy Deny wins (the owner and root are exempt only on the policy's own operations); a policy
 * Allow allows; otherwise ownership or an ACL grant must (acl-authorize.ts): `aclOp` names the
 * operation whose ACL permission counts, `versionId` the object version whose ACL decides.
 * No bucket: anonymous callers are refused, signed ones get the handler's NoSuchBucket.
 */
export function authorizeAction(ctx: RequestContext, b: BucketMeta | undefined, action: string, key: string | undefined, aclOp: string = ctx.op, versionId: string | undefined = ctx.query.get('versionId')): void {
  if (b === undefined) {
    if (ctx.auth?.accessKeyId === undefined) refuseOutsider(ctx);
    return;
  }
  const policy = bucketPolicy(b);
  if (policy) {
    const decision = evaluatePolicy(policy, facts(ctx, action, b.name, key));
    if (decision === 'deny' && !exemptFromDeny(ctx, b)) throw accessDenied();
    if (decision === 'allow') return;
  }
  if (!aclPermits(ctx, b, aclOp, key, versionId)) refuseOutsider(ctx);
}

/**
 * The step after authentication (src/http/server.ts): the routed operation against the bucket's
 * policy, owner and ACLs. The owner's (or root's) request to a bucket without a policy, where nobody
 * else owns an object, costs a cached bucket lookup and a few property reads.
 */
export function authorizeRequest(ctx: RequestContext): void {
  const anonymous = ctx.auth?.accessKeyId === undefined;
  const b = ctx.bucket === undefined ? undefined : ctx.engine.getBucket(ctx.bucket);
  if (b === undefined) {
    // A bucket that does not exist is 404 NoSuchBucket to everyone, as S3 answers (bucket names are
    // global and public); service-level requests and creating a bucket still need credentials.
    if (anonymous && (ctx.bucket === undefined || ctx.op === 'CreateBucket')) refuseOutsider(ctx);
    return;
  }
  // Another identity creating an existing bucket learns BucketAlreadyExists from the handler, as S3 answers.
  if (ctx.op === 'CreateBucket' && !anonymous) return;
  const versionId = ctx.query.get('versionId');
  const hasPolicy = b.settings[BUCKET_POLICY_SETTING] !== undefined;
  if (!hasPolicy) {
    if (!aclPermits(ctx, b, ctx.op, ctx.key, versionId)) refuseOutsider(ctx);
    return;
  }
  const action = policyActionOf(ctx.op, ctx.key === undefined ? undefined : ctx.query.get('versionId'));
  // Not governed by a bucket policy: the bucket's side only. Policy operations are for the owner's
  // side or an identity the policy names, never anonymous (AWS answers other accounts 405).
  if (action === null || action === undefined || (anonymous && POLICY_OPS.has(ctx.op))) {
    if (!aclPermits(ctx, b, ctx.op, ctx.key, versionId)) refuseOutsider(ctx);
    return;
  }
  // Per-key operations are decided key by key by their handlers.
  if (PER_KEY_OPS.has(ctx.op)) return;
  authorizeAction(ctx, b, action, ctx.key, ctx.op, versionId);
  if (!isInsider(ctx, b) && ctx.key !== undefined && (ctx.op === 'GetObject' || ctx.op === 'HeadObject') && !existingObject(ctx, b.name, ctx.key)) {
    // As S3: a missing key is NoSuchKey only to a caller who may list the bucket; otherwise AccessDenied,
    // so a public-read policy does not reveal which keys exist.
    if (evaluatePolicy(bucketPolicy(b)!, facts(ctx, 's3:ListBucket', b.name, undefined)) !== 'allow' && !aclAllowsList(ctx, b)) throw accessDenied();
  }
}

/** CopyObject / UploadPartCopy: the caller must also be allowed to read the source (version; its ACL: READ). */
export function authorizeCopySource(ctx: RequestContext, srcBucket: string, srcKey: string, srcVersionId?: string): void {
  authorizeAction(ctx, ctx.engine.getBucket(srcBucket), srcVersionId === undefined ? 's3:GetObject' : 's3:GetObjectVersion', srcKey, 'GetObject', srcVersionId);
}

// ------------------------------------------------------------------------------------------------
// the operations

export async function putBucketPolicy(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const limit = ctx.config.limits.maxBucketPolicyBytes;
  let body: Buffer;
  try {
    body = await readSmallBody(ctx, limit);
  } catch (err) {
    // A declared length over the limit is EntityTooLarge, a longer chunked body MaxMessageLengthExceeded.
    if (err instanceof S3Error && (err.code === 'MaxMessageLengthExceeded' || err.code === 'EntityTooLarge')) {
      throw new S3Error('PolicyTooLarge', `Policies must be at most ${limit} bytes.`);
    }
    throw err;
  }
  const text = body.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(body)) throw new S3Error('MalformedPolicy', 'Policies must be UTF-8');
  // MalformedPolicy with the reason, or a policy we can evaluate.
  parsePolicy(text, b.name, { isKnownUser: (k) => ctx.identities.lookup(k) !== undefined });
  // Stored verbatim (GetBucketPolicy returns the client's text); a patch of this one settings key.
  await ctx.engine.updateBucketSettings(b.name, { [BUCKET_POLICY_SETTING]: text });
  ctx.res.send(204, {}, '');
}

export async function getBucketPolicy(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const text = b.settings[BUCKET_POLICY_SETTING];
  if (text === undefined) throw new S3Error('NoSuchBucketPolicy', undefined, { details: { BucketName: b.name } });
  bucketPolicy(b); // asserts the stored text still parses
  ctx.res.send(200, { 'Content-Type': 'application/json' }, text as string);
}

export function deleteBucketPolicy(ctx: RequestContext): Promise<void> {
  return deleteBucketSetting(ctx, BUCKET_POLICY_SETTING);
}

export async function getBucketPolicyStatus(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const p = bucketPolicy(b);
  if (!p) throw new S3Error('NoSuchBucketPolicy', undefined, { details: { BucketName: b.name } });
  sendXml(ctx, 200, `<PolicyStatus xmlns="${S3_NS}">${el('IsPublic', isPolicyPublic(p))}</PolicyStatus>`);
}
