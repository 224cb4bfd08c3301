// Legacy AWS Signature Version 2 (HMAC-SHA1): "Authorization: AWS AKID:base64sig" and
// ?AWSAccessKeyId=…&Expires=…&Signature=… presigned URLs. Old s3cmd configs (signature_v2 = True)
// and some backup tools still send it. Same contract as verify.ts: AuthError or an AuthResult.

import { createHmac } from 'node:crypto';
import { AuthError } from './errors.js';
import type { Identity, IdentityLookup } from './identities.js';
import { constantTimeEqual, formatAmzDate } from './sigv4.js';
import { DEFAULT_MAX_SKEW_MS, decodeComponent, pickQueryParams, type AuthOptions, type AuthRequest, type AuthResult } from './request.js';

/** Sub-resources that are part of the SigV2 canonical resource (botocore's list). */
const SUBRESOURCES: ReadonlySet<string> = new Set([
  'accelerate', 'acl', 'analytics', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory', 'legal-hold',
  'lifecycle', 'location', 'logging', 'metrics', 'notification', 'object-lock', 'ownershipControls', 'partNumber',
  'policy', 'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment', 'restore', 'retention', 'select',
  'select-type', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language',
  'response-content-type', 'response-expires',
]);

const MAX_SUBRESOURCES = 64;
const MAX_DATE_CHARS = 64;

export function isV2Presigned(rawQuery: string): boolean {
  return rawQuery.includes('AWSAccessKeyId=') && rawQuery.includes('Signature=');
}

/** The SigV2 canonicalized resource: [/bucket] + raw path + sorted sub-resources (values decoded). */
export function canonicalResourceV2(rawPath: string, rawQuery: string, virtualHostBucket: string | undefined): string {
  let res = (virtualHostBucket !== undefined ? '/' + virtualHostBucket : '') + (rawPath.length === 0 ? '/' : rawPath);
  if (rawQuery.length === 0) return res;
  const subs: [string, string | undefined][] = [];
  for (const part of rawQuery.split('&', 1024)) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    if (!SUBRESOURCES.has(k)) continue;
    if (subs.length >= MAX_SUBRESOURCES) throw new AuthError('InvalidRequest', 'too many sub-resources');
    subs.push([k, eq < 0 ? undefined : decodeComponent(part.slice(eq + 1))]);
  }
  if (subs.length === 0) return res;
  subs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  res += '?' + subs.map(([k, v]) => (v === undefined ? k : k + '=' + v)).join('&');
  return res;
}

/** x-amz-* headers, lower-case, sorted, "name:value\n" each, values trimmed. */
function canonicalAmzHeadersV2(headers: AuthRequest['headers']): { block: string; names: string[] } {
  const names: string[] = [];
  for (const n in headers) if (n.startsWith('x-amz-') && headers[n] !== undefined) names.push(n);
  names.sort();
  let block = '';
  for (const n of names) block += n + ':' + headers[n]!.trim() + '\n';
  return { block, names };
}

export function stringToSignV2(req: AuthRequest, dateLine: string, virtualHostBucket: string | undefined): { sts: string; amzNames: string[] } {
  const { block, names } = canonicalAmzHeadersV2(req.headers);
  const sts =
    req.method + '\n' +
    (req.headers['content-md5'] ?? '') + '\n' +
    (req.headers['content-type'] ?? '') + '\n' +
    dateLine + '\n' +
    block +
    canonicalResourceV2(req.rawPath, req.rawQuery, virtualHostBucket);
  return { sts, amzNames: names };
}

export function signV2(secretAccessKey: string, stringToSign: string): string {
  return createHmac('sha1', secretAccessKey).update(stringToSign, 'utf8').digest('base64');
}

function lookup(identities: IdentityLookup, akid: string): Identity {
  const id = identities.lookup(akid);
  if (id === undefined) throw new AuthError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  return id;
}

const MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your key and signing method.';

