// S3 Object Lock through the real server and the AWS SDK v3 (default checksum settings): buckets created
// with Object Lock, Get/PutObjectLockConfiguration, retention and legal hold of versions, the lock
// headers of PutObject / CopyObject / multipart / POST-less writes and the bucket default, and the
// enforcement — deletes of locked versions, DeleteObjects entries, the bypass and the policy deciding it,
// the lifecycle sweeper. The checklist is ceph/s3-tests' test_object_lock_* (named where one applies).

import { createHash } from 'node:crypto';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  S3Client,
  UploadPartCommand,
  type ObjectLockConfiguration,
} from '@aws-sdk/client-s3';
import type { TestServer } from '../helpers/server.js';
import { expectS3Error, startS3Suite, stopS3Suite } from '../helpers/s3-suite.js';
import { rawExchange, signedRequest } from '../helpers/server-raw.js';
import { LifecycleSweeper } from '../../src/s3/lifecycle-sweeper.js';
import { openMultipart } from '../../src/s3/multipart/handlers.js';

let t: TestServer;
let s3: S3Client;
const PLAIN = 'lock-plain';
const DAY = 86_400_000;
const Y2030 = new Date(Date.UTC(2030, 0, 1));
const Y2030_3 = new Date(Date.UTC(2030, 0, 3));

beforeAll(async () => ({ t, s3 } = await startS3Suite([PLAIN])));
afterAll(() => stopS3Suite(t, s3));

let n = 0;
/** A fresh bucket created with Object Lock (ObjectLockEnabledForBucket), optionally with a default rule. */
async function lockedBucket(rule?: ObjectLockConfiguration['Rule']): Promise<string> {
  const b = `locked-${++n}`;
  await s3.send(new CreateBucketCommand({ Bucket: b, ObjectLockEnabledForBucket: true }));
  if (rule) await s3.send(new PutObjectLockConfigurationCommand({ Bucket: b, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: rule } }));
  return b;
}

async function put(bucket: string, key: string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}): Promise<string> {
  return (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'abc', ...extra }))).VersionId!;
}

const governance = (until: Date) => ({ Mode: 'GOVERNANCE' as const, RetainUntilDate: until });
const compliance = (until: Date) => ({ Mode: 'COMPLIANCE' as const, RetainUntilDate: until });

