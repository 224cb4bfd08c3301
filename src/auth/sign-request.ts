// Client-side SigV4 signer: used by the benchmark load generator (tools/) and by tests.
// It must be cheap — the AWS SDK tops out near 1,150 PUT/s here, mostly in its own overhead —
// so it reuses the cached signing key and builds each string once.

import { hash } from 'node:crypto';
import { AuthError } from './errors.js';
import {
  EMPTY_SHA256_HEX,
  SIGV4_ALGORITHM,
  UNSIGNED_PAYLOAD,
  buildCanonicalRequest,
  buildStringToSign,
  canonicalHeaderValue,
  canonicalQueryFromPairs,
  canonicalUriFromRawPath,
  chunkStringToSign,
  credentialScope,
  deriveSigningKey,
  formatAmzDate,
  hmacHex,
  sha256Hex,
  trailerStringToSign,
} from './sigv4.js';

export { canonicalTrailers } from './sigv4.js';

export interface SignRequestInput {
  method: string;
  host: string;
  /** Path as it will be sent on the wire, already URI-encoded (e.g. "/bucket/my%20key"). */
  path: string;
  /** Raw, unencoded query pairs. Send them as `canonicalQueryFromPairs(query)` (sigv4.ts) to match. */
  query?: ReadonlyArray<readonly [string, string]>;
  /** Extra headers to sign (any case). Hop-by-hop / unsignable ones are skipped. */
  headers?: Readonly<Record<string, string>>;
  /** Hex sha256 of the body, 'UNSIGNED-PAYLOAD', or a STREAMING-* constant. */
  payloadHash: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Default 's3'. */
  service?: string;
  /** Default now. */
  date?: Date;
}

export interface SignedRequest {
  /** Headers to add to the request: authorization, x-amz-date, x-amz-content-sha256, host. */
  headers: Record<string, string>;
  /** The request signature: the seed signature of an aws-chunked body. */
  signature: string;
  signingKey: Buffer;
  scope: string;
  amzDate: string;
}

/** Never signed (same list as the AWS SDK): proxies and the HTTP stack rewrite them. */
const UNSIGNABLE_HEADERS = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
  // Set by the signer itself.
  'host',
  'x-amz-date',
  'x-amz-content-sha256',
]);

/** Returns only the headers to add. See signRequestDetailed for the seed signature and signing key. */
export function signRequest(input: SignRequestInput): Record<string, string> {
  return signRequestDetailed(input).headers;
}

/** toISOString + slicing costs ~1 µs; a load generator signs thousands of requests per second. */
let lastDateSec = -1;
let lastAmzDate = '';
function amzDateOf(d: Date | undefined): string {
  const ms = d === undefined ? Date.now() : d.getTime();
  const sec = Math.floor(ms / 1000);
  if (sec !== lastDateSec) {
    lastAmzDate = formatAmzDate(new Date(sec * 1000));
    lastDateSec = sec;
  }
  return lastAmzDate;
}

