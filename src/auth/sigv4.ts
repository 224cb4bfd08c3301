// Pure AWS Signature Version 4 primitives, shared by the server-side verifier (verify.ts),
// the aws-chunked decoder (chunked.ts) and the client-side signer (sign-request.ts).
// No I/O here: everything is a function of its arguments, except the bounded signing-key cache.
//
// S3 flavour of SigV4: the canonical URI is the path encoded ONCE (other services double-encode
// and normalise dot segments; S3 does neither), and the payload hash is whatever the client put in
// x-amz-content-sha256 (a hex digest, UNSIGNED-PAYLOAD or a STREAMING-* constant).

import { createHash, createHmac } from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const SIGV4_TERMINATOR = 'aws4_request';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_PAYLOAD_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_PAYLOAD_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
/** Per-chunk string-to-sign algorithm line for signed aws-chunked bodies. */
export const CHUNK_ALGORITHM = 'AWS4-HMAC-SHA256-PAYLOAD';
/** String-to-sign algorithm line for the trailing-header chunk. */
export const TRAILER_ALGORITHM = 'AWS4-HMAC-SHA256-TRAILER';
/** sha256("") — appears in every chunk string-to-sign and for empty bodies. */
export const EMPTY_SHA256_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Signing keys kept; one per (secret, day, region, service). A node has few identities, so this is plenty. */
export const SIGNING_KEY_CACHE_MAX_ENTRIES = 1024;

// ---------------------------------------------------------------------------------------------
// URI encoding (RFC 3986 unreserved set, upper-case hex, UTF-8), as SigV4 defines it.

const HEX_UPPER = '0123456789ABCDEF';

/** 1 for A-Z a-z 0-9 - . _ ~ (never encoded), else 0. */
const UNRESERVED = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  UNRESERVED[c] = /[A-Za-z0-9\-._~]/.test(ch) ? 1 : 0;
}

/** Precomputed "%XX" for every byte, so encoding never formats numbers on the hot path. */
const PCT: string[] = [];
for (let b = 0; b < 256; b++) PCT.push('%' + HEX_UPPER[b >> 4] + HEX_UPPER[b & 15]);

function isUnreservedString(s: string, allowSlash: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) return false;
    if (UNRESERVED[c] === 0 && !(allowSlash && c === 0x2f)) return false;
  }
  return true;
}

/** Percent-encode the bytes of `bytes` per SigV4 (`/` kept only when `encodeSlash` is false). */
export function uriEncodeBytes(bytes: Uint8Array, encodeSlash: boolean): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b < 128 && UNRESERVED[b] === 1) || (!encodeSlash && b === 0x2f)) out += String.fromCharCode(b);
    else out += PCT[b]!;
  }
  return out;
}

/** SigV4 UriEncode of a (decoded) JS string; UTF-8 for non-ASCII. */
export function uriEncode(s: string, encodeSlash: boolean): string {
  // Fast path: most keys, query values and paths are already plain ASCII.
  if (isUnreservedString(s, !encodeSlash)) return s;
  return uriEncodeBytes(Buffer.from(s, 'utf8'), encodeSlash);
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/**
 * Decode %XX escapes to raw bytes. A '%' not followed by two hex digits is kept literally
 * (it then re-encodes as %25): lenient, never throws on client garbage. '+' is a literal plus
 * (RFC 3986), not a space: SigV4 clients always send spaces as %20.
 */
export function percentDecodeToBytes(s: string): Uint8Array {
  const src = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0x25 && i + 2 < src.length) {
      const h = hexVal(src[i + 1]!);
      const l = hexVal(src[i + 2]!);
      if (h >= 0 && l >= 0) {
        out[o++] = (h << 4) | l;
        i += 2;
        continue;
      }
    }
    out[o++] = b;
  }
  return out.subarray(0, o);
}

/** Canonical form of one raw (percent-encoded as received) path segment or query component. */
function canonicalComponent(raw: string, encodeSlash: boolean): string {
  if (isUnreservedString(raw, !encodeSlash)) return raw;
  return uriEncodeBytes(percentDecodeToBytes(raw), encodeSlash);
}

/**
 * S3 canonical URI from the path as received on the wire (still percent-encoded).
 * Clients disagree on which characters they escape on the wire (e.g. `!*'()` or `%7E`), but they all
 * sign the single RFC 3986 encoding, so we decode and re-encode each segment. A literal '/' separates
 * segments; an escaped %2F stays escaped, so keys containing %2F verify too.
 */
export function canonicalUriFromRawPath(rawPath: string): string {
  if (rawPath.length === 0) return '/';
  if (isUnreservedString(rawPath, true)) return rawPath;
  let out = '';
  let start = 0;
  for (let i = 0; i <= rawPath.length; i++) {
    if (i === rawPath.length || rawPath.charCodeAt(i) === 0x2f) {
      out += canonicalComponent(rawPath.slice(start, i), true);
      if (i < rawPath.length) out += '/';
      start = i + 1;
    }
  }
  return out;
}

