// ACLs are disabled (Object Ownership "bucket owner enforced", AWS's default): asking for any other ACL
// is a clear 400, never a silently private object; asking for "owner full control" is a 200 no-op.
// Also CreateBucket on an existing bucket (S3 resets the ACL there). Real server, AWS SDK v3.

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
  type AccessControlPolicy,
  S3Client,
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
  // What S3 accepts on an ACL-disabled bucket: "the owner has full control", as a canned ACL or the same
  // thing written as XML (what a client sends after reading the ACL back). It is already the state.
  it('owner full control (canned or as XML) → 200, and the ACL reads back unchanged', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'acl-obj', Body: 'x' }));
    await s3.send(new PutBucketAclCommand({ Bucket: B, ACL: 'private' }));
    await s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'acl-obj', ACL: 'private' }));
    await s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'acl-obj', ACL: 'bucket-owner-full-control' }));
    const bucketAcl = await s3.send(new GetBucketAclCommand({ Bucket: B }));
    await s3.send(new PutBucketAclCommand({ Bucket: B, AccessControlPolicy: { Owner: bucketAcl.Owner, Grants: bucketAcl.Grants } }));
    const objectAcl = await s3.send(new GetObjectAclCommand({ Bucket: B, Key: 'acl-obj' }));
    await s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'acl-obj', AccessControlPolicy: { Owner: objectAcl.Owner, Grants: objectAcl.Grants } }));
    const after = await s3.send(new GetBucketAclCommand({ Bucket: B }));
    expect(after.Grants).toEqual(bucketAcl.Grants);
    expect(after.Grants?.map((g) => [g.Grantee?.ID, g.Permission])).toEqual([[t.accessKeyId, 'FULL_CONTROL']]);
  });

  it('any other ACL → 400 AccessControlListNotSupported (public canned ACLs, grants, other grantees, no grants)', async () => {
    const { Owner, Grants } = await s3.send(new GetBucketAclCommand({ Bucket: B }));
    const policies: AccessControlPolicy[] = [
      { Owner, Grants: [...Grants!, { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' }] },
      { Owner, Grants: [...Grants!, { Grantee: { Type: 'CanonicalUser', ID: '_foo' }, Permission: 'FULL_CONTROL' }] },
      { Owner, Grants: [...Grants!, { Grantee: { Type: 'AmazonCustomerByEmail', EmailAddress: 'someone@example.com' }, Permission: 'FULL_CONTROL' }] },
      { Owner, Grants: [{ Grantee: { Type: 'CanonicalUser', ID: t.accessKeyId }, Permission: 'READ' }] },
      { Owner, Grants: [] },
    ];
    for (const AccessControlPolicy of policies) {
      await expectS3Error(s3.send(new PutBucketAclCommand({ Bucket: B, AccessControlPolicy })), 'AccessControlListNotSupported', 400);
      await expectS3Error(s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'acl-obj', AccessControlPolicy })), 'AccessControlListNotSupported', 400);
    }
    for (const ACL of ['public-read', 'public-read-write', 'authenticated-read'] as ObjectCannedACL[]) {
      await expectS3Error(s3.send(new PutBucketAclCommand({ Bucket: B, ACL })), 'AccessControlListNotSupported', 400);
      await expectS3Error(s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'acl-obj', ACL })), 'AccessControlListNotSupported', 400);
    }
    await expectS3Error(s3.send(new PutBucketAclCommand({ Bucket: B, GrantRead: `id=${t.accessKeyId}` })), 'AccessControlListNotSupported', 400);
    // Still owner full control afterwards.
    expect((await s3.send(new GetBucketAclCommand({ Bucket: B }))).Grants).toEqual(Grants);
  });

  it('errors: NoSuchBucket, NoSuchKey, a body that is not an AccessControlPolicy → MalformedACLError', async () => {
    await expectS3Error(s3.send(new PutBucketAclCommand({ Bucket: 'acl-none', ACL: 'private' })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'acl-missing', ACL: 'private' })), 'NoSuchKey', 404);
    const bad = new PutBucketAclCommand({ Bucket: B });
    bad.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { body: string }).body = '<Tagging><TagSet/></Tagging>';
        return next(args);
      },
      { step: 'build' },
    );
    await expectS3Error(s3.send(bad), 'MalformedACLError', 400);
  });
});

describe('CreateBucket on a bucket that exists', () => {
  it('the owner re-creating it in us-east-1 → 200 and its objects stay (S3 legacy behaviour)', async () => {
    expect(t.region).toBe('us-east-1');
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'kept', Body: 'x' }));
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    expect(await exists('kept')).toBe(true);
  });

  it('in any other region → 409 BucketAlreadyOwnedByYou', async () => {
    const other = await startS3Suite(['eu-bucket'], { flags: { region: 'eu-west-1' } });
    try {
      await expectS3Error(other.s3.send(new CreateBucketCommand({ Bucket: 'eu-bucket' })), 'BucketAlreadyOwnedByYou', 409);
    } finally {
      await stopS3Suite(other.t, other.s3);
    }
  });
});
