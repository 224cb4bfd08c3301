// Server-side request authentication: SigV4 Authorization header, SigV4 presigned query, or anonymous.
// Pure: everything comes in as arguments (the raw request parts, the identity store, the clock).
// Every rejection is an AuthError with the S3 code a real S3 endpoint would answer; the S3 layer maps
// codes to statuses. Parsing is hand-written (no backtracking regexes) and every input length is bounded.

import { AuthError } from './errors.js';
import type { Identity, IdentityLookup } from './identities.js';
import { DEFAULT_MAX_SKEW_MS, hasQueryKey, pickQueryParams, type AnonymousAuth, type AuthOptions, type AuthRequest, type AuthResult, type PayloadMode } from './request.js';
import {
  SIGV4_ALGORITHM,
  SIGV4_TERMINATOR,
  STREAMING_SIGNED_PAYLOAD,
  STREAMING_SIGNED_PAYLOAD_TRAILER,
  STREAMING_UNSIGNED_PAYLOAD_TRAILER,
  UNSIGNED_PAYLOAD,
  buildCanonicalRequest,
  buildStringToSign,
  canonicalHeadersBlock,
  canonicalQueryFromRaw,
  canonicalUriFromRawPath,
  constantTimeEqual,
  deriveSigningKey,
  formatAmzDate,
  hmacHex,
  isLowerHex64,
  isSha256Hex,
  parseAmzDate,
} from './sigv4.js';
import { authenticateV2Header, authenticateV2Query, isV2Presigned } from './sigv2.js';

export type { AnonymousAuth, AuthOptions, AuthRequest, AuthResult, PayloadMode } from './request.js';
export { DEFAULT_MAX_SKEW_MS, decodeComponent, hasQueryKey, pickQueryParams } from './request.js';

export const MAX_AUTHORIZATION_HEADER_CHARS = 8192;
export const MAX_SIGNED_HEADERS = 128;
export const MAX_HEADER_NAME_CHARS = 256;
export const MAX_CREDENTIAL_CHARS = 512;
export const PRESIGN_MAX_EXPIRES_SEC = 604800;
export const MAX_RAW_QUERY_CHARS = 65536;
export const MAX_RAW_PATH_CHARS = 65536;

/**
 * Authenticate one request. Returns { anonymous: true } when it carries no credentials at all
 * (the S3 layer decides whether anonymous access is allowed — today it answers AccessDenied).
 * Throws AuthError for anything else that does not verify.
 */
export function authenticate(req: AuthRequest, identities: IdentityLookup, options: AuthOptions): AuthResult | AnonymousAuth {
  if (req.rawPath.length > MAX_RAW_PATH_CHARS) throw new AuthError('InvalidRequest', 'request path too long');
  if (req.rawQuery.length > MAX_RAW_QUERY_CHARS) throw new AuthError('InvalidRequest', 'query string too long');
  const authz = req.headers['authorization'];
  const presignedV4 = hasQueryKey(req.rawQuery, 'X-Amz-Algorithm') || hasQueryKey(req.rawQuery, 'X-Amz-Signature') || hasQueryKey(req.rawQuery, 'X-Amz-Credential');
  const presignedV2 = !presignedV4 && isV2Presigned(req.rawQuery);
  if (authz !== undefined) {
    if (presignedV4 || presignedV2) {
      throw new AuthError(
        'InvalidArgument',
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      );
    }
    if (authz.length > MAX_AUTHORIZATION_HEADER_CHARS) throw new AuthError('AuthorizationHeaderMalformed', 'The authorization header is too long');
    if (authz.startsWith(SIGV4_ALGORITHM + ' ')) return authenticateV4Header(req, authz, identities, options);
    if (authz.startsWith('AWS ')) return authenticateV2Header(req, authz, identities, options);
    throw new AuthError('InvalidArgument', 'Unsupported Authorization Type');
  }
  if (presignedV4) return authenticateV4Query(req, identities, options);
  if (presignedV2) return authenticateV2Query(req, identities, options);
  return { anonymous: true };
}