/** Canonical query string from raw (unencoded) pairs: encode each key and value, sort by key then value. */
export function canonicalQueryFromPairs(pairs: ReadonlyArray<readonly [string, string]>): string {
  if (pairs.length === 0) return '';
  const enc: string[] = new Array(pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    const [k, v] = pairs[i]!;
    enc[i] = uriEncode(k, true) + '=' + uriEncode(v, true);
  }
  return sortAndJoinEncodedPairs(enc);
}

function sortAndJoinEncodedPairs(enc: string[]): string {
  if (enc.length === 1) return enc[0]!;
  // Encoded pairs are pure ASCII and '=' (0x3D) sorts below every unreserved char and '%', so sorting the
  // "k=v" strings by code unit equals sorting by key, then by value — except when one key is a prefix of
  // another (k="a", k="a-"): '=' (0x3D) > '-' (0x2D) / '.' (0x2E). Compare keys explicitly.
  enc.sort(comparePairs);
  return enc.join('&');
}

function comparePairs(a: string, b: string): number {
  const ea = a.indexOf('=');
  const eb = b.indexOf('=');
  const ka = a.slice(0, ea);
  const kb = b.slice(0, eb);
  if (ka !== kb) return ka < kb ? -1 : 1;
  const va = a.slice(ea + 1);
  const vb = b.slice(eb + 1);
  return va < vb ? -1 : va > vb ? 1 : 0;
}

/** Maximum query parameters we canonicalise; a real S3 request has a handful. */
export const MAX_QUERY_PARAMS = 256;

/**
 * Canonical query string from the raw query as received (the text after '?').
 * `omitKey` (matched on the decoded key) drops a parameter — X-Amz-Signature for presigned URLs.
 * Returns undefined when the query has more than MAX_QUERY_PARAMS parameters.
 */
export function canonicalQueryFromRaw(rawQuery: string, omitKey?: string): string | undefined {
  if (rawQuery.length === 0) return '';
  const enc: string[] = [];
  let start = 0;
  for (let i = 0; i <= rawQuery.length; i++) {
    if (i === rawQuery.length || rawQuery.charCodeAt(i) === 0x26 /* & */) {
      if (i > start) {
        if (enc.length >= MAX_QUERY_PARAMS) return undefined;
        const part = rawQuery.slice(start, i);
        const eq = part.indexOf('=');
        const rk = eq < 0 ? part : part.slice(0, eq);
        const rv = eq < 0 ? '' : part.slice(eq + 1);
        const k = canonicalComponent(rk, true);
        if (omitKey === undefined || k !== omitKey) enc.push(k + '=' + canonicalComponent(rv, true));
      }
      start = i + 1;
    }
  }
  if (enc.length === 0) return '';
  return sortAndJoinEncodedPairs(enc);
}

// ---------------------------------------------------------------------------------------------
// Canonical headers.

/** Trim and collapse internal whitespace runs to one space (SigV4 "Trimall"). */
export function canonicalHeaderValue(v: string): string {
  // Fast path: nothing to trim and no runs of whitespace / tabs / newlines — the common case.
  let clean = true;
  const n = v.length;
  if (n > 0 && (isWs(v.charCodeAt(0)) || isWs(v.charCodeAt(n - 1)))) clean = false;
  else {
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c === 0x20) {
        if (i + 1 < n && v.charCodeAt(i + 1) === 0x20) {
          clean = false;
          break;
        }
      } else if (c < 0x20) {
        clean = false;
        break;
      }
    }
  }
  if (clean) return v;
  let out = '';
  let pendingSpace = false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (isWs(c)) {
      pendingSpace = out.length > 0;
    } else {
      if (pendingSpace) out += ' ';
      pendingSpace = false;
      out += v[i];
    }
  }
  return out;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/**
 * The canonical-headers block: "name:value\n" for each signed header name, in the given order
 * (callers pass them sorted and lower-case). Returns undefined if a signed header is absent.
 */
export function canonicalHeadersBlock(
  signedHeaderNames: readonly string[],
  headers: Readonly<Record<string, string | undefined>>,
): string | undefined {
  let out = '';
  for (let i = 0; i < signedHeaderNames.length; i++) {
    const name = signedHeaderNames[i]!;
    const v = headers[name];
    if (v === undefined) return undefined;
    out += name + ':' + canonicalHeaderValue(v) + '\n';
  }
  return out;
}

export function buildCanonicalRequest(
  method: string,
  canonicalUri: string,
  canonicalQuery: string,
  canonicalHeaders: string,
  signedHeaders: string,
  payloadHash: string,
): string {
  return method + '\n' + canonicalUri + '\n' + canonicalQuery + '\n' + canonicalHeaders + '\n' + signedHeaders + '\n' + payloadHash;
}

export function credentialScope(yyyymmdd: string, region: string, service: string): string {
  return yyyymmdd + '/' + region + '/' + service + '/' + SIGV4_TERMINATOR;
}

export function buildStringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  return SIGV4_ALGORITHM + '\n' + amzDate + '\n' + scope + '\n' + sha256Hex(canonicalRequest);
}