export function authenticateV2Header(req: AuthRequest, authz: string, identities: IdentityLookup, options: AuthOptions): AuthResult {
  const rest = authz.slice(4);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1) throw new AuthError('InvalidArgument', 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature');
  const akid = rest.slice(0, colon).trim();
  const signature = rest.slice(colon + 1).trim();
  if (akid.length > 128 || signature.length > 64) throw new AuthError('InvalidArgument', 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature');

  // x-amz-date overrides Date; then the Date line of the string to sign is empty.
  const xAmzDate = req.headers['x-amz-date'];
  const dateHeader = req.headers['date'];
  const dateText = xAmzDate ?? dateHeader;
  const timeMs = dateText !== undefined && dateText.length <= MAX_DATE_CHARS ? Date.parse(dateText) : NaN;
  if (Number.isNaN(timeMs)) throw new AuthError('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  if (Math.abs(options.nowMs - timeMs) > (options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) {
    throw new AuthError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  }
  const identity = lookup(identities, akid);
  const { sts, amzNames } = stringToSignV2(req, xAmzDate !== undefined ? '' : dateHeader!, options.virtualHostBucket);
  if (!constantTimeEqual(signV2(identity.secretAccessKey, sts), signature)) throw new AuthError('SignatureDoesNotMatch', MISMATCH);
  return v2Result('header-v2', akid, identity, signature, timeMs, amzNames, req, undefined);
}

const V2_QUERY_PARAMS: ReadonlySet<string> = new Set(['AWSAccessKeyId', 'Expires', 'Signature']);

export function authenticateV2Query(req: AuthRequest, identities: IdentityLookup, options: AuthOptions): AuthResult {
  const q = pickQueryParams(req.rawQuery, V2_QUERY_PARAMS, 'InvalidArgument');
  const akid = q.get('AWSAccessKeyId');
  const expires = q.get('Expires');
  const signature = q.get('Signature');
  if (akid === undefined || expires === undefined || signature === undefined) {
    throw new AuthError('AccessDenied', 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
  }
  if (expires.length === 0 || expires.length > 12 || !/^[0-9]+$/.test(expires)) throw new AuthError('AccessDenied', 'Invalid date (should be seconds since epoch)');
  if (akid.length > 128 || signature.length > 64) throw new AuthError('AccessDenied', 'Query-string authentication parameters are invalid');
  const expiresAtMs = Number(expires) * 1000;
  if (options.nowMs > expiresAtMs) throw new AuthError('AccessDenied', 'Request has expired');
  const identity = lookup(identities, akid);
  // The signed resource excludes the auth parameters themselves (they are not sub-resources anyway).
  const { sts, amzNames } = stringToSignV2(req, expires, options.virtualHostBucket);
  if (!constantTimeEqual(signV2(identity.secretAccessKey, sts), signature)) throw new AuthError('SignatureDoesNotMatch', MISMATCH);
  return v2Result('presigned-v2', akid, identity, signature, options.nowMs, amzNames, req, expiresAtMs);
}

function v2Result(
  kind: 'header-v2' | 'presigned-v2',
  akid: string,
  identity: Identity,
  signature: string,
  timeMs: number,
  amzNames: string[],
  req: AuthRequest,
  expiresAtMs: number | undefined,
): AuthResult {
  // SigV2 never signs the body; a client that also sends x-amz-content-sha256 still gets it checked.
  const claimed = req.headers['x-amz-content-sha256'];
  const signedHeaders = ['content-md5', 'content-type', 'date', ...amzNames];
  const r: AuthResult = {
    anonymous: false,
    kind,
    accessKeyId: akid,
    identity,
    payloadMode: 'unsigned',
    seedSignature: signature,
    signingKey: Buffer.alloc(0),
    scope: '',
    amzDate: formatAmzDate(new Date(timeMs)),
    signedHeaders,
  };
  if (claimed !== undefined && claimed.length === 64 && /^[0-9a-fA-F]{64}$/.test(claimed)) {
    r.payloadMode = 'signed';
    r.payloadSha256Hex = claimed.toLowerCase();
  }
  if (expiresAtMs !== undefined) r.expiresAtMs = expiresAtMs;
  return r;
}
