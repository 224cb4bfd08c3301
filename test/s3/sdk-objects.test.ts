// AWS SDK v3 (current, DEFAULT checksum settings: aws-chunked + CRC32 trailer on every PUT) against
// the real server and engine: buckets, objects, metadata, ranges, conditionals, copy, errors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetBucketAclCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  PutBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Upload } from '@aws-sdk/lib-storage';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/server-clients.js';

let t: TestServer;
let s3: S3Client;

async function expectS3Error(p: Promise<unknown>, code: string | null, status?: number): Promise<S3ServiceException> {
  try {
    await p;
  } catch (err) {
    const e = err as S3ServiceException;
    if (code !== null) expect(e.name).toBe(code);
    if (status !== undefined) expect(e.$metadata.httpStatusCode).toBe(status);
    return e;
  }
  throw new Error(`expected ${code}, got success`);
}

beforeAll(async () => {
  t = await startTestServer();
  s3 = sdkClient(t);
  await s3.send(new CreateBucketCommand({ Bucket: 'objects' }));
});

afterAll(async () => {
  s3?.destroy();
  await t?.stop();
});

describe('buckets', () => {
  it('create, list, head, location, delete', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'b-one' }));
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toContain('b-one');
    expect(list.Buckets?.find((b) => b.Name === 'b-one')?.CreationDate).toBeInstanceOf(Date);
    await s3.send(new HeadBucketCommand({ Bucket: 'b-one' }));
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: 'b-one' }));
    expect(loc.LocationConstraint ?? '').toBe('');
    await s3.send(new DeleteBucketCommand({ Bucket: 'b-one' }));
    await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: 'b-one' })), 'NotFound', 404);
  });

  it('ListBuckets paging: prefix, max-buckets, continuation token', async () => {
    for (const b of ['pg-a', 'pg-b', 'pg-c']) await s3.send(new CreateBucketCommand({ Bucket: b }));
    const names: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const r = await s3.send(new ListBucketsCommand({ Prefix: 'pg-', MaxBuckets: 2, ContinuationToken: token }));
      names.push(...(r.Buckets ?? []).map((b) => b.Name!));
      token = r.ContinuationToken;
      if (!token) break;
    }
    expect(names).toEqual(['pg-a', 'pg-b', 'pg-c']);
    for (const b of ['pg-a', 'pg-b', 'pg-c']) await s3.send(new DeleteBucketCommand({ Bucket: b }));
  });

  it('CreateBucket with a LocationConstraint body for our region', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'b-loc', CreateBucketConfiguration: { LocationConstraint: 'us-east-1' as never } }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'b-loc' }));
  });

  it('errors: InvalidBucketName, NoSuchBucket, BucketNotEmpty (re-creating an owned bucket is 200 in us-east-1)', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'objects' }));
    await expectS3Error(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })), 'InvalidBucketName', 400);
    await expectS3Error(s3.send(new CreateBucketCommand({ Bucket: 'ab' })), 'InvalidBucketName', 400);
    await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: 'no-such-bucket' })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })), 'NoSuchBucket', 404);
    await s3.send(new CreateBucketCommand({ Bucket: 'b-full' }));
    await s3.send(new PutObjectCommand({ Bucket: 'b-full', Key: 'x', Body: 'x' }));
    await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: 'b-full' })), 'BucketNotEmpty', 409);
    await s3.send(new DeleteObjectCommand({ Bucket: 'b-full', Key: 'x' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'b-full' }));
  });

  it('sub-resources: versioning and acl answer, others 501', async () => {
    const v = await s3.send(new GetBucketVersioningCommand({ Bucket: 'objects' }));
    expect(v.Status).toBeUndefined();
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: 'objects' }));
    expect(acl.Grants?.[0]?.Permission).toBe('FULL_CONTROL');
    // Versioning itself is test/s3/versioning.test.ts; MFA Delete is not supported (and changes nothing).
    await expectS3Error(s3.send(new PutBucketVersioningCommand({ Bucket: 'objects', VersioningConfiguration: { Status: 'Enabled', MFADelete: 'Enabled' } })), 'NotImplemented', 501);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'objects' }))).Status).toBeUndefined();
  });
});

