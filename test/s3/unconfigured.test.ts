// Configuration sub-resources of features Strata does not have answer exactly what S3 answers for a
// bucket where the feature is not configured (src/s3/unconfigured.ts); writes that would turn a feature
// on are refused. Real server, AWS SDK v3 (plus raw signed requests for bodies the SDK never sends).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBucketCommand,
  DeleteBucketAnalyticsConfigurationCommand,
  DeleteBucketEncryptionCommand,
  DeleteBucketOwnershipControlsCommand,
  DeleteBucketReplicationCommand,
  DeleteBucketWebsiteCommand,
  GetBucketAccelerateConfigurationCommand,
  GetBucketAnalyticsConfigurationCommand,
  GetBucketEncryptionCommand,
  GetBucketIntelligentTieringConfigurationCommand,
  GetBucketInventoryConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketMetricsConfigurationCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketReplicationCommand,
  GetBucketRequestPaymentCommand,
  GetBucketWebsiteCommand,
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  DeletePublicAccessBlockCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadBucketCommand,
  ListBucketAnalyticsConfigurationsCommand,
  ListBucketIntelligentTieringConfigurationsCommand,
  ListBucketInventoryConfigurationsCommand,
  ListBucketMetricsConfigurationsCommand,
  PutBucketAccelerateConfigurationCommand,
  PutBucketEncryptionCommand,
  PutBucketLoggingCommand,
  PutBucketMetricsConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketReplicationCommand,
  PutBucketRequestPaymentCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { TestServer } from '../helpers/server.js';
import { expectS3Error, startS3Suite, stopS3Suite } from '../helpers/s3-suite.js';
import { rawExchange, signedRequest } from '../helpers/server-raw.js';

let t: TestServer;
let s3: S3Client;
const B = 'unconf';
const MISSING = 'no-such-unconf';

beforeAll(async () => {
  ({ t, s3 } = await startS3Suite([B]));
  await s3.send(new PutObjectCommand({ Bucket: B, Key: 'obj', Body: 'x' }));
});
afterAll(() => stopS3Suite(t, s3));

/** A raw signed request to the bucket with one sub-resource; returns status, error code and body. */
async function raw(method: string, sub: string, body?: string, key?: string): Promise<{ status: number; code: string | undefined; body: string }> {
  const path = key === undefined ? `/${B}` : `/${B}/${key}`;
  const r = await rawExchange(t.port, signedRequest(t, method, path, { query: [[sub, '']], ...(body !== undefined ? { body } : {}) }));
  const text = r.body.toString('utf8');
  return { status: r.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], body: text };
}