export function signRequestDetailed(input: SignRequestInput): SignedRequest {
  const service = input.service ?? 's3';
  const amzDate = amzDateOf(input.date);
  const day = amzDate.slice(0, 8);
  const scope = scopeOf(day, input.region, service);

  let canonicalHeaders: string;
  let signedHeaders: string;
  if (input.headers === undefined) {
    // The load generator's GET/PUT/HEAD/DELETE: only the signer's own three headers, whose order is fixed.
    canonicalHeaders =
      'host:' + canonicalHeaderValue(input.host) + '\nx-amz-content-sha256:' + canonicalHeaderValue(input.payloadHash) + '\nx-amz-date:' + amzDate + '\n';
    signedHeaders = OWN_SIGNED_HEADERS;
  } else {
    ({ canonicalHeaders, signedHeaders } = canonicalSignedHeaders(
      { host: input.host, 'x-amz-content-sha256': input.payloadHash, 'x-amz-date': amzDate },
      input.headers,
    ));
  }

  const canonicalRequest = buildCanonicalRequest(
    input.method,
    canonicalUriFromRawPath(input.path),
    input.query === undefined ? '' : canonicalQueryFromPairs(input.query),
    canonicalHeaders,
    signedHeaders,
    input.payloadHash,
  );
  const signingKey = signingKeyOf(input.secretAccessKey, day, input.region, service);
  // One-shot crypto.hash() is ~0.7 µs cheaper than createHash().update().digest() (buildStringToSign's
  // sha256Hex) on a ~200-byte canonical request; the string is the same.
  const stringToSign = SIGV4_ALGORITHM + '\n' + amzDate + '\n' + scope + '\n' + hash('sha256', canonicalRequest, 'hex');
  const signature = hmacHex(signingKey, stringToSign);
  return {
    headers: {
      authorization:
        SIGV4_ALGORITHM +
        ' Credential=' +
        input.accessKeyId +
        '/' +
        scope +
        ', SignedHeaders=' +
        signedHeaders +
        ', Signature=' +
        signature,
      'x-amz-date': amzDate,
      'x-amz-content-sha256': input.payloadHash,
      host: input.host,
    },
    signature,
    signingKey,
    scope,
    amzDate,
  };
}

/** The sorted names of the headers the signer always signs: host, x-amz-content-sha256, x-amz-date. */
const OWN_SIGNED_HEADERS = 'host;x-amz-content-sha256;x-amz-date';

/**
 * A load generator signs with one key, region and day for thousands of requests a second: remember the
 * last scope and signing key rather than rebuilding the scope string and deriveSigningKey's cache-key
 * string (and hashing it for the Map lookup) every time. Both are pure functions of their inputs.
 */
let lastScopeDay = '';
let lastScopeRegion = '';
let lastScopeService = '';
let lastScope = '';
function scopeOf(day: string, region: string, service: string): string {
  if (day !== lastScopeDay || region !== lastScopeRegion || service !== lastScopeService) {
    lastScope = credentialScope(day, region, service);
    lastScopeDay = day;
    lastScopeRegion = region;
    lastScopeService = service;
  }
  return lastScope;
}

let lastKeySecret = '';
let lastKeyDay = '';
let lastKeyRegion = '';
let lastKeyService = '';
let lastKey: Buffer | undefined;
function signingKeyOf(secretAccessKey: string, day: string, region: string, service: string): Buffer {
  if (lastKey === undefined || secretAccessKey !== lastKeySecret || day !== lastKeyDay || region !== lastKeyRegion || service !== lastKeyService) {
    lastKey = deriveSigningKey(secretAccessKey, day, region, service);
    lastKeySecret = secretAccessKey;
    lastKeyDay = day;
    lastKeyRegion = region;
    lastKeyService = service;
  }
  return lastKey;
}

/**
 * The signed-header block of a request: `own` (lower-case names the signer always signs) plus the
 * caller's headers, repeated names joined with ',', sorted, values canonicalised.
 */
function canonicalSignedHeaders(own: Record<string, string>, extra: Record<string, string> | undefined): { canonicalHeaders: string; signedHeaders: string } {
  const hv: Record<string, string> = { ...own };
  const names = Object.keys(own);
  if (extra !== undefined) {
    for (const k in extra) {
      const lk = k.toLowerCase();
      if (UNSIGNABLE_HEADERS.has(lk)) continue;
      const v = extra[k]!;
      if (hv[lk] !== undefined) hv[lk] += ',' + v;
      else {
        hv[lk] = v;
        names.push(lk);
      }
    }
  }
  names.sort();
  let canonicalHeaders = '';
  for (const n of names) canonicalHeaders += n + ':' + canonicalHeaderValue(hv[n]!) + '\n';
  return { canonicalHeaders, signedHeaders: names.join(';') };
}