describe('objects', () => {
  it('put/get/head round trip with metadata and system headers', async () => {
    const body = Buffer.from('hello strata');
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'objects',
        Key: 'dir/hello.txt',
        Body: body,
        ContentType: 'text/plain',
        ContentEncoding: 'identity',
        ContentDisposition: 'attachment; filename="h.txt"',
        ContentLanguage: 'en',
        CacheControl: 'max-age=60',
        Expires: new Date('2030-01-01T00:00:00Z'),
        Metadata: { color: 'blue', 'multi-word': 'a b c' },
      }),
    );
    expect(put.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect(put.ChecksumCRC32).toBeDefined();
    const get = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/hello.txt' }));
    expect(await get.Body!.transformToString()).toBe('hello strata');
    expect(get.ContentType).toBe('text/plain');
    expect(get.ContentDisposition).toBe('attachment; filename="h.txt"');
    expect(get.ContentLanguage).toBe('en');
    expect(get.CacheControl).toBe('max-age=60');
    expect(get.Expires?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(get.Metadata).toEqual({ color: 'blue', 'multi-word': 'a b c' });
    expect(get.ETag).toBe(put.ETag);
    expect(get.ContentLength).toBe(body.length);
    expect(get.LastModified).toBeInstanceOf(Date);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'dir/hello.txt', ChecksumMode: 'ENABLED' }));
    expect(head.ContentLength).toBe(body.length);
    expect(head.ChecksumCRC32).toBe(put.ChecksumCRC32);
    expect(head.Metadata?.['color']).toBe('blue');
  });

  it('default content type, empty object, larger multi-block object', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'empty', Body: Buffer.alloc(0) }));
    const e = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'empty' }));
    expect((await e.Body!.transformToByteArray()).length).toBe(0);
    expect(e.ContentType).toBe('application/octet-stream'); // the SDK sends this for Buffer bodies
    const big = Buffer.alloc(3 * 1024 * 1024 + 12345);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 11)) & 0xff;
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'big', Body: big }));
    const g = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'big' }));
    const back = Buffer.from(await g.Body!.transformToByteArray());
    expect(back.length).toBe(big.length);
    expect(back.equals(big)).toBe(true);
  });

  it('ranges: single, suffix, open-ended, past end → 416, malformed → 200', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'r', Body: '0123456789' }));
    const r1 = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'r', Range: 'bytes=2-4' }));
    expect(await r1.Body!.transformToString()).toBe('234');
    expect(r1.ContentRange).toBe('bytes 2-4/10');
    expect(r1.$metadata.httpStatusCode).toBe(206);
    const r2 = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'r', Range: 'bytes=-3' }));
    expect(await r2.Body!.transformToString()).toBe('789');
    const r3 = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'r', Range: 'bytes=7-' }));
    expect(await r3.Body!.transformToString()).toBe('789');
    const r4 = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'r', Range: 'bytes=5-100' }));
    expect(await r4.Body!.transformToString()).toBe('56789');
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'r', Range: 'bytes=10-' })), 'InvalidRange', 416);
    const r5 = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'r', Range: 'bytes=abc' }));
    expect(r5.$metadata.httpStatusCode).toBe(200);
    expect(await r5.Body!.transformToString()).toBe('0123456789');
  });

  it('conditional GET/HEAD: 304 and 412', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'cond', Body: 'c' }));
    const etag = put.ETag!;
    const ok = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'cond', IfMatch: etag }));
    expect(await ok.Body!.transformToString()).toBe('c');
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'cond', IfMatch: '"nope"' })), 'PreconditionFailed', 412);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'cond', IfNoneMatch: etag })), null, 304);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'cond', IfNoneMatch: etag })), null, 304);
    const future = new Date(Date.now() + 3600_000);
    const past = new Date(Date.now() - 3600_000);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'cond', IfModifiedSince: future })), null, 304);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'cond', IfUnmodifiedSince: past })), 'PreconditionFailed', 412);
    // If-Match true + If-Unmodified-Since false → 200 (S3's precedence)
    const both = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'cond', IfMatch: etag, IfUnmodifiedSince: past }));
    expect(both.$metadata.httpStatusCode).toBe(200);
    await both.Body!.transformToString();
  });

  it('conditional PUT: If-None-Match * and If-Match → 412', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'cput', Body: 'one', IfNoneMatch: '*' }));
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'cput', Body: 'two', IfNoneMatch: '*' })), 'PreconditionFailed', 412);
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'cput', Body: 'two', IfMatch: '"0123456789abcdef0123456789abcdef"' })), 'PreconditionFailed', 412);
    const g = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'cput' }));
    expect(await g.Body!.transformToString()).toBe('one');
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'cput', Body: 'three', IfMatch: g.ETag }));
  });

  it('NoSuchKey on GET, bare 404 on HEAD, DeleteObject 204 even if absent', async () => {
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'missing' })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'missing' })), 'NotFound', 404);
    const d = await s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'missing' }));
    expect(d.$metadata.httpStatusCode).toBe(204);
  });

  it('checksums: explicit SHA256 / CRC32C / SHA1 validated and returned', async () => {
    for (const alg of ['SHA256', 'CRC32C', 'SHA1', 'CRC32'] as const) {
      const put = await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: `ck-${alg}`, Body: `data for ${alg}`, ChecksumAlgorithm: alg }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: `ck-${alg}`, ChecksumMode: 'ENABLED' }));
      const field = `Checksum${alg}` as const;
      expect(head[field]).toBeDefined();
      expect(head[field]).toBe(put[field]);
      const get = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: `ck-${alg}`, ChecksumMode: 'ENABLED' }));
      expect(await get.Body!.transformToString()).toBe(`data for ${alg}`);
    }
  });

  it('BadDigest: wrong Content-MD5 and wrong x-amz-checksum-crc32 store nothing', async () => {
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'bad-md5', Body: 'abc', ContentMD5: createHash('md5').update('xyz').digest('base64') })),
      'BadDigest',
      400,
    );
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'bad-crc', Body: 'abc', ChecksumCRC32: 'AAAAAA==' })), 'BadDigest', 400);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'bad-md5' })), 'NotFound', 404);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'bad-crc' })), 'NotFound', 404);
  });

  it('KeyTooLongError for a 1025-byte key, MetadataTooLarge past 2 KiB', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'k'.repeat(1024), Body: 'ok' }));
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'k'.repeat(1025), Body: 'x' })), 'KeyTooLongError', 400);
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'meta', Body: 'x', Metadata: { big: 'v'.repeat(2100) } })), 'MetadataTooLarge', 400);
  });

  it('copy: COPY and REPLACE directives, self-copy rules, copy-source conditions', async () => {
    const src = await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'src key+ü', Body: 'copy me', ContentType: 'text/x-src', Metadata: { a: '1' } }));
    const c1 = await s3.send(new CopyObjectCommand({ Bucket: 'objects', Key: 'dst1', CopySource: `objects/${encodeURIComponent('src key+ü')}` }));
    expect(c1.CopyObjectResult?.ETag).toBe(src.ETag);
    const g1 = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dst1' }));
    expect(await g1.Body!.transformToString()).toBe('copy me');
    expect(g1.ContentType).toBe('text/x-src');
    expect(g1.Metadata).toEqual({ a: '1' });
    await s3.send(
      new CopyObjectCommand({ Bucket: 'objects', Key: 'dst2', CopySource: `objects/${encodeURIComponent('src key+ü')}`, MetadataDirective: 'REPLACE', ContentType: 'text/x-new', Metadata: { b: '2' } }),
    );
    const h2 = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'dst2' }));
    expect(h2.ContentType).toBe('text/x-new');
    expect(h2.Metadata).toEqual({ b: '2' });
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: 'objects', Key: 'dst1', CopySource: 'objects/dst1' })), 'InvalidRequest', 400);
    await s3.send(new CopyObjectCommand({ Bucket: 'objects', Key: 'dst1', CopySource: 'objects/dst1', MetadataDirective: 'REPLACE', Metadata: { c: '3' } }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'dst1' }))).Metadata).toEqual({ c: '3' });
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: 'objects', Key: 'dst3', CopySource: 'objects/dst1', CopySourceIfMatch: '"nope"' })), 'PreconditionFailed', 412);
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: 'objects', Key: 'dst3', CopySource: 'objects/nothing-here' })), 'NoSuchKey', 404);
  });

  it('DeleteObjects with and without Quiet', async () => {
    for (const k of ['d1', 'd2', 'd3']) await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: k, Body: k }));
    const r = await s3.send(new DeleteObjectsCommand({ Bucket: 'objects', Delete: { Objects: [{ Key: 'd1' }, { Key: 'd2' }, { Key: 'nope' }] } }));
    expect(r.Deleted?.map((d) => d.Key).sort()).toEqual(['d1', 'd2', 'nope']);
    const q = await s3.send(new DeleteObjectsCommand({ Bucket: 'objects', Delete: { Objects: [{ Key: 'd3' }], Quiet: true } }));
    expect(q.Deleted ?? []).toEqual([]);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'd3' })), 'NotFound', 404);
  });
});

