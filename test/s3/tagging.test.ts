// Object and bucket tagging through the real server and the AWS SDK v3: round trips, x-amz-tagging on
// PutObject / CopyObject / multipart, x-amz-tagging-count, every InvalidTag case, restart and rebuild.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketTaggingCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type Tag,
} from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/server-clients.js';
import { expectS3Error, startS3Suite, stopS3Suite } from '../helpers/s3-suite.js';
import { rawExchange, signedRequest } from '../helpers/server-raw.js';
import { rebuildIndex } from '../../src/store/index.js';

let t: TestServer;
let s3: S3Client;
const B = 'tagged';


/** HEAD with the raw response headers (the SDK's HeadObjectOutput has no TagCount). */
async function headHeaders(client: S3Client, bucket: string, key: string): Promise<Record<string, string>> {
  const cmd = new HeadObjectCommand({ Bucket: bucket, Key: key });
  let headers: Record<string, string> = {};
  cmd.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      headers = (out.response as { headers: Record<string, string> }).headers;
      return out;
    },
    { step: 'deserialize' },
  );
  await client.send(cmd);
  return headers;
}

async function getTags(client: S3Client, bucket: string, key: string): Promise<Record<string, string>> {
  const out = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  return Object.fromEntries((out.TagSet ?? []).map((x) => [x.Key!, x.Value ?? '']));
}

const tagSet = (o: Record<string, string>): Tag[] => Object.entries(o).map(([Key, Value]) => ({ Key, Value }));

beforeAll(async () => ({ t, s3 } = await startS3Suite([B])));
afterAll(() => stopS3Suite(t, s3));

