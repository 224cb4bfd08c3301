// ACLs are disabled (Object Ownership "bucket owner enforced", AWS's default): asking for any other ACL
// is a clear 400, never a silently private object. Real server, AWS SDK v3.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketAclCommand,
  GetObjectAclCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketAclCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  S3Client,
  type BucketCannedACL,
  type Grant,
  type ObjectCannedACL,
} from '@aws-sdk/client-s3';
import type { TestServer } from '../helpers/server.js';
import { expectS3Error, startS3Suite, stopS3Suite } from '../helpers/s3-suite.js';

let t: TestServer;
let s3: S3Client;
const B = 'acl-bucket';

beforeAll(async () => ({ t, s3 } = await startS3Suite([B])));
afterAll(() => stopS3Suite(t, s3));

async function exists(key: string): Promise<boolean> {
  return s3.send(new HeadObjectCommand({ Bucket: B, Key: key })).then(
    () => true,
    () => false,
  );
}

describe('object ACLs on writes', () => {
  it('private and bucket-owner-full-control are accepted (the owner has full control either way)', async () => {
    for (const acl of ['private', 'bucket-owner-full-control'] as ObjectCannedACL[]) {
      await s3.send(new PutObjectCommand({ Bucket: B, Key: `ok-${acl}`, Body: 'x', ACL: acl }));
      expect(await exists(`ok-${acl}`)).toBe(true);
    }
    const acl = await s3.send(new GetObjectAclCommand({ Bucket: B, Key: 'ok-private' }));
    expect(acl.Grants?.map((g) => g.Permission)).toEqual(['FULL_CONTROL']);
  });

  it('any other canned ACL or a grant header → 400 AccessControlListNotSupported, nothing stored', async () => {
    for (const acl of ['public-read', 'public-read-write', 'authenticated-read'] as ObjectCannedACL[]) {
      await expectS3Error(s3.send(new PutObjectCommand({ Bucket: B, Key: `no-${acl}`, Body: 'x', ACL: acl })), 'AccessControlListNotSupported', 400);
      expect(await exists(`no-${acl}`)).toBe(false);
    }
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: B, Key: 'no-grant', Body: 'x', GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' })), 'AccessControlListNotSupported', 400);
    expect(await exists('no-grant')).toBe(false);
  });

  it('CopyObject and CreateMultipartUpload check the same way; an unknown canned ACL is InvalidArgument', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'src', Body: 'x' }));
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dst', CopySource: `${B}/src`, ACL: 'public-read' })), 'AccessControlListNotSupported', 400);
    await expectS3Error(s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mpu', ACL: 'public-read' })), 'AccessControlListNotSupported', 400);
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: B, Key: 'weird', Body: 'x', ACL: 'everyone-welcome' as ObjectCannedACL })), 'InvalidArgument', 400);
  });
});

describe('bucket ACLs on CreateBucket', () => {
  it('private is accepted; anything else → 400 InvalidBucketAclWithObjectOwnership, no bucket', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'acl-private', ACL: 'private' }));
    await s3.send(new HeadBucketCommand({ Bucket: 'acl-private' }));
    await expectS3Error(s3.send(new CreateBucketCommand({ Bucket: 'acl-public', ACL: 'public-read' })), 'InvalidBucketAclWithObjectOwnership', 400);
    await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: 'acl-public' })), 'NotFound', 404);
  });
});

describe('PutBucketAcl / PutObjectAcl', () => {
  const OWNER = (): { ID: string; DisplayName: string } => ({ ID: t.accessKeyId, DisplayName: t.accessKeyId });
  const ownerFull = (): { Owner: { ID: string; DisplayName: string }; Grants: Grant[] } => ({
    Owner: OWNER(),
    Grants: [{ Grantee: { ID: t.accessKeyId, Type: 'CanonicalUser' }, Permission: 'FULL_CONTROL' }],
  });

  it('the owner-full-control ACL (canned private / bucket-owner-full-control, or the same as XML) succeeds and changes nothing', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'acl-target', Body: 'x' }));
    for (const ACL of ['private', 'bucket-owner-full-control'] as const) {
      expect((await s3.send(new PutBucketAclCommand({ Bucket: B, ACL }))).$metadata.httpStatusCode).toBe(200);
      expect((await s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'acl-target', ACL }))).$metadata.httpStatusCode).toBe(200);
    }
    await s3.send(new PutBucketAclCommand({ Bucket: B, AccessControlPolicy: ownerFull() }));
    await s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'acl-target', AccessControlPolicy: ownerFull() }));
    const got = await s3.send(new GetBucketAclCommand({ Bucket: B }));
    expect(got.Grants?.map((g) => [g.Grantee?.ID, g.Permission])).toEqual([[t.accessKeyId, 'FULL_CONTROL']]);
  });

  it('any other ACL → 400 AccessControlListNotSupported, as AWS answers a bucket owner enforced bucket', async () => {
    await expectS3Error(s3.send(new PutBucketAclCommand({ Bucket: B, ACL: 'public-read' })), 'AccessControlListNotSupported', 400);
    await expectS3Error(s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'acl-target', ACL: 'public-read-write' })), 'AccessControlListNotSupported', 400);
    await expectS3Error(s3.send(new PutBucketAclCommand({ Bucket: B, GrantRead: 'uri=http://acs.amazonaws.com/groups/global/AllUsers' })), 'AccessControlListNotSupported', 400);
    const cases: Grant[][] = [
      [], // no grants at all
      [{ Grantee: { ID: t.accessKeyId, Type: 'CanonicalUser' }, Permission: 'READ' }],
      [...ownerFull().Grants, { Grantee: { URI: 'http://acs.amazonaws.com/groups/global/AllUsers', Type: 'Group' }, Permission: 'READ' }],
      [{ Grantee: { ID: 'someone-else', Type: 'CanonicalUser' }, Permission: 'FULL_CONTROL' }],
    ];
    for (const Grants of cases) {
      await expectS3Error(s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'acl-target', AccessControlPolicy: { Owner: OWNER(), Grants } })), 'AccessControlListNotSupported', 400);
    }
    await expectS3Error(s3.send(new PutBucketAclCommand({ Bucket: B, ACL: 'everyone-welcome' as BucketCannedACL })), 'InvalidArgument', 400);
  });

  it('a missing object is NoSuchKey; no ACL at all is MissingSecurityHeader', async () => {
    await expectS3Error(s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'no-such-object', ACL: 'private' })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new PutBucketAclCommand({ Bucket: B })), 'MissingSecurityHeader', 400);
  });
});
