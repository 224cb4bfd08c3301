// The S3 layer's only contact with src/auth: authenticate a request, and build the aws-chunked
// decoder for a streaming payload. Keeping it in one file means the auth API can move without
// touching the operations.

import { authenticate, type AuthResult } from '../auth/verify.js';
import type { IdentityLookup } from '../auth/identities.js';
import type { AuthInfo, RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { AwsChunkedDecoder, chunkedModeFor } from '../auth/chunked.js';
import { STREAMING_UNSIGNED_PAYLOAD_TRAILER } from '../auth/sigv4.js';
import { verifyPostPolicy, type PostPolicyResult } from '../auth/post-policy.js';

export interface ChunkDecoder {
  /** Synchronous: decoded payload goes to onData before push returns. Throws on bad framing/signature. */
  push(chunk: Uint8Array): void;
  end(): { trailers: Record<string, string>; decodedBytes: number };
}

/**
 * Anonymous (no credentials at all) → an AuthInfo without accessKeyId: whether it may proceed is the
 * bucket policy's call (authorizeRequest in policy-handlers.ts). AuthError propagates (mapped by the
 * error catalog).
 */
export function authenticateRequest(ctx: RequestContext, identities: IdentityLookup, virtualHostBucket: string | undefined): AuthInfo {
  const opts: Parameters<typeof authenticate>[2] = {
    region: ctx.config.region,
    nowMs: Date.now(),
    maxSkewMs: ctx.config.limits.maxClockSkewMs,
  };
  if (virtualHostBucket !== undefined) opts.virtualHostBucket = virtualHostBucket;
  const r = authenticate({ method: ctx.method, rawPath: ctx.rawPath, rawQuery: ctx.rawQuery, headers: ctx.headers }, identities, opts);
  if (r.anonymous) return anonymousAuth(ctx);
  const info: AuthInfo = { accessKeyId: r.accessKeyId, payloadMode: r.payloadMode, raw: r };
  if (r.payloadSha256Hex !== undefined) info.payloadSha256Hex = r.payloadSha256Hex;
  return info;
}

/**
 * An unsigned request still describes its payload. An SDK without credentials streams with
 * STREAMING-UNSIGNED-PAYLOAD-TRAILER (aws-chunked, checksum trailer): decode it, never store the
 * framing as data. A signed streaming mode without a signature cannot be verified: refused.
 */
function anonymousAuth(ctx: RequestContext): AuthInfo {
  const sha = ctx.headers['x-amz-content-sha256'];
  const chunked = (ctx.headers['content-encoding'] ?? '').toLowerCase().includes('aws-chunked');
  if (sha === STREAMING_UNSIGNED_PAYLOAD_TRAILER) {
    const raw = { anonymous: true, payloadMode: 'streaming-unsigned-trailer' } as const;
    return { payloadMode: 'streaming-unsigned-trailer', raw };
  }
  if (sha !== undefined && sha.startsWith('STREAMING-')) throw new S3Error('InvalidRequest', `x-amz-content-sha256 ${sha} needs a signed request.`);
  if (chunked) throw new S3Error('InvalidRequest', 'An unsigned aws-chunked body needs x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER.');
  // A claimed body hash is not a signature, but still an integrity check the handlers make.
  if (sha !== undefined && /^[0-9a-fA-F]{64}$/.test(sha)) return { payloadMode: 'signed', payloadSha256Hex: sha.toLowerCase(), raw: { anonymous: true } };
  return { payloadMode: 'unsigned', raw: { anonymous: true } };
}

export function createChunkDecoder(
  ctx: RequestContext,
  opts: { onData: (chunk: Uint8Array) => void; expectTrailer: boolean; expectedDecodedLength?: number },
): ChunkDecoder {
  const r = ctx.auth?.raw as AuthResult | undefined;
  const mode = r ? chunkedModeFor(r) : undefined;
  if (!mode) throw new S3Error('InvalidRequest', 'aws-chunked body without a streaming x-amz-content-sha256.');
  return new AwsChunkedDecoder({
    onData: opts.onData,
    expectTrailer: mode.expectTrailer,
    ...(mode.signing ? { signing: mode.signing } : {}),
    ...(opts.expectedDecodedLength !== undefined ? { expectedDecodedLength: opts.expectedDecodedLength } : {}),
  });
}

/** ctx.auth.raw of a request whose credentials are in its body (POST Object) until the handler verifies them. */
interface DeferredBodyAuth {
  kind: 'deferred-body-auth';
  identities: IdentityLookup;
}

/** For routes with authInBody: nothing verified yet (no accessKeyId); authenticatePostForm does it. */
export function deferBodyAuth(identities: IdentityLookup): AuthInfo {
  const raw: DeferredBodyAuth = { kind: 'deferred-body-auth', identities };
  return { payloadMode: 'unsigned', raw };
}

/** Form fields that say the form claims credentials (any case); none of them → anonymous. */
const POST_CREDENTIAL_FIELDS = ['policy', 'x-amz-signature', 'x-amz-credential', 'x-amz-algorithm', 'signature', 'awsaccesskeyid'];

/**
 * POST Object: verify the form's policy (SigV4 or SigV2 signed) against the text fields (file part excluded, `key`
 * already ${filename}-substituted). A form without any credential field is anonymous (undefined): the
 * handler's authorisation then needs a bucket policy Allow or a public-write bucket ACL, as S3.
 * Sets ctx.auth; returns the content-length range the handler must still enforce.
 */
export function authenticatePostForm(ctx: RequestContext, form: Readonly<Record<string, string>>, bucket: string): PostPolicyResult | undefined {
  const pending = ctx.auth?.raw as DeferredBodyAuth | undefined;
  if (pending?.kind !== 'deferred-body-auth') throw new Error('authenticatePostForm on a route without authInBody');
  const names = Object.keys(form).map((k) => k.toLowerCase());
  if (!names.some((n) => POST_CREDENTIAL_FIELDS.includes(n))) {
    ctx.auth = { payloadMode: 'unsigned', raw: { anonymous: true } };
    return undefined;
  }
  const r = verifyPostPolicy(form, bucket, pending.identities, { region: ctx.config.region, nowMs: Date.now() });
  ctx.auth = { accessKeyId: r.accessKeyId, payloadMode: 'unsigned', raw: r };
  return r;
}
