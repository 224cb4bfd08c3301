// CRC64NVME end to end through the real server and the AWS SDK v3 (which computes CRC-64/NVME itself):
// header and aws-chunked trailer uploads, GET/HEAD with ChecksumMode, BadDigest, empty and multi-block
// objects, FULL_OBJECT multipart (COMPOSITE refused), UploadPartCopy, CopyObject recomputing the
// checksum, GetObjectAttributes. Expected values come from an independent table implementation.
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { TestServer } from '../helpers/server.js';
import { expectS3Error, startS3Suite, stopS3Suite } from '../helpers/s3-suite.js';
import { rawExchange, signedRequest } from '../helpers/server-raw.js';
import { refCrc64nvmeBase64 } from '../helpers/crc64nvme-ref.js';

const B = 'crc64';
const MiB = 1024 * 1024;
const MIN = 256 * 1024; // lowered multipart minimum part size
let t: TestServer;
let s3: S3Client;
/** Request headers of the last request the SDK sent (after its checksum middleware). */
let sent: Record<string, string> = {};

beforeAll(async () => {
  ({ t, s3 } = await startS3Suite([B], { flags: { 'multipart-min-part-size-bytes': String(MIN) } }));
  s3.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as { headers?: Record<string, string> };
      sent = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      return next(args);
    },
    { step: 'finalizeRequest', name: 'captureSentHeaders', priority: 'low' },
  );
});
afterAll(() => stopS3Suite(t, s3));

async function getWithChecksum(Key: string) {
  const r = await s3.send(new GetObjectCommand({ Bucket: B, Key, ChecksumMode: 'ENABLED' }));
  return { r, bytes: Buffer.from(await r.Body!.transformToByteArray()) };
}

async function expectStoredCrc64(Key: string, body: Buffer): Promise<void> {
  const want = refCrc64nvmeBase64(body);
  const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key, ChecksumMode: 'ENABLED' }));
  expect(head.ChecksumCRC64NVME).toBe(want);
  expect(head.ChecksumType).toBe('FULL_OBJECT');
  expect(head.ContentLength).toBe(body.length);
  const { r, bytes } = await getWithChecksum(Key);
  expect(r.ChecksumCRC64NVME).toBe(want);
  expect(bytes.equals(body)).toBe(true);
}

