// Users from --identities-file: each owns the buckets it creates, lists only those, and is refused
// (403 AccessDenied) on another user's bucket unless that bucket's policy grants it. Root, the node's
// administrator, reaches and lists every bucket. Driven through the real server with SDK clients.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketAclCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/server-clients.js';
import { expectS3Error } from '../helpers/s3-suite.js';
import { IdentitiesFileError, loadIdentityStore, parseIdentitiesJson, MAX_IDENTITIES_FILE_BYTES } from '../../src/auth/identities-file.js';
import { MAX_IDENTITIES } from '../../src/auth/identities.js';

const ALICE = { accessKeyId: 'alice-key', secretAccessKey: 'alice-secret-0123456789', displayName: 'Alice' };
const BOB = { accessKeyId: 'bob-key', secretAccessKey: 'bob-secret-0123456789', displayName: 'Bob' };
const ROOT = { accessKeyId: 'root-key', secretAccessKey: 'root-secret-0123' };

describe('identities file: validation', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-ids-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  const write = async (name: string, text: string): Promise<string> => {
    const p = path.join(dir, name);
    await fs.writeFile(p, text);
    return p;
  };

  it('loads the users with the root pair; displayName defaults to the key id', async () => {
    const store = await loadIdentityStore(ROOT, await write('ok.json', JSON.stringify([ALICE, { accessKeyId: 'carol-key', secretAccessKey: 'carol-secret-123' }])));
    expect(store.size).toBe(3);
    expect(store.lookup('root-key')?.isRoot).toBe(true);
    expect(store.lookup('alice-key')).toMatchObject({ displayName: 'Alice', isRoot: false });
    expect(store.lookup('carol-key')?.displayName).toBe('carol-key');
  });

  it('an optional email resolves ACL grants by e-mail address, case-insensitively', async () => {
    const store = await loadIdentityStore(ROOT, await write('mail.json', JSON.stringify([{ ...ALICE, email: 'Alice@Example.com' }, BOB])));
    expect(store.lookupByEmail('alice@example.COM')?.accessKeyId).toBe('alice-key');
    expect(store.lookupByEmail('bob@example.com')).toBeUndefined();
  });

  it.each([
    ['not JSON', '[{', /not valid JSON/],
    ['not an array', JSON.stringify(ALICE), /must be a JSON array/],
    ['an entry not an object', '[1]', /entry 0: must be an object/],
    ['a misspelt field', JSON.stringify([{ ...ALICE, secretKey: 'x' }]), /entry 0: unknown field "secretKey"/],
    ['a missing secret', JSON.stringify([{ accessKeyId: 'a-key' }]), /entry 0: secretAccessKey must be a string/],
    ['a bad key id', JSON.stringify([BOB, { ...ALICE, accessKeyId: 'ali/ce' }]), /entry 1 .*access key id must be/],
    ['a short secret', JSON.stringify([{ ...ALICE, secretAccessKey: 'short' }]), /entry 0 .*secret access key must be/],
    ['a duplicate id', JSON.stringify([ALICE, BOB, { ...ALICE, secretAccessKey: 'other-secret-123' }]), /entry 2 .*duplicate access key id alice-key/],
    ['the root key id', JSON.stringify([{ ...ALICE, accessKeyId: ROOT.accessKeyId }]), /entry 0 \(the root access key\).*duplicate/],
    ['a control character in a name', JSON.stringify([{ ...ALICE, displayName: 'a\nb' }]), /entry 0: displayName/],
    ['an email that is not an address', JSON.stringify([{ ...ALICE, email: 'alice at example' }]), /entry 0: email must be/],
    ['a duplicate email (any case)', JSON.stringify([{ ...ALICE, email: 'a@x.io' }, { ...BOB, email: 'A@X.io' }]), /entry 1 .*duplicate email/],
  ])('refuses %s, naming the file and the entry', async (_what, text, reason) => {
    const p = await write('bad.json', text);
    const err = await loadIdentityStore(ROOT, p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdentitiesFileError);
    expect((err as Error).message).toContain(p);
    expect((err as Error).message).toMatch(reason);
    expect((err as Error).message).not.toContain('secret-0123456789'); // never echo a secret
  });

  it('refuses a missing file, a directory, an oversized file and too many entries', async () => {
    await expect(loadIdentityStore(ROOT, path.join(dir, 'nope.json'))).rejects.toThrow(/cannot read \(ENOENT\)/);
    await expect(loadIdentityStore(ROOT, dir)).rejects.toThrow(/not a regular file/);
    const big = path.join(dir, 'big.json');
    await fs.writeFile(big, '[' + ' '.repeat(MAX_IDENTITIES_FILE_BYTES) + ']');
    await expect(loadIdentityStore(ROOT, big)).rejects.toThrow(/larger than/);
    const many = Array.from({ length: MAX_IDENTITIES }, (_, i) => ({ accessKeyId: `user-${i}`, secretAccessKey: 'secret-123' }));
    expect(() => parseIdentitiesJson(JSON.stringify(many))).toThrow(`at most ${MAX_IDENTITIES - 1} identities`);
  });
});