describe('buckets', () => {
  it('CreateBucket with Object Lock: versioning Enabled, ObjectLockEnabled without a rule (test_object_lock_put_obj_lock)', async () => {
    const b = await lockedBucket();
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: b }))).Status).toBe('Enabled');
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: b }))).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled' });
    for (const Rule of [{ DefaultRetention: { Mode: 'GOVERNANCE' as const, Days: 1 } }, { DefaultRetention: { Mode: 'COMPLIANCE' as const, Years: 1 } }]) {
      await s3.send(new PutObjectLockConfigurationCommand({ Bucket: b, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule } }));
      expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: b }))).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule });
    }
    // Without a Rule: the default retention goes, Object Lock stays.
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: b, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } }));
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: b }))).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled' });
  });

  it('invalid configurations get S3 codes (days and years, invalid days / years / mode / status)', async () => {
    const b = await lockedBucket();
    const putConf = (conf: unknown) => s3.send(new PutObjectLockConfigurationCommand({ Bucket: b, ObjectLockConfiguration: conf as ObjectLockConfiguration }));
    await expectS3Error(putConf({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1, Years: 1 } } }), 'MalformedXML', 400);
    await expectS3Error(putConf({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 0 } } }), 'InvalidRetentionPeriod', 400);
    await expectS3Error(putConf({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Years: -1 } } }), 'InvalidRetentionPeriod', 400);
    await expectS3Error(putConf({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'abc', Years: 1 } } }), 'MalformedXML', 400);
    await expectS3Error(putConf({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'governance', Years: 1 } } }), 'MalformedXML', 400);
    await expectS3Error(putConf({ ObjectLockEnabled: 'Disabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Years: 1 } } }), 'MalformedXML', 400);
    // Not well-formed → MalformedXML; but first the body needs Content-MD5 or a checksum, as S3 requires.
    const body = '<ObjectLockConfiguration><oops';
    const md5 = createHash('md5').update(body).digest('base64');
    const malformed = await rawExchange(t.port, signedRequest(t, 'PUT', `/${b}`, { query: [['object-lock', '']], body, headers: { 'content-md5': md5 } }));
    expect(malformed.body.toString()).toContain('<Code>MalformedXML</Code>');
    const unchecked = await rawExchange(t.port, signedRequest(t, 'PUT', `/${b}`, { query: [['object-lock', '']], body }));
    expect(unchecked.body.toString()).toContain('<Code>InvalidRequest</Code>');
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: b }))).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled' });
  });

  it('a bucket without Object Lock: Get 404, Put 409 unless versioning is Enabled (invalid_bucket tests)', async () => {
    await expectS3Error(s3.send(new GetObjectLockConfigurationCommand({ Bucket: PLAIN })), 'ObjectLockConfigurationNotFoundError', 404);
    const conf = { ObjectLockEnabled: 'Enabled' as const, Rule: { DefaultRetention: { Mode: 'GOVERNANCE' as const, Days: 1 } } };
    await expectS3Error(s3.send(new PutObjectLockConfigurationCommand({ Bucket: PLAIN, ObjectLockConfiguration: conf })), 'InvalidBucketState', 409);
    const susp = 'lock-suspended';
    await s3.send(new CreateBucketCommand({ Bucket: susp }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: susp, VersioningConfiguration: { Status: 'Suspended' } }));
    await expectS3Error(s3.send(new PutObjectLockConfigurationCommand({ Bucket: susp, ObjectLockConfiguration: conf })), 'InvalidBucketState', 409);
    await expectS3Error(s3.send(new GetObjectLockConfigurationCommand({ Bucket: susp })), 'ObjectLockConfigurationNotFoundError', 404);
  });

  it('PutObjectLockConfiguration turns Object Lock on for a bucket whose versioning is Enabled (as AWS allows now)', async () => {
    const b = 'lock-later';
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    expect(await put(b, 'before')).toBeUndefined(); // the "null" version of an unversioned bucket
    await s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: b, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2 } } } }));
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: b }))).ObjectLockConfiguration?.Rule?.DefaultRetention).toEqual({ Mode: 'GOVERNANCE', Days: 2 });
    const v = await put(b, 'after');
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'after', VersionId: v }));
    expect(head.ObjectLockMode).toBe('GOVERNANCE');
    // An object from before keeps no lock but can be given one.
    expect((await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'before' }))).ObjectLockMode).toBeUndefined();
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: 'before', VersionId: 'null', LegalHold: { Status: 'ON' } }));
    await expectS3Error(s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'before', VersionId: 'null' })), 'AccessDenied', 403);
    await expectS3Error(s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Suspended' } })), 'InvalidBucketState', 409);
  });

  it('versioning cannot be suspended on an Object Lock bucket (test_object_lock_suspend_versioning); Enabled again is fine', async () => {
    const b = await lockedBucket();
    await expectS3Error(s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Suspended' } })), 'InvalidBucketState', 409);
    await s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: 'Enabled' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: b }))).Status).toBe('Enabled');
  });

  it('CreateBucket: ObjectLockEnabledForBucket false makes a plain bucket; a value other than true/false is InvalidArgument', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'lock-false', ObjectLockEnabledForBucket: false }));
    await expectS3Error(s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'lock-false' })), 'ObjectLockConfigurationNotFoundError', 404);
    const r = await rawExchange(t.port, signedRequest(t, 'PUT', '/lock-junk', { headers: { 'x-amz-bucket-object-lock-enabled': 'yes' } }));
    expect(r.status).toBe(400);
    expect(r.body.toString()).toContain('<Code>InvalidArgument</Code>');
    expect(t.engine.getBucket('lock-junk')).toBeUndefined();
  });
});