describe('CRC64NVME', () => {
  it('PutObject with a Buffer body: sent as an x-amz-checksum-crc64nvme header, stored, returned by GET/HEAD', async () => {
    const body = randomBytes(10_000);
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'buf', Body: body, ChecksumAlgorithm: 'CRC64NVME' }));
    expect(sent['x-amz-checksum-crc64nvme']).toBe(refCrc64nvmeBase64(body));
    expect(sent['x-amz-trailer']).toBeUndefined();
    expect(put.ChecksumCRC64NVME).toBe(refCrc64nvmeBase64(body));
    expect(put.ChecksumType).toBe('FULL_OBJECT');
    await expectStoredCrc64('buf', body);
  });

  it('PutObject with a stream body: aws-chunked with the CRC64NVME as a trailer', async () => {
    const body = randomBytes(200_000);
    const put = await s3.send(
      new PutObjectCommand({ Bucket: B, Key: 'stream', Body: Readable.from([body.subarray(0, 70_001), body.subarray(70_001)]), ContentLength: body.length, ChecksumAlgorithm: 'CRC64NVME' }),
    );
    expect(sent['x-amz-trailer']).toBe('x-amz-checksum-crc64nvme');
    expect(put.ChecksumCRC64NVME).toBe(refCrc64nvmeBase64(body));
    await expectStoredCrc64('stream', body);
  });

  it('objects larger than one block (3 MiB + 17): the resumable state carries the CRC across blocks', async () => {
    const body = randomBytes(3 * MiB + 17);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'big-buf', Body: body, ChecksumAlgorithm: 'CRC64NVME' }));
    await expectStoredCrc64('big-buf', body);
    await s3.send(
      new PutObjectCommand({ Bucket: B, Key: 'big-stream', Body: Readable.from([body.subarray(0, MiB + 3), body.subarray(MiB + 3)]), ContentLength: body.length, ChecksumAlgorithm: 'CRC64NVME' }),
    );
    expect(sent['x-amz-trailer']).toBe('x-amz-checksum-crc64nvme');
    await expectStoredCrc64('big-stream', body);
  });

  it('a zero-length object has CRC64NVME AAAAAAAAAAA=', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'empty', Body: Buffer.alloc(0), ChecksumAlgorithm: 'CRC64NVME' }));
    expect(put.ChecksumCRC64NVME).toBe('AAAAAAAAAAA=');
    await expectStoredCrc64('empty', Buffer.alloc(0));
  });

  it('a wrong CRC64NVME (header or trailer) is BadDigest and stores nothing; a malformed one is InvalidRequest', async () => {
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: B, Key: 'bad-header', Body: 'abc', ChecksumCRC64NVME: refCrc64nvmeBase64(Buffer.from('abd')) })), 'BadDigest', 400);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'bad-header' })), 'NotFound', 404);
    // A 4-byte value is not a CRC-64.
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: B, Key: 'bad-header', Body: 'abc', ChecksumCRC64NVME: 'AAAAAA==' })), 'InvalidRequest', 400);

    const data = Buffer.from('trailer payload');
    const chunked = (crc: string) =>
      Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from(`\r\n0\r\nx-amz-checksum-crc64nvme:${crc}\r\n\r\n`)]);
    const send = (key: string, crc: string) => {
      const body = chunked(crc);
      return rawExchange(
        t.port,
        signedRequest(t, 'PUT', `/${B}/${key}`, {
          body,
          payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
          headers: {
            'content-encoding': 'aws-chunked',
            'x-amz-decoded-content-length': String(data.length),
            'x-amz-trailer': 'x-amz-checksum-crc64nvme',
            'content-length': String(body.length),
          },
        }),
      );
    };
    const bad = await send('bad-trailer', refCrc64nvmeBase64(Buffer.from('something else')));
    expect(bad.status).toBe(400);
    expect(bad.body.toString()).toContain('<Code>BadDigest</Code>');
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'bad-trailer' })), 'NotFound', 404);
    const good = await send('good-trailer', refCrc64nvmeBase64(data));
    expect(good.status).toBe(200);
    expect(good.headers['x-amz-checksum-crc64nvme']).toBe(refCrc64nvmeBase64(data));
    await expectStoredCrc64('good-trailer', data);
  });

  it('multipart FULL_OBJECT: parts carry CRC64NVME, Complete returns the CRC64NVME of the whole object', async () => {
    const key = 'mpu/full';
    const data = [randomBytes(MIN + 3), randomBytes(MiB + 5), randomBytes(77)];
    const whole = Buffer.concat(data);
    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key, ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'FULL_OBJECT' }));
    expect(create.ChecksumAlgorithm).toBe('CRC64NVME');
    expect(create.ChecksumType).toBe('FULL_OBJECT');
    const parts = [];
    for (let i = 0; i < data.length; i++) {
      const r = await s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId: create.UploadId, PartNumber: i + 1, Body: data[i], ChecksumAlgorithm: 'CRC64NVME' }));
      expect(r.ChecksumCRC64NVME).toBe(refCrc64nvmeBase64(data[i]!));
      parts.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC64NVME: r.ChecksumCRC64NVME });
    }
    const listed = await s3.send(new ListPartsCommand({ Bucket: B, Key: key, UploadId: create.UploadId }));
    expect(listed.Parts?.map((p) => p.ChecksumCRC64NVME)).toEqual(parts.map((p) => p.ChecksumCRC64NVME));
    // A wrong whole-object claim is refused and leaves the upload open.
    await expectS3Error(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: key, UploadId: create.UploadId, ChecksumCRC64NVME: 'AAAAAAAAAAA=', MultipartUpload: { Parts: parts } })),
      'BadDigest',
      400,
    );
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: B, Key: key, UploadId: create.UploadId, ChecksumType: 'FULL_OBJECT', ChecksumCRC64NVME: refCrc64nvmeBase64(whole), MultipartUpload: { Parts: parts } }),
    );
    expect(done.ChecksumCRC64NVME).toBe(refCrc64nvmeBase64(whole));
    expect(done.ChecksumType).toBe('FULL_OBJECT');
    await expectStoredCrc64(key, whole);

    const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: key, ObjectAttributes: ['Checksum', 'ObjectParts'] }));
    expect(attrs.Checksum).toEqual({ ChecksumCRC64NVME: refCrc64nvmeBase64(whole), ChecksumType: 'FULL_OBJECT' });
    expect(attrs.ObjectParts?.Parts?.map((p) => p.ChecksumCRC64NVME)).toEqual(data.map((d) => refCrc64nvmeBase64(d)));
  });

  it('multipart: COMPOSITE is InvalidRequest; no type given defaults to FULL_OBJECT', async () => {
    await expectS3Error(s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mpu/composite', ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'COMPOSITE' })), 'InvalidRequest', 400);
    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mpu/default', ChecksumAlgorithm: 'CRC64NVME' }));
    expect(create.ChecksumType).toBe('FULL_OBJECT');
    // A part with another algorithm does not belong to this upload.
    await expectS3Error(
      s3.send(new UploadPartCommand({ Bucket: B, Key: 'mpu/default', UploadId: create.UploadId, PartNumber: 1, Body: 'x', ChecksumAlgorithm: 'CRC32' })),
      'InvalidRequest',
      400,
    );
  });

  it('UploadPartCopy into a CRC64NVME upload computes the part CRC over the copied range', async () => {
    const src = randomBytes(MIN * 2 + 9);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'copy-src', Body: src }));
    const key = 'mpu/copied';
    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key, ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'FULL_OBJECT' }));
    const c1 = await s3.send(new UploadPartCopyCommand({ Bucket: B, Key: key, UploadId: create.UploadId, PartNumber: 1, CopySource: `${B}/copy-src`, CopySourceRange: `bytes=5-${MIN + 5}` }));
    const c2 = await s3.send(new UploadPartCopyCommand({ Bucket: B, Key: key, UploadId: create.UploadId, PartNumber: 2, CopySource: `${B}/copy-src` }));
    const first = src.subarray(5, MIN + 6);
    expect(c1.CopyPartResult?.ChecksumCRC64NVME).toBe(refCrc64nvmeBase64(first));
    expect(c2.CopyPartResult?.ChecksumCRC64NVME).toBe(refCrc64nvmeBase64(src));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: key,
        UploadId: create.UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: c1.CopyPartResult!.ETag, ChecksumCRC64NVME: c1.CopyPartResult!.ChecksumCRC64NVME },
            { PartNumber: 2, ETag: c2.CopyPartResult!.ETag, ChecksumCRC64NVME: c2.CopyPartResult!.ChecksumCRC64NVME },
          ],
        },
      }),
    );
    expect(done.ChecksumCRC64NVME).toBe(refCrc64nvmeBase64(Buffer.concat([first, src])));
  });

  it('CopyObject with ChecksumAlgorithm CRC64NVME computes it over the copied bytes (single PUT and multipart sources)', async () => {
    const body = randomBytes(MiB + 333);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'cp/src', Body: body, ChecksumAlgorithm: 'CRC32' }));
    const c = await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'cp/dst', CopySource: `${B}/cp/src`, ChecksumAlgorithm: 'CRC64NVME' }));
    expect(c.CopyObjectResult?.ChecksumCRC64NVME).toBe(refCrc64nvmeBase64(body));
    expect(c.CopyObjectResult?.ChecksumCRC32).toBeUndefined();
    await expectStoredCrc64('cp/dst', body);
    const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: 'cp/dst', ObjectAttributes: ['Checksum'] }));
    expect(attrs.Checksum).toEqual({ ChecksumCRC64NVME: refCrc64nvmeBase64(body), ChecksumType: 'FULL_OBJECT' });
    // The source is untouched.
    const srcHead = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'cp/src', ChecksumMode: 'ENABLED' }));
    expect(srcHead.ChecksumCRC32).toBeDefined();
    expect(srcHead.ChecksumCRC64NVME).toBeUndefined();

    // Copying an object that already has it keeps the value; copying without the header keeps the source's.
    const again = await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'cp/dst2', CopySource: `${B}/cp/dst`, ChecksumAlgorithm: 'CRC64NVME' }));
    expect(again.CopyObjectResult?.ChecksumCRC64NVME).toBe(refCrc64nvmeBase64(body));
    const plain = await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'cp/dst3', CopySource: `${B}/cp/dst` }));
    expect(plain.CopyObjectResult?.ChecksumCRC64NVME).toBe(refCrc64nvmeBase64(body));

    // A COMPOSITE CRC32 multipart source becomes a FULL_OBJECT CRC64NVME copy.
    const parts = [randomBytes(MIN), randomBytes(1000)];
    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'cp/mpu', ChecksumAlgorithm: 'CRC32' }));
    const done = [];
    for (let i = 0; i < parts.length; i++) {
      const r = await s3.send(new UploadPartCommand({ Bucket: B, Key: 'cp/mpu', UploadId: create.UploadId, PartNumber: i + 1, Body: parts[i], ChecksumAlgorithm: 'CRC32' }));
      done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'cp/mpu', UploadId: create.UploadId, MultipartUpload: { Parts: done } }));
    const cm = await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'cp/mpu-dst', CopySource: `${B}/cp/mpu`, ChecksumAlgorithm: 'CRC64NVME' }));
    expect(cm.CopyObjectResult?.ChecksumCRC64NVME).toBe(refCrc64nvmeBase64(Buffer.concat(parts)));
    await expectStoredCrc64('cp/mpu-dst', Buffer.concat(parts));
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: B, Key: 'cp/x', CopySource: `${B}/cp/src`, ChecksumAlgorithm: 'MD5' as never })), 'InvalidRequest', 400);
    // In place: S3's way of giving an existing object a checksum.
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'cp/src', CopySource: `${B}/cp/src`, ChecksumAlgorithm: 'CRC64NVME' }));
    await expectStoredCrc64('cp/src', body);
  });
});