describe('encryption, website, replication: not configured', () => {
  it('Get → 404 with the S3 code; the encryption message says Strata does not encrypt', async () => {
    const e = await expectS3Error(s3.send(new GetBucketEncryptionCommand({ Bucket: B })), 'ServerSideEncryptionConfigurationNotFoundError', 404);
    expect(e.message).toMatch(/does not encrypt objects at rest/);
    await expectS3Error(s3.send(new GetBucketWebsiteCommand({ Bucket: B })), 'NoSuchWebsiteConfiguration', 404);
    await expectS3Error(s3.send(new GetBucketReplicationCommand({ Bucket: B })), 'ReplicationConfigurationNotFoundError', 404);
    const r = await raw('GET', 'website');
    expect(r.body).toContain(`<BucketName>${B}</BucketName>`);
  });

  it('Delete → 204 (there is nothing to delete)', async () => {
    for (const cmd of [new DeleteBucketEncryptionCommand({ Bucket: B }), new DeleteBucketWebsiteCommand({ Bucket: B }), new DeleteBucketReplicationCommand({ Bucket: B })]) {
      const out = await s3.send(cmd as DeleteBucketEncryptionCommand);
      expect(out.$metadata.httpStatusCode).toBe(204);
    }
  });

  it('Put is refused: encryption and website 501, replication 400 InvalidRequest (needs versioning, as S3 says)', async () => {
    await expectS3Error(
      s3.send(new PutBucketEncryptionCommand({ Bucket: B, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } })),
      'NotImplemented',
      501,
    );
    await expectS3Error(s3.send(new PutBucketWebsiteCommand({ Bucket: B, WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' } } })), 'NotImplemented', 501);
    await expectS3Error(
      s3.send(
        new PutBucketReplicationCommand({
          Bucket: B,
          ReplicationConfiguration: { Role: 'arn:aws:iam::1:role/r', Rules: [{ Status: 'Enabled', Destination: { Bucket: 'arn:aws:s3:::other' }, Prefix: '' }] },
        }),
      ),
      'InvalidRequest',
      400,
      "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
    );
    // still not configured
    await expectS3Error(s3.send(new GetBucketEncryptionCommand({ Bucket: B })), 'ServerSideEncryptionConfigurationNotFoundError', 404);
  });
});

// Object Lock is served (object-lock.test.ts); what a bucket without it answers stays as S3 answers.
describe('object lock, retention, legal hold on a bucket without Object Lock', () => {
  it('GetObjectLockConfiguration → 404 ObjectLockConfigurationNotFoundError', async () => {
    await expectS3Error(s3.send(new GetObjectLockConfigurationCommand({ Bucket: B })), 'ObjectLockConfigurationNotFoundError', 404);
  });

  it('PutObjectLockConfiguration → 409 InvalidBucketState (versioning is not Enabled)', async () => {
    const e = await expectS3Error(
      s3.send(new PutObjectLockConfigurationCommand({ Bucket: B, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } } })),
      'InvalidBucketState',
      409,
    );
    expect(e.message).toMatch(/^Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration/);
  });

  it('Get/PutObjectRetention and Get/PutObjectLegalHold → 400 InvalidRequest "Bucket is missing Object Lock Configuration"', async () => {
    const msg = 'Bucket is missing Object Lock Configuration';
    await expectS3Error(s3.send(new GetObjectRetentionCommand({ Bucket: B, Key: 'obj' })), 'InvalidRequest', 400, msg);
    await expectS3Error(
      s3.send(new PutObjectRetentionCommand({ Bucket: B, Key: 'obj', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date('2030-01-01T00:00:00Z') } })),
      'InvalidRequest',
      400,
      msg,
    );
    await expectS3Error(s3.send(new GetObjectLegalHoldCommand({ Bucket: B, Key: 'obj' })), 'InvalidRequest', 400, msg);
    await expectS3Error(s3.send(new PutObjectLegalHoldCommand({ Bucket: B, Key: 'obj', LegalHold: { Status: 'ON' } })), 'InvalidRequest', 400, msg);
    // the bucket's configuration is checked before the key, as S3, RGW and MinIO do
    await expectS3Error(s3.send(new GetObjectRetentionCommand({ Bucket: B, Key: 'absent' })), 'InvalidRequest', 400, msg);
    await expectS3Error(s3.send(new GetObjectLegalHoldCommand({ Bucket: MISSING, Key: 'obj' })), 'NoSuchBucket', 404);
  });
});

describe('CreateBucket headers for features that are served', () => {
  // x-amz-object-ownership: acl.test.ts; x-amz-bucket-object-lock-enabled: the Object Lock tests.
  it('ObjectOwnership BucketOwnerEnforced and ObjectLockEnabledForBucket false create the bucket', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'unconf-enforced', ObjectOwnership: 'BucketOwnerEnforced', ObjectLockEnabledForBucket: false }));
    await s3.send(new HeadBucketCommand({ Bucket: 'unconf-enforced' }));
  });
});

// Ownership controls are stored and applied (ownership.ts); their behaviour is tested in acl.test.ts.
describe('ownership controls: validation', () => {
  it('an unknown ownership, two rules or bad XML → MalformedXML', async () => {
    const rule = (o: string): string => `<Rule><ObjectOwnership>${o}</ObjectOwnership></Rule>`;
    expect((await raw('PUT', 'ownershipControls', `<OwnershipControls>${rule('Everyone')}</OwnershipControls>`)).code).toBe('MalformedXML');
    expect((await raw('PUT', 'ownershipControls', `<OwnershipControls>${rule('BucketOwnerEnforced')}${rule('BucketOwnerEnforced')}</OwnershipControls>`)).code).toBe('MalformedXML');
    expect((await raw('PUT', 'ownershipControls', '<OwnershipControls>')).code).toBe('MalformedXML');
    expect((await raw('PUT', 'ownershipControls', '<Other/>')).code).toBe('MalformedXML');
  });
});

