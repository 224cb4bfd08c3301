// S3 ACLs stored and enforced, through the real server and AWS SDK v3: two users from an identities
// file (alice owns the buckets, bob is "another account"), root the administrator, and anonymous
// callers (unsigned SDK requests and plain fetch). The checklist is ceph/s3-tests' ACL tests.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketOwnershipControlsCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectAclCommand,
  PutObjectTaggingCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type Grant,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/server-clients.js';
import { expectS3Error } from '../helpers/s3-suite.js';

const ALICE = { accessKeyId: 'alice-key', secretAccessKey: 'alice-secret-0123456789', displayName: 'Alice' };
const BOB = { accessKeyId: 'bob-key', secretAccessKey: 'bob-secret-0123456789', displayName: 'Bob', email: 'Bob@example.com' };
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

let dir: string;
let t: TestServer;
let root: S3Client;
let alice: S3Client;
let bob: S3Client;
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

async function start(): Promise<void> {
  const file = path.join(dir, 'identities.json');
  t = await startTestServer({ flags: { 'identities-file': file }, dataDir: path.join(dir, 'data') });
  root = sdkClient(t);
  alice = sdkClient(t, ALICE);
  bob = sdkClient(t, BOB);
  anon = anonymousClient(t);
}

async function stop(): Promise<void> {
  for (const c of [root, alice, bob, anon]) c?.destroy();
  await t?.stop();
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-acl-'));
  await fs.writeFile(path.join(dir, 'identities.json'), JSON.stringify([ALICE, BOB]));
  await fs.mkdir(path.join(dir, 'data'));
  await start();
});
afterAll(async () => {
  await stop();
  await fs.rm(dir, { recursive: true, force: true });
});