describe('object tagging', () => {
  it('put / get / delete round trip without touching data, ETag or Last-Modified', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'rt', Body: 'hello tags', ContentType: 'text/plain', Metadata: { m: '1' } }));
    const before = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'rt' }));
    const layoutBefore = JSON.stringify(t.engine.headObject(B, 'rt')!.layout);
    expect(await getTags(s3, B, 'rt')).toEqual({});

    await s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'rt', Tagging: { TagSet: tagSet({ project: 'strata', 'empty value': '', 'é/@': 'a+b=c' }) } }));
    expect(await getTags(s3, B, 'rt')).toEqual({ project: 'strata', 'empty value': '', 'é/@': 'a+b=c' });
    const after = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'rt' }));
    expect(after.ETag).toBe(before.ETag);
    expect(after.LastModified?.getTime()).toBe(before.LastModified?.getTime());
    expect(after.Metadata).toEqual({ m: '1' });
    expect(after.ContentType).toBe('text/plain');
    expect(JSON.stringify(t.engine.headObject(B, 'rt')!.layout)).toBe(layoutBefore);
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'rt' }));
    expect(await got.Body!.transformToString()).toBe('hello tags');
    expect(got.TagCount).toBe(3);

    // replace, not merge
    await s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'rt', Tagging: { TagSet: tagSet({ only: 'one' }) } }));
    expect(await getTags(s3, B, 'rt')).toEqual({ only: 'one' });

    const del = await s3.send(new DeleteObjectTaggingCommand({ Bucket: B, Key: 'rt' }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    expect(await getTags(s3, B, 'rt')).toEqual({});
    expect((await headHeaders(s3, B, 'rt'))['x-amz-tagging-count']).toBeUndefined();
    // deleting again is fine
    expect((await s3.send(new DeleteObjectTaggingCommand({ Bucket: B, Key: 'rt' }))).$metadata.httpStatusCode).toBe(204);
    // an empty TagSet clears too
    await s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'rt', Tagging: { TagSet: tagSet({ a: '1' }) } }));
    await s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'rt', Tagging: { TagSet: [] } }));
    expect(await getTags(s3, B, 'rt')).toEqual({});
  });

  it('missing key → NoSuchKey, missing bucket → NoSuchBucket, other version → NoSuchVersion, malformed id → InvalidArgument', async () => {
    await expectS3Error(s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'nope' })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'nope', Tagging: { TagSet: tagSet({ a: '1' }) } })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new DeleteObjectTaggingCommand({ Bucket: B, Key: 'nope' })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new GetObjectTaggingCommand({ Bucket: 'no-such-bucket-x', Key: 'k' })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new PutObjectTaggingCommand({ Bucket: 'no-such-bucket-x', Key: 'k', Tagging: { TagSet: [] } })), 'NoSuchBucket', 404);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'v', Body: 'x' }));
    await expectS3Error(s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'v', VersionId: '0123456789abcdef' })), 'NoSuchVersion', 404);
    await expectS3Error(s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'v', VersionId: 'abc' })), 'InvalidArgument', 400);
    expect(await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'v', VersionId: 'null' }))).toMatchObject({ TagSet: [] });
  });

  it('x-amz-tagging on PutObject and x-amz-tagging-count on GET and HEAD', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'hdr', Body: 'x', Tagging: 'k1=v1&k2=v%20two&k3=' }));
    expect(await getTags(s3, B, 'hdr')).toEqual({ k1: 'v1', k2: 'v two', k3: '' });
    expect((await s3.send(new GetObjectCommand({ Bucket: B, Key: 'hdr' }))).TagCount).toBe(3);
    expect((await headHeaders(s3, B, 'hdr'))['x-amz-tagging-count']).toBe('3');
    // an overwrite without x-amz-tagging has no tags
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'hdr', Body: 'y' }));
    expect(await getTags(s3, B, 'hdr')).toEqual({});
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'hdr' }));
    expect(got.TagCount).toBeUndefined();
    await got.Body!.transformToString();
  });

  it('the TagSet comes back ordered by key, whatever order it was sent in (a set: S3 keeps no order)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'order', Body: 'x', Tagging: 'foo=bar&bar' }));
    const got = await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'order' }));
    expect(got.TagSet).toEqual([
      { Key: 'bar', Value: '' },
      { Key: 'foo', Value: 'bar' },
    ]);
    const sent = [
      { Key: 'zeta', Value: '1' },
      { Key: '10', Value: '2' },
      { Key: 'Alpha', Value: '3' },
      { Key: '9', Value: '4' },
    ];
    await s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'order', Tagging: { TagSet: sent } }));
    const again = await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'order' }));
    expect(again.TagSet!.map((x) => x.Key)).toEqual(['10', '9', 'Alpha', 'zeta']);
  });

  it('bad x-amz-tagging headers fail before anything is written', async () => {
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: B, Key: 'badhdr', Body: 'x', Tagging: 'a=1&a=2' })),
      'InvalidArgument',
      400,
      "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
    );
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: B, Key: 'badhdr', Body: 'x', Tagging: 'aws%3Atag=1' })), 'InvalidTag', 400, 'Your TagKey cannot be prefixed with aws:');
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: B, Key: 'badhdr', Body: 'x', Tagging: Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&') })),
      'InvalidTag',
      400,
      'Object tags cannot be greater than 10',
    );
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'badhdr' })), 'NotFound', 404);
  });

  it('every InvalidTag case on PutObjectTagging, with S3 messages; the old tags stay', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'inv', Body: 'x', Tagging: 'keep=me' }));
    const cases: [Tag[], string][] = [
      [Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })), 'Object tags cannot be greater than 10'],
      [[{ Key: 'k'.repeat(129), Value: 'v' }], 'The TagKey you have provided is invalid'],
      [[{ Key: '', Value: 'v' }], 'The TagKey you have provided is invalid'],
      [[{ Key: 'k', Value: 'v'.repeat(257) }], 'The TagValue you have provided is invalid'],
      [[{ Key: 'k', Value: 'a,b' }], 'The TagValue you have provided is invalid'],
      [[{ Key: 'dup', Value: '1' }, { Key: 'dup', Value: '2' }], 'Cannot provide multiple Tags with the same key'],
      [[{ Key: 'aws:reserved', Value: '1' }], 'Your TagKey cannot be prefixed with aws:'],
    ];
    for (const [TagSet, message] of cases) {
      await expectS3Error(s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'inv', Tagging: { TagSet } })), 'InvalidTag', 400, message);
    }
    // the limits themselves are fine
    const max = Array.from({ length: 10 }, (_, i) => ({ Key: `${i}`.padEnd(128, 'k'), Value: 'v'.repeat(256) }));
    await s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'inv', Tagging: { TagSet: max } }));
    expect(Object.keys(await getTags(s3, B, 'inv'))).toHaveLength(10);
  });

  it('malformed XML → MalformedXML (raw signed requests)', async () => {
    for (const [target, body] of [
      ['/tagged/inv', '<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>'],
      ['/tagged/inv', '<Tagging><TagSet>'],
      ['/tagged', '<NotTagging/>'],
      ['/tagged', ''],
    ] as const) {
      const req = signedRequest(t, 'PUT', target, { query: [['tagging', '']], body });
      const res = await rawExchange(t.port, req);
      expect(res.status, `${target} ${body}`).toBe(400);
      expect(res.body.toString()).toContain('<Code>MalformedXML</Code>');
    }
    expect(await getTags(s3, B, 'inv')).toHaveProperty('0kkkkkkkkk'.padEnd(128, 'k'));
  });

  it('CopyObject: COPY (default) keeps the source tags, REPLACE takes x-amz-tagging', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'src', Body: 'copy me', Tagging: 'from=source' }));
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dst-copy', CopySource: `${B}/src` }));
    expect(await getTags(s3, B, 'dst-copy')).toEqual({ from: 'source' });
    // COPY ignores x-amz-tagging
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dst-copy2', CopySource: `${B}/src`, TaggingDirective: 'COPY', Tagging: 'ignored=1' }));
    expect(await getTags(s3, B, 'dst-copy2')).toEqual({ from: 'source' });
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dst-replace', CopySource: `${B}/src`, TaggingDirective: 'REPLACE', Tagging: 'new=tag&second=2' }));
    expect(await getTags(s3, B, 'dst-replace')).toEqual({ new: 'tag', second: '2' });
    // REPLACE without x-amz-tagging: no tags
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dst-none', CopySource: `${B}/src`, TaggingDirective: 'REPLACE' }));
    expect(await getTags(s3, B, 'dst-none')).toEqual({});
    expect((await headHeaders(s3, B, 'dst-none'))['x-amz-tagging-count']).toBeUndefined();
    // the source is untouched
    expect(await getTags(s3, B, 'src')).toEqual({ from: 'source' });
    await expectS3Error(
      s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dst-bad', CopySource: `${B}/src`, TaggingDirective: 'REPLACE', Tagging: 'aws:x=1' })),
      'InvalidTag',
      400,
    );
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dst-bad', CopySource: `${B}/src`, TaggingDirective: 'MERGE' as 'COPY' })), 'InvalidArgument', 400);
  });

  it('multipart: x-amz-tagging on Create is applied at completion and validated at Create', async () => {
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mpu', Tagging: 'stage=upload&n=1' }));
    const part1 = Buffer.alloc(5 * 1024 * 1024, 1);
    const p1 = await s3.send(new UploadPartCommand({ Bucket: B, Key: 'mpu', UploadId: created.UploadId!, PartNumber: 1, Body: part1 }));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: B, Key: 'mpu', UploadId: created.UploadId!, PartNumber: 2, Body: 'tail' }));
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: 'mpu',
        UploadId: created.UploadId!,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag! }, { PartNumber: 2, ETag: p2.ETag! }] },
      }),
    );
    expect(await getTags(s3, B, 'mpu')).toEqual({ stage: 'upload', n: '1' });
    expect((await headHeaders(s3, B, 'mpu'))['x-amz-tagging-count']).toBe('2');
    // retagging a multipart object keeps its parts
    await s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'mpu', Tagging: { TagSet: tagSet({ stage: 'done' }) } }));
    const part = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'mpu', PartNumber: 2 }));
    expect(await part.Body!.transformToString()).toBe('tail');
    expect(part.PartsCount).toBe(2);
    expect(await getTags(s3, B, 'mpu')).toEqual({ stage: 'done' });

    await expectS3Error(s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mpu2', Tagging: 'a=1&a=2' })), 'InvalidArgument', 400);
    await expectS3Error(s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mpu2', Tagging: 'aws:k=1' })), 'InvalidTag', 400);
  });

  it('tagging an object that is deleted meanwhile does not resurrect it', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'gone', Body: 'x' }));
    const tagging = s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'gone', Tagging: { TagSet: tagSet({ a: '1' }) } }));
    const deleting = s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'gone' }));
    const [tr] = await Promise.allSettled([tagging, deleting]);
    if (tr.status === 'rejected') expect((tr.reason as S3ServiceException).name).toBe('NoSuchKey');
    // whichever order they landed in, the delete came last or first: never a tagged ghost
    const head = t.engine.headObject(B, 'gone');
    if (head) throw new Error('deleted object came back');
  });
});

