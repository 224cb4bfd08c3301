// Object versioning through the real server and the AWS SDK v3: the bucket's state, versions made by
// every write, reads of a version (conditionals and ranges included), delete markers, DeleteObjects,
// copies and part copies from a version, tagging / attributes / ACL of a version, DeleteBucket while
// versions remain, the features that follow "Enabled", bucket policies on versions, the sweeper.
// ListObjectVersions has its own file (list-versions.test.ts).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectAclCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import type { TestServer } from '../helpers/server.js';
import { expectS3Error, startS3Suite, stopS3Suite } from '../helpers/s3-suite.js';
import { rawExchange, signedRequest } from '../helpers/server-raw.js';
import { LifecycleSweeper } from '../../src/s3/lifecycle-sweeper.js';
import { openMultipart } from '../../src/s3/multipart/handlers.js';

let t: TestServer;
let s3: S3Client;
const V = 'versioned';
const VERSION_ID = /^[0-9a-f]{16}$/;

beforeAll(async () => {
  ({ t, s3 } = await startS3Suite([V]));
  await s3.send(new PutBucketVersioningCommand({ Bucket: V, VersioningConfiguration: { Status: 'Enabled' } }));
});
afterAll(() => stopS3Suite(t, s3));

async function put(bucket: string, key: string, body: string): Promise<string | undefined> {
  return (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).VersionId;
}

async function read(bucket: string, key: string, versionId?: string): Promise<{ body: string; versionId?: string }> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId !== undefined ? { VersionId: versionId } : {}) }));
  return { body: await r.Body!.transformToString(), ...(r.VersionId !== undefined ? { versionId: r.VersionId } : {}) };
}

/** The raw response headers of a failed SDK call. */
function errorHeaders(e: S3ServiceException): Record<string, string> {
  return ((e as unknown as { $response?: { headers: Record<string, string> } }).$response?.headers) ?? {};
}

async function expectStatus(p: Promise<unknown>, status: number): Promise<S3ServiceException> {
  try {
    await p;
  } catch (err) {
    const e = err as S3ServiceException;
    expect(e.$metadata.httpStatusCode).toBe(status);
    return e;
  }
  throw new Error(`expected HTTP ${status}, got success`);
}

async function newBucket(name: string, status?: 'Enabled' | 'Suspended'): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  if (status) await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: status } }));
}

/** ListObjectVersions as on the wire: Version and DeleteMarker elements interleaved in listing order. */
async function versionsOf(bucket: string, prefix?: string): Promise<{ key: string; id: string; latest: boolean; marker: boolean }[]> {
  const req = signedRequest(t, 'GET', `/${bucket}`, { query: [['versions', ''], ...(prefix !== undefined ? ([['prefix', prefix]] as [string, string][]) : [])] });
  const res = await rawExchange(t.port, req);
  expect(res.status).toBe(200);
  const xml = res.body.toString();
  const out: { key: string; id: string; latest: boolean; marker: boolean }[] = [];
  for (const m of xml.matchAll(/<(Version|DeleteMarker)>(.*?)<\/\1>/g)) {
    const field = (name: string): string => new RegExp(`<${name}>(.*?)</${name}>`).exec(m[2]!)![1]!;
    out.push({ key: field('Key'), id: field('VersionId'), latest: field('IsLatest') === 'true', marker: m[1] === 'DeleteMarker' });
  }
  return out;
}

