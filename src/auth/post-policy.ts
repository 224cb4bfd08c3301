// Browser-based uploads (POST Object with a multipart/form-data body): the form carries a base64 JSON
// policy signed with SigV4 (x-amz-signature = HMAC(signingKey, policyBase64)). minio-js'
// presignedPostPolicy and the AWS SDKs' createPresignedPost produce these forms.
// Pure: the S3 layer parses the form (fields before the file part) and calls verifyPostPolicy; it then
// enforces the returned content-length range on the file it receives.

import { createHmac } from 'node:crypto';
import { AuthError } from './errors.js';
import type { Identity, IdentityLookup } from './identities.js';
import { SIGV4_ALGORITHM, SIGV4_TERMINATOR, constantTimeEqual, deriveSigningKey, hmacHex, isLowerHex64, parseAmzDate } from './sigv4.js';

export const MAX_POLICY_BASE64_CHARS = 20 * 1024;
export const MAX_POLICY_CONDITIONS = 64;

export interface PostPolicyOptions {
  region: string;
  nowMs: number;
  /** As AuthOptions.alsoAcceptRegions. */
  alsoAcceptRegions?: readonly string[];
  /** Default 's3'. */
  service?: string;
}

/** The policy's expiration: 2013-08-01T12:00:00Z, optionally with fractional seconds. */
const ISO_8601_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export interface PostPolicyResult {
  accessKeyId: string;
  identity: Identity;
  expiresAtMs: number;
  /** From ["content-length-range", min, max]; the S3 layer rejects a file outside it (EntityTooSmall / EntityTooLarge). */
  contentLengthRange?: { min: number; max: number };
}

/** Form fields never covered by the policy (AWS: the signature fields, file, policy, x-ignore-*). */
function exempt(name: string): boolean {
  return name === 'x-amz-signature' || name === 'awsaccesskeyid' || name === 'signature' || name === 'file' || name === 'policy' || name.startsWith('x-ignore-');
}

function denied(why: string): AuthError {
  return new AuthError('AccessDenied', 'Invalid according to Policy: ' + why);
}

/**
 * Verify a POST policy form. `form` holds the text fields (any name case; the file part excluded),
 * `bucket` the bucket the POST was addressed to. Throws AuthError; returns what the S3 layer must
 * still enforce. Field values are compared exactly as the browser sent them.
 */
export function verifyPostPolicy(form: Readonly<Record<string, string>>, bucket: string, identities: IdentityLookup, options: PostPolicyOptions): PostPolicyResult {
  const f = new Map<string, string>();
  for (const k of Object.keys(form)) {
    const lk = k.toLowerCase();
    if (f.has(lk)) throw new AuthError('InvalidArgument', `duplicate form field ${lk.slice(0, 64)}`);
    f.set(lk, form[k]!);
  }
  f.set('bucket', bucket);
  const policyB64 = f.get('policy');
  const { accessKeyId, identity } = f.has('x-amz-algorithm') || !f.has('awsaccesskeyid') ? authenticateV4Form(f, policyB64, identities, options) : authenticateV2Form(f, policyB64, identities);
  return checkPolicy(f, policyB64!, accessKeyId, identity, options);
}

function checkPolicyText(policyB64: string | undefined): asserts policyB64 is string {
  if (policyB64 === undefined) throw new AuthError('InvalidArgument', 'POST requires a policy field');
  if (policyB64.length === 0 || policyB64.length > MAX_POLICY_BASE64_CHARS) throw new AuthError('InvalidArgument', 'policy is empty or too long');
}

