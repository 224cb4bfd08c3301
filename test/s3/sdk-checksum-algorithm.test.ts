// x-amz-sdk-checksum-algorithm: S3 holds a request to the algorithm it names (PutObject, UploadPart,
// aws-chunked trailers). It must come with that algorithm's x-amz-checksum-* header or x-amz-trailer,
// else 400 InvalidRequest; a different algorithm is 400 InvalidRequest too. Raw signed requests,
// since the SDK always sends the pair consistently; the SDK's own requests must keep working.

import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { encodeAwsChunked } from '../../src/auth/sign-request.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/server-clients.js';
import { rawExchange, signedRequest } from '../helpers/server-raw.js';

const B = 'sdk-alg';
let t: TestServer;
let s3: S3Client;

const body = Buffer.from('hello, checksums\n');
const crc32 = (b: Buffer): string => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(zlib.crc32(b) >>> 0);
  return out.toString('base64');
};
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('base64');

beforeAll(async () => {
  t = await startTestServer();
  s3 = sdkClient(t);
  await s3.send(new CreateBucketCommand({ Bucket: B }));
});

afterAll(async () => {
  s3?.destroy();
  await t?.stop();
});

function put(path: string, headers: Record<string, string>, query?: [string, string][]) {
  return rawExchange(t.port, signedRequest(t, 'PUT', path, { body, headers, ...(query ? { query } : {}) }));
}

function putTrailer(path: string, headers: Record<string, string>, trailers: Record<string, string>, query?: [string, string][]) {
  const framed = encodeAwsChunked(body, { trailers });
  return rawExchange(
    t.port,
    signedRequest(t, 'PUT', path, {
      body: framed,
      payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(body.length), ...headers },
      ...(query ? { query } : {}),
    }),
  );
}

async function absent(key: string): Promise<void> {
  await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
}

const MISSING = 'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.';
const INVALID = 'Value for x-amz-sdk-checksum-algorithm header is invalid.';

describe('PutObject', () => {
  it('without a checksum header or trailer → 400 InvalidRequest, nothing stored', async () => {
    const r = await put(`/${B}/alone`, { 'x-amz-sdk-checksum-algorithm': 'CRC32' });
    expect(r.status).toBe(400);
    expect(r.body.toString()).toContain('<Code>InvalidRequest</Code>');
    expect(r.body.toString()).toContain(MISSING);
    await absent('alone');
  });

  it('naming another algorithm than the x-amz-checksum-* header → 400 InvalidRequest', async () => {
    const r = await put(`/${B}/other`, { 'x-amz-sdk-checksum-algorithm': 'CRC32', 'x-amz-checksum-sha256': sha256(body) });
    expect(r.status).toBe(400);
    expect(r.body.toString()).toContain(INVALID);
    await absent('other');
  });

  it('an unknown algorithm → 400 InvalidRequest', async () => {
    const r = await put(`/${B}/unknown`, { 'x-amz-sdk-checksum-algorithm': 'MD5', 'x-amz-checksum-crc32': crc32(body) });
    expect(r.status).toBe(400);
    expect(r.body.toString()).toContain(INVALID);
  });

  it('the matching header, in any case → 200 and the checksum is verified', async () => {
    const ok = await put(`/${B}/match`, { 'x-amz-sdk-checksum-algorithm': 'crc32', 'x-amz-checksum-crc32': crc32(body) });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-amz-checksum-crc32']).toBe(crc32(body));
    const bad = await put(`/${B}/match-bad`, { 'x-amz-sdk-checksum-algorithm': 'CRC32', 'x-amz-checksum-crc32': 'AAAAAA==' });
    expect(bad.status).toBe(400);
    expect(bad.body.toString()).toContain('<Code>BadDigest</Code>');
  });

  it('with a trailer: the trailer must be the algorithm named', async () => {
    const ok = await putTrailer(`/${B}/trailer-ok`, { 'x-amz-sdk-checksum-algorithm': 'CRC32', 'x-amz-trailer': 'x-amz-checksum-crc32' }, { 'x-amz-checksum-crc32': crc32(body) });
    expect(ok.status).toBe(200);
    const bad = await putTrailer(`/${B}/trailer-other`, { 'x-amz-sdk-checksum-algorithm': 'SHA1', 'x-amz-trailer': 'x-amz-checksum-crc32' }, { 'x-amz-checksum-crc32': crc32(body) });
    expect(bad.status).toBe(400);
    expect(bad.body.toString()).toContain(INVALID);
    await absent('trailer-other');
    const none = await putTrailer(`/${B}/trailer-none`, { 'x-amz-sdk-checksum-algorithm': 'CRC32' }, {});
    expect(none.status).toBe(400);
    expect(none.body.toString()).toContain(MISSING);
  });

  it('the SDK (default checksums, an explicit algorithm, a precomputed value) is unaffected', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'sdk-default', Body: body }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'sdk-sha256', Body: body, ChecksumAlgorithm: 'SHA256' }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'sdk-pre', Body: body, ChecksumCRC32: crc32(body) }));
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'sdk-sha256', ChecksumMode: 'ENABLED' }));
    expect(got.ChecksumSHA256).toBe(sha256(body));
    await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'sdk-default' }] }, ChecksumAlgorithm: 'SHA256' }));
  });
});

describe('UploadPart and CompleteMultipartUpload', () => {
  it('UploadPart follows the same rules; Complete ignores the header', async () => {
    const key = 'mpu';
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key, ChecksumAlgorithm: 'CRC32' }));
    const q = (n: number): [string, string][] => [
      ['partNumber', String(n)],
      ['uploadId', up.UploadId!],
    ];
    const alone = await put(`/${B}/${key}`, { 'x-amz-sdk-checksum-algorithm': 'CRC32' }, q(1));
    expect(alone.status).toBe(400);
    expect(alone.body.toString()).toContain(MISSING);
    const other = await put(`/${B}/${key}`, { 'x-amz-sdk-checksum-algorithm': 'SHA256', 'x-amz-checksum-crc32': crc32(body) }, q(1));
    expect(other.status).toBe(400);
    expect(other.body.toString()).toContain(INVALID);
    const ok = await put(`/${B}/${key}`, { 'x-amz-sdk-checksum-algorithm': 'CRC32', 'x-amz-checksum-crc32': crc32(body) }, q(1));
    expect(ok.status).toBe(200);
    const sdkPart = await s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId: up.UploadId, PartNumber: 2, Body: body, ChecksumAlgorithm: 'CRC32' }));
    expect(sdkPart.ChecksumCRC32).toBe(crc32(body));

    const xml =
      // Part 2 alone (a lone last part may be small); part 1 stays unused.
      `<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>${sdkPart.ETag}</ETag><ChecksumCRC32>${crc32(body)}</ChecksumCRC32></Part></CompleteMultipartUpload>`;
    const done = await rawExchange(
      t.port,
      signedRequest(t, 'POST', `/${B}/${key}`, { body: xml, query: [['uploadId', up.UploadId!]], headers: { 'x-amz-sdk-checksum-algorithm': 'CRC32' } }),
    );
    expect(done.status).toBe(200);
    expect(done.body.toString()).toContain('<CompleteMultipartUploadResult');
  });

  it('the SDK multipart flow is unaffected', async () => {
    const key = 'mpu-sdk';
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key, ChecksumAlgorithm: 'SHA256' }));
    const p = await s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId: up.UploadId, PartNumber: 1, Body: body, ChecksumAlgorithm: 'SHA256' }));
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: key,
        UploadId: up.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.ETag, ChecksumSHA256: p.ChecksumSHA256 }] },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
  });
});