let n = 0;
async function bucket(opts: { acl?: 'private' | 'public-read' | 'public-read-write' | 'authenticated-read'; ownership?: 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter' } = {}): Promise<string> {
  const name = `acl-${++n}`;
  await alice.send(new CreateBucketCommand({ Bucket: name, ...(opts.acl ? { ACL: opts.acl } : {}), ...(opts.ownership ? { ObjectOwnership: opts.ownership } : {}) }));
  return name;
}

async function read(c: S3Client, b: string, key: string): Promise<string> {
  return (await c.send(new GetObjectCommand({ Bucket: b, Key: key }))).Body!.transformToString();
}

/** Grants as comparable strings: "FULL_CONTROL alice-key (Alice)", "READ AllUsers". */
function grants(list: Grant[] | undefined): string[] {
  return (list ?? []).map((g) => {
    const who = g.Grantee?.Type === 'Group' ? g.Grantee.URI!.split('/').pop()! : `${g.Grantee?.ID} (${g.Grantee?.DisplayName})`;
    return `${g.Permission} ${who}`;
  });
}

describe('canned ACLs: stored, returned, enforced', () => {
  it('default: owner FULL_CONTROL in AWS shape (owner id = access key id, display name), others refused', async () => {
    const b = await bucket();
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v' }));
    const bacl = await alice.send(new GetBucketAclCommand({ Bucket: b }));
    expect(bacl.Owner).toEqual({ ID: ALICE.accessKeyId, DisplayName: 'Alice' });
    expect(grants(bacl.Grants)).toEqual(['FULL_CONTROL alice-key (Alice)']);
    expect(bacl.Grants?.[0]?.Grantee?.Type).toBe('CanonicalUser');
    expect(grants((await alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'k' }))).Grants)).toEqual(['FULL_CONTROL alice-key (Alice)']);
    await expectS3Error(bob.send(new GetObjectCommand({ Bucket: b, Key: 'k' })), 'AccessDenied', 403);
    await expectS3Error(anon.send(new GetObjectCommand({ Bucket: b, Key: 'k' })), 'AccessDenied', 403);
    await expectS3Error(bob.send(new GetObjectAclCommand({ Bucket: b, Key: 'k' })), 'AccessDenied', 403);
    await expectS3Error(bob.send(new GetBucketAclCommand({ Bucket: b })), 'AccessDenied', 403);
    // The raw XML carries the xsi:type attribute clients parse.
    const xml = await (await fetch(`${t.endpoint}/${b}?acl`, { headers: {} })).text();
    expect(xml).toContain('<Code>AccessDenied</Code>');
  });

  it('public-read object: anyone reads it (SDK unsigned, plain fetch, another user); nobody else writes or lists', async () => {
    const b = await bucket();
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'pub', Body: 'hello', ACL: 'public-read' }));
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'priv', Body: 'secret' }));
    expect(grants((await alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'pub' }))).Grants)).toEqual(['READ AllUsers', 'FULL_CONTROL alice-key (Alice)']);
    expect(await read(anon, b, 'pub')).toBe('hello');
    expect(await read(bob, b, 'pub')).toBe('hello');
    const r = await fetch(`${t.endpoint}/${b}/pub`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('hello');
    expect((await anon.send(new HeadObjectCommand({ Bucket: b, Key: 'pub' }))).ContentLength).toBe(5);
    expect((await fetch(`${t.endpoint}/${b}/priv`)).status).toBe(403);
    // A missing key is AccessDenied to whoever may not list the bucket: nothing about keys leaks.
    expect((await fetch(`${t.endpoint}/${b}/missing`)).status).toBe(403);
    await expectS3Error(anon.send(new ListObjectsV2Command({ Bucket: b })), 'AccessDenied', 403);
    await expectS3Error(anon.send(new PutObjectCommand({ Bucket: b, Key: 'pub', Body: 'x' })), 'AccessDenied', 403);
    await expectS3Error(bob.send(new DeleteObjectCommand({ Bucket: b, Key: 'pub' })), 'AccessDenied', 403);
    // READ is not READ_ACP.
    await expectS3Error(anon.send(new GetObjectAclCommand({ Bucket: b, Key: 'pub' })), 'AccessDenied', 403);
    // Changing tags rewrites the version's record over the same layout: the ACL stays.
    await alice.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'pub', Tagging: { TagSet: [{ Key: 't', Value: '1' }] } }));
    expect((await fetch(`${t.endpoint}/${b}/pub`)).status).toBe(200);
    expect((await anon.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'pub', ObjectAttributes: ['ObjectSize'] }))).ObjectSize).toBe(5);
    // A copy onto itself takes the request's ACL (none: private), as S3.
    await alice.send(new CopyObjectCommand({ Bucket: b, Key: 'pub', CopySource: `${b}/pub`, MetadataDirective: 'REPLACE' }));
    expect((await fetch(`${t.endpoint}/${b}/pub`)).status).toBe(403);
    await alice.send(new PutObjectAclCommand({ Bucket: b, Key: 'pub', ACL: 'public-read' }));
    // An overwrite without an ACL is private again, as S3.
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'pub', Body: 'v2' }));
    expect((await fetch(`${t.endpoint}/${b}/pub`)).status).toBe(403);
  });

  it('public-read bucket: anyone lists it (a missing key is then NoSuchKey); objects stay private', async () => {
    const b = await bucket({ acl: 'public-read' });
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v' }));
    expect(grants((await alice.send(new GetBucketAclCommand({ Bucket: b }))).Grants)).toEqual(['READ AllUsers', 'FULL_CONTROL alice-key (Alice)']);
    expect((await anon.send(new ListObjectsV2Command({ Bucket: b }))).Contents?.map((o) => o.Key)).toEqual(['k']);
    expect((await fetch(`${t.endpoint}/${b}?list-type=2`)).status).toBe(200);
    await expectS3Error(anon.send(new GetObjectCommand({ Bucket: b, Key: 'k' })), 'AccessDenied', 403);
    await expectS3Error(anon.send(new GetObjectCommand({ Bucket: b, Key: 'missing' })), 'NoSuchKey', 404);
    await expectS3Error(anon.send(new PutObjectCommand({ Bucket: b, Key: 'x', Body: 'x' })), 'AccessDenied', 403);
  });

  it('public-read-write bucket: anyone writes and deletes; a writer owns its object (ObjectWriter)', async () => {
    const b = await bucket({ acl: 'public-read-write' });
    await anon.send(new PutObjectCommand({ Bucket: b, Key: 'from-anon', Body: 'a' }));
    await bob.send(new PutObjectCommand({ Bucket: b, Key: 'from-bob', Body: 'b' }));
    // Anonymous writes have no owner to record: the bucket owner owns them.
    expect(await read(alice, b, 'from-anon')).toBe('a');
    const acl = await bob.send(new GetObjectAclCommand({ Bucket: b, Key: 'from-bob' }));
    expect(acl.Owner?.ID).toBe(BOB.accessKeyId);
    // AWS's ObjectWriter rule: the bucket owner cannot read an object another account owns privately…
    await expectS3Error(alice.send(new GetObjectCommand({ Bucket: b, Key: 'from-bob' })), 'AccessDenied', 403);
    await expectS3Error(alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'from-bob' })), 'AccessDenied', 403);
    // …until the writer grants it; bucket-owner-read / -full-control name the bucket owner.
    await bob.send(new PutObjectCommand({ Bucket: b, Key: 'for-alice', Body: 'c', ACL: 'bucket-owner-read' }));
    expect(grants((await bob.send(new GetObjectAclCommand({ Bucket: b, Key: 'for-alice' }))).Grants)).toEqual(['FULL_CONTROL bob-key (Bob)', 'READ alice-key (Alice)']);
    expect(await read(alice, b, 'for-alice')).toBe('c');
    await bob.send(new PutObjectAclCommand({ Bucket: b, Key: 'from-bob', ACL: 'bucket-owner-full-control' }));
    expect(await read(alice, b, 'from-bob')).toBe('b');
    // Deleting is a bucket permission: the bucket owner and WRITE grantees may, whoever owns the object.
    await alice.send(new DeleteObjectCommand({ Bucket: b, Key: 'for-alice' }));
    await anon.send(new DeleteObjectCommand({ Bucket: b, Key: 'from-anon' }));
    // Root, the administrator, reads everything, and writes on the bucket owner's behalf.
    await root.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'x' }));
    expect(await read(root, b, 'from-bob')).toBe('b');
    expect(await read(alice, b, 'k')).toBe('x');
    // Listings name each object's owner.
    const listed = await alice.send(new ListObjectsV2Command({ Bucket: b, FetchOwner: true }));
    expect(Object.fromEntries((listed.Contents ?? []).map((o) => [o.Key, o.Owner?.ID]))).toEqual({ 'from-bob': BOB.accessKeyId, k: ALICE.accessKeyId });
  });

  it('authenticated-read: any signed identity reads, anonymous does not', async () => {
    const b = await bucket();
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v', ACL: 'authenticated-read' }));
    expect(grants((await alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'k' }))).Grants)).toEqual(['READ AuthenticatedUsers', 'FULL_CONTROL alice-key (Alice)']);
    expect(await read(bob, b, 'k')).toBe('v');
    await expectS3Error(anon.send(new GetObjectCommand({ Bucket: b, Key: 'k' })), 'AccessDenied', 403);
  });

  it('CopyObject takes the ACL of the request, never the source\'s; CreateMultipartUpload keeps it for Complete', async () => {
    const b = await bucket();
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'src', Body: 'data', ACL: 'public-read' }));
    await alice.send(new CopyObjectCommand({ Bucket: b, Key: 'copy-private', CopySource: `${b}/src` }));
    await alice.send(new CopyObjectCommand({ Bucket: b, Key: 'copy-public', CopySource: `${b}/src`, ACL: 'public-read' }));
    expect((await fetch(`${t.endpoint}/${b}/copy-private`)).status).toBe(403);
    expect((await fetch(`${t.endpoint}/${b}/copy-public`)).status).toBe(200);
    // bob may read the public source but not write into alice's bucket.
    await expectS3Error(bob.send(new CopyObjectCommand({ Bucket: b, Key: 'stolen', CopySource: `${b}/src` })), 'AccessDenied', 403);

    const up = await alice.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mpu', ACL: 'public-read' }));
    const part = await alice.send(new UploadPartCommand({ Bucket: b, Key: 'mpu', UploadId: up.UploadId!, PartNumber: 1, Body: 'parts' }));
    await alice.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'mpu', UploadId: up.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] } }));
    expect(await (await fetch(`${t.endpoint}/${b}/mpu`)).text()).toBe('parts');
    expect(grants((await alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'mpu' }))).Grants)).toEqual(['READ AllUsers', 'FULL_CONTROL alice-key (Alice)']);
  });

  it('POST Object: the form\'s acl field', async () => {
    const b = await bucket();
    const { url, fields } = await createPresignedPost(alice, { Bucket: b, Key: 'posted', Fields: { acl: 'public-read' }, Conditions: [{ acl: 'public-read' }] });
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob(['form data']), 'f.txt');
    expect((await fetch(url, { method: 'POST', body: form })).status).toBe(204);
    expect(await (await fetch(`${t.endpoint}/${b}/posted`)).text()).toBe('form data');
    // An anonymous form (no credential fields): only a public-write bucket takes it.
    const anonForm = (key: string): FormData => {
      const f = new FormData();
      f.append('key', key);
      f.append('acl', 'public-read');
      f.append('file', new Blob(['anon data']), 'f.txt');
      return f;
    };
    expect((await fetch(url, { method: 'POST', body: anonForm('anon') })).status).toBe(403);
    const open = await bucket({ acl: 'public-read-write' });
    expect((await fetch(`${t.endpoint}/${open}`, { method: 'POST', body: anonForm('anon') })).status).toBe(204);
    expect(await (await fetch(`${t.endpoint}/${open}/anon`)).text()).toBe('anon data');
  });
});