async function emptyAndDelete(bucket: string): Promise<void> {
  for (;;) {
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const all = [...(r.Versions ?? []), ...(r.DeleteMarkers ?? [])];
    if (all.length === 0) break;
    for (const v of all) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: v.Key!, VersionId: v.VersionId! }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

describe('bucket versioning state', () => {
  it('unset → Enabled → Suspended → Enabled; never back to unset; a configuration without Status changes nothing', async () => {
    const b = 'vstate';
    await newBucket(b);
    const status = async (): Promise<string | undefined> => (await s3.send(new GetBucketVersioningCommand({ Bucket: b }))).Status;
    expect(await status()).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Enabled' } }));
    expect(await status()).toBe('Enabled');
    await s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Suspended' } }));
    expect(await status()).toBe('Suspended');
    await s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: {} }));
    expect(await status()).toBe('Suspended');
    await s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Enabled', MFADelete: 'Disabled' } }));
    expect(await status()).toBe('Enabled');
  });

  it('MfaDelete Enabled → 501; a bad Status or a malformed body → MalformedXML; a missing bucket → NoSuchBucket', async () => {
    await expectS3Error(s3.send(new PutBucketVersioningCommand({ Bucket: V, VersioningConfiguration: { Status: 'Enabled', MFADelete: 'Enabled' } })), 'NotImplemented', 501);
    await expectS3Error(s3.send(new PutBucketVersioningCommand({ Bucket: V, VersioningConfiguration: { Status: 'On' as 'Enabled' } })), 'MalformedXML', 400);
    await expectS3Error(s3.send(new PutBucketVersioningCommand({ Bucket: 'no-such-vbucket', VersioningConfiguration: { Status: 'Enabled' } })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new GetBucketVersioningCommand({ Bucket: 'no-such-vbucket' })), 'NoSuchBucket', 404);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: V }))).Status).toBe('Enabled');
  });
});

