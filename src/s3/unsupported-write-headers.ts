// Request headers that ask a write for a feature Strata does not have. Ignoring them would be a silent
// fallback: a client that asked for encryption at rest (SSE-S3/KMS) or with its own key (SSE-C) would get
// a plaintext object — an SSE-C object would even be readable without the key. So they are refused with
// 501 NotImplemented (as MinIO answers without a KMS) before any byte of the body is read. (Object Lock
// headers are served: object-lock-handlers.ts planWriteLock.)

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

/** Throws when `headers` (lower-case names; POST Object passes its form fields) ask for server-side encryption. */
export function refuseUnsupportedWriteHeaders(headers: Readonly<Record<string, string | undefined>>, options: { copySource?: boolean } = {}): void {
  for (const h of SSE_HEADERS) {
    if (headers[h] !== undefined) throw new S3Error('NotImplemented', `Server-side encryption (${h}) is not supported: Strata does not encrypt objects at rest.`);
  }
  if (options.copySource) {
    for (const h of COPY_SOURCE_SSE_C_HEADERS) {
      if (headers[h] !== undefined) throw new S3Error('NotImplemented', `Server-side encryption with customer keys (${h}) is not supported by Strata.`);
    }
  }
}