describe('identities file: ownership through the real server', () => {
  let dir: string;
  let srv: TestServer;
  let root: S3Client;
  let alice: S3Client;
  let bob: S3Client;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-ids-'));
    const file = path.join(dir, 'identities.json');
    await fs.writeFile(file, JSON.stringify([ALICE, BOB]));
    srv = await startTestServer({ flags: { 'identities-file': file } });
    root = sdkClient(srv);
    alice = sdkClient(srv, ALICE);
    bob = sdkClient(srv, BOB);
    await alice.send(new CreateBucketCommand({ Bucket: 'alices' }));
    await alice.send(new PutObjectCommand({ Bucket: 'alices', Key: 'diary', Body: 'dear diary' }));
    await bob.send(new CreateBucketCommand({ Bucket: 'bobs' }));
  });
  afterAll(async () => {
    for (const c of [root, alice, bob]) c?.destroy();
    await srv?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('each user lists only the buckets it owns; root lists all of them', async () => {
    const names = async (c: S3Client): Promise<string[]> => ((await c.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!);
    expect(await names(alice)).toEqual(['alices']);
    expect(await names(bob)).toEqual(['bobs']);
    expect(await names(root)).toEqual(['alices', 'bobs']);
    expect((await alice.send(new ListBucketsCommand({}))).Owner).toEqual({ ID: ALICE.accessKeyId, DisplayName: 'Alice' });
  });

  it("owners are shown with the file's displayName (ListBuckets, ListObjects, GetBucketAcl, GetObjectAcl)", async () => {
    const owner = { ID: ALICE.accessKeyId, DisplayName: 'Alice' };
    expect((await alice.send(new ListObjectsCommand({ Bucket: 'alices' }))).Contents?.[0]?.Owner).toEqual(owner);
    expect((await alice.send(new ListObjectsV2Command({ Bucket: 'alices', FetchOwner: true }))).Contents?.[0]?.Owner).toEqual(owner);
    const acl = await alice.send(new GetBucketAclCommand({ Bucket: 'alices' }));
    expect(acl.Owner).toEqual(owner);
    expect(acl.Grants?.[0]?.Grantee).toMatchObject(owner);
    expect((await alice.send(new GetObjectAclCommand({ Bucket: 'alices', Key: 'diary' }))).Owner).toEqual(owner);
  });

  it("another user's bucket is refused with 403 AccessDenied, whatever the operation", async () => {
    await expectS3Error(bob.send(new GetObjectCommand({ Bucket: 'alices', Key: 'diary' })), 'AccessDenied', 403);
    await expectS3Error(bob.send(new GetObjectCommand({ Bucket: 'alices', Key: 'missing' })), 'AccessDenied', 403);
    await expectS3Error(bob.send(new PutObjectCommand({ Bucket: 'alices', Key: 'graffiti', Body: 'x' })), 'AccessDenied', 403);
    await expectS3Error(bob.send(new ListObjectsV2Command({ Bucket: 'alices' })), 'AccessDenied', 403);
    await expect(bob.send(new HeadBucketCommand({ Bucket: 'alices' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } }); // HEAD: no body
    await expectS3Error(bob.send(new DeleteObjectsCommand({ Bucket: 'alices', Delete: { Objects: [{ Key: 'diary' }] } })), 'AccessDenied', 403);
    await expectS3Error(bob.send(new DeleteBucketCommand({ Bucket: 'alices' })), 'AccessDenied', 403);
    // Reading through a copy into his own bucket is the same read.
    await expectS3Error(bob.send(new CopyObjectCommand({ Bucket: 'bobs', Key: 'stolen', CopySource: 'alices/diary' })), 'AccessDenied', 403);
    // Writing into someone else's bucket through a copy of one's own object is the same write.
    await bob.send(new PutObjectCommand({ Bucket: 'bobs', Key: 'mine', Body: 'b' }));
    await expectS3Error(bob.send(new CopyObjectCommand({ Bucket: 'alices', Key: 'mine', CopySource: 'bobs/mine' })), 'AccessDenied', 403);
    // A name another user holds: BucketAlreadyExists (409), as S3 tells other accounts; the owner's
    // re-create is S3's us-east-1 legacy 200 (nothing changes).
    await expectS3Error(bob.send(new CreateBucketCommand({ Bucket: 'alices' })), 'BucketAlreadyExists', 409);
    await alice.send(new CreateBucketCommand({ Bucket: 'alices' }));
    expect(await (await alice.send(new GetObjectCommand({ Bucket: 'alices', Key: 'diary' }))).Body!.transformToString()).toBe('dear diary');
  });

  it('a bucket policy naming the user grants exactly what it allows', async () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::123456789012:user/${BOB.accessKeyId}` }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::alices/*' }],
    };
    await alice.send(new PutBucketPolicyCommand({ Bucket: 'alices', Policy: JSON.stringify(policy) }));
    expect(await (await bob.send(new GetObjectCommand({ Bucket: 'alices', Key: 'diary' }))).Body!.transformToString()).toBe('dear diary');
    await bob.send(new CopyObjectCommand({ Bucket: 'bobs', Key: 'copied', CopySource: 'alices/diary' }));
    // No s3:ListBucket grant: a missing key is AccessDenied, not NoSuchKey.
    await expectS3Error(bob.send(new GetObjectCommand({ Bucket: 'alices', Key: 'missing' })), 'AccessDenied', 403);
    await expectS3Error(bob.send(new PutObjectCommand({ Bucket: 'alices', Key: 'graffiti', Body: 'x' })), 'AccessDenied', 403);
    await expectS3Error(bob.send(new ListObjectsV2Command({ Bucket: 'alices' })), 'AccessDenied', 403);
    await expectS3Error(bob.send(new PutBucketPolicyCommand({ Bucket: 'alices', Policy: JSON.stringify(policy) })), 'AccessDenied', 403);
  });

  it('root, the administrator, reaches every bucket', async () => {
    await root.send(new PutObjectCommand({ Bucket: 'bobs', Key: 'from-root', Body: 'r' }));
    expect((await root.send(new ListObjectsV2Command({ Bucket: 'alices' }))).Contents?.map((o) => o.Key)).toEqual(['diary']);
  });
});