describe('retention', () => {
  it('put / get / HEAD headers, then a delete of the version needs the bypass (put_obj_retention, get_obj_retention, delete_object_with_retention)', async () => {
    const b = await lockedBucket();
    const v = await put(b, 'file1');
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'file1', Retention: governance(Y2030) }));
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'file1' }))).Retention).toEqual(governance(Y2030));
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'file1', VersionId: v }));
    expect(head.ObjectLockMode).toBe('GOVERNANCE');
    expect(head.ObjectLockRetainUntilDate).toEqual(Y2030);
    const get = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'file1' }));
    expect(get.ObjectLockMode).toBe('GOVERNANCE');
    await get.Body!.transformToString();
    await expectS3Error(s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'file1', VersionId: v })), 'AccessDenied', 403);
    expect(t.engine.headVersion(b, 'file1', v)).toBeDefined();
    const del = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'file1', VersionId: v, BypassGovernanceRetention: true }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    expect(t.engine.headVersion(b, 'file1', v)).toBeUndefined();
  });

  it('the retain-until date is ISO 8601 on HEAD (get_obj_retention_iso8601)', async () => {
    const b = await lockedBucket();
    const v = await put(b, 'iso');
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'iso', Retention: governance(new Date(Date.now() + 365 * DAY)) }));
    const r = await rawExchange(t.port, signedRequest(t, 'HEAD', `/${b}/iso`, { query: [['versionId', v]] }), { expectNoBody: true });
    expect(r.headers['x-amz-object-lock-retain-until-date']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('on a bucket without Object Lock: 400 InvalidRequest, key or not (invalid_bucket tests)', async () => {
    await put(PLAIN, 'file1');
    const msg = 'Bucket is missing Object Lock Configuration';
    await expectS3Error(s3.send(new PutObjectRetentionCommand({ Bucket: PLAIN, Key: 'file1', Retention: governance(Y2030) })), 'InvalidRequest', 400, msg);
    await expectS3Error(s3.send(new GetObjectRetentionCommand({ Bucket: PLAIN, Key: 'file1' })), 'InvalidRequest', 400, msg);
    await expectS3Error(s3.send(new PutObjectLegalHoldCommand({ Bucket: PLAIN, Key: 'file1', LegalHold: { Status: 'ON' } })), 'InvalidRequest', 400, msg);
    await expectS3Error(s3.send(new GetObjectLegalHoldCommand({ Bucket: PLAIN, Key: 'nokey' })), 'InvalidRequest', 400, msg);
    await expectS3Error(s3.send(new GetObjectRetentionCommand({ Bucket: 'lock-nobucket', Key: 'k' })), 'NoSuchBucket', 404);
  });

  it('invalid mode → MalformedXML; a past date → InvalidArgument; no retention → 404 NoSuchObjectLockConfiguration; missing key / version', async () => {
    const b = await lockedBucket();
    await put(b, 'file1');
    await expectS3Error(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'file1', Retention: { Mode: 'governance' as 'GOVERNANCE', RetainUntilDate: Y2030 } })), 'MalformedXML', 400);
    await expectS3Error(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'file1', Retention: { Mode: 'abc' as 'GOVERNANCE', RetainUntilDate: Y2030 } })), 'MalformedXML', 400);
    await expectS3Error(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'file1', Retention: governance(new Date(Date.now() - DAY)) })), 'InvalidArgument', 400);
    await expectS3Error(s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'file1' })), 'NoSuchObjectLockConfiguration', 404);
    await expectS3Error(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'nokey', Retention: governance(Y2030) })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'file1', VersionId: '0123456789abcdef' })), 'NoSuchVersion', 404);
  });

  it('by version id (put_obj_retention_versionid); other versions keep theirs', async () => {
    const b = await lockedBucket();
    const v1 = await put(b, 'file1');
    const v2 = await put(b, 'file1');
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'file1', VersionId: v1, Retention: governance(Y2030) }));
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'file1', VersionId: v1 }))).Retention).toEqual(governance(Y2030));
    await expectS3Error(s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'file1', VersionId: v2 })), 'NoSuchObjectLockConfiguration', 404);
    await expectS3Error(s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'file1' })), 'NoSuchObjectLockConfiguration', 404);
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'file1', VersionId: v2 }));
    await expectS3Error(s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'file1', VersionId: v1 })), 'AccessDenied', 403);
  });

  it('GOVERNANCE: extend freely, shorten or remove only with the bypass (increase_period, shorten_period, shorten_period_bypass, override_default)', async () => {
    const b = await lockedBucket({ DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } });
    await put(b, 'file1');
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'file1', Retention: governance(Y2030) }));
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'file1', Retention: governance(Y2030_3) }));
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'file1' }))).Retention).toEqual(governance(Y2030_3));
    await expectS3Error(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'file1', Retention: governance(Y2030) })), 'AccessDenied', 403);
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'file1', Retention: governance(Y2030), BypassGovernanceRetention: true }));
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'file1' }))).Retention).toEqual(governance(Y2030));
    // An empty Retention removes it, with the bypass only.
    await expectS3Error(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'file1', Retention: {} })), 'AccessDenied', 403);
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'file1', Retention: {}, BypassGovernanceRetention: true }));
    await expectS3Error(s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'file1' })), 'NoSuchObjectLockConfiguration', 404);
  });

  it('mode changes: GOVERNANCE → COMPLIANCE with the bypass only; COMPLIANCE never shortened, removed or relaxed (changing_mode tests)', async () => {
    const b = await lockedBucket();
    const soon = new Date(Date.now() + 60_000);
    await put(b, 'gov', { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: soon });
    await expectS3Error(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'gov', Retention: compliance(soon) })), 'AccessDenied', 403);
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'gov', Retention: compliance(soon), BypassGovernanceRetention: true }));
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'gov' }))).Retention?.Mode).toBe('COMPLIANCE');

    const v = await put(b, 'comp', { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: soon });
    const refused = [governance(soon), compliance(new Date(soon.getTime() - 1000)), {}];
    for (const Retention of refused) {
      await expectS3Error(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'comp', Retention, BypassGovernanceRetention: true })), 'AccessDenied', 403);
    }
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'comp', Retention: compliance(new Date(soon.getTime() + 1000)) }));
    await expectS3Error(s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'comp', VersionId: v, BypassGovernanceRetention: true })), 'AccessDenied', 403);
  });
});

