// GetObjectAttributes through the real server and the AWS SDK v3: ETag (unquoted), checksums, parts of
// a multipart object with paging, storage class and size; errors for a missing or bad attribute list.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { TestServer } from '../helpers/server.js';
import { signedRequest, rawExchange } from '../helpers/server-raw.js';
import { expectS3Error, startS3Suite, stopS3Suite } from '../helpers/s3-suite.js';

let t: TestServer;
let s3: S3Client;
const B = 'attributes-bucket';
const MiB = 1024 * 1024;

beforeAll(async () => ({ t, s3 } = await startS3Suite([B])));
afterAll(() => stopS3Suite(t, s3));

describe('GetObjectAttributes', () => {
  it('answers ETag without quotes, the checksum, storage class and size of a single PUT', async () => {
    const body = Buffer.from('hello attributes');
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'one', Body: body, ChecksumAlgorithm: 'SHA256' }));
    const r = await s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: 'one', ObjectAttributes: ['ETag', 'Checksum', 'StorageClass', 'ObjectSize', 'ObjectParts'] }));
    expect(r.ETag).toBe(createHash('md5').update(body).digest('hex'));
    expect(r.Checksum?.ChecksumSHA256).toBe(createHash('sha256').update(body).digest('base64'));
    expect(r.StorageClass).toBe('STANDARD');
    expect(r.ObjectSize).toBe(body.length);
    expect(r.ObjectParts).toBeUndefined();
    expect(r.LastModified).toBeInstanceOf(Date);
  });

  it('returns only what was asked for', async () => {
    const r = await s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: 'one', ObjectAttributes: ['ObjectSize'] }));
    expect(r.ObjectSize).toBe(16);
    expect(r.ETag).toBeUndefined();
    expect(r.StorageClass).toBeUndefined();
  });

  it('lists the parts of a multipart object, paged by MaxParts and PartNumberMarker', async () => {
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'multi' }));
    const parts = [];
    for (let n = 1; n <= 3; n++) {
      const size = n < 3 ? 5 * MiB : 1000;
      const p = await s3.send(new UploadPartCommand({ Bucket: B, Key: 'multi', UploadId: up.UploadId, PartNumber: n, Body: Buffer.alloc(size, n) }));
      parts.push({ PartNumber: n, ETag: p.ETag });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'multi', UploadId: up.UploadId, MultipartUpload: { Parts: parts } }));
    const first = await s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: 'multi', ObjectAttributes: ['ObjectParts', 'ObjectSize', 'ETag'], MaxParts: 2 }));
    expect(first.ETag).toMatch(/^[0-9a-f]{32}-3$/);
    expect(first.ObjectSize).toBe(10 * MiB + 1000);
    expect(first.ObjectParts?.TotalPartsCount).toBe(3);
    expect(first.ObjectParts?.IsTruncated).toBe(true);
    expect(first.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, 5 * MiB],
      [2, 5 * MiB],
    ]);
    const next = await s3.send(
      new GetObjectAttributesCommand({ Bucket: B, Key: 'multi', ObjectAttributes: ['ObjectParts'], MaxParts: 2, PartNumberMarker: first.ObjectParts!.NextPartNumberMarker }),
    );
    expect(next.ObjectParts?.IsTruncated).toBe(false);
    expect(next.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[3, 1000]]);
  });

  it('NoSuchKey for a missing object; InvalidArgument for a missing or unknown attribute or a version id that cannot exist', async () => {
    await expectS3Error(s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: 'nope', ObjectAttributes: ['ETag'] })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: 'one', ObjectAttributes: ['ETag'], VersionId: 'v1' })), 'InvalidArgument', 400);
    const bad = await rawExchange(t.port, signedRequest(t, 'GET', `/${B}/one`, { query: [['attributes', '']], headers: { 'x-amz-object-attributes': 'ETag,Colour' } }));
    expect(bad.status).toBe(400);
    expect(bad.body.toString()).toContain('<Code>InvalidArgument</Code>');
    const none = await rawExchange(t.port, signedRequest(t, 'GET', `/${B}/one`, { query: [['attributes', '']] }));
    expect(none.status).toBe(400);
    expect(none.body.toString()).toContain('x-amz-object-attributes');
  });
});