describe('GET extras', () => {
  it('response-* overrides, partNumber=1 on a simple object, no checksum on ranged reads', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'ov', Body: 'override me', ContentType: 'text/plain' }));
    const g = await s3.send(
      new GetObjectCommand({ Bucket: 'objects', Key: 'ov', ResponseContentType: 'application/x-custom', ResponseContentDisposition: 'inline', ResponseCacheControl: 'no-cache' }),
    );
    expect(g.ContentType).toBe('application/x-custom');
    expect(g.ContentDisposition).toBe('inline');
    expect(g.CacheControl).toBe('no-cache');
    await g.Body!.transformToString();
    const p1 = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'ov', PartNumber: 1 }));
    expect(await p1.Body!.transformToString()).toBe('override me');
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'ov', PartNumber: 2 })), 'InvalidPartNumber', 416);
    const r = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'ov', Range: 'bytes=0-3', ChecksumMode: 'ENABLED' }));
    expect(r.ChecksumCRC32).toBeUndefined();
    expect(await r.Body!.transformToString()).toBe('over');
  });

  it('lib-storage multipart Upload goes through the routing table', async () => {
    const body = Buffer.alloc(11 * 1024 * 1024, 3);
    const up = new Upload({ client: s3, params: { Bucket: 'objects', Key: 'mpu', Body: body }, partSize: 5 * 1024 * 1024, queueSize: 2 });
    const done = await up.done();
    expect(done.ETag).toMatch(/-3"$/);
    const h = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'mpu' }));
    expect(h.ContentLength).toBe(body.length);
    const p2 = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'mpu', PartNumber: 2 }));
    expect(p2.ContentLength).toBe(5 * 1024 * 1024);
    expect(p2.PartsCount).toBe(3);
    await p2.Body!.transformToByteArray();
  });
});