export interface PresignInput extends Omit<SignRequestInput, 'payloadHash'> {
  /** X-Amz-Expires, 1..604800. */
  expiresSec: number;
  /** Default 'UNSIGNED-PAYLOAD' (what S3 presigned URLs sign). */
  payloadHash?: string;
}

export const PRESIGN_MAX_EXPIRES_SEC = 604800;

/**
 * Presigned URL query string (without '?'): the caller's query plus the X-Amz-* parameters, encoded
 * canonically, then X-Amz-Signature. Headers passed in `headers` are signed and must be sent as-is.
 */
export function presignUrl(input: PresignInput): string {
  if (!Number.isInteger(input.expiresSec) || input.expiresSec < 1 || input.expiresSec > PRESIGN_MAX_EXPIRES_SEC) {
    throw new AuthError('AuthorizationQueryParametersError', 'X-Amz-Expires must be an integer in 1..604800');
  }
  const service = input.service ?? 's3';
  const amzDate = amzDateOf(input.date);
  const day = amzDate.slice(0, 8);
  const scope = credentialScope(day, input.region, service);

  const { canonicalHeaders, signedHeaders } = canonicalSignedHeaders({ host: input.host }, input.headers);

  const pairs: Array<readonly [string, string]> = input.query === undefined ? [] : [...input.query];
  pairs.push(
    ['X-Amz-Algorithm', SIGV4_ALGORITHM],
    ['X-Amz-Credential', input.accessKeyId + '/' + scope],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(input.expiresSec)],
    ['X-Amz-SignedHeaders', signedHeaders],
  );
  const query = canonicalQueryFromPairs(pairs);
  const canonicalRequest = buildCanonicalRequest(
    input.method,
    canonicalUriFromRawPath(input.path),
    query,
    canonicalHeaders,
    signedHeaders,
    input.payloadHash ?? UNSIGNED_PAYLOAD,
  );
  const signingKey = deriveSigningKey(input.secretAccessKey, day, input.region, service);
  const signature = hmacHex(signingKey, buildStringToSign(amzDate, scope, canonicalRequest));
  return query + '&X-Amz-Signature=' + signature;
}

// ---------------------------------------------------------------------------------------------
// aws-chunked bodies (STREAMING-*), for tests and the load generator.

export interface ChunkSigningContext {
  /** The request's own signature (SignedRequest.signature). */
  seedSignature: string;
  signingKey: Uint8Array;
  scope: string;
  amzDate: string;
}

export interface ChunkSigner {
  /** Signature of the next chunk (chains from the previous one). */
  signChunk(data: Uint8Array): string;
  /** "<hex size>;chunk-signature=<sig>\r\n<data>\r\n". Use encodeFinal for the zero-length chunk. */
  encodeChunk(data: Uint8Array): Buffer;
  /**
   * The zero-length final chunk, then — when `trailers` is given — the trailer lines and
   * x-amz-trailer-signature (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER), then the closing CRLF.
   */
  encodeFinal(trailers?: Readonly<Record<string, string>>): Buffer;
  readonly previousSignature: string;
}

/** The x-amz-trailer-signature value for `trailers`, chained from the final chunk's signature. */
export function trailerSignature(ctx: ChunkSigningContext, prevSignature: string, trailers: Readonly<Record<string, string>>): string {
  return hmacHex(ctx.signingKey, trailerStringToSign(ctx.amzDate, ctx.scope, prevSignature, trailers));
}

