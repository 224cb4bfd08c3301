// ACLs are disabled (Object Ownership "bucket owner enforced", AWS's default): asking for any other ACL
// is a clear 400, never a silently private object. Real server, AWS SDK v3.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAclCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
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
