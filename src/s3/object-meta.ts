// Object metadata between HTTP headers and the engine: what PUT/COPY persist, what GET/HEAD return.

import type { ChecksumAlgorithm, ObjectMeta, SystemMeta } from '../store/api.js';
import type { RequestContext } from '../http/context.js';
import type { HeaderList } from '../http/response.js';
import { S3Error } from './errors.js';
import { httpDate } from './xml.js';

export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

export const CHECKSUM_HEADERS: Record<ChecksumAlgorithm, string> = {
  CRC32: 'x-amz-checksum-crc32',
  CRC32C: 'x-amz-checksum-crc32c',
  SHA1: 'x-amz-checksum-sha1',
  SHA256: 'x-amz-checksum-sha256',
  CRC64NVME: 'x-amz-checksum-crc64nvme',
};
/** Digest sizes in bytes: a header value must be base64 of exactly this many. */
export const CHECKSUM_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, SHA1: 20, SHA256: 32, CRC64NVME: 8 };

export function checksumAlgorithmFromName(name: string): ChecksumAlgorithm | undefined {
  switch (name.toLowerCase()) {
    case 'crc32':
    case 'x-amz-checksum-crc32':
      return 'CRC32';
    case 'crc32c':
    case 'x-amz-checksum-crc32c':
      return 'CRC32C';
    case 'sha1':
    case 'x-amz-checksum-sha1':
      return 'SHA1';
    case 'sha256':
    case 'x-amz-checksum-sha256':
      return 'SHA256';
    case 'crc64nvme':
    case 'x-amz-checksum-crc64nvme':
      return 'CRC64NVME';
    default:
      return undefined;
  }
}

/** Strict base64 of exactly `bytes` bytes. */
export function isBase64Of(value: string, bytes: number): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return false;
  return Buffer.from(value, 'base64').length === bytes;
}

/** Content-Encoding without the aws-chunked transfer token (it describes the request, not the object). */
export function storedContentEncoding(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const kept = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s.toLowerCase() !== 'aws-chunked');
  return kept.length ? kept.join(',') : undefined;
}

export function systemMetaFromHeaders(h: Readonly<Record<string, string>>): SystemMeta {
  const m: SystemMeta = {};
  if (h['content-type'] !== undefined && h['content-type'] !== '') m.contentType = h['content-type'];
  const ce = storedContentEncoding(h['content-encoding']);
  if (ce !== undefined) m.contentEncoding = ce;
  if (h['content-disposition'] !== undefined) m.contentDisposition = h['content-disposition'];
  if (h['content-language'] !== undefined) m.contentLanguage = h['content-language'];
  if (h['cache-control'] !== undefined) m.cacheControl = h['cache-control'];
  if (h['expires'] !== undefined) m.expires = h['expires'];
  return m;
}

/** x-amz-meta-* → { name: value } (names lower-case, without the prefix); MetadataTooLarge past the limit. */
export function userMetaFromHeaders(h: Readonly<Record<string, string>>, maxBytes: number): Record<string, string> {
  const out: Record<string, string> = {};
  let size = 0;
  for (const name in h) {
    if (!name.startsWith('x-amz-meta-')) continue;
    const k = name.slice('x-amz-meta-'.length);
    const v = h[name]!;
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
    out[k] = v;
  }
  if (size > maxBytes) {
    throw new S3Error('MetadataTooLarge', undefined, { details: { Size: String(size), MaxSizeAllowed: String(maxBytes) } });
  }
  return out;
}

export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

/** GET/HEAD headers for `meta`; checksums only for whole-object reads with x-amz-checksum-mode: ENABLED. */
export function objectHeaders(ctx: RequestContext, meta: ObjectMeta, opts: { wholeObject: boolean; partNumber?: number }): HeaderList {
  const s = meta.system;
  const h: HeaderList = {
    ETag: quoteEtag(meta.etag),
    'Last-Modified': httpDate(meta.lastModifiedMs),
    'Accept-Ranges': 'bytes',
    'Content-Type': s.contentType ?? DEFAULT_CONTENT_TYPE,
  };
  if (s.contentEncoding !== undefined) h['Content-Encoding'] = s.contentEncoding;
  if (s.contentDisposition !== undefined) h['Content-Disposition'] = s.contentDisposition;
  if (s.contentLanguage !== undefined) h['Content-Language'] = s.contentLanguage;
  if (s.cacheControl !== undefined) h['Cache-Control'] = s.cacheControl;
  if (s.expires !== undefined) h['Expires'] = s.expires;
  for (const k in meta.user) h['x-amz-meta-' + k] = meta.user[k];
  if (meta.parts && meta.parts.length > 0) h['x-amz-mp-parts-count'] = meta.parts.length;
  if (opts.wholeObject && (ctx.headers['x-amz-checksum-mode'] ?? '').toUpperCase() === 'ENABLED') {
    for (const alg of Object.keys(meta.checksums) as ChecksumAlgorithm[]) {
      const v = meta.checksums[alg];
      if (v !== undefined) h[CHECKSUM_HEADERS[alg]] = meta.checksumType === 'COMPOSITE' && meta.parts ? `${v}-${meta.parts.length}` : v;
    }
    if (meta.checksumType) h['x-amz-checksum-type'] = meta.checksumType;
  }
  return h;
}

/** response-content-type & co. (GetObject only, signed requests only, as S3). */
export function applyResponseOverrides(ctx: RequestContext, h: HeaderList): void {
  const map: [string, string][] = [
    ['response-content-type', 'Content-Type'],
    ['response-content-language', 'Content-Language'],
    ['response-expires', 'Expires'],
    ['response-cache-control', 'Cache-Control'],
    ['response-content-disposition', 'Content-Disposition'],
    ['response-content-encoding', 'Content-Encoding'],
  ];
  for (const [q, name] of map) {
    const v = ctx.query.get(q);
    if (v !== undefined) h[name] = v;
  }
}