describe('bucket tagging', () => {
  it('round trip, NoSuchTagSet, 50-tag limit, delete', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'btags' }));
    await expectS3Error(s3.send(new GetBucketTaggingCommand({ Bucket: 'btags' })), 'NoSuchTagSet', 404, 'The TagSet does not exist');
    const put = await s3.send(new PutBucketTaggingCommand({ Bucket: 'btags', Tagging: { TagSet: tagSet({ team: 'storage', cost: '' }) } }));
    expect(put.$metadata.httpStatusCode).toBe(204);
    const got = await s3.send(new GetBucketTaggingCommand({ Bucket: 'btags' }));
    expect(Object.fromEntries(got.TagSet!.map((x) => [x.Key, x.Value]))).toEqual({ team: 'storage', cost: '' });

    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: 'btags', Tagging: { TagSet: fifty } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: 'btags' }))).TagSet).toHaveLength(50);
    await expectS3Error(
      s3.send(new PutBucketTaggingCommand({ Bucket: 'btags', Tagging: { TagSet: [...fifty, { Key: 'k50', Value: 'x' }] } })),
      'InvalidTag',
      400,
      'Bucket tag count cannot be greater than 50',
    );
    await expectS3Error(s3.send(new PutBucketTaggingCommand({ Bucket: 'btags', Tagging: { TagSet: [{ Key: 'aws:x', Value: '1' }] } })), 'InvalidTag', 400);
    await expectS3Error(
      s3.send(new PutBucketTaggingCommand({ Bucket: 'btags', Tagging: { TagSet: [{ Key: 'd', Value: '1' }, { Key: 'd', Value: '2' }] } })),
      'InvalidTag',
      400,
      'Cannot provide multiple Tags with the same key',
    );
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: 'btags' }))).TagSet).toHaveLength(50);

    const del = await s3.send(new DeleteBucketTaggingCommand({ Bucket: 'btags' }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expectS3Error(s3.send(new GetBucketTaggingCommand({ Bucket: 'btags' })), 'NoSuchTagSet', 404);
    await expectS3Error(s3.send(new GetBucketTaggingCommand({ Bucket: 'no-such-bucket-y' })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new PutBucketTaggingCommand({ Bucket: 'no-such-bucket-y', Tagging: { TagSet: [] } })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new DeleteBucketTaggingCommand({ Bucket: 'no-such-bucket-y' })), 'NoSuchBucket', 404);
  });

  it('bucket tags do not leak into objects and vice versa', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'btags2' }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: 'btags2', Tagging: { TagSet: tagSet({ b: '1' }) } }));
    await s3.send(new PutObjectCommand({ Bucket: 'btags2', Key: 'o', Body: 'x' }));
    expect(await getTags(s3, 'btags2', 'o')).toEqual({});
    await s3.send(new PutObjectTaggingCommand({ Bucket: 'btags2', Key: 'o', Tagging: { TagSet: tagSet({ o: '2' }) } }));
    const got = await s3.send(new GetBucketTaggingCommand({ Bucket: 'btags2' }));
    expect(got.TagSet).toEqual([{ Key: 'b', Value: '1' }]);
  });
});

