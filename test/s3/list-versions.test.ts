// ListObjectVersions and version ids on Strata's unversioned buckets, through the real server and the
// AWS SDK v3: every object is one "null" version; a version id that is not "null" never deletes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  PutBucketVersioningCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { TestServer } from '../helpers/server.js';
import { expectS3Error, startS3Suite, stopS3Suite } from '../helpers/s3-suite.js';

let t: TestServer;
let s3: S3Client;
const B = 'versions-bucket';
const KEYS = ['a/1', 'a/2', 'b/1', 'c', 'd', 'é/x'];

beforeAll(async () => {
  ({ t, s3 } = await startS3Suite([B]));
  for (const k of KEYS) await s3.send(new PutObjectCommand({ Bucket: B, Key: k, Body: `body of ${k}` }));
});
afterAll(() => stopS3Suite(t, s3));

describe('ListObjectVersions on an unversioned bucket', () => {
  it('lists every object once as the latest "null" version, with size, ETag and owner; no delete markers', async () => {
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket: B }));
    expect(r.Versions?.map((v) => v.Key)).toEqual(KEYS);
    for (const v of r.Versions ?? []) {
      expect(v.VersionId).toBe('null');
      expect(v.IsLatest).toBe(true);
      expect(v.Size).toBe(Buffer.byteLength(`body of ${v.Key}`));
      expect(v.ETag).toMatch(/^"[0-9a-f]{32}"$/);
      expect(v.Owner?.ID).toBeTruthy();
      expect(v.StorageClass).toBe('STANDARD');
    }
    expect(r.DeleteMarkers ?? []).toEqual([]);
    expect(r.IsTruncated).toBe(false);
  });

  it('prefix and delimiter roll keys up into common prefixes', async () => {
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket: B, Delimiter: '/' }));
    expect(r.Versions?.map((v) => v.Key)).toEqual(['c', 'd']);
    expect(r.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/', 'é/']);
    const a = await s3.send(new ListObjectVersionsCommand({ Bucket: B, Prefix: 'a/' }));
    expect(a.Versions?.map((v) => v.Key)).toEqual(['a/1', 'a/2']);
  });

  it('pages with MaxKeys and KeyMarker / VersionIdMarker, each key exactly once', async () => {
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (let i = 0; i < 10; i++) {
      const r = await s3.send(new ListObjectVersionsCommand({ Bucket: B, MaxKeys: 2, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
      seen.push(...(r.Versions ?? []).map((v) => v.Key!));
      if (!r.IsTruncated) break;
      expect(r.NextKeyMarker).toBeTruthy();
      expect(r.NextVersionIdMarker).toBe('null');
      keyMarker = r.NextKeyMarker;
      versionIdMarker = r.NextVersionIdMarker;
    }
    expect(seen).toEqual(KEYS);
  });

  it('encoding-type=url percent-encodes keys and prefixes (the SDK hands them over as sent)', async () => {
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket: B, Prefix: 'é', EncodingType: 'url' }));
    expect(r.EncodingType).toBe('url');
    expect(r.Versions?.map((v) => v.Key)).toEqual(['%C3%A9/x']);
    expect(r.Prefix).toBe('%C3%A9');
  });

  it('a version-id marker without a key marker, or one that is not "null", is InvalidArgument', async () => {
    await expectS3Error(s3.send(new ListObjectVersionsCommand({ Bucket: B, VersionIdMarker: 'null' })), 'InvalidArgument', 400);
    await expectS3Error(s3.send(new ListObjectVersionsCommand({ Bucket: B, KeyMarker: 'a', VersionIdMarker: 'v123' })), 'InvalidArgument', 400);
    await expectS3Error(s3.send(new ListObjectVersionsCommand({ Bucket: 'no-such-bucket-here' })), 'NoSuchBucket', 404);
  });
});

describe('version ids on deletes', () => {
  it('DeleteObject with VersionId "null" deletes; any other version id is refused and deletes nothing', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'del/1', Body: 'x' }));
    await expectS3Error(s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'del/1', VersionId: 'abc123' })), 'InvalidArgument', 400);
    await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'del/1' }));
    const r = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'del/1', VersionId: 'null' }));
    expect(r.VersionId).toBe('null');
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'del/1' })), 'NotFound', 404);
  });

  it('DeleteObjects honours VersionId per key the same way', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'del/2', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'del/3', Body: 'x' }));
    const r = await s3.send(
      new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'del/2', VersionId: 'null' }, { Key: 'del/3', VersionId: 'bogus' }] } }),
    );
    expect(r.Deleted?.map((d) => [d.Key, d.VersionId])).toEqual([['del/2', 'null']]);
    expect(r.Errors?.map((e) => [e.Key, e.Code])).toEqual([['del/3', 'InvalidArgument']]);
    await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'del/3' }));
  });

  it('a bucket can be emptied the way test harnesses do it: list versions, delete each (key, version), delete the bucket', async () => {
    const bucket = 'versions-empty-me';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (let i = 0; i < 5; i++) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `k${i}`, Body: 'x' }));
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    for (const v of r.Versions ?? []) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: v.Key!, VersionId: v.VersionId! }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  });
});

describe('bucket versioning state', () => {
  it('a fresh bucket reports no status; Suspended (how every Strata bucket behaves) is recorded; Enabled is 501, never pretended', async () => {
    const bucket = 'versioning-state';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBeUndefined();
    await expectS3Error(s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } })), 'NotImplemented', 501);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Suspended' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Suspended');
    // Writes stay "null" versions that replace each other.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: '1' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: '2' }));
    const v = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(v.Versions?.map((x) => [x.Key, x.VersionId, x.Size])).toEqual([['k', 'null', 1]]);
  });
});