describe('writes on a versioned bucket', () => {
  it('each PUT is a new version with its own id; GET / HEAD read the latest or any version by id', async () => {
    const ids: string[] = [];
    for (const body of ['one', 'two', 'three']) {
      const id = await put(V, 'multi', body);
      expect(id).toMatch(VERSION_ID);
      ids.push(id!);
    }
    expect(new Set(ids).size).toBe(3);
    expect(await read(V, 'multi')).toEqual({ body: 'three', versionId: ids[2] });
    expect(await read(V, 'multi', ids[0])).toEqual({ body: 'one', versionId: ids[0] });
    expect(await read(V, 'multi', ids[1])).toEqual({ body: 'two', versionId: ids[1] });
    const h = await s3.send(new HeadObjectCommand({ Bucket: V, Key: 'multi', VersionId: ids[0] }));
    expect(h.ContentLength).toBe(3);
    expect(h.VersionId).toBe(ids[0]);
    expect(await versionsOf(V, 'multi')).toEqual([
      { key: 'multi', id: ids[2], latest: true, marker: false },
      { key: 'multi', id: ids[1], latest: false, marker: false },
      { key: 'multi', id: ids[0], latest: false, marker: false },
    ]);
    // ListObjects shows the current version only.
    const l = await s3.send(new ListObjectsV2Command({ Bucket: V, Prefix: 'multi' }));
    expect(l.Contents?.map((c) => [c.Key, c.Size])).toEqual([['multi', 5]]);
  });

  it('ranges and conditional headers apply to the version named', async () => {
    const old = await put(V, 'cond', 'old contents');
    await put(V, 'cond', 'new');
    const r = await s3.send(new GetObjectCommand({ Bucket: V, Key: 'cond', VersionId: old, Range: 'bytes=4-11' }));
    expect(r.ContentRange).toBe('bytes 4-11/12');
    expect(await r.Body!.transformToString()).toBe('contents');
    const etag = (await s3.send(new HeadObjectCommand({ Bucket: V, Key: 'cond', VersionId: old }))).ETag!;
    expect(await (await s3.send(new GetObjectCommand({ Bucket: V, Key: 'cond', VersionId: old, IfMatch: etag }))).Body!.transformToString()).toBe('old contents');
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: V, Key: 'cond', IfMatch: etag })), 'PreconditionFailed', 412);
    await expectStatus(s3.send(new GetObjectCommand({ Bucket: V, Key: 'cond', VersionId: old, IfNoneMatch: etag })), 304);
  });

  it('unknown version → NoSuchVersion, malformed id → InvalidArgument "Invalid version id specified"', async () => {
    await put(V, 'exists', 'x');
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: V, Key: 'exists', VersionId: '0123456789abcdef' })), 'NoSuchVersion', 404);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: V, Key: 'never', VersionId: '0123456789abcdef' })), 'NoSuchVersion', 404);
    // Written with versioning Enabled: it has no "null" version.
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: V, Key: 'exists', VersionId: 'null' })), 'NoSuchVersion', 404);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: V, Key: 'exists', VersionId: 'not-a-version' })), 'InvalidArgument', 400, 'Invalid version id specified');
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: V, Key: 'exists', VersionId: 'ABC' })), 400);
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: V, Key: 'exists', VersionId: 'fedcba9876543210' })), 404);
  });

  it('an unversioned bucket answers no version id on PUT; a Suspended one writes "null", replacing it', async () => {
    const plain = 'vplain';
    await newBucket(plain);
    expect(await put(plain, 'k', '1')).toBeUndefined();
    expect(await read(plain, 'k', 'null')).toEqual({ body: '1', versionId: 'null' });
    const susp = 'vsusp';
    await newBucket(susp, 'Suspended');
    expect(await put(susp, 'k', '1')).toBeUndefined();
    expect(await put(susp, 'k', '22')).toBeUndefined();
    expect(await versionsOf(susp)).toEqual([{ key: 'k', id: 'null', latest: true, marker: false }]);
    expect(await read(susp, 'k')).toEqual({ body: '22', versionId: 'null' });
  });

  it('an object written before versioning was enabled stays as the "null" version under the new ones', async () => {
    const b = 'vlater';
    await newBucket(b);
    await put(b, 'k', 'plain');
    await s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Enabled' } }));
    const id = await put(b, 'k', 'versioned');
    expect(await versionsOf(b)).toEqual([
      { key: 'k', id: id!, latest: true, marker: false },
      { key: 'k', id: 'null', latest: false, marker: false },
    ]);
    expect((await read(b, 'k', 'null')).body).toBe('plain');
    // Removing the latest version promotes the next one.
    const del = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k', VersionId: id }));
    expect(del.VersionId).toBe(id);
    expect(del.DeleteMarker).toBeUndefined();
    expect(await read(b, 'k')).toEqual({ body: 'plain', versionId: 'null' });
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k', VersionId: 'null' }));
    expect(await versionsOf(b)).toEqual([]);
    await s3.send(new DeleteBucketCommand({ Bucket: b }));
  });

  it('CompleteMultipartUpload makes a version and answers its id', async () => {
    const first = await put(V, 'mpu', 'before');
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: V, Key: 'mpu' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: V, Key: 'mpu', UploadId: up.UploadId, PartNumber: 1, Body: 'multipart body' }));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: V, Key: 'mpu', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }),
    );
    expect(done.VersionId).toMatch(VERSION_ID);
    expect(done.VersionId).not.toBe(first);
    expect(await read(V, 'mpu')).toEqual({ body: 'multipart body', versionId: done.VersionId });
    expect((await read(V, 'mpu', first)).body).toBe('before');
  });
});