describe('logging, notifications, acceleration, requester pays: the off state', () => {
  it('GetBucketLogging → empty BucketLoggingStatus; empty Put → 200; LoggingEnabled → 501', async () => {
    const out = await s3.send(new GetBucketLoggingCommand({ Bucket: B }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.LoggingEnabled).toBeUndefined();
    expect((await raw('GET', 'logging')).body).toContain('<BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>');
    const put = await s3.send(new PutBucketLoggingCommand({ Bucket: B, BucketLoggingStatus: {} }));
    expect(put.$metadata.httpStatusCode).toBe(200);
    await expectS3Error(s3.send(new PutBucketLoggingCommand({ Bucket: B, BucketLoggingStatus: { LoggingEnabled: { TargetBucket: B, TargetPrefix: 'logs/' } } })), 'NotImplemented', 501);
    expect((await raw('PUT', 'logging', '<BucketLoggingStatus><Surprise/></BucketLoggingStatus>')).code).toBe('MalformedXML');
  });

  it('GetBucketNotificationConfiguration → empty; empty Put → 200; any destination → 501', async () => {
    const out = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: B }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.TopicConfigurations ?? []).toEqual([]);
    expect(out.QueueConfigurations ?? []).toEqual([]);
    expect(out.LambdaFunctionConfigurations ?? []).toEqual([]);
    expect(out.EventBridgeConfiguration).toBeUndefined();
    const put = await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: B, NotificationConfiguration: {} }));
    expect(put.$metadata.httpStatusCode).toBe(200);
    await expectS3Error(
      s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: B,
          NotificationConfiguration: { QueueConfigurations: [{ QueueArn: 'arn:aws:sqs:us-east-1:1:q', Events: ['s3:ObjectCreated:*'] }] },
        }),
      ),
      'NotImplemented',
      501,
    );
    await expectS3Error(s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: B, NotificationConfiguration: { EventBridgeConfiguration: {} } })), 'NotImplemented', 501);
  });

  it('GetBucketAccelerateConfiguration → no Status; Put Suspended → 200 and reported; Enabled → 501', async () => {
    const bucket = 'unconf-accel';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const before = await s3.send(new GetBucketAccelerateConfigurationCommand({ Bucket: bucket }));
    expect(before.$metadata.httpStatusCode).toBe(200);
    expect(before.Status).toBeUndefined();
    await expectS3Error(s3.send(new PutBucketAccelerateConfigurationCommand({ Bucket: bucket, AccelerateConfiguration: { Status: 'Enabled' } })), 'NotImplemented', 501);
    const put = await s3.send(new PutBucketAccelerateConfigurationCommand({ Bucket: bucket, AccelerateConfiguration: { Status: 'Suspended' } }));
    expect(put.$metadata.httpStatusCode).toBe(200);
    expect((await s3.send(new GetBucketAccelerateConfigurationCommand({ Bucket: bucket }))).Status).toBe('Suspended');
    expect((await raw('PUT', 'accelerate', '<AccelerateConfiguration><Status>Fast</Status></AccelerateConfiguration>')).code).toBe('MalformedXML');
  });

  it('GetBucketRequestPayment → BucketOwner; Put BucketOwner → 200; Requester → 501', async () => {
    expect((await s3.send(new GetBucketRequestPaymentCommand({ Bucket: B }))).Payer).toBe('BucketOwner');
    const put = await s3.send(new PutBucketRequestPaymentCommand({ Bucket: B, RequestPaymentConfiguration: { Payer: 'BucketOwner' } }));
    expect(put.$metadata.httpStatusCode).toBe(200);
    await expectS3Error(s3.send(new PutBucketRequestPaymentCommand({ Bucket: B, RequestPaymentConfiguration: { Payer: 'Requester' } })), 'NotImplemented', 501);
    expect((await s3.send(new GetBucketRequestPaymentCommand({ Bucket: B }))).Payer).toBe('BucketOwner');
  });
});

