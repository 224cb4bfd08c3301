// ListObjectVersions through the real server and the AWS SDK v3: on buckets never versioned (every
// object is one "null" version; a malformed version id never deletes) and on versioned ones (versions
// and delete markers, markers and paging, delimiter, encoding).

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

describe('a Suspended bucket that never had versions', () => {
  it('writes stay "null" versions that replace each other', async () => {
    const bucket = 'versioning-state';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Suspended' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Suspended');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: '1' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: '2' }));
    const v = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(v.Versions?.map((x) => [x.Key, x.VersionId, x.Size])).toEqual([['k', 'null', 1]]);
  });
});

describe('ListObjectVersions on a versioned bucket', () => {
  const VB = 'versions-enabled';
  /** key → version ids, newest first (delete markers prefixed "dm:"). */
  const made: Record<string, string[]> = {};

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: VB }));
    await s3.send(new PutObjectCommand({ Bucket: VB, Key: 'a/old', Body: 'before versioning' }));
    made['a/old'] = ['null'];
    await s3.send(new PutBucketVersioningCommand({ Bucket: VB, VersioningConfiguration: { Status: 'Enabled' } }));
    for (const [key, n] of [['a/old', 2], ['a/x', 1], ['b', 3], ['c/d/e', 2], ['é', 1]] as const) {
      for (let i = 0; i < n; i++) {
        const r = await s3.send(new PutObjectCommand({ Bucket: VB, Key: key, Body: `${key} ${i}` }));
        (made[key] ??= []).unshift(r.VersionId!);
      }
    }
    const dm = await s3.send(new DeleteObjectCommand({ Bucket: VB, Key: 'b' }));
    made['b']!.unshift(`dm:${dm.VersionId}`);
  });

  const expected = (keys: string[]): string[] => keys.flatMap((k) => made[k]!.map((id) => `${k}@${id}`));

  it('every version and delete marker, by key then newest first; IsLatest only on the first of each key', async () => {
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket: VB }));
    const got = [
      ...(r.Versions ?? []).map((v) => ({ s: `${v.Key}@${v.VersionId}`, latest: v.IsLatest })),
      ...(r.DeleteMarkers ?? []).map((v) => ({ s: `${v.Key}@dm:${v.VersionId}`, latest: v.IsLatest })),
    ];
    const want = expected(['a/old', 'a/x', 'b', 'c/d/e', 'é']);
    expect(got.map((g) => g.s).sort()).toEqual([...want].sort());
    for (const g of got) expect(g.latest, g.s).toBe(want.includes(g.s) && made[g.s.split('@')[0]!]![0] === g.s.split('@')[1]);
    expect(r.DeleteMarkers?.map((d) => [d.Key, d.IsLatest, d.Owner?.ID !== undefined])).toEqual([['b', true, true]]);
    expect(r.IsTruncated).toBe(false);
  });

  it('pages of one entry walk every version once, through NextKeyMarker / NextVersionIdMarker', async () => {
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (let i = 0; i < 50; i++) {
      const r = await s3.send(new ListObjectVersionsCommand({ Bucket: VB, MaxKeys: 1, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
      const page = [...(r.Versions ?? []).map((v) => `${v.Key}@${v.VersionId}`), ...(r.DeleteMarkers ?? []).map((v) => `${v.Key}@dm:${v.VersionId}`)];
      expect(page).toHaveLength(1);
      seen.push(...page);
      if (!r.IsTruncated) break;
      keyMarker = r.NextKeyMarker;
      versionIdMarker = r.NextVersionIdMarker;
      expect(`${keyMarker}@${versionIdMarker}`).toBe(page[0]!.replace('@dm:', '@'));
    }
    expect(seen).toEqual(expected(['a/old', 'a/x', 'b', 'c/d/e', 'é']));
  });

  it('a key marker alone starts after every version of that key', async () => {
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket: VB, KeyMarker: 'b' }));
    expect([...(r.Versions ?? []), ...(r.DeleteMarkers ?? [])].map((v) => v.Key)).toEqual(['c/d/e', 'c/d/e', 'é']);
  });

  it('delimiter and prefix: common prefixes count once and are never repeated across pages', async () => {
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket: VB, Delimiter: '/' }));
    expect(r.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'c/']);
    expect((r.Versions ?? []).map((v) => v.Key)).toEqual(['b', 'b', 'b', 'é']);
    const sub = await s3.send(new ListObjectVersionsCommand({ Bucket: VB, Prefix: 'c/', Delimiter: '/' }));
    expect(sub.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['c/d/']);
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (let i = 0; i < 20; i++) {
      const p = await s3.send(new ListObjectVersionsCommand({ Bucket: VB, Delimiter: '/', MaxKeys: 2, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
      seen.push(...(p.CommonPrefixes ?? []).map((c) => c.Prefix! + '*'), ...(p.Versions ?? []).map((v) => v.Key!), ...(p.DeleteMarkers ?? []).map((v) => `${v.Key}(dm)`));
      if (!p.IsTruncated) break;
      keyMarker = p.NextKeyMarker;
      versionIdMarker = p.NextVersionIdMarker;
    }
    expect(seen.sort()).toEqual(['a/*', 'b', 'b', 'b', 'b(dm)', 'c/*', 'é'].sort());
  });

  it('encoding-type=url encodes keys and NextKeyMarker', async () => {
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket: VB, Prefix: 'é', EncodingType: 'url' }));
    expect(r.Versions?.map((v) => v.Key)).toEqual(['%C3%A9']);
    const p = await s3.send(new ListObjectVersionsCommand({ Bucket: VB, KeyMarker: 'c/d/e', MaxKeys: 1, EncodingType: 'url' }));
    expect(p.IsTruncated).toBe(false);
    const q = await s3.send(new ListObjectVersionsCommand({ Bucket: VB, KeyMarker: 'c', MaxKeys: 2, EncodingType: 'url' }));
    expect(q.IsTruncated).toBe(true);
    expect(q.NextKeyMarker).toBe('c/d/e');
  });

  it('a malformed version-id marker is InvalidArgument', async () => {
    await expectS3Error(s3.send(new ListObjectVersionsCommand({ Bucket: VB, KeyMarker: 'b', VersionIdMarker: 'not-an-id' })), 'InvalidArgument', 400);
  });
});