describe('legal hold', () => {
  it('ON / OFF round trip; never set → 404 NoSuchObjectLockConfiguration; invalid status → MalformedXML (put_legal_hold, get_legal_hold, invalid_status)', async () => {
    const b = await lockedBucket();
    await put(b, 'file1');
    await expectS3Error(s3.send(new GetObjectLegalHoldCommand({ Bucket: b, Key: 'file1' })), 'NoSuchObjectLockConfiguration', 404);
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: 'file1', LegalHold: { Status: 'ON' } }));
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket: b, Key: 'file1' }))).LegalHold).toEqual({ Status: 'ON' });
    expect((await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'file1' }))).ObjectLockLegalHoldStatus).toBe('ON');
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: 'file1', LegalHold: { Status: 'OFF' } }));
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket: b, Key: 'file1' }))).LegalHold).toEqual({ Status: 'OFF' });
    await expectS3Error(s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: 'file1', LegalHold: { Status: 'abc' as 'ON' } })), 'MalformedXML', 400);
  });

  it('a held version cannot be deleted, not even with the bypass; once OFF it can (delete_object_with_legal_hold_on / _off)', async () => {
    const b = await lockedBucket();
    const v = await put(b, 'file1');
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: 'file1', LegalHold: { Status: 'ON' } }));
    await expectS3Error(s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'file1', VersionId: v })), 'AccessDenied', 403);
    await expectS3Error(s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'file1', VersionId: v, BypassGovernanceRetention: true })), 'AccessDenied', 403);
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: 'file1', LegalHold: { Status: 'OFF' } }));
    expect((await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'file1', VersionId: v }))).$metadata.httpStatusCode).toBe(204);
  });
});

