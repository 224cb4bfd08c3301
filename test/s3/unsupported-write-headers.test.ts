// Writes that ask for server-side encryption or Object Lock are refused before anything is stored
// (src/s3/unsupported-write-headers.ts): never a plaintext object the client believes encrypted, never
// an object the client believes locked. Real server, AWS SDK v3.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyObjectCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { rawExchange, signedRequest } from '../helpers/server-raw.js';
import { createHash, randomBytes } from 'node:crypto';
import type { TestServer } from '../helpers/server.js';
import { expectS3Error, startS3Suite, stopS3Suite } from '../helpers/s3-suite.js';

let t: TestServer;
let s3: S3Client;
const B = 'sse-lock';

beforeAll(async () => {
  ({ t, s3 } = await startS3Suite([B]));
  await s3.send(new PutObjectCommand({ Bucket: B, Key: 'src', Body: 'source' }));
});
afterAll(() => stopS3Suite(t, s3));

async function expectAbsent(key: string): Promise<void> {
  await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
}

describe('server-side encryption is refused, never ignored', () => {
  it('PutObject with SSE-S3, SSE-KMS or SSE-C → 501 NotImplemented, nothing stored', async () => {
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: B, Key: 'sse-s3', Body: 'x', ServerSideEncryption: 'AES256' })), 'NotImplemented', 501);
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: B, Key: 'sse-kms', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'k1' })), 'NotImplemented', 501);
    const key = randomBytes(32);
    await expectS3Error(
      s3.send(
        new PutObjectCommand({
          Bucket: B,
          Key: 'sse-c',
          Body: 'secret',
          SSECustomerAlgorithm: 'AES256',
          SSECustomerKey: key.toString('base64'),
          SSECustomerKeyMD5: createHash('md5').update(key).digest('base64'),
        }),
      ),
      'NotImplemented',
      501,
    );
    for (const k of ['sse-s3', 'sse-kms', 'sse-c']) await expectAbsent(k);
  });

  it('CopyObject and CreateMultipartUpload with SSE → 501, nothing created', async () => {
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: B, Key: 'copy', CopySource: `${B}/src`, ServerSideEncryption: 'AES256' })), 'NotImplemented', 501);
    await expectAbsent('copy');
    await expectS3Error(s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mpu', ServerSideEncryption: 'AES256' })), 'NotImplemented', 501);
    const list = await s3.send(new ListMultipartUploadsCommand({ Bucket: B }));
    expect(list.Uploads ?? []).toHaveLength(0);
  });
});

describe('malformed encryption headers are 400 InvalidArgument (as S3), before the 501', () => {
  const key = randomBytes(32);
  const md5 = createHash('md5').update(key).digest('base64');
  const put = (headers: Record<string, string>) => rawExchange(t.port, signedRequest(t, 'PUT', `/${B}/malformed`, { body: 'x', headers }));
  const cases: [string, Record<string, string>, string][] = [
    ['an unknown method', { 'x-amz-server-side-encryption': 'aes:kms' }, 'The encryption method specified is not supported'],
    [
      'SSE-C with SSE-S3',
      { 'x-amz-server-side-encryption': 'AES256', 'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-server-side-encryption-customer-key': key.toString('base64'), 'x-amz-server-side-encryption-customer-key-md5': md5 },
      'incompatible with the encryption method specified',
    ],
    ['a KMS key id with SSE-S3', { 'x-amz-server-side-encryption': 'AES256', 'x-amz-server-side-encryption-aws-kms-key-id': 'k' }, 'requires HTTP header x-amz-server-side-encryption : aws:kms'],
    ['a KMS key id alone', { 'x-amz-server-side-encryption-aws-kms-key-id': 'k' }, 'requires HTTP header x-amz-server-side-encryption : aws:kms'],
    ['an SSE-C key without its algorithm', { 'x-amz-server-side-encryption-customer-key': key.toString('base64'), 'x-amz-server-side-encryption-customer-key-md5': md5 }, 'must provide a valid encryption algorithm'],
    ['an SSE-C key without its MD5', { 'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-server-side-encryption-customer-key': key.toString('base64') }, 'client calculated MD5'],
    [
      'an SSE-C key whose MD5 differs',
      { 'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-server-side-encryption-customer-key': key.toString('base64'), 'x-amz-server-side-encryption-customer-key-md5': 'AAAAAAAAAAAAAAAAAAAAAA==' },
      'did not match the hash that was provided',
    ],
  ];
  for (const [name, headers, message] of cases) {
    it(`PutObject with ${name}`, async () => {
      const r = await put(headers);
      expect(r.status).toBe(400);
      expect(r.body.toString()).toContain('<Code>InvalidArgument</Code>');
      expect(r.body.toString()).toContain(message);
      await expectAbsent('malformed');
    });
  }
});

describe('encryption headers on reads', () => {
  it('GetObject / HeadObject with x-amz-server-side-encryption → 400 InvalidArgument; with SSE-C → 400 InvalidRequest; a missing key stays 404', async () => {
    const get = (k: string, headers: Record<string, string>, method = 'GET') => rawExchange(t.port, signedRequest(t, method, `/${B}/${k}`, { headers }), { expectNoBody: method === 'HEAD' });
    const sse = await get('src', { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'testkey-1' });
    expect(sse.status).toBe(400);
    expect(sse.body.toString()).toContain('<Code>InvalidArgument</Code>');
    expect((await get('src', { 'x-amz-server-side-encryption': 'AES256' }, 'HEAD')).status).toBe(400);
    const key = randomBytes(32);
    const c = await s3
      .send(new GetObjectCommand({ Bucket: B, Key: 'src', SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64'), SSECustomerKeyMD5: createHash('md5').update(key).digest('base64') }))
      .then(
        () => undefined,
        (e: { name: string; $metadata: { httpStatusCode?: number } }) => e,
      );
    expect(c?.name).toBe('InvalidRequest');
    expect(c?.$metadata.httpStatusCode).toBe(400);
    expect((await get('nope', { 'x-amz-server-side-encryption': 'AES256' })).status).toBe(404);
    const plain = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'src' }));
    expect(await plain.Body!.transformToString()).toBe('source');
  });
});

describe('Object Lock headers on a bucket without Object Lock', () => {
  it('PutObject with a retention or legal hold → 400 InvalidRequest, nothing stored', async () => {
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: B, Key: 'locked', Body: 'x', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000) })),
      'InvalidRequest',
      400,
    );
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: B, Key: 'held', Body: 'x', ObjectLockLegalHoldStatus: 'ON' })), 'InvalidRequest', 400);
    await expectAbsent('locked');
    await expectAbsent('held');
  });

  it('a plain PutObject still works', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'plain', Body: 'x' }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'plain' }))).ContentLength).toBe(1);
  });
});
