// Shared set-up of the SDK-driven S3 suites: a real server on loopback, an AWS SDK v3 client, buckets.
import { expect } from 'vitest';
import { CreateBucketCommand, type S3Client, type S3ServiceException } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer, type TestServerOptions } from './server.js';
import { sdkClient } from './server-clients.js';

export async function startS3Suite(buckets: readonly string[], options: TestServerOptions = {}): Promise<{ t: TestServer; s3: S3Client }> {
  const t = await startTestServer(options);
  const s3 = sdkClient(t);
  for (const b of buckets) await s3.send(new CreateBucketCommand({ Bucket: b }));
  return { t, s3 };
}

export async function stopS3Suite(t: TestServer | undefined, s3: S3Client | undefined): Promise<void> {
  s3?.destroy();
  await t?.stop();
}

/** Awaits an SDK call that must fail with this S3 code and HTTP status (and message, if given). */
export async function expectS3Error(p: Promise<unknown>, code: string, status: number, message?: string): Promise<S3ServiceException> {
  try {
    await p;
  } catch (err) {
    const e = err as S3ServiceException;
    expect(e.name).toBe(code);
    expect(e.$metadata.httpStatusCode).toBe(status);
    if (message !== undefined) expect(e.message).toBe(message);
    return e;
  }
  throw new Error(`expected ${code}, got success`);
}
