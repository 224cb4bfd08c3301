// Regression: large GETs read by the AWS SDK in the same process as the server. A stale onWritable
// handler (uWS restores the handler it was running, clobbering one registered from inside the
// callback) used to leave the last partial write of a chunk unsent, stalling the response until the
// idle timeout — about one run in four on a loaded machine. One persistent handler fixes it.

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/server-clients.js';

let t: TestServer;
let s3: S3Client;

beforeAll(async () => {
  t = await startTestServer({ flags: { 'idle-timeout-ms': '5000' } });
  s3 = sdkClient(t);
  await s3.send(new CreateBucketCommand({ Bucket: 'stream' }));
});

afterAll(async () => {
  s3?.destroy();
  await t?.stop();
});

it('back-to-back 48 MiB GETs arrive whole', async () => {
  const big = Buffer.alloc(48 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
  const want = createHash('sha256').update(big).digest('hex');
  await s3.send(new PutObjectCommand({ Bucket: 'stream', Key: 'big', Body: big }));
  for (let round = 0; round < 4; round++) {
    const r = await s3.send(new GetObjectCommand({ Bucket: 'stream', Key: 'big', ChecksumMode: 'ENABLED' }));
    const h = createHash('sha256');
    let n = 0;
    for await (const c of r.Body as AsyncIterable<Uint8Array>) {
      h.update(c);
      n += c.length;
    }
    expect(n).toBe(big.length);
    expect(h.digest('hex')).toBe(want);
  }
});