describe('deletes', () => {
  it('a delete without a version id only adds a marker; the locked version stays readable', async () => {
    const b = await lockedBucket({ DefaultRetention: { Mode: 'COMPLIANCE', Days: 1 } });
    const v = await put(b, 'k');
    const del = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k' }));
    expect(del.DeleteMarker).toBe(true);
    const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: 'k', VersionId: v }));
    expect(await got.Body!.transformToString()).toBe('abc');
    // The marker itself is not locked.
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k', VersionId: del.VersionId! }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: b, Key: 'k' }))).Body!.transformToString()).toBe('abc');
  });

  it('DeleteObjects: a locked entry is an AccessDenied <Error>, the others delete; with the bypass it goes (multi_delete_object_with_retention)', async () => {
    const b = await lockedBucket();
    const v1 = await put(b, 'file1');
    const v2 = await put(b, 'file2');
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'file1', Retention: governance(Y2030) }));
    const r = await s3.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: 'file1', VersionId: v1 }, { Key: 'file2', VersionId: v2 }] } }));
    expect(r.Deleted?.map((d) => [d.Key, d.VersionId])).toEqual([['file2', v2]]);
    expect(r.Errors?.map((e) => [e.Key, e.VersionId, e.Code])).toEqual([['file1', v1, 'AccessDenied']]);
    const again = await s3.send(new DeleteObjectsCommand({ Bucket: b, BypassGovernanceRetention: true, Delete: { Objects: [{ Key: 'file1', VersionId: v1 }] } }));
    expect(again.Errors ?? []).toEqual([]);
    expect(again.Deleted?.map((d) => [d.Key, d.VersionId])).toEqual([['file1', v1]]);
  });

  it('a bucket policy denying s3:BypassGovernanceRetention makes the bypass header count for nothing', async () => {
    const b = await lockedBucket();
    const v = await put(b, 'k', { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: Y2030 });
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:BypassGovernanceRetention', Resource: `arn:aws:s3:::${b}/*` }] };
    await s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy: JSON.stringify(policy) }));
    await expectS3Error(s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k', VersionId: v, BypassGovernanceRetention: true })), 'AccessDenied', 403);
    await expectS3Error(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'k', Retention: {}, BypassGovernanceRetention: true })), 'AccessDenied', 403);
    expect(t.engine.headVersion(b, 'k', v)?.retention?.mode).toBe('GOVERNANCE');
  });

  it('the lifecycle sweeper never removes a locked version: noncurrent ones under retention or hold stay, the others expire', async () => {
    const b = await lockedBucket();
    const retained = await put(b, 'old', { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: Y2030 });
    const held = await put(b, 'old', { ObjectLockLegalHoldStatus: 'ON' });
    const free = await put(b, 'old');
    const current = await put(b, 'old');
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: b,
        LifecycleConfiguration: { Rules: [{ ID: 'all', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] },
      }),
    );
    const sweeper = new LifecycleSweeper(t.engine, await openMultipart(t.engine), {
      intervalMs: 0,
      maxDeletionsPerPass: 10_000,
      maxScannedPerPass: 1_000_000,
      now: () => Date.now() + 30 * DAY,
      log: { info: () => undefined, warn: () => undefined },
    });
    const report = await sweeper.runOnce();
    await sweeper.close();
    // `free` is removed; the expired current version is hidden under a delete marker (markers are never
    // locked, and the version itself stays).
    expect(report.expiredObjects).toBe(2);
    expect(t.engine.headVersion(b, 'old', free)).toBeUndefined();
    for (const v of [retained, held, current]) expect(t.engine.headVersion(b, 'old', v), v).toBeDefined();
    expect(t.engine.headVersion(b, 'old')?.deleteMarker).toBe(true);
  });
});