describe('delete markers', () => {
  it('DELETE without a version id adds a marker: the key reads as deleted, its versions stay', async () => {
    const v1 = await put(V, 'dm', 'kept');
    const del = await s3.send(new DeleteObjectCommand({ Bucket: V, Key: 'dm' }));
    expect(del.DeleteMarker).toBe(true);
    expect(del.VersionId).toMatch(VERSION_ID);
    const marker = del.VersionId!;

    const e = await expectS3Error(s3.send(new GetObjectCommand({ Bucket: V, Key: 'dm' })), 'NoSuchKey', 404);
    expect(errorHeaders(e)['x-amz-delete-marker']).toBe('true');
    expect(errorHeaders(e)['x-amz-version-id']).toBe(marker);
    const h = await expectStatus(s3.send(new HeadObjectCommand({ Bucket: V, Key: 'dm' })), 404);
    expect(errorHeaders(h)['x-amz-delete-marker']).toBe('true');

    // Naming the marker itself: 405, with the marker's headers.
    const m = await expectS3Error(s3.send(new GetObjectCommand({ Bucket: V, Key: 'dm', VersionId: marker })), 'MethodNotAllowed', 405);
    expect(errorHeaders(m)['x-amz-delete-marker']).toBe('true');
    expect(errorHeaders(m)['x-amz-version-id']).toBe(marker);
    expect(errorHeaders(m)['last-modified']).toBeTruthy();
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: V, Key: 'dm', VersionId: marker })), 405);

    expect((await read(V, 'dm', v1)).body).toBe('kept');
    expect(await versionsOf(V, 'dm')).toEqual([
      { key: 'dm', id: marker, latest: true, marker: true },
      { key: 'dm', id: v1!, latest: false, marker: false },
    ]);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: V, Prefix: 'dm' }))).Contents ?? []).toEqual([]);

    // Removing the marker brings the object back.
    const undo = await s3.send(new DeleteObjectCommand({ Bucket: V, Key: 'dm', VersionId: marker }));
    expect(undo.DeleteMarker).toBe(true);
    expect(undo.VersionId).toBe(marker);
    expect(await read(V, 'dm')).toEqual({ body: 'kept', versionId: v1 });
  });

  it('a marker is made even for a key that never existed; deleting an absent version is still 204', async () => {
    const del = await s3.send(new DeleteObjectCommand({ Bucket: V, Key: 'ghost' }));
    expect(del.DeleteMarker).toBe(true);
    expect(await versionsOf(V, 'ghost')).toEqual([{ key: 'ghost', id: del.VersionId!, latest: true, marker: true }]);
    const gone = await s3.send(new DeleteObjectCommand({ Bucket: V, Key: 'ghost', VersionId: '0123456789abcdef' }));
    expect(gone.VersionId).toBe('0123456789abcdef');
    await s3.send(new DeleteObjectCommand({ Bucket: V, Key: 'ghost', VersionId: del.VersionId }));
    expect(await versionsOf(V, 'ghost')).toEqual([]);
    await expectS3Error(s3.send(new DeleteObjectCommand({ Bucket: V, Key: 'ghost', VersionId: 'zzz' })), 'InvalidArgument', 400);
  });

  it('Suspended: DELETE replaces the "null" version with a "null" marker and keeps the older versions', async () => {
    const b = 'vsuspdel';
    await newBucket(b, 'Enabled');
    const v1 = await put(b, 'k', 'v1');
    await s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Suspended' } }));
    expect(await put(b, 'k', 'null one')).toBeUndefined();
    const del = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k' }));
    expect(del.DeleteMarker).toBe(true);
    expect(del.VersionId).toBe('null');
    expect(await versionsOf(b)).toEqual([
      { key: 'k', id: 'null', latest: true, marker: true },
      { key: 'k', id: v1!, latest: false, marker: false },
    ]);
    // A PUT replaces the null marker with a null version.
    await put(b, 'k', 'again');
    expect(await versionsOf(b)).toEqual([
      { key: 'k', id: 'null', latest: true, marker: false },
      { key: 'k', id: v1!, latest: false, marker: false },
    ]);
    await emptyAndDelete(b);
  });

  it('DeleteObjects: markers for keys without a version id, removals with one, as S3 reports them', async () => {
    const a1 = await put(V, 'md/a', 'a');
    await put(V, 'md/b', 'b');
    const r = await s3.send(
      new DeleteObjectsCommand({
        Bucket: V,
        Delete: { Objects: [{ Key: 'md/a', VersionId: a1 }, { Key: 'md/b' }, { Key: 'md/c', VersionId: 'bogus' }, { Key: 'md/d', VersionId: '0123456789abcdef' }] },
      }),
    );
    const byKey = Object.fromEntries((r.Deleted ?? []).map((d) => [d.Key, d]));
    expect(byKey['md/a']).toEqual({ Key: 'md/a', VersionId: a1 });
    expect(byKey['md/b']!.DeleteMarker).toBe(true);
    expect(byKey['md/b']!.DeleteMarkerVersionId).toMatch(VERSION_ID);
    expect(byKey['md/b']!.VersionId).toBeUndefined();
    expect(byKey['md/d']).toEqual({ Key: 'md/d', VersionId: '0123456789abcdef' });
    expect(r.Errors?.map((e) => [e.Key, e.Code])).toEqual([['md/c', 'InvalidArgument']]);

    // Deleting the marker by id: DeleteMarker true, DeleteMarkerVersionId = that id.
    const marker = byKey['md/b']!.DeleteMarkerVersionId!;
    const r2 = await s3.send(new DeleteObjectsCommand({ Bucket: V, Delete: { Objects: [{ Key: 'md/b', VersionId: marker }] } }));
    expect(r2.Deleted).toEqual([{ Key: 'md/b', VersionId: marker, DeleteMarker: true, DeleteMarkerVersionId: marker }]);
    expect((await read(V, 'md/b')).body).toBe('b');
    expect(await versionsOf(V, 'md/a')).toEqual([]);
  });

  it('DeleteBucket is 409 BucketNotEmpty while versions or only delete markers remain', async () => {
    const b = 'vnotempty';
    await newBucket(b, 'Enabled');
    const v = await put(b, 'k', 'x');
    const m = (await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k' }))).VersionId!;
    await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: b })), 'BucketNotEmpty', 409);
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k', VersionId: v }));
    await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: b })), 'BucketNotEmpty', 409);
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k', VersionId: m }));
    await s3.send(new DeleteBucketCommand({ Bucket: b }));
  });
});