export function createChunkSigner(ctx: ChunkSigningContext): ChunkSigner {
  let prev = ctx.seedSignature;
  const signer: ChunkSigner = {
    signChunk(data: Uint8Array): string {
      prev = hmacHex(ctx.signingKey, chunkStringToSign(ctx.amzDate, ctx.scope, prev, data.length === 0 ? EMPTY_SHA256_HEX : sha256Hex(data)));
      return prev;
    },
    encodeChunk(data: Uint8Array): Buffer {
      const sig = signer.signChunk(data);
      return Buffer.concat([Buffer.from(data.length.toString(16) + ';chunk-signature=' + sig + '\r\n'), data, CRLF]);
    },
    encodeFinal(trailers?: Readonly<Record<string, string>>): Buffer {
      const sig = signer.signChunk(new Uint8Array(0));
      let s = '0;chunk-signature=' + sig + '\r\n';
      if (trailers !== undefined) {
        for (const n of Object.keys(trailers)) s += n.toLowerCase() + ':' + trailers[n] + '\r\n';
        s += 'x-amz-trailer-signature:' + trailerSignature(ctx, sig, trailers) + '\r\n';
      }
      return Buffer.from(s + '\r\n');
    },
    get previousSignature(): string {
      return prev;
    },
  };
  return signer;
}

const CRLF = Buffer.from('\r\n');

export interface EncodeAwsChunkedOptions {
  /** Payload bytes per chunk (the last data chunk may be shorter). Default 64 KiB. */
  chunkSizeBytes?: number;
  /** Signed streaming when given; unsigned (STREAMING-UNSIGNED-PAYLOAD-TRAILER framing) otherwise. */
  signing?: ChunkSigningContext;
  /** Trailer headers (e.g. { 'x-amz-checksum-crc32': 'AAAAAA==' }). */
  trailers?: Readonly<Record<string, string>>;
}

/** Encode a whole body as aws-chunked, in one buffer (tests, small benchmark objects). */
export function encodeAwsChunked(body: Uint8Array, opts: EncodeAwsChunkedOptions = {}): Buffer {
  const size = opts.chunkSizeBytes ?? 65536;
  if (!Number.isInteger(size) || size < 1) throw new RangeError('chunkSizeBytes must be a positive integer');
  const parts: Buffer[] = [];
  if (opts.signing !== undefined) {
    const signer = createChunkSigner(opts.signing);
    for (let off = 0; off < body.length; off += size) parts.push(signer.encodeChunk(body.subarray(off, off + size)));
    parts.push(signer.encodeFinal(opts.trailers));
  } else {
    for (let off = 0; off < body.length; off += size) {
      const c = body.subarray(off, off + size);
      parts.push(Buffer.from(c.length.toString(16) + '\r\n'), Buffer.from(c.buffer, c.byteOffset, c.length), CRLF);
    }
    let s = '0\r\n';
    if (opts.trailers !== undefined) for (const n of Object.keys(opts.trailers)) s += n.toLowerCase() + ':' + opts.trailers[n] + '\r\n';
    parts.push(Buffer.from(s + '\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Content-Length of the aws-chunked encoding of `decodedLength` payload bytes, without encoding them:
 * what a streaming client must announce up front. Matches encodeAwsChunked byte for byte.
 */
export function awsChunkedEncodedLength(
  decodedLength: number,
  opts: { chunkSizeBytes?: number; signed: boolean; trailers?: Readonly<Record<string, string>> },
): number {
  const size = opts.chunkSizeBytes ?? 65536;
  if (!Number.isInteger(size) || size < 1 || !Number.isInteger(decodedLength) || decodedLength < 0) throw new RangeError('bad lengths');
  const sigExt = opts.signed ? ';chunk-signature='.length + 64 : 0;
  const full = Math.floor(decodedLength / size);
  const rest = decodedLength - full * size;
  let total = full * (size.toString(16).length + sigExt + 2 + size + 2);
  if (rest > 0) total += rest.toString(16).length + sigExt + 2 + rest + 2;
  total += 1 + sigExt + 2; // "0[;chunk-signature=…]\r\n"
  if (opts.trailers !== undefined) {
    for (const n of Object.keys(opts.trailers)) total += Buffer.byteLength(n) + 1 + Buffer.byteLength(opts.trailers[n]!) + 2;
    if (opts.signed) total += 'x-amz-trailer-signature:'.length + 64 + 2;
  }
  return total + 2; // closing CRLF
}