// ---------------------------------------------------------------------------------------------
// Helpers

interface ParsedCredential {
  accessKeyId: string;
  day: string;
  region: string;
  service: string;
}

function parseCredential(cred: string, code: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError', options: AuthOptions): ParsedCredential {
  const prefix = code === 'AuthorizationHeaderMalformed' ? 'The authorization header is malformed; ' : 'Error parsing the X-Amz-Credential parameter; ';
  if (cred.length === 0 || cred.length > MAX_CREDENTIAL_CHARS) throw new AuthError(code, prefix + 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  const parts = cred.split('/', 6);
  if (parts.length !== 5 || parts[0]!.length === 0) {
    throw new AuthError(code, prefix + 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  const [accessKeyId, day, region, service, terminator] = parts as [string, string, string, string, string];
  if (day.length !== 8 || parseAmzDate(day + 'T000000Z') === undefined) throw new AuthError(code, prefix + `incorrect date format "${clip(day)}". This date in the credential must be in the format "yyyyMMdd".`);
  const expectedService = options.service ?? 's3';
  if (region !== options.region && options.alsoAcceptRegions?.includes(region) !== true) throw new AuthError(code, prefix + `the region '${clip(region)}' is wrong; expecting '${options.region}'`);
  if (service !== expectedService) throw new AuthError(code, prefix + `incorrect service "${clip(service)}". This endpoint belongs to "${expectedService}".`);
  if (terminator !== SIGV4_TERMINATOR) throw new AuthError(code, prefix + `incorrect terminal "${clip(terminator)}". This endpoint uses "aws4_request".`);
  return { accessKeyId, day, region, service };
}

/** Keep attacker-controlled text short in error messages. */
function clip(s: string): string {
  return s.length <= 64 ? s : s.slice(0, 64) + '…';
}

/** "a;b;c" → ['a','b','c']; names must be lower-case header tokens, strictly ascending (as every SDK sends them). */
function parseSignedHeaders(s: string, code: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError'): string[] {
  if (s.length === 0) throw new AuthError(code, 'SignedHeaders is empty');
  const names = s.split(';', MAX_SIGNED_HEADERS + 1);
  if (names.length > MAX_SIGNED_HEADERS) throw new AuthError(code, `at most ${MAX_SIGNED_HEADERS} signed headers`);
  let hasHost = false;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (n.length === 0 || n.length > MAX_HEADER_NAME_CHARS) throw new AuthError(code, 'SignedHeaders contains an empty or overlong name');
    for (let j = 0; j < n.length; j++) {
      const c = n.charCodeAt(j);
      // RFC 9110 token chars, lower-case only.
      const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === 0x2e || c === 0x21 || c === 0x23 || c === 0x24 || c === 0x25 || c === 0x26 || c === 0x27 || c === 0x2a || c === 0x2b || c === 0x5e || c === 0x60 || c === 0x7c || c === 0x7e;
      if (!ok) throw new AuthError(code, `SignedHeaders contains an invalid header name "${clip(n)}"`);
    }
    if (n === 'host') hasHost = true;
  }
  if (!hasHost) throw new AuthError(code, 'SignedHeaders must include "host"');
  return names;
}

/** S3 refuses x-amz-* headers that the signature does not cover: they change what the request does. */
function checkAmzHeadersSigned(headers: AuthRequest['headers'], signed: readonly string[], ignore?: string): void {
  for (const name in headers) {
    if (name.length > 6 && name.charCodeAt(0) === 0x78 && name.startsWith('x-amz-') && name !== ignore && headers[name] !== undefined && !signed.includes(name)) {
      throw new AuthError('AccessDenied', `There were headers present in the request which were not signed: ${clip(name)}`);
    }
  }
}

function payloadModeOf(value: string | undefined, allowStreaming: boolean): { mode: PayloadMode; sha?: string } {
  if (value === undefined) {
    throw new AuthError('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  if (value === UNSIGNED_PAYLOAD) return { mode: 'unsigned' };
  if (isSha256Hex(value)) return { mode: 'signed', sha: value.toLowerCase() };
  if (allowStreaming) {
    if (value === STREAMING_SIGNED_PAYLOAD) return { mode: 'streaming-signed' };
    if (value === STREAMING_SIGNED_PAYLOAD_TRAILER) return { mode: 'streaming-signed-trailer' };
    if (value === STREAMING_UNSIGNED_PAYLOAD_TRAILER) return { mode: 'streaming-unsigned-trailer' };
    if (value.startsWith('STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD')) throw new AuthError('NotImplemented', 'SigV4a (ECDSA) streaming signatures are not supported');
  }
  throw new AuthError(
    'InvalidArgument',
    'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a valid sha256 value.',
  );
}

function parseDecodedLength(v: string | undefined): number | undefined {
  if (v === undefined || v.length === 0 || v.length > 15) return undefined;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  return Number(v);
}

function lookupIdentity(identities: IdentityLookup, accessKeyId: string): Identity {
  const id = identities.lookup(accessKeyId);
  if (id === undefined) throw new AuthError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  return id;
}

/**
 * Every mainstream client signs the RFC 3986 encoding of the path, which is what canonicalUriFromRawPath
 * rebuilds from any wire spelling. A client that sends sub-delims unescaped and signs them as sent
 * (e.g. "/b/a+b" or "/b/a:b") would fail that, so on a mismatch we try the path exactly as received:
 * both forms name the same key, and the retry costs one more hash only on the failure path.
 */
function verifySignature(
  req: AuthRequest,
  canonicalQuery: string,
  canonicalHeaders: string,
  signedHeadersRaw: string,
  payloadHash: string,
  amzDate: string,
  scope: string,
  signingKey: Buffer,
  signature: string,
): void {
  const uri = canonicalUriFromRawPath(req.rawPath);
  let expected = hmacHex(signingKey, buildStringToSign(amzDate, scope, buildCanonicalRequest(req.method, uri, canonicalQuery, canonicalHeaders, signedHeadersRaw, payloadHash)));
  if (constantTimeEqual(expected, signature)) return;
  if (uri !== req.rawPath && req.rawPath.length > 0) {
    expected = hmacHex(signingKey, buildStringToSign(amzDate, scope, buildCanonicalRequest(req.method, req.rawPath, canonicalQuery, canonicalHeaders, signedHeadersRaw, payloadHash)));
    if (constantTimeEqual(expected, signature)) return;
  }
  throw new AuthError('SignatureDoesNotMatch', SIGNATURE_MISMATCH);
}

const SIGNATURE_MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your key and signing method.';

// ---------------------------------------------------------------------------------------------
// Authorization: AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;…, Signature=hex

function authenticateV4Header(req: AuthRequest, authz: string, identities: IdentityLookup, options: AuthOptions): AuthResult {
  let credential: string | undefined;
  let signedHeadersRaw: string | undefined;
  let signature: string | undefined;
  const body = authz.slice(SIGV4_ALGORITHM.length + 1);
  // Components are comma-separated, with or without spaces; order does not matter; each exactly once.
  const comps = body.split(',', 8);
  if (comps.length > 3) throw new AuthError('AuthorizationHeaderMalformed', 'The authorization header is malformed; too many components');
  for (const raw of comps) {
    const c = raw.trim();
    const eq = c.indexOf('=');
    if (eq <= 0) throw new AuthError('AuthorizationHeaderMalformed', `The authorization header is malformed; the authorization component "${clip(c)}" is malformed.`);
    const k = c.slice(0, eq);
    const v = c.slice(eq + 1);
    if (k === 'Credential' && credential === undefined) credential = v;
    else if (k === 'SignedHeaders' && signedHeadersRaw === undefined) signedHeadersRaw = v;
    else if (k === 'Signature' && signature === undefined) signature = v;
    else throw new AuthError('AuthorizationHeaderMalformed', `The authorization header is malformed; the authorization component "${clip(c)}" is malformed.`);
  }
  if (credential === undefined || signedHeadersRaw === undefined || signature === undefined) {
    throw new AuthError('AuthorizationHeaderMalformed', 'The authorization header is malformed; it must contain Credential, SignedHeaders and Signature.');
  }
  const cred = parseCredential(credential, 'AuthorizationHeaderMalformed', options);
  const signedHeaders = parseSignedHeaders(signedHeadersRaw, 'AuthorizationHeaderMalformed');
  if (!isLowerHex64(signature)) throw new AuthError('AuthorizationHeaderMalformed', 'The authorization header is malformed; the Signature must be 64 lower-case hex characters.');

  // Request time: x-amz-date, else Date (SigV4 allows either).
  let amzDate: string;
  let timeMs: number | undefined;
  const xAmzDate = req.headers['x-amz-date'];
  if (xAmzDate !== undefined) {
    amzDate = xAmzDate;
    timeMs = parseAmzDate(xAmzDate);
  } else {
    const d = req.headers['date'];
    timeMs = d !== undefined && d.length <= 64 ? Date.parse(d) : undefined;
    if (timeMs !== undefined && Number.isNaN(timeMs)) timeMs = undefined;
    amzDate = timeMs === undefined ? '' : formatAmzDate(new Date(timeMs));
  }
  if (timeMs === undefined) throw new AuthError('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  if (amzDate.slice(0, 8) !== cred.day) {
    throw new AuthError('AuthorizationHeaderMalformed', `The authorization header is malformed; Invalid credential date "${cred.day}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  }
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (Math.abs(options.nowMs - timeMs) > maxSkewMs) {
    throw new AuthError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  }

  const identity = lookupIdentity(identities, cred.accessKeyId);
  const payloadHash = req.headers['x-amz-content-sha256'];
  const pm = payloadModeOf(payloadHash, true);
  checkAmzHeadersSigned(req.headers, signedHeaders);

  const canonicalQuery = canonicalQueryFromRaw(req.rawQuery);
  if (canonicalQuery === undefined) throw new AuthError('InvalidRequest', 'too many query parameters');
  const canonicalHeaders = canonicalHeadersBlock(signedHeaders, req.headers);
  if (canonicalHeaders === undefined) throw new AuthError('SignatureDoesNotMatch', SIGNATURE_MISMATCH + ' (a signed header is missing)');
  const scope = cred.day + '/' + cred.region + '/' + cred.service + '/' + SIGV4_TERMINATOR;
  const signingKey = deriveSigningKey(identity.secretAccessKey, cred.day, cred.region, cred.service);
  verifySignature(req, canonicalQuery, canonicalHeaders, signedHeadersRaw, payloadHash!, amzDate, scope, signingKey, signature);

  const result: AuthResult = {
    anonymous: false,
    kind: 'header-v4',
    accessKeyId: cred.accessKeyId,
    identity,
    payloadMode: pm.mode,
    seedSignature: signature,
    signingKey,
    scope,
    amzDate,
    signedHeaders,
  };
  if (pm.sha !== undefined) result.payloadSha256Hex = pm.sha;
  if (pm.mode.startsWith('streaming')) {
    const dl = parseDecodedLength(req.headers['x-amz-decoded-content-length']);
    if (dl !== undefined) result.decodedContentLength = dl;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Presigned: ?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=…&X-Amz-Date=…&X-Amz-Expires=…&X-Amz-SignedHeaders=…&X-Amz-Signature=…

const PRESIGN_PARAMS: ReadonlySet<string> = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  // @aws-sdk/s3-request-presigner hoists its UNSIGNED-PAYLOAD header into the query, in either spelling.
  'X-Amz-Content-Sha256',
  'x-amz-content-sha256',
]);

function authenticateV4Query(req: AuthRequest, identities: IdentityLookup, options: AuthOptions): AuthResult {
  const q = pickQueryParams(req.rawQuery, PRESIGN_PARAMS, 'AuthorizationQueryParametersError');
  const algorithm = q.get('X-Amz-Algorithm');
  const credential = q.get('X-Amz-Credential');
  const date = q.get('X-Amz-Date');
  const expires = q.get('X-Amz-Expires');
  const signedHeadersRaw = q.get('X-Amz-SignedHeaders');
  const signature = q.get('X-Amz-Signature');
  if (algorithm === undefined || credential === undefined || date === undefined || expires === undefined || signedHeadersRaw === undefined || signature === undefined) {
    throw new AuthError(
      'AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (algorithm !== SIGV4_ALGORITHM) throw new AuthError('AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const cred = parseCredential(credential, 'AuthorizationQueryParametersError', options);
  const timeMs = parseAmzDate(date);
  if (timeMs === undefined) throw new AuthError('AuthorizationQueryParametersError', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  if (date.slice(0, 8) !== cred.day) {
    throw new AuthError('AuthorizationQueryParametersError', `Invalid credential date "${cred.day}". This date is not the same as X-Amz-Date: "${date.slice(0, 8)}".`);
  }
  let expiresSec = 0;
  if (expires.length === 0 || expires.length > 7) throw new AuthError('AuthorizationQueryParametersError', 'X-Amz-Expires should be a number');
  for (let i = 0; i < expires.length; i++) {
    const c = expires.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw new AuthError('AuthorizationQueryParametersError', 'X-Amz-Expires should be a number');
    expiresSec = expiresSec * 10 + (c - 0x30);
  }
  if (expiresSec < 1) throw new AuthError('AuthorizationQueryParametersError', 'X-Amz-Expires must be non-negative');
  if (expiresSec > PRESIGN_MAX_EXPIRES_SEC) throw new AuthError('AuthorizationQueryParametersError', 'X-Amz-Expires must be less than a week (in seconds) that is 604800');
  const signedHeaders = parseSignedHeaders(signedHeadersRaw, 'AuthorizationQueryParametersError');
  if (!isLowerHex64(signature)) throw new AuthError('AuthorizationQueryParametersError', 'X-Amz-Signature must be 64 lower-case hex characters');

  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (timeMs - options.nowMs > maxSkewMs) throw new AuthError('AccessDenied', 'Request is not valid yet');
  const expiresAtMs = timeMs + expiresSec * 1000;
  if (options.nowMs > expiresAtMs) throw new AuthError('AccessDenied', 'Request has expired');

  const identity = lookupIdentity(identities, cred.accessKeyId);
  // Presigned URLs sign UNSIGNED-PAYLOAD unless the client pinned a hash (header or query).
  const payloadHash = req.headers['x-amz-content-sha256'] ?? q.get('X-Amz-Content-Sha256') ?? q.get('x-amz-content-sha256') ?? UNSIGNED_PAYLOAD;
  const pm = payloadModeOf(payloadHash, false);
  checkAmzHeadersSigned(req.headers, signedHeaders);

  const canonicalQuery = canonicalQueryFromRaw(req.rawQuery, 'X-Amz-Signature');
  if (canonicalQuery === undefined) throw new AuthError('InvalidRequest', 'too many query parameters');
  const canonicalHeaders = canonicalHeadersBlock(signedHeaders, req.headers);
  if (canonicalHeaders === undefined) throw new AuthError('SignatureDoesNotMatch', SIGNATURE_MISMATCH + ' (a signed header is missing)');
  const scope = cred.day + '/' + cred.region + '/' + cred.service + '/' + SIGV4_TERMINATOR;
  const signingKey = deriveSigningKey(identity.secretAccessKey, cred.day, cred.region, cred.service);
  verifySignature(req, canonicalQuery, canonicalHeaders, signedHeadersRaw, payloadHash, date, scope, signingKey, signature);

  const result: AuthResult = {
    anonymous: false,
    kind: 'presigned-v4',
    accessKeyId: cred.accessKeyId,
    identity,
    payloadMode: pm.mode,
    seedSignature: signature,
    signingKey,
    scope,
    amzDate: date,
    signedHeaders,
    expiresAtMs,
  };
  if (pm.sha !== undefined) result.payloadSha256Hex = pm.sha;
  return result;
}