describe('durability of tags', () => {
  it('survive a restart on the same data dir and an index rebuild', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-tags-'));
    try {
      let srv = await startTestServer({ dataDir });
      let c = sdkClient(srv);
      await c.send(new CreateBucketCommand({ Bucket: 'persist' }));
      await c.send(new PutBucketTaggingCommand({ Bucket: 'persist', Tagging: { TagSet: tagSet({ env: 'prod' }) } }));
      await c.send(new PutObjectCommand({ Bucket: 'persist', Key: 'hdr', Body: 'a', Tagging: 'via=header' }));
      await c.send(new PutObjectCommand({ Bucket: 'persist', Key: 'api', Body: 'b' }));
      await c.send(new PutObjectTaggingCommand({ Bucket: 'persist', Key: 'api', Tagging: { TagSet: tagSet({ via: 'api', 'ü': 'ß' }) } }));
      await c.send(new PutObjectCommand({ Bucket: 'persist', Key: 'cleared', Body: 'c', Tagging: 'x=1' }));
      await c.send(new DeleteObjectTaggingCommand({ Bucket: 'persist', Key: 'cleared' }));

      const check = async (client: S3Client): Promise<void> => {
        expect(await getTags(client, 'persist', 'hdr')).toEqual({ via: 'header' });
        expect(await getTags(client, 'persist', 'api')).toEqual({ via: 'api', ü: 'ß' });
        expect(await getTags(client, 'persist', 'cleared')).toEqual({});
        expect((await headHeaders(client, 'persist', 'api'))['x-amz-tagging-count']).toBe('2');
        const body = await client.send(new GetObjectCommand({ Bucket: 'persist', Key: 'api' }));
        expect(await body.Body!.transformToString()).toBe('b');
        const bt = await client.send(new GetBucketTaggingCommand({ Bucket: 'persist' }));
        expect(bt.TagSet).toEqual([{ Key: 'env', Value: 'prod' }]);
      };
      await check(c);
      c.destroy();
      await srv.stop();

      srv = await startTestServer({ dataDir });
      c = sdkClient(srv);
      await check(c);
      c.destroy();
      const engineConfig = srv.config.engine;
      await srv.stop();

      const report = await rebuildIndex(engineConfig);
      expect(report.mode).toBe('rebuild');
      srv = await startTestServer({ dataDir });
      c = sdkClient(srv);
      await check(c);
      c.destroy();
      await srv.stop();
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
