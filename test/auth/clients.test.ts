// Real clients against a throwaway node:http server that runs only the auth layer: the AWS SDK v3
// (header auth, signed + unsigned payloads, STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer,
// checksum headers) and minio-js (header auth, presigned GET/PUT). Every request must authenticate.
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import * as Minio from 'minio';
import { AKID, REGION, SECRET } from './helpers.js';
import { port, seen, startAuthServer, stopAuthServer } from './auth-server.js';

beforeAll(startAuthServer);
afterAll(stopAuthServer);

function crc32Base64(b: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(b));
  return out.toString('base64');
}

describe('AWS SDK v3', () => {
  const client = (): S3Client =>
    new S3Client({ region: REGION, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, maxAttempts: 1 });

  it('PutObject with a buffer body (signed payload + checksum header)', async () => {
    seen.length = 0;
    await client().send(new PutObjectCommand({ Bucket: 'bucket', Key: 'dir/a b+c(1)!é~.txt', Body: Buffer.from('hello world'), ContentType: 'text/plain', Metadata: { note: 'x  y' } }));
    const s = seen.at(-1)!;
    expect(s.error).toBeUndefined();
    expect(s.body!.toString()).toBe('hello world');
  });

  it('PutObject with a stream body (aws-chunked, unsigned payload, CRC32 trailer)', async () => {
    seen.length = 0;
    const data = Buffer.alloc(200_000, 'q');
    await client().send(new PutObjectCommand({ Bucket: 'bucket', Key: 'stream.bin', Body: Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]), ContentLength: data.length }));
    const s = seen.at(-1)!;
    expect(s.error).toBeUndefined();
    expect(s.auth!.payloadMode).toBe('streaming-unsigned-trailer');
    expect(s.body!.equals(data)).toBe(true);
    expect(s.trailers).toEqual({ 'x-amz-checksum-crc32': crc32Base64(data) });
  });

  it('GetObject with range, HeadObject, ListObjectsV2, DeleteObjects, UploadPart', async () => {
    seen.length = 0;
    const c = client();
    await (await c.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'x/y z%.txt', Range: 'bytes=0-4', VersionId: 'v/1' }))).Body!.transformToString();
    await c.send(new HeadObjectCommand({ Bucket: 'bucket', Key: 'ключ' }));
    await c.send(new ListObjectsV2Command({ Bucket: 'bucket', Prefix: 'a b/ü', Delimiter: '/', StartAfter: 'a+b' }));
    await c.send(new DeleteObjectsCommand({ Bucket: 'bucket', Delete: { Objects: [{ Key: 'a' }, { Key: 'b c' }] } }));
    await c.send(new UploadPartCommand({ Bucket: 'bucket', Key: 'k', UploadId: 'abc/def+g==', PartNumber: 3, Body: Buffer.alloc(1000, 1) }));
    expect(seen.map((s) => s.error)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('a wrong secret is SignatureDoesNotMatch, an unknown key InvalidAccessKeyId', async () => {
    seen.length = 0;
    const bad = new S3Client({ region: REGION, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: AKID, secretAccessKey: 'not-the-secret' }, maxAttempts: 1 });
    await expect(bad.send(new HeadObjectCommand({ Bucket: 'bucket', Key: 'k' }))).rejects.toBeTruthy();
    expect(seen.at(-1)!.error).toMatch(/^SignatureDoesNotMatch/);
    const unknown = new S3Client({ region: REGION, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: 'NOPE', secretAccessKey: SECRET }, maxAttempts: 1 });
    await expect(unknown.send(new HeadObjectCommand({ Bucket: 'bucket', Key: 'k' }))).rejects.toBeTruthy();
    expect(seen.at(-1)!.error).toMatch(/^InvalidAccessKeyId/);
  });
});

describe('minio-js', () => {
  const client = (): Minio.Client => new Minio.Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: AKID, secretKey: SECRET, region: REGION, pathStyle: true });

  it('putObject, getObject, statObject', async () => {
    seen.length = 0;
    const c = client();
    await c.putObject('bucket', 'min io/key(1).txt', Buffer.from('hello minio'), 11, { 'Content-Type': 'text/plain', 'x-amz-meta-foo': 'bar' });
    await c.getObject('bucket', 'min io/key(1).txt').then((s) => new Promise((r) => { s.on('data', () => {}); s.on('end', r); }));
    await c.statObject('bucket', 'a/b');
    expect(seen.map((s) => s.error)).toEqual([undefined, undefined, undefined]);
    expect(seen[0]!.body!.toString()).toBe('hello minio');
  });

  it('presignedGetObject / presignedPutObject URLs verify', async () => {
    seen.length = 0;
    const c = client();
    const get = await c.presignedGetObject('bucket', 'dir/pre signed+é.txt', 600, { 'response-content-type': 'text/plain' });
    expect((await fetch(get)).status).toBe(200);
    const put = await c.presignedPutObject('bucket', 'up load.txt', 600);
    expect((await fetch(put, { method: 'PUT', body: 'data' })).status).toBe(200);
    expect(seen.map((s) => s.error)).toEqual([undefined, undefined]);
    expect(seen.map((s) => s.auth?.kind)).toEqual(['presigned-v4', 'presigned-v4']);
  });
});