/** AWS4-HMAC-SHA256 form: x-amz-credential / x-amz-date scope, signature = HMAC(signing key, policy). */
function authenticateV4Form(f: Map<string, string>, policyB64: string | undefined, identities: IdentityLookup, options: PostPolicyOptions): { accessKeyId: string; identity: Identity } {
  const algorithm = f.get('x-amz-algorithm');
  const credential = f.get('x-amz-credential');
  const date = f.get('x-amz-date');
  const signature = f.get('x-amz-signature');
  if (policyB64 === undefined || algorithm === undefined || credential === undefined || date === undefined || signature === undefined) {
    throw new AuthError('InvalidArgument', 'POST requires the policy, x-amz-algorithm, x-amz-credential, x-amz-date and x-amz-signature fields');
  }
  checkPolicyText(policyB64);
  if (algorithm !== SIGV4_ALGORITHM) throw new AuthError('InvalidArgument', 'x-amz-algorithm must be AWS4-HMAC-SHA256');
  if (!isLowerHex64(signature)) throw new AuthError('InvalidArgument', 'x-amz-signature must be 64 lower-case hex characters');
  const parts = credential.length <= 512 ? credential.split('/', 6) : [];
  if (parts.length !== 5) throw new AuthError('InvalidArgument', 'x-amz-credential is malformed');
  const [accessKeyId, day, region, service, terminator] = parts as [string, string, string, string, string];
  if (region !== options.region && options.alsoAcceptRegions?.includes(region) !== true) throw new AuthError('AuthorizationQueryParametersError', `the region '${region.slice(0, 64)}' is wrong; expecting '${options.region}'`);
  if (service !== (options.service ?? 's3') || terminator !== SIGV4_TERMINATOR) throw new AuthError('InvalidArgument', 'x-amz-credential has a wrong service or terminator');
  if (parseAmzDate(date) === undefined || date.slice(0, 8) !== day) throw new AuthError('InvalidArgument', 'x-amz-date is malformed or does not match the credential date');

  const identity = identities.lookup(accessKeyId);
  if (identity === undefined) throw new AuthError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  const key = deriveSigningKey(identity.secretAccessKey, day, region, service);
  if (!constantTimeEqual(hmacHex(key, policyB64), signature)) {
    throw new AuthError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
  return { accessKeyId, identity };
}

/**
 * Signature Version 2 form (AWSAccessKeyId, signature = base64 HMAC-SHA1(secret, policy)): what boto2,
 * older SDKs and the ceph s3-tests POST cases send. Same policy rules as V4.
 */
function authenticateV2Form(f: Map<string, string>, policyB64: string | undefined, identities: IdentityLookup): { accessKeyId: string; identity: Identity } {
  const accessKeyId = f.get('awsaccesskeyid')!;
  const signature = f.get('signature');
  if (signature === undefined) throw new AuthError('InvalidArgument', 'POST requires the policy, AWSAccessKeyId and signature fields');
  checkPolicyText(policyB64);
  const identity = identities.lookup(accessKeyId);
  if (identity === undefined) throw new AuthError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  const expected = createHmac('sha1', identity.secretAccessKey).update(policyB64, 'utf8').digest('base64');
  if (!constantTimeEqual(expected, signature)) {
    throw new AuthError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
  return { accessKeyId, identity };
}

function checkPolicy(f: Map<string, string>, policyB64: string, accessKeyId: string, identity: Identity, options: PostPolicyOptions): PostPolicyResult {
  // Only a signed policy is parsed: unauthenticated input never reaches JSON.parse.
  let policy: unknown;
  try {
    policy = JSON.parse(Buffer.from(policyB64, 'base64').toString('utf8'));
  } catch {
    throw new AuthError('InvalidArgument', 'policy is not valid base64 JSON');
  }
  if (typeof policy !== 'object' || policy === null) throw new AuthError('InvalidArgument', 'policy must be a JSON object');
  const { expiration, conditions } = policy as { expiration?: unknown; conditions?: unknown };
  // ISO 8601 in UTC, as S3 requires (2013-08-01T12:00:00.000Z); Date.parse alone would also take
  // "2013-08-01 12:00:00+00:00" or "Aug 1 2013", which S3 refuses as an invalid policy.
  const expiresAtMs = typeof expiration === 'string' && ISO_8601_UTC.test(expiration) ? Date.parse(expiration) : NaN;
  if (Number.isNaN(expiresAtMs)) throw new AuthError('InvalidArgument', 'policy expiration is missing or invalid');
  if (options.nowMs > expiresAtMs) throw denied('Policy expired.');
  if (!Array.isArray(conditions) || conditions.length > MAX_POLICY_CONDITIONS) throw new AuthError('InvalidArgument', 'policy conditions must be an array of at most 64 entries');

  const covered = new Set<string>();
  let range: { min: number; max: number } | undefined;
  for (const c of conditions as unknown[]) {
    if (Array.isArray(c)) {
      const op = typeof c[0] === 'string' ? c[0].toLowerCase() : '';
      if (op === 'content-length-range') {
        const [, min, max] = c as [string, unknown, unknown];
        const lo = typeof min === 'string' ? Number(min) : min;
        const hi = typeof max === 'string' ? Number(max) : max;
        if (c.length !== 3 || typeof lo !== 'number' || typeof hi !== 'number' || !Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo < 0 || hi < lo) {
          throw new AuthError('InvalidArgument', 'malformed content-length-range condition');
        }
        range = { min: lo, max: hi };
        continue;
      }
      if ((op !== 'eq' && op !== 'starts-with') || c.length !== 3 || typeof c[1] !== 'string' || typeof c[2] !== 'string' || !c[1].startsWith('$')) {
        throw new AuthError('InvalidArgument', 'malformed policy condition');
      }
      const name = c[1].slice(1).toLowerCase();
      const expected = c[2];
      const actual = f.get(name) ?? '';
      const ok = op === 'eq' ? actual === expected : startsWithCondition(name, actual, expected);
      if (!ok) throw denied(`Policy Condition failed: ["${op}", "$${name.slice(0, 64)}", "${expected.slice(0, 64)}"]`);
      covered.add(name);
    } else if (typeof c === 'object' && c !== null) {
      const entries = Object.entries(c as Record<string, unknown>);
      if (entries.length !== 1 || typeof entries[0]![1] !== 'string') throw new AuthError('InvalidArgument', 'malformed policy condition');
      const [rawName, expected] = entries[0] as [string, string];
      const name = rawName.toLowerCase();
      if ((f.get(name) ?? '') !== expected) throw denied(`Policy Condition failed: ["eq", "$${name.slice(0, 64)}", "${expected.slice(0, 64)}"]`);
      covered.add(name);
    } else {
      throw new AuthError('InvalidArgument', 'malformed policy condition');
    }
  }
  for (const name of f.keys()) {
    if (name === 'bucket' || exempt(name) || covered.has(name)) continue;
    throw denied(`Extra input fields: ${name.slice(0, 64)}`);
  }
  const result: PostPolicyResult = { accessKeyId, identity, expiresAtMs };
  if (range !== undefined) result.contentLengthRange = range;
  return result;
}

/** Content-Type may list several comma-separated types; each must match the prefix (AWS rule). */
function startsWithCondition(name: string, actual: string, prefix: string): boolean {
  if (name === 'content-type' && actual.includes(',')) return actual.split(',', 32).every((v) => v.trim().startsWith(prefix));
  return actual.startsWith(prefix);
}
