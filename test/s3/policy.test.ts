// Bucket policies through the real server with the AWS SDK v3: Put/Get/Delete/GetBucketPolicyStatus,
// validation errors, and enforcement — anonymous callers (an SDK client that does not sign, and plain
// fetch) allowed only what a policy allows, Deny statements binding the signed owner (prefixes,
// DeleteObjects per key, copy sources, source-IP conditions), the owner never locked out of the
// policy itself, and the policy surviving a restart and an index rebuild.

import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/server-clients.js';
import { expectS3Error, startS3Suite, stopS3Suite } from '../helpers/s3-suite.js';
import { rawExchange, signedRequest } from '../helpers/server-raw.js';
import { rebuildIndex } from '../../src/store/engine.js';

let t: TestServer;
let s3: S3Client;
let anon: S3Client;

/** An SDK client that sends requests unsigned: what a browser or curl without credentials does. */
function anonymousClient(srv: TestServer): S3Client {
  return new S3Client({
    endpoint: srv.endpoint,
    region: srv.region,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    signer: { sign: async (request) => request },
  });
}

function doc(bucket: string, ...statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

function publicRead(bucket: string, extra: object = {}): object {
  return { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*`, ...extra };
}

async function put(bucket: string, key: string, body = 'data'): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function setPolicy(bucket: string, text: string): Promise<void> {
  await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: text }));
}

beforeAll(async () => {
  ({ t, s3 } = await startS3Suite(['pol-api', 'pol-public', 'pol-deny', 'pol-ip', 'pol-list', 'pol-other']));
  anon = anonymousClient(t);
});

afterAll(async () => {
  anon?.destroy();
  await stopS3Suite(t, s3);
});

describe('Put/Get/Delete/GetBucketPolicyStatus', () => {
  const B = 'pol-api';

  it('round-trips the document verbatim, reports status, deletes', async () => {
    await expectS3Error(s3.send(new GetBucketPolicyCommand({ Bucket: B })), 'NoSuchBucketPolicy', 404);
    await expectS3Error(s3.send(new GetBucketPolicyStatusCommand({ Bucket: B })), 'NoSuchBucketPolicy', 404);
    // Odd spacing on purpose: GetBucketPolicy returns exactly what was put.
    const text = `{ "Version": "2012-10-17",\n  "Statement": [${JSON.stringify(publicRead(B))}] }`;
    const r = await s3.send(new PutBucketPolicyCommand({ Bucket: B, Policy: text }));
    expect(r.$metadata.httpStatusCode).toBe(204);
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: B }))).Policy).toBe(text);
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: B }))).PolicyStatus?.IsPublic).toBe(true);

    const raw = await rawExchange(t.port, signedRequest(t, 'GET', `/${B}`, { query: [['policy', '']] }));
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toBe('application/json');
    expect(raw.body.toString('utf8')).toBe(text);

    await setPolicy(B, doc(B, publicRead(B, { Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } })));
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: B }))).PolicyStatus?.IsPublic).toBe(false);

    expect((await s3.send(new DeleteBucketPolicyCommand({ Bucket: B }))).$metadata.httpStatusCode).toBe(204);
    await expectS3Error(s3.send(new GetBucketPolicyCommand({ Bucket: B })), 'NoSuchBucketPolicy', 404);
    expect((await s3.send(new DeleteBucketPolicyCommand({ Bucket: B }))).$metadata.httpStatusCode).toBe(204);
    await expectS3Error(s3.send(new GetBucketPolicyCommand({ Bucket: 'no-such-bucket-x' })), 'NoSuchBucket', 404);
  });

  it('refuses malformed policies with MalformedPolicy and a reason, and oversized ones with PolicyTooLarge', async () => {
    const bad: [string, RegExp][] = [
      ['{"Version": "2012-10-17", "Statement": [', /valid JSON/],
      [JSON.stringify({ Version: '2012-10-18', Statement: [publicRead(B)] }), /Version/],
      [doc(B, { ...publicRead(B), Effect: undefined }), /Effect/],
      [doc(B, publicRead('pol-other')), /invalid resource/],
      [doc(B, { ...publicRead(B), Action: 's3:GetObject', Principal: { AWS: 'arn:aws:iam::*:user/*' } }), /principal/],
    ];
    for (const [text, why] of bad) {
      const e = await expectS3Error(s3.send(new PutBucketPolicyCommand({ Bucket: B, Policy: text })), 'MalformedPolicy', 400);
      expect(e.message).toMatch(why);
    }
    const big = doc(B, { ...publicRead(B), Resource: Array.from({ length: 800 }, (_, i) => `arn:aws:s3:::${B}/some/longer/prefix-${i}/*`) });
    expect(big.length).toBeGreaterThan(t.config.limits.maxBucketPolicyBytes);
    await expectS3Error(s3.send(new PutBucketPolicyCommand({ Bucket: B, Policy: big })), 'PolicyTooLarge', 400);
    // Nothing was stored by any of them.
    await expectS3Error(s3.send(new GetBucketPolicyCommand({ Bucket: B })), 'NoSuchBucketPolicy', 404);
  });
});

describe('anonymous access', () => {
  const B = 'pol-public';

  it('is AccessDenied without a policy (GET, HEAD, list, PUT)', async () => {
    await put(B, 'photo.jpg', 'jpeg bytes');
    await expectS3Error(anon.send(new GetObjectCommand({ Bucket: B, Key: 'photo.jpg' })), 'AccessDenied', 403);
    await expect(anon.send(new HeadObjectCommand({ Bucket: B, Key: 'photo.jpg' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    await expectS3Error(anon.send(new ListObjectsV2Command({ Bucket: B })), 'AccessDenied', 403);
    await expectS3Error(anon.send(new PutObjectCommand({ Bucket: B, Key: 'x', Body: 'x' })), 'AccessDenied', 403);
    expect((await fetch(`${t.endpoint}/${B}/photo.jpg`)).status).toBe(403);
  });

  it('a bucket that does not exist is 404 NoSuchBucket to anonymous callers too (as S3); creating one or listing buckets is still 403', async () => {
    await expectS3Error(anon.send(new GetObjectCommand({ Bucket: 'pol-nowhere', Key: 'k' })), 'NoSuchBucket', 404);
    await expectS3Error(anon.send(new PutObjectCommand({ Bucket: 'pol-nowhere', Key: 'k', Body: 'x' })), 'NoSuchBucket', 404);
    await expectS3Error(anon.send(new DeleteObjectCommand({ Bucket: 'pol-nowhere', Key: 'k' })), 'NoSuchBucket', 404);
    await expectS3Error(anon.send(new ListObjectsV2Command({ Bucket: 'pol-nowhere' })), 'NoSuchBucket', 404);
    await expectS3Error(anon.send(new CreateBucketCommand({ Bucket: 'pol-nowhere' })), 'AccessDenied', 403);
    await expectS3Error(anon.send(new ListBucketsCommand({})), 'AccessDenied', 403);
    expect(t.engine.getBucket('pol-nowhere')).toBeUndefined();
  });

  it('a public-read policy lets anyone GET and HEAD objects; PUT, DELETE, listing and the policy stay closed', async () => {
    await setPolicy(B, doc(B, publicRead(B)));
    const got = await anon.send(new GetObjectCommand({ Bucket: B, Key: 'photo.jpg' }));
    expect(await got.Body!.transformToString()).toBe('jpeg bytes');
    expect((await anon.send(new HeadObjectCommand({ Bucket: B, Key: 'photo.jpg' }))).ContentLength).toBe(10);
    const f = await fetch(`${t.endpoint}/${B}/photo.jpg`);
    expect(f.status).toBe(200);
    expect(await f.text()).toBe('jpeg bytes');

    await expectS3Error(anon.send(new PutObjectCommand({ Bucket: B, Key: 'photo.jpg', Body: 'defaced' })), 'AccessDenied', 403);
    await expectS3Error(anon.send(new DeleteObjectCommand({ Bucket: B, Key: 'photo.jpg' })), 'AccessDenied', 403);
    await expectS3Error(anon.send(new ListObjectsV2Command({ Bucket: B })), 'AccessDenied', 403);
    await expectS3Error(anon.send(new GetBucketPolicyCommand({ Bucket: B })), 'AccessDenied', 403);
    await expectS3Error(anon.send(new DeleteBucketPolicyCommand({ Bucket: B })), 'AccessDenied', 403);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: B, Key: 'photo.jpg' }))).Body!.transformToString()).toBe('jpeg bytes');
    // A missing key does not reveal itself to a caller who may not list: AccessDenied, not NoSuchKey.
    await expectS3Error(anon.send(new GetObjectCommand({ Bucket: B, Key: 'nope.jpg' })), 'AccessDenied', 403);
  });

  it('with s3:ListBucket granted too, anonymous listing works and a missing key is NoSuchKey', async () => {
    await setPolicy(B, doc(B, publicRead(B), { Sid: 'List', Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:ListBucket', Resource: `arn:aws:s3:::${B}` }));
    const l = await anon.send(new ListObjectsV2Command({ Bucket: B }));
    expect(l.Contents?.map((c) => c.Key)).toEqual(['photo.jpg']);
    await expectS3Error(anon.send(new GetObjectCommand({ Bucket: B, Key: 'nope.jpg' })), 'NoSuchKey', 404);
  });

  it('a public-write statement (as a drop box would) lets anonymous PUT; Deny on a prefix still wins', async () => {
    await setPolicy(
      B,
      doc(
        B,
        publicRead(B),
        { Sid: 'Drop', Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${B}/inbox/*` },
        { Sid: 'NotThere', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${B}/inbox/locked/*` },
      ),
    );
    await anon.send(new PutObjectCommand({ Bucket: B, Key: 'inbox/a.txt', Body: 'from nobody' }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: B, Key: 'inbox/a.txt' }))).Body!.transformToString()).toBe('from nobody');
    // A stream body: the unsigned SDK sends aws-chunked with a checksum trailer; the object is the payload, not the framing.
    const payload = Buffer.alloc(70_000, 'z');
    await anon.send(new PutObjectCommand({ Bucket: B, Key: 'inbox/stream.bin', Body: Readable.from([payload.subarray(0, 30_000), payload.subarray(30_000)]), ContentLength: payload.length }));
    const back = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: B, Key: 'inbox/stream.bin' }))).Body!.transformToByteArray());
    expect(back.equals(payload)).toBe(true);
    // Multipart is s3:PutObject too (create, parts, complete); abort is its own action, not granted here.
    const mp = await anon.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'inbox/mp.bin' }));
    const part = await anon.send(new UploadPartCommand({ Bucket: B, Key: 'inbox/mp.bin', UploadId: mp.UploadId, PartNumber: 1, Body: 'part one' }));
    await expectS3Error(anon.send(new AbortMultipartUploadCommand({ Bucket: B, Key: 'inbox/mp.bin', UploadId: mp.UploadId })), 'AccessDenied', 403);
    await anon.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'inbox/mp.bin', UploadId: mp.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: B, Key: 'inbox/mp.bin' }))).Body!.transformToString()).toBe('part one');
    await expectS3Error(anon.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'elsewhere.bin' })), 'AccessDenied', 403);
    // A signed streaming mode without a signature cannot be verified.
    const forged = await fetch(`${t.endpoint}/${B}/inbox/forged`, {
      method: 'PUT',
      headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '1' },
      body: '1;chunk-signature=00\r\nx\r\n0;chunk-signature=00\r\n\r\n',
    });
    expect(forged.status).toBe(400);
    await expectS3Error(anon.send(new PutObjectCommand({ Bucket: B, Key: 'inbox/locked/a.txt', Body: 'x' })), 'AccessDenied', 403);
    await expectS3Error(anon.send(new PutObjectCommand({ Bucket: B, Key: 'elsewhere.txt', Body: 'x' })), 'AccessDenied', 403);
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    await expectS3Error(anon.send(new GetObjectCommand({ Bucket: B, Key: 'photo.jpg' })), 'AccessDenied', 403);
  });
});

describe('Deny binds the signed owner', () => {
  const B = 'pol-deny';

  it('DeleteObject on a protected prefix is denied, other keys delete; DeleteObjects decides per key', async () => {
    for (const k of ['protected/a', 'protected/b', 'scratch/a', 'scratch/b']) await put(B, k);
    await setPolicy(B, doc(B, { Sid: 'KeepProtected', Effect: 'Deny', Principal: '*', Action: ['s3:DeleteObject'], Resource: `arn:aws:s3:::${B}/protected/*` }));
    await expectS3Error(s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'protected/a' })), 'AccessDenied', 403);
    expect((await s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'scratch/a' }))).$metadata.httpStatusCode).toBe(204);
    const r = await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'protected/b' }, { Key: 'scratch/b' }] } }));
    expect(r.Deleted?.map((d) => d.Key)).toEqual(['scratch/b']);
    expect(r.Errors?.map((e) => [e.Key, e.Code])).toEqual([['protected/b', 'AccessDenied']]);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: B }));
    expect(left.Contents?.map((c) => c.Key)).toEqual(['protected/a', 'protected/b']);
    // Overwrites are a different action: still allowed.
    await put(B, 'protected/a', 'v2');
  });

  it('a copy whose source the policy denies reading is refused', async () => {
    await setPolicy(B, doc(B, { Effect: 'Deny', Principal: { AWS: `arn:aws:iam::123456789012:user/${t.accessKeyId}` }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/protected/*` }));
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: B, Key: 'protected/a' })), 'AccessDenied', 403);
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: 'pol-other', Key: 'copy', CopySource: `${B}/protected/a` })), 'AccessDenied', 403);
    await put(B, 'scratch/c', 'ok');
    await s3.send(new CopyObjectCommand({ Bucket: 'pol-other', Key: 'copy', CopySource: `${B}/scratch/c` }));
  });

  it('a Deny of everything cannot lock the owner out of the policy itself', async () => {
    await setPolicy(B, doc(B, { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${B}`, `arn:aws:s3:::${B}/*`] }));
    await expectS3Error(s3.send(new ListObjectsV2Command({ Bucket: B })), 'AccessDenied', 403);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: B, Key: 'scratch/c' })), 'AccessDenied', 403);
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: B }))).Policy).toContain('s3:*');
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: B }))).PolicyStatus?.IsPublic).toBe(false);
    await setPolicy(B, doc(B, { Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${B}/*` }));
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    expect((await s3.send(new ListObjectsV2Command({ Bucket: B }))).KeyCount).toBeGreaterThan(0);
  });
});

describe('conditions', () => {
  it('IpAddress: 127.0.0.0/8 matches a loopback caller, 10.0.0.0/8 does not', async () => {
    const B = 'pol-ip';
    await put(B, 'k', 'v');
    await setPolicy(B, doc(B, publicRead(B, { Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } } })));
    expect(await (await anon.send(new GetObjectCommand({ Bucket: B, Key: 'k' }))).Body!.transformToString()).toBe('v');
    await setPolicy(B, doc(B, publicRead(B, { Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } })));
    await expectS3Error(anon.send(new GetObjectCommand({ Bucket: B, Key: 'k' })), 'AccessDenied', 403);
    // And for Deny: writes from outside 10/8 are refused, so the (loopback) owner may not PUT.
    await setPolicy(B, doc(B, { Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${B}/*`, Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }));
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: B, Key: 'k2', Body: 'x' })), 'AccessDenied', 403);
    await setPolicy(B, doc(B, { Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${B}/*`, Condition: { NotIpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1'] } } }));
    await put(B, 'k2', 'x');
  });

  it('StringLike on s3:prefix limits anonymous listing to a prefix', async () => {
    const B = 'pol-list';
    for (const k of ['public/a', 'public/b', 'private/c']) await put(B, k);
    await setPolicy(B, doc(B, { Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${B}`, Condition: { StringLike: { 's3:prefix': 'public/*' } } }));
    const l = await anon.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'public/' }));
    expect(l.Contents?.map((c) => c.Key)).toEqual(['public/a', 'public/b']);
    await expectS3Error(anon.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'private/' })), 'AccessDenied', 403);
    await expectS3Error(anon.send(new ListObjectsV2Command({ Bucket: B })), 'AccessDenied', 403);
  });

  it('an unsupported condition key never grants (fail-safe)', async () => {
    const B = 'pol-ip';
    await setPolicy(B, doc(B, publicRead(B, { Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-123456' } } })));
    await expectS3Error(anon.send(new GetObjectCommand({ Bucket: B, Key: 'k' })), 'AccessDenied', 403);
    await setPolicy(B, doc(B, { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/*`, Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-123456' } } }));
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: B, Key: 'k' })), 'AccessDenied', 403);
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: B }));
  });
});

describe('principals: a second identity', () => {
  const BOB = { accessKeyId: 'bob-key', secretAccessKey: 'bob-secret-0123456789', displayName: 'bob' };
  let srv: TestServer;
  let root: S3Client;
  let bob: S3Client;
  const B = 'shared';

  beforeAll(async () => {
    srv = await startTestServer({ extraIdentities: [BOB] });
    root = sdkClient(srv);
    bob = sdkClient(srv, { accessKeyId: BOB.accessKeyId, secretAccessKey: BOB.secretAccessKey });
    await root.send(new CreateBucketCommand({ Bucket: B }));
    await root.send(new PutObjectCommand({ Bucket: B, Key: 'doc', Body: 'hi' }));
  });
  afterAll(async () => {
    bob?.destroy();
    await stopS3Suite(srv, root);
  });

  it('a Deny naming arn:aws:iam::<account>:user/<access key> binds that caller only', async () => {
    const bobArn = `arn:aws:iam::123456789012:user/${BOB.accessKeyId}`;
    await root.send(
      new PutBucketPolicyCommand({
        Bucket: B,
        Policy: doc(
          B,
          // bob does not own the bucket: he needs the Allow at all, and the Deny wins over it
          { Effect: 'Allow', Principal: { AWS: bobArn }, Action: ['s3:GetObject', 's3:PutObject'], Resource: `arn:aws:s3:::${B}/*` },
          { Effect: 'Deny', Principal: { AWS: bobArn }, Action: ['s3:PutObject', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy'], Resource: [`arn:aws:s3:::${B}`, `arn:aws:s3:::${B}/*`] },
        ),
      }),
    );
    await expectS3Error(bob.send(new PutObjectCommand({ Bucket: B, Key: 'doc', Body: 'bob was here' })), 'AccessDenied', 403);
    expect(await (await bob.send(new GetObjectCommand({ Bucket: B, Key: 'doc' }))).Body!.transformToString()).toBe('hi');
    await root.send(new PutObjectCommand({ Bucket: B, Key: 'doc', Body: 'hi again' }));
    // The owner-and-root exemption is not for everyone: bob cannot remove the policy that binds him.
    await expectS3Error(bob.send(new DeleteBucketPolicyCommand({ Bucket: B })), 'AccessDenied', 403);
    await root.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    // Without a policy, root's bucket is root's alone.
    await expectS3Error(bob.send(new GetObjectCommand({ Bucket: B, Key: 'doc' })), 'AccessDenied', 403);
  });

  it('a principal naming an identity that does not exist is refused (a typo must not make a Deny inert)', async () => {
    const e = await expectS3Error(
      root.send(new PutBucketPolicyCommand({ Bucket: B, Policy: doc(B, { Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::123456789012:user/bbo-key' }, Action: 's3:*', Resource: `arn:aws:s3:::${B}/*` }) })),
      'MalformedPolicy',
      400,
    );
    expect(e.message).toMatch(/bbo-key/);
  });

  it('the owner of a bucket (not root) may always change its policy', async () => {
    await bob.send(new CreateBucketCommand({ Bucket: 'bobs' }));
    await bob.send(new PutBucketPolicyCommand({ Bucket: 'bobs', Policy: doc('bobs', { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::bobs', 'arn:aws:s3:::bobs/*'] }) }));
    await expectS3Error(bob.send(new ListObjectsV2Command({ Bucket: 'bobs' })), 'AccessDenied', 403);
    await bob.send(new DeleteBucketPolicyCommand({ Bucket: 'bobs' }));
    await bob.send(new ListObjectsV2Command({ Bucket: 'bobs' }));
  });

  it('s3:ExistingObjectTag/<key> grants by the tags of the object', async () => {
    await root.send(new PutObjectCommand({ Bucket: B, Key: 'tagged', Body: 'open', Tagging: 'visibility=public' }));
    await root.send(new PutObjectCommand({ Bucket: B, Key: 'untagged', Body: 'closed' }));
    await root.send(new PutBucketPolicyCommand({ Bucket: B, Policy: doc(B, publicRead(B, { Condition: { StringEquals: { 's3:ExistingObjectTag/visibility': 'public' } } })) }));
    const a = anonymousClient(srv);
    try {
      expect(await (await a.send(new GetObjectCommand({ Bucket: B, Key: 'tagged' }))).Body!.transformToString()).toBe('open');
      await expectS3Error(a.send(new GetObjectCommand({ Bucket: B, Key: 'untagged' })), 'AccessDenied', 403);
    } finally {
      a.destroy();
    }
  });
});

describe('durability', () => {
  it('the policy survives a restart and an index rebuild, and is enforced after both', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-policy-'));
    const B = 'persist';
    try {
      let srv = await startTestServer({ dataDir });
      let c = sdkClient(srv);
      await c.send(new CreateBucketCommand({ Bucket: B }));
      await c.send(new PutObjectCommand({ Bucket: B, Key: 'k', Body: 'kept' }));
      const text = doc(B, publicRead(B));
      await c.send(new PutBucketPolicyCommand({ Bucket: B, Policy: text }));
      c.destroy();
      await srv.stop();

      for (const step of ['restart', 'rebuild-index'] as const) {
        if (step === 'rebuild-index') await rebuildIndex(srv.config.engine);
        srv = await startTestServer({ dataDir });
        c = sdkClient(srv);
        const a = anonymousClient(srv);
        try {
          expect((await c.send(new GetBucketPolicyCommand({ Bucket: B }))).Policy, step).toBe(text);
          expect(await (await a.send(new GetObjectCommand({ Bucket: B, Key: 'k' }))).Body!.transformToString(), step).toBe('kept');
          await expectS3Error(a.send(new PutObjectCommand({ Bucket: B, Key: 'k', Body: 'x' })), 'AccessDenied', 403);
        } finally {
          a.destroy();
          c.destroy();
          await srv.stop();
        }
      }
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