describe('copies from a version', () => {
  it('CopyObject reads the version named, answers both ids; a marker named is InvalidRequest, a marker on top NoSuchKey', async () => {
    const v1 = await put(V, 'src', 'first');
    await put(V, 'src', 'second');
    const c = await s3.send(new CopyObjectCommand({ Bucket: V, Key: 'dst', CopySource: `${V}/src?versionId=${v1}` }));
    expect(c.CopySourceVersionId).toBe(v1);
    expect(c.VersionId).toMatch(VERSION_ID);
    expect(await read(V, 'dst')).toEqual({ body: 'first', versionId: c.VersionId });

    // Restoring an old version: copy it onto its own key, it becomes the latest.
    const restored = await s3.send(new CopyObjectCommand({ Bucket: V, Key: 'src', CopySource: `${V}/src?versionId=${v1}` }));
    expect(await read(V, 'src')).toEqual({ body: 'first', versionId: restored.VersionId });

    const marker = (await s3.send(new DeleteObjectCommand({ Bucket: V, Key: 'src' }))).VersionId!;
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: V, Key: 'dst2', CopySource: `${V}/src?versionId=${marker}` })), 'InvalidRequest', 400);
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: V, Key: 'dst2', CopySource: `${V}/src` })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: V, Key: 'dst2', CopySource: `${V}/src?versionId=0123456789abcdef` })), 'NoSuchVersion', 404);
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: V, Key: 'dst2', CopySource: `${V}/src?versionId=nope` })), 'InvalidArgument', 400);
  });

  it('UploadPartCopy reads the version named and answers x-amz-copy-source-version-id', async () => {
    const v1 = await put(V, 'psrc', 'part one source');
    await put(V, 'psrc', 'newer');
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: V, Key: 'pdst' }));
    const pc = await s3.send(new UploadPartCopyCommand({ Bucket: V, Key: 'pdst', UploadId: up.UploadId, PartNumber: 1, CopySource: `${V}/psrc?versionId=${v1}` }));
    expect(pc.CopySourceVersionId).toBe(v1);
    await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: V, Key: 'pdst', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: pc.CopyPartResult!.ETag }] } }),
    );
    expect((await read(V, 'pdst')).body).toBe('part one source');
  });
});

