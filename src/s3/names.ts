// Bucket-name rules (S3 general-purpose buckets) and object-key checks. Pure, unit-tested.

import { S3Error } from './errors.js';

/** null when valid, otherwise why not (for the error message). */
export function bucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return 'Bucket name must be between 3 and 63 characters long.';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return 'Bucket name can consist only of lowercase letters, numbers, dots and hyphens, and must begin and end with a letter or number.';
  }
  if (name.includes('..')) return 'Bucket name must not contain two adjacent periods.';
  if (name.includes('.-') || name.includes('-.')) return 'Bucket name must not contain a period next to a hyphen.';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'Bucket name must not be formatted as an IP address.';
  if (name.startsWith('xn--') || name.startsWith('sthree-') || name.startsWith('amzn-s3-demo-')) return 'Bucket name must not start with a reserved prefix.';
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3') || name.endsWith('.mrap') || name.endsWith('--x-s3')) {
    return 'Bucket name must not end with a reserved suffix.';
  }
  return null;
}

export function assertBucketName(name: string): void {
  const p = bucketNameProblem(name);
  if (p) throw new S3Error('InvalidBucketName', p, { details: { BucketName: name } });
}

/**
 * Object keys: any UTF-8 up to maxKeyBytes. Keys are index entries, never file paths, so "../" is
 * just bytes; NUL is refused because no S3 client can round-trip it through XML listings.
 */
export function assertObjectKey(key: string, maxKeyBytes: number): void {
  if (key.length === 0) throw new S3Error('InvalidArgument', 'Object key must not be empty.');
  if (Buffer.byteLength(key, 'utf8') > maxKeyBytes) {
    throw new S3Error('KeyTooLongError', undefined, { details: { MaxSizeAllowed: String(maxKeyBytes) } });
  }
  if (key.includes('\u0000')) throw new S3Error('InvalidArgument', 'Object key must not contain NUL.');
  // Lone surrogates cannot come from valid UTF-8 but can from decodeURIComponent of a JS string.
  if (/\p{Surrogate}/u.test(key)) throw new S3Error('InvalidURI', 'Object key is not valid UTF-8.');
}

/** Strict percent-decoding of a path segment: invalid escapes or invalid UTF-8 → InvalidURI. */
export function decodePathComponent(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI (bad percent-encoding or invalid UTF-8).");
  }
}