describe('authentication errors', () => {
  it('SignatureDoesNotMatch with a wrong secret, InvalidAccessKeyId with an unknown key', async () => {
    const bad = sdkClient(t, { secretAccessKey: 'wrong-secret-key-xxxx' });
    await expectS3Error(bad.send(new ListBucketsCommand({})), 'SignatureDoesNotMatch', 403);
    await expectS3Error(bad.send(new PutObjectCommand({ Bucket: 'objects', Key: 'nope', Body: 'x' })), 'SignatureDoesNotMatch', 403);
    bad.destroy();
    const unknown = sdkClient(t, { accessKeyId: 'NOSUCHKEY', secretAccessKey: 'whatever-secret' });
    await expectS3Error(unknown.send(new ListBucketsCommand({})), 'InvalidAccessKeyId', 403);
    unknown.destroy();
  });

  it('anonymous requests get AccessDenied', async () => {
    const r = await fetch(`${t.endpoint}/objects/dir/hello.txt`);
    expect(r.status).toBe(403);
    const text = await r.text();
    expect(text).toContain('<Code>AccessDenied</Code>');
    expect(text).toContain('<RequestId>');
    expect(r.headers.get('x-amz-request-id')).toBeTruthy();
    expect(r.headers.get('x-amz-id-2')).toBeTruthy();
  });

  it('RequestTimeTooSkewed when the client clock is off by an hour', async () => {
    const skewed = new S3Client({
      endpoint: t.endpoint,
      region: t.region,
      forcePathStyle: true,
      credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey },
      maxAttempts: 1,
      systemClockOffset: -3600_000,
    });
    await expectS3Error(skewed.send(new ListBucketsCommand({})), 'RequestTimeTooSkewed', 403);
    skewed.destroy();
  });
});