describe('tagging, attributes and ACL of a version', () => {
  it('tags of an old version change independently of the current one', async () => {
    const v1 = await put(V, 'tg', 'one');
    const v2 = await put(V, 'tg', 'two');
    const p = await s3.send(new PutObjectTaggingCommand({ Bucket: V, Key: 'tg', VersionId: v1, Tagging: { TagSet: [{ Key: 'old', Value: 'yes' }] } }));
    expect(p.VersionId).toBe(v1);
    const g1 = await s3.send(new GetObjectTaggingCommand({ Bucket: V, Key: 'tg', VersionId: v1 }));
    expect(g1.TagSet).toEqual([{ Key: 'old', Value: 'yes' }]);
    expect(g1.VersionId).toBe(v1);
    const cur = await s3.send(new GetObjectTaggingCommand({ Bucket: V, Key: 'tg' }));
    expect(cur.TagSet).toEqual([]);
    expect(cur.VersionId).toBe(v2);
    const d = await s3.send(new DeleteObjectTaggingCommand({ Bucket: V, Key: 'tg', VersionId: v1 }));
    expect(d.VersionId).toBe(v1);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: V, Key: 'tg', VersionId: v1 }))).TagSet).toEqual([]);
    await expectS3Error(s3.send(new GetObjectTaggingCommand({ Bucket: V, Key: 'tg', VersionId: '0123456789abcdef' })), 'NoSuchVersion', 404);
    const marker = (await s3.send(new DeleteObjectCommand({ Bucket: V, Key: 'tg' }))).VersionId!;
    await expectStatus(s3.send(new GetObjectTaggingCommand({ Bucket: V, Key: 'tg', VersionId: marker })), 405);
    await expectS3Error(s3.send(new PutObjectTaggingCommand({ Bucket: V, Key: 'tg', Tagging: { TagSet: [] } })), 'NoSuchKey', 404);
  });

  it('GetObjectAttributes and GetObjectAcl of a version', async () => {
    const v1 = await put(V, 'attr', 'twelve bytes');
    await put(V, 'attr', 'x');
    const a = await s3.send(new GetObjectAttributesCommand({ Bucket: V, Key: 'attr', VersionId: v1, ObjectAttributes: ['ObjectSize', 'ETag'] }));
    expect(a.ObjectSize).toBe(12);
    expect(a.VersionId).toBe(v1);
    const cur = await s3.send(new GetObjectAttributesCommand({ Bucket: V, Key: 'attr', ObjectAttributes: ['ObjectSize'] }));
    expect(cur.ObjectSize).toBe(1);
    const acl = await s3.send(new GetObjectAclCommand({ Bucket: V, Key: 'attr', VersionId: v1 }));
    expect(acl.Grants?.[0]?.Permission).toBe('FULL_CONTROL');
    await expectS3Error(s3.send(new GetObjectAclCommand({ Bucket: V, Key: 'attr', VersionId: '0123456789abcdef' })), 'NoSuchVersion', 404);
    // PutObjectAcl (owner full control only, a no-op) checks the version it names too.
    const p = await s3.send(new PutObjectAclCommand({ Bucket: V, Key: 'attr', VersionId: v1, ACL: 'private' }));
    expect(p.$metadata.httpStatusCode).toBe(200);
    await expectS3Error(s3.send(new PutObjectAclCommand({ Bucket: V, Key: 'attr', VersionId: '0123456789abcdef', ACL: 'private' })), 'NoSuchVersion', 404);
    await expectS3Error(s3.send(new PutObjectAclCommand({ Bucket: V, Key: 'attr', VersionId: 'bad', ACL: 'private' })), 'InvalidArgument', 400);
  });
});

describe('what follows versioning Enabled', () => {
  it('PutBucketReplication is 501 on an Enabled bucket; PutObjectLockConfiguration needs Enabled (object-lock.test.ts)', async () => {
    await expectS3Error(
      s3.send(
        new PutBucketReplicationCommand({
          Bucket: V,
          ReplicationConfiguration: { Role: 'arn:aws:iam::123456789012:role/r', Rules: [{ Status: 'Enabled', Destination: { Bucket: 'arn:aws:s3:::other' }, Prefix: '' }] },
        }),
      ),
      'NotImplemented',
      501,
    );
    const susp = 'vsusp-lock';
    await newBucket(susp, 'Suspended');
    await expectS3Error(s3.send(new PutObjectLockConfigurationCommand({ Bucket: susp, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } })), 'InvalidBucketState', 409);
  });
});

