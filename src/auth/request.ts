// The auth layer's request/result types and the raw-query helpers shared by SigV4 (verify.ts) and SigV2
// (sigv2.ts). Kept apart so neither verifier imports the other's module.

import { AuthError } from './errors.js';
import type { Identity } from './identities.js';
import { percentDecodeToBytes } from './sigv4.js';

export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;

export interface AuthRequest {
  method: string;
  /** Path as received, still percent-encoded, without the query. */
  rawPath: string;
  /** Everything after '?', raw ('' when absent). */
  rawQuery: string;
  /** Lower-case names; repeated headers joined with ',' (RFC 9110 order). */
  headers: Readonly<Record<string, string | undefined>>;
}

export interface AuthOptions {
  /** The node's region; the credential scope must name it. */
  region: string;
  /**
   * Other regions a credential scope may name. Clients discover a bucket's region by calling
   * GetBucketLocation signed for us-east-1 (AWS accepts that everywhere), so a node whose region is not
   * us-east-1 may want ['us-east-1'] here. Default: none.
   */
  alsoAcceptRegions?: readonly string[];
  /** Current time (injected: tests and a single clock read per request). */
  nowMs: number;
  /** Allowed clock difference for header auth; default 15 minutes like S3. */
  maxSkewMs?: number;
  /** Default 's3'. */
  service?: string;
  /**
   * SigV2 only: the bucket when the HTTP layer resolved it from a virtual-hosted Host header
   * (SigV2 signs "/bucket/key" even when the bucket is in the host name). Undefined for path-style.
   */
  virtualHostBucket?: string;
}

export type PayloadMode = 'signed' | 'unsigned' | 'streaming-signed' | 'streaming-signed-trailer' | 'streaming-unsigned-trailer';

export interface AnonymousAuth {
  anonymous: true;
}

export interface AuthResult {
  anonymous: false;
  /** Which mechanism authenticated the request. */
  kind: 'header-v4' | 'presigned-v4' | 'header-v2' | 'presigned-v2';
  accessKeyId: string;
  identity: Identity;
  payloadMode: PayloadMode;
  /** The claimed body hash (lower-case hex) when payloadMode is 'signed'; the S3 layer compares it with the computed one. */
  payloadSha256Hex?: string;
  /** x-amz-decoded-content-length for streaming modes, when present and well-formed. */
  decodedContentLength?: number;
  /** The request signature: the seed of the chunk-signature chain. */
  seedSignature: string;
  /** SigV4 signing key (empty for SigV2). */
  signingKey: Buffer;
  /** "yyyymmdd/region/service/aws4_request" ('' for SigV2). */
  scope: string;
  /** ISO 8601 basic request time used in the string to sign. */
  amzDate: string;
  /** Lower-case names of the signed headers (for SigV2: content-md5, content-type, date and x-amz-*). */
  signedHeaders: readonly string[];
  /** Presigned requests: when the URL stops being valid. */
  expiresAtMs?: number;
}

/** True when the raw query has a parameter named exactly `key` (names we look for never need decoding). */
export function hasQueryKey(rawQuery: string, key: string): boolean {
  let from = 0;
  for (;;) {
    const i = rawQuery.indexOf(key, from);
    if (i < 0) return false;
    const before = i === 0 ? 0x26 : rawQuery.charCodeAt(i - 1);
    const afterIdx = i + key.length;
    const after = afterIdx === rawQuery.length ? 0x26 : rawQuery.charCodeAt(afterIdx);
    if (before === 0x26 && (after === 0x3d || after === 0x26)) return true;
    from = i + 1;
  }
}

/** Decoded values of the wanted parameters; a wanted parameter given twice is an error. */
export function pickQueryParams(rawQuery: string, wanted: ReadonlySet<string>, dupCode: 'AuthorizationQueryParametersError' | 'InvalidArgument'): Map<string, string> {
  const out = new Map<string, string>();
  let start = 0;
  for (let i = 0; i <= rawQuery.length; i++) {
    if (i === rawQuery.length || rawQuery.charCodeAt(i) === 0x26) {
      if (i > start) {
        const part = rawQuery.slice(start, i);
        const eq = part.indexOf('=');
        const rk = eq < 0 ? part : part.slice(0, eq);
        // Wanted names are plain ASCII, so only undecoded matches count; "X-Amz-%41lgorithm" is not one.
        if (wanted.has(rk)) {
          if (out.has(rk)) throw new AuthError(dupCode, `duplicate query parameter ${rk}`);
          const rv = eq < 0 ? '' : part.slice(eq + 1);
          out.set(rk, rv.indexOf('%') < 0 && rv.indexOf('+') < 0 ? rv : decodeComponent(rv));
        }
      }
      start = i + 1;
    }
  }
  return out;
}

/** Percent-decode to a string. Bytes that are not UTF-8 become U+FFFD, which then fails whatever check follows. */
export function decodeComponent(raw: string): string {
  return Buffer.from(percentDecodeToBytes(raw)).toString('utf8');
}