describe('grants: headers and the AccessControlPolicy body', () => {
  it('x-amz-grant-* on PutObject and PutBucketAcl name users by canonical id and groups by URI', async () => {
    const b = await bucket();
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v', GrantRead: `id="${BOB.accessKeyId}"`, GrantFullControl: `id="${ALICE.accessKeyId}"` }));
    expect(grants((await alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'k' }))).Grants)).toEqual(['READ bob-key (Bob)', 'FULL_CONTROL alice-key (Alice)']);
    expect(await read(bob, b, 'k')).toBe('v');
    await expectS3Error(anon.send(new GetObjectCommand({ Bucket: b, Key: 'k' })), 'AccessDenied', 403);
    await alice.send(new PutBucketAclCommand({ Bucket: b, GrantRead: `uri="${AUTH_USERS}"`, GrantWriteACP: `id="${BOB.accessKeyId}"`, GrantFullControl: `id="${ALICE.accessKeyId}"` }));
    expect((await bob.send(new ListObjectsV2Command({ Bucket: b }))).KeyCount).toBe(1);
    // WRITE_ACP on the bucket lets bob change the bucket ACL (here: make it public-read), not read it.
    await expectS3Error(bob.send(new GetBucketAclCommand({ Bucket: b })), 'AccessDenied', 403);
    await bob.send(new PutBucketAclCommand({ Bucket: b, ACL: 'public-read' }));
    expect((await anon.send(new ListObjectsV2Command({ Bucket: b }))).KeyCount).toBe(1);
    // …and the owner stays the owner.
    expect((await alice.send(new GetBucketAclCommand({ Bucket: b }))).Owner?.ID).toBe(ALICE.accessKeyId);
  });

  it('an AccessControlPolicy body round-trips (what Get returns, Put accepts); READ_ACP is not READ', async () => {
    const b = await bucket();
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v' }));
    const got = await alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'k' }));
    const policy = {
      Owner: got.Owner!,
      Grants: [...got.Grants!, { Grantee: { Type: 'CanonicalUser' as const, ID: BOB.accessKeyId }, Permission: 'READ_ACP' as const }, { Grantee: { Type: 'Group' as const, URI: ALL_USERS }, Permission: 'WRITE_ACP' as const }],
    };
    await alice.send(new PutObjectAclCommand({ Bucket: b, Key: 'k', AccessControlPolicy: policy }));
    expect(grants((await bob.send(new GetObjectAclCommand({ Bucket: b, Key: 'k' }))).Grants)).toEqual(['FULL_CONTROL alice-key (Alice)', 'READ_ACP bob-key (Bob)', 'WRITE_ACP AllUsers']);
    await expectS3Error(bob.send(new GetObjectCommand({ Bucket: b, Key: 'k' })), 'AccessDenied', 403);
    // WRITE_ACP to AllUsers: anyone may rewrite the ACL (that is what it means), e.g. make it public.
    const r = await fetch(`${t.endpoint}/${b}/k?acl`, { method: 'PUT', headers: { 'x-amz-acl': 'public-read' } });
    expect(r.status).toBe(200);
    expect(await read(anon, b, 'k')).toBe('v');
    // Data, ETag and Last-Modified are unchanged by an ACL change.
    const head = await alice.send(new HeadObjectCommand({ Bucket: b, Key: 'k' }));
    expect(head.ContentLength).toBe(1);
  });

  it('an e-mail grantee resolves to the identity with that address (case-insensitive), listed as a canonical user', async () => {
    const b = await bucket();
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v' }));
    const got = await alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'k' }));
    await alice.send(new PutObjectAclCommand({ Bucket: b, Key: 'k', AccessControlPolicy: { Owner: got.Owner!, Grants: [...got.Grants!, { Grantee: { Type: 'AmazonCustomerByEmail', EmailAddress: 'bob@EXAMPLE.com' }, Permission: 'READ' }] } }));
    expect(grants((await alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'k' }))).Grants)).toEqual(['FULL_CONTROL alice-key (Alice)', 'READ bob-key (Bob)']);
    expect(await read(bob, b, 'k')).toBe('v');
    await alice.send(new PutBucketAclCommand({ Bucket: b, GrantRead: 'emailAddress="bob@example.com"' }));
    expect((await bob.send(new ListObjectsV2Command({ Bucket: b }))).KeyCount).toBe(1);
  });

  it('a versioned bucket: each version has its own ACL; anonymous reads of a version need that version\'s READ', async () => {
    const b = await bucket();
    await alice.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Enabled' } }));
    const v1 = (await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'one', ACL: 'public-read' }))).VersionId!;
    const v2 = (await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'two' }))).VersionId!;
    expect((await fetch(`${t.endpoint}/${b}/k?versionId=${v1}`)).status).toBe(200);
    expect((await fetch(`${t.endpoint}/${b}/k?versionId=${v2}`)).status).toBe(403);
    expect((await fetch(`${t.endpoint}/${b}/k`)).status).toBe(403);
    const put = await alice.send(new PutObjectAclCommand({ Bucket: b, Key: 'k', VersionId: v2, ACL: 'public-read' }));
    expect(put.$metadata.httpStatusCode).toBe(200);
    expect(await (await fetch(`${t.endpoint}/${b}/k`)).text()).toBe('two');
    const acl = await alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'k', VersionId: v1 }));
    expect(grants(acl.Grants)).toEqual(['READ AllUsers', 'FULL_CONTROL alice-key (Alice)']);
  });

  it('a public-write versioned bucket: others may add delete markers, only the owner deletes a version for good', async () => {
    const b = await bucket({ acl: 'public-read-write' });
    await alice.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Enabled' } }));
    const v1 = (await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'one' }))).VersionId!;
    await expectS3Error(bob.send(new DeleteObjectCommand({ Bucket: b, Key: 'k', VersionId: v1 })), 'AccessDenied', 403);
    const batch = await bob.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: 'k', VersionId: v1 }] } }));
    expect(batch.Errors?.map((e) => e.Code)).toEqual(['AccessDenied']);
    const marker = await bob.send(new DeleteObjectCommand({ Bucket: b, Key: 'k' }));
    expect(marker.DeleteMarker).toBe(true);
    await alice.send(new DeleteObjectCommand({ Bucket: b, Key: 'k', VersionId: v1 }));
  });

  it('?versionId addresses one version ("null" on an unversioned bucket)', async () => {
    const b = await bucket();
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v' }));
    await alice.send(new PutObjectAclCommand({ Bucket: b, Key: 'k', VersionId: 'null', ACL: 'public-read' }));
    expect(grants((await alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'k', VersionId: 'null' }))).Grants)).toEqual(['READ AllUsers', 'FULL_CONTROL alice-key (Alice)']);
    await expectS3Error(alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'k', VersionId: '0000000000000001' })), 'NoSuchVersion', 404);
    await expectS3Error(alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'missing' })), 'NoSuchKey', 404);
  });

  it('refusals as S3 answers them', async () => {
    const b = await bucket();
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v' }));
    await expectS3Error(alice.send(new PutObjectAclCommand({ Bucket: b, Key: 'k', GrantRead: 'id="nobody-here"' })), 'InvalidArgument', 400);
    await expectS3Error(alice.send(new PutObjectAclCommand({ Bucket: b, Key: 'k', GrantRead: 'emailAddress="nobody@example.com"' })), 'UnresolvableGrantByEmailAddress', 400);
    await expectS3Error(alice.send(new PutObjectAclCommand({ Bucket: b, Key: 'k', GrantRead: 'uri="http://acs.amazonaws.com/groups/global/Everybody"' })), 'InvalidArgument', 400);
    await expectS3Error(alice.send(new PutObjectAclCommand({ Bucket: b, Key: 'k', ACL: 'public-read', GrantRead: `id="${BOB.accessKeyId}"` })), 'InvalidRequest', 400);
    await expectS3Error(alice.send(new PutObjectCommand({ Bucket: b, Key: 'new', Body: 'v', GrantRead: 'id="nobody-here"' })), 'InvalidArgument', 400);
    const put = (body: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${t.endpoint}/${b}/k?acl`, { method: 'PUT', headers, body });
    // Unsigned: bob-style anonymous callers are refused before the body matters.
    expect((await put('<AccessControlPolicy/>')).status).toBe(403);
    // A body with a header → UnexpectedContent; malformed bodies → MalformedACLError (signed with the SDK's middleware).
    const withBody = async (xml: string, extra: Record<string, string> = {}): Promise<unknown> => {
      const cmd = new PutObjectAclCommand({ Bucket: b, Key: 'k', ...('acl' in extra ? { ACL: 'private' } : {}) });
      cmd.middlewareStack.add((next) => async (args) => {
        (args.request as { body: string }).body = xml;
        return next(args);
      }, { step: 'build' });
      return alice.send(cmd);
    };
    await expectS3Error(withBody('<AccessControlPolicy><Owner><ID>alice-key</ID></Owner><AccessControlList/></AccessControlPolicy>', { acl: '1' }), 'UnexpectedContent', 400);
    await expectS3Error(withBody('<NotAnAcl/>'), 'MalformedACLError', 400);
    await expectS3Error(withBody('<AccessControlPolicy><Owner><ID>alice-key</ID></Owner><AccessControlList><Grant><Grantee><ID>bob-key</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>'), 'MalformedACLError', 400);
    await expectS3Error(withBody('<AccessControlPolicy><Owner><ID>alice-key</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>bob-key</ID></Grantee><Permission>EVERYTHING</Permission></Grant></AccessControlList></AccessControlPolicy>'), 'MalformedACLError', 400);
    const many = Array.from({ length: 101 }, () => `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>bob-key</ID></Grantee><Permission>READ</Permission></Grant>`).join('');
    await expectS3Error(withBody(`<AccessControlPolicy><Owner><ID>alice-key</ID></Owner><AccessControlList>${many}</AccessControlList></AccessControlPolicy>`), 'MalformedACLError', 400);
    // The owner is not transferable by ACL.
    await expectS3Error(withBody('<AccessControlPolicy><Owner><ID>bob-key</ID></Owner><AccessControlList/></AccessControlPolicy>'), 'AccessDenied', 403);
    await expectS3Error(alice.send(new PutObjectCommand({ Bucket: b, Key: 'x', Body: 'v', ACL: 'no-such-acl' as 'private' })), 'InvalidArgument', 400);
    // Nothing was stored by any of these.
    expect(grants((await alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'k' }))).Grants)).toEqual(['FULL_CONTROL alice-key (Alice)']);
  });
});

describe('Object Ownership', () => {
  it('a new bucket has no controls (ACLs enabled, ObjectWriter); Put / Get / Delete the three modes', async () => {
    const b = await bucket();
    await expectS3Error(alice.send(new GetBucketOwnershipControlsCommand({ Bucket: b })), 'OwnershipControlsNotFoundError', 404);
    for (const o of ['ObjectWriter', 'BucketOwnerPreferred', 'BucketOwnerEnforced'] as const) {
      await alice.send(new PutBucketOwnershipControlsCommand({ Bucket: b, OwnershipControls: { Rules: [{ ObjectOwnership: o }] } }));
      expect((await alice.send(new GetBucketOwnershipControlsCommand({ Bucket: b }))).OwnershipControls?.Rules).toEqual([{ ObjectOwnership: o }]);
    }
    await alice.send(new DeleteBucketOwnershipControlsCommand({ Bucket: b }));
    await expectS3Error(alice.send(new GetBucketOwnershipControlsCommand({ Bucket: b })), 'OwnershipControlsNotFoundError', 404);
    await expectS3Error(bob.send(new PutBucketOwnershipControlsCommand({ Bucket: b, OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } })), 'AccessDenied', 403);
  });

  it('BucketOwnerEnforced: ACLs disabled — only owner-full-control ACLs are accepted, public ones refused', async () => {
    const b = await bucket({ ownership: 'BucketOwnerEnforced' });
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v', ACL: 'bucket-owner-full-control' }));
    await expectS3Error(alice.send(new PutObjectCommand({ Bucket: b, Key: 'p', Body: 'v', ACL: 'public-read' })), 'AccessControlListNotSupported', 400);
    await expectS3Error(alice.send(new PutObjectCommand({ Bucket: b, Key: 'p', Body: 'v', GrantRead: `id="${BOB.accessKeyId}"` })), 'AccessControlListNotSupported', 400);
    await expectS3Error(alice.send(new PutBucketAclCommand({ Bucket: b, ACL: 'public-read' })), 'AccessControlListNotSupported', 400);
    await expectS3Error(alice.send(new PutObjectAclCommand({ Bucket: b, Key: 'k', ACL: 'public-read' })), 'AccessControlListNotSupported', 400);
    await alice.send(new PutObjectAclCommand({ Bucket: b, Key: 'k', ACL: 'private' }));
    expect(grants((await alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'k' }))).Grants)).toEqual(['FULL_CONTROL alice-key (Alice)']);
    await expectS3Error(alice.send(new CreateBucketCommand({ Bucket: 'acl-enforced-public', ACL: 'public-read', ObjectOwnership: 'BucketOwnerEnforced' })), 'InvalidBucketAclWithObjectOwnership', 400);
    await expectS3Error(alice.send(new CreateBucketCommand({ Bucket: 'acl-bad-ownership', ObjectOwnership: 'Everyone' as 'ObjectWriter' })), 'InvalidArgument', 400);
  });

  it('enforcing on a bucket whose ACL grants others is refused; enforcing makes object ACLs stop counting', async () => {
    const b = await bucket({ acl: 'public-read' });
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v', ACL: 'public-read' }));
    const enforce = new PutBucketOwnershipControlsCommand({ Bucket: b, OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
    await expectS3Error(alice.send(enforce), 'InvalidBucketAclWithObjectOwnership', 400);
    await alice.send(new PutBucketAclCommand({ Bucket: b, ACL: 'private' }));
    await alice.send(enforce);
    expect((await fetch(`${t.endpoint}/${b}/k`)).status).toBe(403);
    await alice.send(new DeleteBucketOwnershipControlsCommand({ Bucket: b }));
    expect((await fetch(`${t.endpoint}/${b}/k`)).status).toBe(200);
  });

  it('BucketOwnerPreferred: a write with bucket-owner-full-control is the bucket owner\'s, others the writer\'s', async () => {
    const b = await bucket({ acl: 'public-read-write', ownership: 'BucketOwnerPreferred' });
    await bob.send(new PutObjectCommand({ Bucket: b, Key: 'given', Body: 'g', ACL: 'bucket-owner-full-control' }));
    await bob.send(new PutObjectCommand({ Bucket: b, Key: 'kept', Body: 'k' }));
    expect((await alice.send(new GetObjectAclCommand({ Bucket: b, Key: 'given' }))).Owner?.ID).toBe(ALICE.accessKeyId);
    expect((await bob.send(new GetObjectAclCommand({ Bucket: b, Key: 'kept' }))).Owner?.ID).toBe(BOB.accessKeyId);
    expect(await read(alice, b, 'given')).toBe('g');
    await expectS3Error(alice.send(new GetObjectCommand({ Bucket: b, Key: 'kept' })), 'AccessDenied', 403);
  });
});

describe('with a bucket policy, and across a restart', () => {
  it('a policy Deny beats a public-read ACL; a policy Allow grants without an ACL', async () => {
    const b = await bucket();
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'open/k', Body: 'v', ACL: 'public-read' }));
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'closed/k', Body: 'v', ACL: 'public-read' }));
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'policy/k', Body: 'v' }));
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${b}/closed/*` },
        { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${b}/policy/*` },
      ],
    };
    await alice.send(new PutBucketPolicyCommand({ Bucket: b, Policy: JSON.stringify(policy) }));
    expect((await fetch(`${t.endpoint}/${b}/open/k`)).status).toBe(200);
    expect((await fetch(`${t.endpoint}/${b}/closed/k`)).status).toBe(403);
    expect((await fetch(`${t.endpoint}/${b}/policy/k`)).status).toBe(200);
  });

  it('bucket and object ACLs and the ownership mode survive a restart', async () => {
    const b = await bucket({ acl: 'public-read', ownership: 'BucketOwnerPreferred' });
    await alice.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v', ACL: 'public-read' }));
    // Same data directory (ours, not the helper's temp dir): stop the node, start it again.
    await stop();
    await start();
    expect((await fetch(`${t.endpoint}/${b}/k`)).status).toBe(200);
    expect((await anon.send(new ListObjectsV2Command({ Bucket: b }))).KeyCount).toBe(1);
    expect((await alice.send(new GetBucketOwnershipControlsCommand({ Bucket: b }))).OwnershipControls?.Rules?.[0]?.ObjectOwnership).toBe('BucketOwnerPreferred');
  });
});