describe('lifecycle on a versioned bucket', () => {
  async function sweeperAt(
    daysAhead: number,
    maxDeletionsPerPass = 10_000,
    beforeDelete?: (bucket: string, keys: readonly string[]) => Promise<void>,
  ): Promise<{ sweeper: LifecycleSweeper; warnings: string[] }> {
    const warnings: string[] = [];
    const sweeper = new LifecycleSweeper(t.engine, await openMultipart(t.engine), {
      intervalMs: 0,
      maxDeletionsPerPass,
      maxScannedPerPass: 1_000_000,
      now: () => Date.now() + daysAhead * 86_400_000,
      log: { info: () => undefined, warn: (o, msg) => warnings.push(`${(o as { bucket?: string }).bucket}: ${msg}`) },
      ...(beforeDelete !== undefined ? { beforeDelete } : {}),
    });
    return { sweeper, warnings };
  }

  it('Expiration hides an expired current version under a delete marker (once); its data stays as a noncurrent version', async () => {
    const b = 'vlifecycle';
    await newBucket(b, 'Enabled');
    const v = await put(b, 'old', 'x');
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({ Bucket: b, LifecycleConfiguration: { Rules: [{ ID: 'all', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } }] } }),
    );
    // The current version announces its expiry; an old version named by id does not.
    const h = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'old' }));
    expect(h.Expiration).toMatch(/rule-id="all"/);
    const { sweeper } = await sweeperAt(30);
    expect((await sweeper.runOnce()).expiredObjects).toBe(1);
    expect((await sweeper.runOnce()).expiredObjects).toBe(0); // a marker is not expired again
    await sweeper.close();
    const e = await expectS3Error(s3.send(new GetObjectCommand({ Bucket: b, Key: 'old' })), 'NoSuchKey', 404);
    expect(errorHeaders(e)['x-amz-delete-marker']).toBe('true');
    expect(await read(b, 'old', v)).toEqual({ body: 'x', versionId: v });
    const hv = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'old', VersionId: v }));
    expect(hv.Expiration).toBeUndefined();
    expect(await versionsOf(b)).toEqual([
      { key: 'old', id: expect.stringMatching(VERSION_ID), latest: true, marker: true },
      { key: 'old', id: v!, latest: false, marker: false },
    ]);
  });

  it('a version written after the judgement is never hidden (the marker is conditional); Suspended markers replace the null version', async () => {
    const b = 'vlifecycle-race';
    await newBucket(b, 'Enabled');
    const v1 = await put(b, 'k', 'judged');
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({ Bucket: b, LifecycleConfiguration: { Rules: [{ ID: 'all', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } }] } }),
    );
    let v2: string | undefined;
    const { sweeper } = await sweeperAt(30, 10_000, async (bucket) => {
      if (bucket === b && v2 === undefined) v2 = await put(b, 'k', 'written meanwhile');
    });
    const report = await sweeper.runOnce();
    await sweeper.close();
    expect(report.skippedChanged).toBeGreaterThanOrEqual(1);
    expect(await read(b, 'k')).toEqual({ body: 'written meanwhile', versionId: v2 });
    expect((await versionsOf(b)).map((x) => [x.id, x.marker])).toEqual([[v2, false], [v1, false]]);

    const s = 'vlifecycle-susp';
    await newBucket(s, 'Suspended');
    await put(s, 'k', 'null version');
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({ Bucket: s, LifecycleConfiguration: { Rules: [{ ID: 'all', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } }] } }),
    );
    const sw = (await sweeperAt(30)).sweeper;
    await sw.runOnce();
    await sw.close();
    expect(await versionsOf(s)).toEqual([{ key: 'k', id: 'null', latest: true, marker: true }]);
  });

  it('NoncurrentVersionExpiration (NoncurrentDays, NewerNoncurrentVersions) and ExpiredObjectDeleteMarker; current versions stay', async () => {
    const b = 'vlc-noncurrent';
    await newBucket(b, 'Enabled');
    const ids: Record<string, string[]> = {};
    for (const key of ['n/a', 'k/a']) for (let i = 0; i < 4; i++) (ids[key] ??= []).unshift((await put(b, key, `${key} ${i}`))!);
    // m/alone: a marker over nothing once its one version is removed; m/over: a marker over a version.
    const alone = await put(b, 'm/alone', 'x');
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'm/alone' }));
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'm/alone', VersionId: alone }));
    await put(b, 'm/over', 'x');
    const overMarker = (await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'm/over' }))).VersionId!;
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: b,
        LifecycleConfiguration: {
          Rules: [
            { ID: 'n', Status: 'Enabled', Filter: { Prefix: 'n/' }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
            { ID: 'k', Status: 'Enabled', Filter: { Prefix: 'k/' }, NoncurrentVersionExpiration: { NoncurrentDays: 1, NewerNoncurrentVersions: 1 } },
            { ID: 'm', Status: 'Enabled', Filter: { Prefix: 'm/' }, Expiration: { ExpiredObjectDeleteMarker: true } },
          ],
        },
      }),
    );
    // Today nothing is a day noncurrent yet; the lone marker goes at once.
    const early = await sweeperAt(0);
    expect((await early.sweeper.runOnce()).expiredObjects).toBe(1);
    await early.sweeper.close();
    expect(await versionsOf(b, 'n/')).toHaveLength(4);
    expect(await versionsOf(b, 'm/')).toEqual([
      { key: 'm/over', id: overMarker, latest: true, marker: true },
      { key: 'm/over', id: expect.stringMatching(VERSION_ID), latest: false, marker: false },
    ]);

    const later = await sweeperAt(3);
    const report = await later.sweeper.runOnce();
    await later.sweeper.close();
    expect(report.expiredObjects).toBe(3 + 2);
    expect(await versionsOf(b, 'n/')).toEqual([{ key: 'n/a', id: ids['n/a']![0]!, latest: true, marker: false }]);
    expect(await versionsOf(b, 'k/')).toEqual([
      { key: 'k/a', id: ids['k/a']![0]!, latest: true, marker: false },
      { key: 'k/a', id: ids['k/a']![1]!, latest: false, marker: false },
    ]);
    expect((await read(b, 'n/a')).body).toBe('n/a 3');
    expect(later.warnings.filter((w) => w.startsWith(`${b}:`))).toEqual([]);
  });

  it('a deletion budget of one per pass resumes where it stopped, one version at a time', async () => {
    const b = 'vlc-budget';
    await newBucket(b, 'Enabled');
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.unshift((await put(b, 'x', String(i)))!);
    await put(b, 'y', 'only');
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({ Bucket: b, LifecycleConfiguration: { Rules: [{ ID: 'nc', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] } }),
    );
    const { sweeper } = await sweeperAt(3, 1);
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) counts.push((await sweeper.runOnce()).expiredObjects);
    await sweeper.close();
    expect(counts).toEqual([1, 1, 1, 0]);
    expect((await versionsOf(b)).map((v) => v.id)).toEqual([ids[0], expect.stringMatching(VERSION_ID)]);
  });
});

describe('bucket policies on versions', () => {
  it('anonymous GET of a version needs s3:GetObjectVersion, not only s3:GetObject', async () => {
    const b = 'vpublic';
    await newBucket(b, 'Enabled');
    const v1 = await put(b, 'pub', 'public one');
    await put(b, 'pub', 'public two');
    const policy = (actions: string[]): string =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: actions, Resource: `arn:aws:s3:::${b}/*` }] });
    await s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy: policy(['s3:GetObject']) }));
    expect(await (await fetch(`${t.endpoint}/${b}/pub`)).text()).toBe('public two');
    expect((await fetch(`${t.endpoint}/${b}/pub?versionId=${v1}`)).status).toBe(403);
    await s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy: policy(['s3:GetObject', 's3:GetObjectVersion']) }));
    const r = await fetch(`${t.endpoint}/${b}/pub?versionId=${v1}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-amz-version-id')).toBe(v1);
    expect(await r.text()).toBe('public one');
  });
});