describe('writes', () => {
  it('PutObject with mode, date and legal hold; HEAD and GetObject answer them (uploading_obj, get_obj_metadata)', async () => {
    const b = await lockedBucket();
    const v = await put(b, 'file1', { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: Y2030, ObjectLockLegalHoldStatus: 'ON' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'file1' }));
    expect([head.ObjectLockMode, head.ObjectLockRetainUntilDate, head.ObjectLockLegalHoldStatus]).toEqual(['GOVERNANCE', Y2030, 'ON']);
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'file1', VersionId: v }))).Retention).toEqual(governance(Y2030));
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: 'file1', LegalHold: { Status: 'OFF' } }));
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'file1', VersionId: v, BypassGovernanceRetention: true }));
  });

  it('header validation: mode without date, unknown mode, a past date, legal hold other than ON/OFF → InvalidArgument, nothing stored', async () => {
    const b = await lockedBucket();
    const bad: Partial<ConstructorParameters<typeof PutObjectCommand>[0]>[] = [
      { ObjectLockMode: 'GOVERNANCE' },
      { ObjectLockRetainUntilDate: Y2030 },
      { ObjectLockMode: 'governance' as 'GOVERNANCE', ObjectLockRetainUntilDate: Y2030 },
      { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: new Date(Date.now() - DAY) },
      { ObjectLockLegalHoldStatus: 'on' as 'ON' },
    ];
    for (const extra of bad) await expectS3Error(s3.send(new PutObjectCommand({ Bucket: b, Key: 'bad', Body: 'x', ...extra })), 'InvalidArgument', 400);
    expect(t.engine.headVersion(b, 'bad')).toBeUndefined();
  });

  it('the bucket default applies when the write names no retention; headers override it', async () => {
    const b = await lockedBucket({ DefaultRetention: { Mode: 'COMPLIANCE', Days: 2 } });
    const before = Date.now();
    await put(b, 'dflt');
    const r = (await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'dflt' }))).Retention!;
    expect(r.Mode).toBe('COMPLIANCE');
    expect(r.RetainUntilDate!.getTime()).toBeGreaterThanOrEqual(before + 2 * DAY);
    expect(r.RetainUntilDate!.getTime()).toBeLessThanOrEqual(Date.now() + 2 * DAY);
    await put(b, 'own', { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: Y2030 });
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'own' }))).Retention).toEqual(governance(Y2030));
    // A legal hold alone still gets the default retention.
    await put(b, 'held', { ObjectLockLegalHoldStatus: 'ON' });
    const held = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'held' }));
    expect([held.ObjectLockMode, held.ObjectLockLegalHoldStatus]).toEqual(['COMPLIANCE', 'ON']);
  });

  it('a PutObject that locks its object needs Content-MD5 or a checksum (the SDK trailer counts); one that does not lock, does not', async () => {
    const b = await lockedBucket();
    const body = 'raw body';
    const md5 = createHash('md5').update(body).digest('base64');
    const lockHeaders = { 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': Y2030.toISOString() };
    const refused = await rawExchange(t.port, signedRequest(t, 'PUT', `/${b}/raw`, { body, headers: lockHeaders }));
    expect(refused.status).toBe(400);
    expect(refused.body.toString()).toContain('<Code>InvalidRequest</Code>');
    expect(t.engine.headVersion(b, 'raw')).toBeUndefined();
    expect((await rawExchange(t.port, signedRequest(t, 'PUT', `/${b}/raw`, { body, headers: { ...lockHeaders, 'content-md5': md5 } }))).status).toBe(200);
    expect((await rawExchange(t.port, signedRequest(t, 'PUT', `/${b}/plain`, { body }))).status).toBe(200);
    const withDefault = await lockedBucket({ DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } });
    expect((await rawExchange(t.port, signedRequest(t, 'PUT', `/${withDefault}/raw`, { body }))).status).toBe(400);
  });

  it('lock headers on a bucket without Object Lock → 400 InvalidRequest, nothing stored', async () => {
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: 'locked', Body: 'x', ObjectLockLegalHoldStatus: 'OFF' })), 'InvalidRequest', 400);
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: PLAIN, Key: 'copy', CopySource: `${PLAIN}/file1`, ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: Y2030 })), 'InvalidRequest', 400);
    await expectS3Error(s3.send(new CreateMultipartUploadCommand({ Bucket: PLAIN, Key: 'mp', ObjectLockLegalHoldStatus: 'ON' })), 'InvalidRequest', 400);
    expect(t.engine.headObject(PLAIN, 'locked')).toBeUndefined();
  });

  it('CopyObject: the copy gets its own lock (headers or default), never the source’s', async () => {
    const b = await lockedBucket();
    await put(b, 'src', { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: Y2030, ObjectLockLegalHoldStatus: 'ON' });
    await s3.send(new CopyObjectCommand({ Bucket: b, Key: 'plain-copy', CopySource: `${b}/src` }));
    const plain = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'plain-copy' }));
    expect([plain.ObjectLockMode, plain.ObjectLockLegalHoldStatus]).toEqual([undefined, undefined]);
    await s3.send(new CopyObjectCommand({ Bucket: b, Key: 'locked-copy', CopySource: `${b}/src`, ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: Y2030_3 }));
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'locked-copy' }))).Retention).toEqual(governance(Y2030_3));
  });

  it('multipart: the Create request’s lock, or the bucket default at completion', async () => {
    const b = await lockedBucket({ DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } });
    const upload = async (key: string, extra: Partial<ConstructorParameters<typeof CreateMultipartUploadCommand>[0]>): Promise<void> => {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: key, ...extra }));
      const part = await s3.send(new UploadPartCommand({ Bucket: b, Key: key, UploadId, PartNumber: 1, Body: 'part one' }));
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] } }));
    };
    await upload('mp-own', { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: Y2030, ObjectLockLegalHoldStatus: 'ON' });
    const own = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'mp-own' }));
    expect([own.ObjectLockMode, own.ObjectLockRetainUntilDate, own.ObjectLockLegalHoldStatus]).toEqual(['COMPLIANCE', Y2030, 'ON']);
    const before = Date.now();
    await upload('mp-default', {});
    const dflt = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'mp-default' }));
    expect(dflt.ObjectLockMode).toBe('GOVERNANCE');
    expect(dflt.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThanOrEqual(before + DAY - 1000);
    // Parts of an upload that will be locked need Content-MD5 or a checksum too (the SDK's trailer passed above).
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp-raw' }));
    const part = (headers: Record<string, string>) =>
      rawExchange(t.port, signedRequest(t, 'PUT', `/${b}/mp-raw`, { query: [['partNumber', '1'], ['uploadId', UploadId!]], body: 'part', headers }));
    const refused = await part({});
    expect(refused.status).toBe(400);
    expect(refused.body.toString()).toContain('Upload Part requests with Object Lock parameters');
    expect((await part({ 'content-md5': createHash('md5').update('part').digest('base64') })).status).toBe(200);
  });

  it('POST Object: x-amz-object-lock-* form fields lock the object; on a bucket without Object Lock they are refused', async () => {
    const b = await lockedBucket();
    const post = async (bucket: string, key: string, fields: Record<string, string>): Promise<Response> => {
      const form = await createPresignedPost(s3, { Bucket: bucket, Key: key, Fields: fields });
      const fd = new FormData();
      for (const [k, v] of Object.entries(form.fields)) fd.append(k, v);
      fd.append('file', new Blob(['posted']), 'f.txt');
      return fetch(form.url, { method: 'POST', body: fd });
    };
    const lockFields = { 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': Y2030.toISOString(), 'x-amz-object-lock-legal-hold': 'ON' };
    expect((await post(b, 'posted', lockFields)).status).toBe(204);
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'posted' }));
    expect([head.ObjectLockMode, head.ObjectLockRetainUntilDate, head.ObjectLockLegalHoldStatus]).toEqual(['GOVERNANCE', Y2030, 'ON']);
    const refused = await post(PLAIN, 'posted', lockFields);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('<Code>InvalidRequest</Code>');
    expect(t.engine.headObject(PLAIN, 'posted')).toBeUndefined();
  });
});
