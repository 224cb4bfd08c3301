// Request headers that ask a write for a feature Strata does not have. Ignoring them would be a silent
// fallback: a client that asked for encryption at rest (SSE-S3/KMS) or with its own key (SSE-C) would get
// a plaintext object — an SSE-C object would even be readable without the key — and one that asked
// for an Object Lock retention would believe the object protected. So they are refused before any byte
// of the body is read: SSE with 501 NotImplemented (as MinIO answers without a KMS), Object Lock with the
// 400 InvalidRequest AWS gives on a bucket without Object Lock configuration.

import { S3Error } from './errors.js';

const SSE_HEADERS = [
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-context',
  'x-amz-server-side-encryption-bucket-key-enabled',
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-server-side-encryption-customer-key',
  'x-amz-server-side-encryption-customer-key-md5',
] as const;

/** CopyObject / UploadPartCopy: the source was encrypted with a customer key (Strata never holds one). */
const COPY_SOURCE_SSE_C_HEADERS = [
  'x-amz-copy-source-server-side-encryption-customer-algorithm',
  'x-amz-copy-source-server-side-encryption-customer-key',
  'x-amz-copy-source-server-side-encryption-customer-key-md5',
] as const;

const OBJECT_LOCK_HEADERS = ['x-amz-object-lock-mode', 'x-amz-object-lock-retain-until-date', 'x-amz-object-lock-legal-hold'] as const;

/**
 * Throws when `headers` (lower-case names; POST Object passes its form fields) ask for server-side
 * encryption or Object Lock. `objectLock`: whether the operation takes Object Lock headers at all
 * (UploadPart does not).
 */
export function refuseUnsupportedWriteHeaders(headers: Readonly<Record<string, string | undefined>>, options: { copySource?: boolean; objectLock?: boolean } = {}): void {
  for (const h of SSE_HEADERS) {
    if (headers[h] !== undefined) throw new S3Error('NotImplemented', `Server-side encryption (${h}) is not supported: Strata does not encrypt objects at rest.`);
  }
  if (options.copySource) {
    for (const h of COPY_SOURCE_SSE_C_HEADERS) {
      if (headers[h] !== undefined) throw new S3Error('NotImplemented', `Server-side encryption with customer keys (${h}) is not supported by Strata.`);
    }
  }
  if (options.objectLock !== false) {
    for (const h of OBJECT_LOCK_HEADERS) {
      if (headers[h] !== undefined) throw new S3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration');
    }
  }
}