// ---------------------------------------------------------------------------------------------
// Hashing.

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmacHex(key: Uint8Array, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

export function hmacRaw(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Compare two hex signatures without an early exit (timing-safe for equal lengths). */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

// ---------------------------------------------------------------------------------------------
// Signing key derivation with a bounded LRU cache: four HMACs cost ~10 µs, half of a verify.

const signingKeyCache = new Map<string, Buffer>();

export function deriveSigningKey(secretAccessKey: string, yyyymmdd: string, region: string, service: string): Buffer {
  const cacheKey = secretAccessKey + '\n' + yyyymmdd + '\n' + region + '\n' + service;
  const hit = signingKeyCache.get(cacheKey);
  if (hit !== undefined) return hit;
  const kDate = hmacRaw('AWS4' + secretAccessKey, yyyymmdd);
  const kRegion = hmacRaw(kDate, region);
  const kService = hmacRaw(kRegion, service);
  const kSigning = hmacRaw(kService, SIGV4_TERMINATOR);
  // Map iteration order is insertion order: evicting the first key drops the least recently *inserted*.
  // Keys roll daily, so insertion order is a good enough proxy for recency and keeps hits free of writes.
  if (signingKeyCache.size >= SIGNING_KEY_CACHE_MAX_ENTRIES) {
    const oldest = signingKeyCache.keys().next().value;
    if (oldest !== undefined) signingKeyCache.delete(oldest);
  }
  signingKeyCache.set(cacheKey, kSigning);
  return kSigning;
}

/** For tests and for rotating credentials. */
export function clearSigningKeyCache(): void {
  signingKeyCache.clear();
}

export function signingKeyCacheSize(): number {
  return signingKeyCache.size;
}

// ---------------------------------------------------------------------------------------------
// Dates.

/** ISO 8601 basic format, e.g. 20130524T000000Z. */
export function formatAmzDate(d: Date): string {
  const iso = d.toISOString(); // 2013-05-24T00:00:00.000Z
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parse a strict YYYYMMDDTHHMMSSZ into epoch ms; undefined if malformed or not a real date. */
export function parseAmzDate(s: string): number | undefined {
  if (s.length !== 16 || s.charCodeAt(8) !== 0x54 /* T */ || s.charCodeAt(15) !== 0x5a /* Z */) return undefined;
  // Digit arithmetic instead of slice/Number: this runs twice per verify (~8% of it with slices).
  let v = 0;
  const d = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 15; i++) {
    if (i === 8) continue;
    v = s.charCodeAt(i) - 0x30;
    if (v < 0 || v > 9) return undefined;
    d[i] = v;
  }
  const y = d[0]! * 1000 + d[1]! * 100 + d[2]! * 10 + d[3]!;
  const mo = d[4]! * 10 + d[5]!;
  const day = d[6]! * 10 + d[7]!;
  const h = d[9]! * 10 + d[10]!;
  const mi = d[11]! * 10 + d[12]!;
  const se = d[13]! * 10 + d[14]!;
  if (mo < 1 || mo > 12 || day < 1 || h > 23 || mi > 59 || se > 60) return undefined;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (day > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!)) return undefined;
  return Date.UTC(y, mo - 1, day, h, mi, se);
}

/** True for exactly 64 hex digits (either case). */
export function isSha256Hex(s: string): boolean {
  if (s.length !== 64) return false;
  for (let i = 0; i < 64; i++) if (hexVal(s.charCodeAt(i)) < 0) return false;
  return true;
}

/** True for exactly 64 lower-case hex digits, the only form a SigV4 signature takes. */
export function isLowerHex64(s: string): boolean {
  if (s.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// aws-chunked streaming signatures (shared by the client signer and the server decoder).

/** String to sign for one chunk of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body. */
export function chunkStringToSign(amzDate: string, scope: string, previousSignature: string, chunkSha256Hex: string): string {
  return CHUNK_ALGORITHM + '\n' + amzDate + '\n' + scope + '\n' + previousSignature + '\n' + EMPTY_SHA256_HEX + '\n' + chunkSha256Hex;
}

/** "name:value\n" per trailer, names lower-case and sorted, values trimmed: what x-amz-trailer-signature covers. */
export function canonicalTrailers(trailers: Readonly<Record<string, string>>): string {
  const entries: [string, string][] = [];
  for (const n of Object.keys(trailers)) entries.push([n.toLowerCase(), trailers[n]!.trim()]);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let out = '';
  for (const [n, v] of entries) out += n + ':' + v + '\n';
  return out;
}

/** String to sign for the trailing-header chunk; previousSignature is the final (zero-length) chunk's. */
export function trailerStringToSign(amzDate: string, scope: string, previousSignature: string, trailers: Readonly<Record<string, string>>): string {
  return TRAILER_ALGORITHM + '\n' + amzDate + '\n' + scope + '\n' + previousSignature + '\n' + sha256Hex(canonicalTrailers(trailers));
}
