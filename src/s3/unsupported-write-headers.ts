// Request headers that ask a write for a feature Strata does not have. Ignoring them would be a silent
// fallback: a client that asked for encryption at rest (SSE-S3/KMS) or with its own key (SSE-C) would get
// a plaintext object — an SSE-C object would even be readable without the key. So they are refused with
// 501 NotImplemented (as MinIO answers without a KMS) before any byte of the body is read. (Object Lock
// headers are served: object-lock-handlers.ts planWriteLock.)

import { createHash } from 'node:crypto';
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

/**
 * Throws when `headers` (lower-case names; POST Object passes its form fields) ask for server-side
 * encryption: malformed or contradictory requests first (400, as S3 checks them), then 501.
 */
export function refuseUnsupportedWriteHeaders(headers: Readonly<Record<string, string | undefined>>, options: { copySource?: boolean } = {}): void {
  checkSseHeaders(headers);
  for (const h of SSE_HEADERS) {
    if (headers[h] !== undefined) throw new S3Error('NotImplemented', `Server-side encryption (${h}) is not supported: Strata does not encrypt objects at rest.`);
  }
  if (options.copySource) {
    for (const h of COPY_SOURCE_SSE_C_HEADERS) {
      if (headers[h] !== undefined) throw new S3Error('NotImplemented', `Server-side encryption with customer keys (${h}) is not supported by Strata.`);
    }
  }
}

const SSE_METHODS = new Set(['AES256', 'aws:kms', 'aws:kms:dsse']);
const SSE_C_PREFIX = 'x-amz-server-side-encryption-customer-';

function invalidSse(message: string, name: string, value: string | undefined): S3Error {
  return new S3Error('InvalidArgument', message, { details: { ArgumentName: name, ArgumentValue: (value ?? '').slice(0, 256) } });
}

/**
 * A request whose encryption headers contradict each other is malformed whatever the server supports:
 * S3 answers 400 InvalidArgument before it would encrypt anything, and so does Strata, before its 501
 * for well-formed ones (a client can fix a 400; a 501 would tell it to look elsewhere for a feature
 * it asked for wrongly). Messages are S3's.
 */
function checkSseHeaders(h: Readonly<Record<string, string | undefined>>): void {
  const method = h['x-amz-server-side-encryption'];
  const kmsKey = h['x-amz-server-side-encryption-aws-kms-key-id'];
  const kmsContext = h['x-amz-server-side-encryption-context'];
  const cAlg = h[`${SSE_C_PREFIX}algorithm`];
  const cKey = h[`${SSE_C_PREFIX}key`];
  const cKeyMd5 = h[`${SSE_C_PREFIX}key-md5`];
  const sseC = cAlg !== undefined || cKey !== undefined || cKeyMd5 !== undefined;
  if (method !== undefined && !SSE_METHODS.has(method.trim())) {
    throw invalidSse('The encryption method specified is not supported', 'x-amz-server-side-encryption', method);
  }
  if (sseC && method !== undefined) {
    throw invalidSse('Server Side Encryption with Customer provided key is incompatible with the encryption method specified', 'x-amz-server-side-encryption', method);
  }
  if ((kmsKey !== undefined || kmsContext !== undefined) && !method?.trim().startsWith('aws:kms')) {
    const name = kmsKey !== undefined ? 'x-amz-server-side-encryption-aws-kms-key-id' : 'x-amz-server-side-encryption-context';
    throw invalidSse('Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms', name, h[name]);
  }
  if (!sseC) return;
  if (cAlg === undefined) {
    throw invalidSse('Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.', `${SSE_C_PREFIX}algorithm`, undefined);
  }
  if (cAlg.trim() !== 'AES256') throw invalidSse('The encryption algorithm specified is not valid.', `${SSE_C_PREFIX}algorithm`, cAlg);
  const key = cKey === undefined ? undefined : Buffer.from(cKey.trim(), 'base64');
  if (key === undefined || key.length !== 32) {
    throw invalidSse('The secret key was invalid for the specified algorithm.', `${SSE_C_PREFIX}key`, undefined);
  }
  if (cKeyMd5 === undefined) {
    throw invalidSse('Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.', `${SSE_C_PREFIX}key-md5`, undefined);
  }
  if (createHash('md5').update(key).digest('base64') !== cKeyMd5.trim()) {
    throw invalidSse('The calculated MD5 hash of the key did not match the hash that was provided.', `${SSE_C_PREFIX}key-md5`, undefined);
  }
}

/**
 * GetObject / HeadObject: S3 refuses x-amz-server-side-encryption (and the KMS key id) on reads, 400
 * InvalidArgument. Customer-key headers on a read ask to decrypt an object Strata never encrypted:
 * S3 answers 400 InvalidRequest for an object stored without SSE-C, rather than serve it as if the key
 * had mattered.
 */
export function refuseSseOnRead(h: Readonly<Record<string, string | undefined>>): void {
  for (const name of ['x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id'] as const) {
    if (h[name] !== undefined) throw invalidSse(`${name} header is not supported for this operation.`, name, h[name]);
  }
  if (h[`${SSE_C_PREFIX}algorithm`] !== undefined || h[`${SSE_C_PREFIX}key`] !== undefined || h[`${SSE_C_PREFIX}key-md5`] !== undefined) {
    throw new S3Error('InvalidRequest', 'The encryption parameters are not applicable to this object.');
  }
}