describe('analytics, metrics, inventory, intelligent-tiering', () => {
  it('List → 200, empty, IsTruncated false', async () => {
    const a = await s3.send(new ListBucketAnalyticsConfigurationsCommand({ Bucket: B }));
    expect(a.IsTruncated).toBe(false);
    expect(a.AnalyticsConfigurationList).toBeUndefined();
    const m = await s3.send(new ListBucketMetricsConfigurationsCommand({ Bucket: B }));
    expect(m.IsTruncated).toBe(false);
    expect(m.MetricsConfigurationList).toBeUndefined();
    const i = await s3.send(new ListBucketInventoryConfigurationsCommand({ Bucket: B }));
    expect(i.IsTruncated).toBe(false);
    expect(i.InventoryConfigurationList).toBeUndefined();
    const it2 = await s3.send(new ListBucketIntelligentTieringConfigurationsCommand({ Bucket: B }));
    expect(it2.IsTruncated).toBe(false);
    expect(it2.IntelligentTieringConfigurationList).toBeUndefined();
    expect((await raw('GET', 'metrics')).body).toContain('<ListMetricsConfigurationsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</IsTruncated></ListMetricsConfigurationsResult>');
  });

  it('Get with an id → 404 NoSuchConfiguration; Delete → 404 NoSuchConfiguration; Put → 501', async () => {
    await expectS3Error(s3.send(new GetBucketAnalyticsConfigurationCommand({ Bucket: B, Id: 'a' })), 'NoSuchConfiguration', 404);
    await expectS3Error(s3.send(new GetBucketMetricsConfigurationCommand({ Bucket: B, Id: 'm' })), 'NoSuchConfiguration', 404);
    await expectS3Error(s3.send(new GetBucketInventoryConfigurationCommand({ Bucket: B, Id: 'i' })), 'NoSuchConfiguration', 404);
    await expectS3Error(s3.send(new GetBucketIntelligentTieringConfigurationCommand({ Bucket: B, Id: 't' })), 'NoSuchConfiguration', 404);
    await expectS3Error(s3.send(new DeleteBucketAnalyticsConfigurationCommand({ Bucket: B, Id: 'a' })), 'NoSuchConfiguration', 404);
    await expectS3Error(s3.send(new PutBucketMetricsConfigurationCommand({ Bucket: B, Id: 'm', MetricsConfiguration: { Id: 'm' } })), 'NotImplemented', 501);
  });
});

describe('common to all of them', () => {
  it('a missing bucket is NoSuchBucket, for reads and writes', async () => {
    await expectS3Error(s3.send(new GetBucketEncryptionCommand({ Bucket: MISSING })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new GetBucketOwnershipControlsCommand({ Bucket: MISSING })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new ListBucketMetricsConfigurationsCommand({ Bucket: MISSING })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new PutBucketLoggingCommand({ Bucket: MISSING, BucketLoggingStatus: {} })), 'NoSuchBucket', 404);
  });

  it('anonymous requests are refused like any bucket operation', async () => {
    for (const sub of ['encryption', 'ownershipControls', 'logging', 'metrics']) {
      const r = await fetch(`${t.endpoint}/${B}?${sub}`);
      expect(r.status, sub).toBe(403);
      expect(await r.text()).toContain('<Code>AccessDenied</Code>');
    }
  });

  it('other methods on these sub-resources → 405, never a bucket or object operation', async () => {
    expect(await raw('POST', 'website')).toMatchObject({ status: 405, code: 'MethodNotAllowed' });
    expect(await raw('DELETE', 'object-lock')).toMatchObject({ status: 405, code: 'MethodNotAllowed' });
    expect(await raw('DELETE', 'legal-hold', undefined, 'obj')).toMatchObject({ status: 405, code: 'MethodNotAllowed' });
  });

  it('a body over the small-XML limit is refused before parsing', async () => {
    const big = `<BucketLoggingStatus>${' '.repeat(t.config.limits.maxXmlBodyBytes + 1)}</BucketLoggingStatus>`;
    expect(await raw('PUT', 'logging', big)).toMatchObject({ status: 400, code: 'EntityTooLarge' });
  });
});

describe('public access block', () => {
  it('none is configured: Get → 404 NoSuchPublicAccessBlockConfiguration, Put → 501 (not enforced, so not stored), Delete → 204', async () => {
    await expectS3Error(s3.send(new GetPublicAccessBlockCommand({ Bucket: B })), 'NoSuchPublicAccessBlockConfiguration', 404);
    await expectS3Error(
      s3.send(new PutPublicAccessBlockCommand({ Bucket: B, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } })),
      'NotImplemented',
      501,
    );
    const del = await s3.send(new DeletePublicAccessBlockCommand({ Bucket: B }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expectS3Error(s3.send(new GetPublicAccessBlockCommand({ Bucket: MISSING })), 'NoSuchBucket', 404);
  });
});
