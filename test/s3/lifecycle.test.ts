// Bucket lifecycle through the real server and the AWS SDK v3: Put/Get/DeleteBucketLifecycleConfiguration
// round trips and validation errors, the x-amz-expiration header, and the sweeper — driven with an
// injected clock so day-based rules can be tested without waiting days — deleting what expired (and
// only that), never an object overwritten after it was judged, aborting stale multipart uploads,
// bounded passes, and the server's own sweeper running on its schedule and stopping on close.

import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  S3Client,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import { expectS3Error, startS3Suite, stopS3Suite } from '../helpers/s3-suite.js';
import type { TestServer } from '../helpers/server.js';
import { rawExchange, signedRequest } from '../helpers/server-raw.js';
import { minioClient } from '../helpers/server-clients.js';
import { openMultipart } from '../../src/s3/multipart/handlers.js';
import { LifecycleSweeper, type LifecycleSweeperOptions } from '../../src/s3/lifecycle-sweeper.js';
import { expiryAfterDays } from '../../src/s3/lifecycle.js';

const DAY = 24 * 3600 * 1000;
const B = 'lc-main';

let t: TestServer;
let s3: S3Client;

beforeAll(async () => {
  // The server's own sweeper is off here: each test drives one with its own clock.
  ({ t, s3 } = await startS3Suite([B], { flags: { 'lifecycle-interval-ms': '0' } }));
});

afterAll(() => stopS3Suite(t, s3));

// A sweeper walks every bucket with a configuration: each test leaves none behind, so counts stay its own.
afterEach(async () => {
  for (const b of t.engine.listBuckets()) {
    if (b.settings['lifecycle'] !== undefined) await s3.send(new DeleteBucketLifecycleCommand({ Bucket: b.name }));
  }
});

function putLifecycle(bucket: string, rules: LifecycleRule[]): Promise<unknown> {
  return s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } }));
}

async function newBucket(name: string): Promise<string> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

async function put(bucket: string, key: string, body: string | Buffer = 'x', tags?: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...(tags ? { Tagging: tags } : {}) }));
}

async function keys(bucket: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key!);
}

async function sweeper(days: number, options: Partial<LifecycleSweeperOptions> = {}): Promise<LifecycleSweeper> {
  const uploads = await openMultipart(t.engine);
  return new LifecycleSweeper(t.engine, uploads, {
    intervalMs: 0,
    maxDeletionsPerPass: 10_000,
    maxScannedPerPass: 1_000_000,
    now: () => Date.now() + days * DAY,
    ...options,
  });
}

describe('Put/Get/DeleteBucketLifecycleConfiguration', () => {
  it('round-trips every filter form and action through the SDK', async () => {
    const bucket = await newBucket('lc-roundtrip');
    await expectS3Error(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })), 'NoSuchLifecycleConfiguration', 404, 'The lifecycle configuration does not exist');
    const rules: LifecycleRule[] = [
      { ID: 'logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } },
      { ID: 'all', Status: 'Disabled', Filter: {}, Expiration: { Date: new Date('2031-01-01T00:00:00Z') } },
      { ID: 'tag', Status: 'Enabled', Filter: { Tag: { Key: 'class', Value: 'tmp' } }, Expiration: { Days: 1 } },
      { ID: 'big', Status: 'Enabled', Filter: { ObjectSizeGreaterThan: 1024 }, Expiration: { Days: 7 } },
      { ID: 'small', Status: 'Enabled', Filter: { ObjectSizeLessThan: 10 }, Expiration: { Days: 7 } },
      {
        ID: 'and',
        Status: 'Enabled',
        Filter: { And: { Prefix: 'a/', Tags: [{ Key: 'k1', Value: 'v1' }, { Key: 'k2', Value: 'v2' }], ObjectSizeGreaterThan: 1, ObjectSizeLessThan: 100 } },
        Expiration: { Days: 3 },
      },
      { ID: 'legacy', Status: 'Enabled', Prefix: 'old/', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
      {
        ID: 'noncurrent',
        Status: 'Enabled',
        Filter: { Prefix: 'v/' },
        NoncurrentVersionExpiration: { NoncurrentDays: 5 },
        NoncurrentVersionTransitions: [{ NoncurrentDays: 1, StorageClass: 'GLACIER' }],
      },
      { ID: 'markers', Status: 'Enabled', Filter: { Prefix: 'dm/' }, Expiration: { ExpiredObjectDeleteMarker: true } },
    ];
    const res = (await putLifecycle(bucket, rules)) as { $metadata: { httpStatusCode?: number } };
    expect(res.$metadata.httpStatusCode).toBe(200);
    const got = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    expect(got.Rules).toEqual(rules);

    // a second Put replaces the whole configuration
    await putLifecycle(bucket, [{ ID: 'only', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } }]);
    expect((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules).toEqual([
      { ID: 'only', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } },
    ]);
    const del = await s3.send(new DeleteBucketLifecycleCommand({ Bucket: bucket }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expectS3Error(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })), 'NoSuchLifecycleConfiguration', 404);
    expect((await s3.send(new DeleteBucketLifecycleCommand({ Bucket: bucket }))).$metadata.httpStatusCode).toBe(204);
  });

  it('assigns an ID to a rule sent without one', async () => {
    const bucket = await newBucket('lc-noid');
    await putLifecycle(bucket, [{ Status: 'Enabled', Filter: { Prefix: 'x' }, Expiration: { Days: 1 } }]);
    const [r] = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules!;
    expect(r!.ID).toMatch(/^[\w-]{20,255}$/);
  });

  it('answers invalid configurations with S3 error codes and stores nothing', async () => {
    const bucket = await newBucket('lc-invalid');
    const f = { Prefix: 'p/' };
    await expectS3Error(putLifecycle(bucket, [{ ID: 'a', Status: 'Enabled', Filter: f, Expiration: { Days: 0 } }]), 'InvalidArgument', 400, "'Days' for Expiration action must be a positive integer");
    await expectS3Error(
      putLifecycle(bucket, [
        { ID: 'dup', Status: 'Enabled', Filter: f, Expiration: { Days: 1 } },
        { ID: 'dup', Status: 'Enabled', Filter: { Prefix: 'q/' }, Expiration: { Days: 2 } },
      ]),
      'InvalidArgument',
      400,
      'Rule ID must be unique. Found same ID for more than one rule',
    );
    await expectS3Error(putLifecycle(bucket, [{ ID: 'a', Status: 'Enabled', Filter: f, Expiration: { Days: 1, Date: new Date('2031-01-01T00:00:00Z') } }]), 'MalformedXML', 400);
    await expectS3Error(putLifecycle(bucket, [{ ID: 'a', Status: 'Enabled', Filter: f, Expiration: { Date: new Date('2031-01-01T12:00:00Z') } }]), 'InvalidArgument', 400, "'Date' must be at midnight GMT");
    const many = Array.from({ length: 1001 }, (_, i): LifecycleRule => ({ ID: `r${i}`, Status: 'Enabled', Filter: f, Expiration: { Days: 1 } }));
    await expectS3Error(putLifecycle(bucket, many), 'MalformedXML', 400);
    await expectS3Error(
      putLifecycle(bucket, [{ ID: 'a', Status: 'Enabled', Filter: f, Transitions: [{ Days: 30, StorageClass: 'GLACIER' }] }]),
      'InvalidStorageClass',
      400,
      'Lifecycle transitions are not supported: Strata has a single storage class (STANDARD).',
    );
    await expectS3Error(putLifecycle(bucket, [{ ID: 'a', Status: 'Enabled', Filter: f }]), 'MalformedXML', 400);
    await expectS3Error(putLifecycle(bucket, [{ ID: 'i'.repeat(256), Status: 'Enabled', Filter: f, Expiration: { Days: 1 } }]), 'InvalidArgument', 400);
    await expectS3Error(
      putLifecycle(bucket, [{ ID: 'a', Status: 'Enabled', Filter: { Tag: { Key: 'k', Value: 'v' } }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }]),
      'InvalidRequest',
      400,
    );
    // 1000 rules are fine
    await putLifecycle(bucket, many.slice(0, 1000));
    expect((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules).toHaveLength(1000);
  });

  it('needs a bucket, a body digest, and well-formed XML (raw requests)', async () => {
    await expectS3Error(putLifecycle('no-such-bucket-lc', [{ ID: 'a', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } }]), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'no-such-bucket-lc' })), 'NoSuchBucket', 404);
    const bucket = await newBucket('lc-raw');
    const xml = '<LifecycleConfiguration><Rule><ID>a</ID><Status>Enabled</Status><Filter/><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>';
    const send = async (body: string, md5?: string): Promise<{ status: number; code: string | undefined }> => {
      const headers: Record<string, string> = md5 !== undefined ? { 'content-md5': md5 } : {};
      const r = await rawExchange(t.port, signedRequest(t, 'PUT', `/${bucket}`, { query: [['lifecycle', '']], headers, body }));
      return { status: r.status, code: /<Code>([^<]*)<\/Code>/.exec(r.body.toString('utf8'))?.[1] };
    };
    const md5 = (s: string): string => createHash('md5').update(s).digest('base64');
    expect(await send(xml)).toEqual({ status: 400, code: 'InvalidRequest' });
    expect(await send(xml, md5('something else'))).toEqual({ status: 400, code: 'BadDigest' });
    expect(await send('<LifecycleConfiguration><Rule>', md5('<LifecycleConfiguration><Rule>'))).toEqual({ status: 400, code: 'MalformedXML' });
    await expectS3Error(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })), 'NoSuchLifecycleConfiguration', 404);
    expect(await send(xml, md5(xml))).toEqual({ status: 200, code: undefined });
  });
});

describe('minio-js', () => {
  it('sets, gets and removes a lifecycle configuration', async () => {
    const bucket = await newBucket('lc-minio');
    const mc = minioClient(t);
    await mc.setBucketLifecycle(bucket, {
      Rule: [{ ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 7 } }],
    } as never);
    const got = await mc.getBucketLifecycle(bucket);
    // minio-js hands back one rule as an object, not a list
    expect(JSON.parse(JSON.stringify(got))).toMatchObject({ Rule: { ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 7 } } });
    await mc.removeBucketLifecycle(bucket);
    await expectS3Error(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })), 'NoSuchLifecycleConfiguration', 404);
  });
});

describe('x-amz-expiration', () => {
  it('is on PUT, GET and HEAD of an object an enabled rule will expire, with the rounded date', async () => {
    const bucket = await newBucket('lc-header');
    await putLifecycle(bucket, [
      { ID: 'tmp-rule', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 2 } },
      { ID: 'off', Status: 'Disabled', Filter: { Prefix: 'off/' }, Expiration: { Days: 1 } },
    ]);
    const p = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'tmp/a', Body: 'x' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'tmp/a' }));
    const expected = `expiry-date="${new Date(expiryAfterDays(head.LastModified!.getTime(), 2)).toUTCString()}", rule-id="tmp-rule"`;
    expect(head.Expiration).toBe(expected);
    expect(p.Expiration).toBe(expected);
    const get = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'tmp/a' }));
    await get.Body!.transformToByteArray();
    expect(get.Expiration).toBe(expected);
    await put(bucket, 'off/a');
    await put(bucket, 'other');
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'off/a' }))).Expiration).toBeUndefined();
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'other' }))).Expiration).toBeUndefined();
  });
});

describe('the sweeper', () => {
  it('deletes expired objects and keeps the rest (other prefix, disabled rule, too young, tag and size filters)', async () => {
    const bucket = await newBucket('lc-sweep');
    await putLifecycle(bucket, [
      { ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } },
      { ID: 'off', Status: 'Disabled', Filter: { Prefix: 'off/' }, Expiration: { Days: 1 } },
      { ID: 'young', Status: 'Enabled', Filter: { Prefix: 'young/' }, Expiration: { Days: 10 } },
      { ID: 'tag', Status: 'Enabled', Filter: { Tag: { Key: 'class', Value: 'scratch' } }, Expiration: { Days: 1 } },
      { ID: 'big', Status: 'Enabled', Filter: { And: { Prefix: 'big/', ObjectSizeGreaterThan: 100 } }, Expiration: { Days: 1 } },
    ]);
    await put(bucket, 'tmp/1');
    await put(bucket, 'tmp/2');
    await put(bucket, 'keep/1');
    await put(bucket, 'off/1');
    await put(bucket, 'young/1');
    await put(bucket, 'tagged/yes', 'x', 'class=scratch&team=a');
    await put(bucket, 'tagged/no', 'x', 'class=keep');
    await put(bucket, 'big/large', Buffer.alloc(500, 1));
    await put(bucket, 'big/small', Buffer.alloc(10, 1));
    const all = await keys(bucket);

    // today nothing has expired yet
    const today = await (await sweeper(0)).runOnce();
    expect(today).toMatchObject({ expiredObjects: 0, complete: true });
    expect(await keys(bucket)).toEqual(all);

    const s = await sweeper(3);
    const r = await s.runOnce();
    expect(r).toMatchObject({ expiredObjects: 4, skippedChanged: 0, failed: 0, complete: true });
    expect(await keys(bucket)).toEqual(['big/small', 'keep/1', 'off/1', 'tagged/no', 'young/1']);
    // eleven days on, the young one goes too
    expect((await (await sweeper(11)).runOnce()).expiredObjects).toBe(1);
    expect(await keys(bucket)).toEqual(['big/small', 'keep/1', 'off/1', 'tagged/no']);
  });

  it('never deletes an object overwritten after it was judged expired', async () => {
    const bucket = await newBucket('lc-race');
    await putLifecycle(bucket, [{ ID: 'all', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } }]);
    await put(bucket, 'hot', 'old');
    await put(bucket, 'cold', 'old');
    const s = await sweeper(3, {
      beforeDelete: async (_b, judged) => {
        expect([...judged].sort()).toEqual(['cold', 'hot']);
        await put(bucket, 'hot', 'new'); // lands between the judgement and the delete
      },
    });
    const r = await s.runOnce();
    expect(r).toMatchObject({ expiredObjects: 1, skippedChanged: 1, failed: 0 });
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'hot' }));
    expect(await got.Body!.transformToString()).toBe('new');
    expect(await keys(bucket)).toEqual(['hot']);
  });

  it('aborts stale multipart uploads and keeps young or unmatched ones', async () => {
    const bucket = await newBucket('lc-mpu');
    await putLifecycle(bucket, [
      { ID: 'stale', Status: 'Enabled', Filter: { Prefix: 'mp/stale' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
      { ID: 'young', Status: 'Enabled', Filter: { Prefix: 'mp/young' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 30 } },
    ]);
    for (const key of ['mp/stale-1', 'mp/stale-2', 'mp/young-1', 'other/1']) await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const listed = async (): Promise<string[]> => ((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map((u) => u.Key!);
    expect((await (await sweeper(0)).runOnce()).abortedUploads).toBe(0);
    const r = await (await sweeper(3)).runOnce();
    expect(r).toMatchObject({ abortedUploads: 2, failed: 0, complete: true });
    expect(await listed()).toEqual(['mp/young-1', 'other/1']);
    expect((await (await sweeper(31)).runOnce()).abortedUploads).toBe(1);
    expect(await listed()).toEqual(['other/1']);
  });

  it('bounds each pass and resumes where the last one stopped', async () => {
    const bucket = await newBucket('lc-bounded');
    await putLifecycle(bucket, [{ ID: 'x', Status: 'Enabled', Filter: { Prefix: 'x/' }, Expiration: { Days: 1 } }]);
    for (let i = 0; i < 7; i++) await put(bucket, `x/${i}`);
    await put(bucket, 'y/keep');
    const s = await sweeper(2, { maxDeletionsPerPass: 3 });
    const first = await s.runOnce();
    expect(first).toMatchObject({ expiredObjects: 3, complete: false });
    expect(await keys(bucket)).toEqual(['x/3', 'x/4', 'x/5', 'x/6', 'y/keep']);
    expect(await s.runOnce()).toMatchObject({ expiredObjects: 3, complete: false });
    expect(await s.runOnce()).toMatchObject({ expiredObjects: 1, complete: true });
    expect(await keys(bucket)).toEqual(['y/keep']);

    // the scan bound: at most 2 entries looked at per pass, still gets there
    for (let i = 0; i < 5; i++) await put(bucket, `x/${i}`);
    const slow = await sweeper(2, { maxScannedPerPass: 2 });
    let passes = 0;
    for (;;) {
      const r = await slow.runOnce();
      passes++;
      expect(r.scannedObjects + r.scannedUploads).toBeLessThanOrEqual(2);
      if (r.complete) break;
      expect(passes).toBeLessThan(20);
    }
    expect(await keys(bucket)).toEqual(['y/keep']);
  });
});

describe('closing the sweeper', () => {
  it('stops a pass under way before its deletions and arms no timer', async () => {
    const bucket = await newBucket('lc-close');
    await putLifecycle(bucket, [{ ID: 'all', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } }]);
    await put(bucket, 'a');
    let closing: Promise<void> | undefined;
    const s = await sweeper(2, {
      intervalMs: 60_000,
      beforeDelete: () => {
        closing = s.close(); // resolves once this pass has returned
      },
    });
    s.start();
    expect(s.scheduled).toBe(true);
    const r = await s.runOnce();
    await closing;
    expect(r).toMatchObject({ expiredObjects: 0, complete: false });
    expect(s.scheduled).toBe(false);
    expect(await keys(bucket)).toEqual(['a']);
    s.start(); // a closed sweeper stays closed
    expect(s.scheduled).toBe(false);
  });
});

describe("the server's own sweeper", () => {
  it('runs on its interval, counts in /metrics, and stops on close', async () => {
    const { t: t2, s3: c2 } = await startS3Suite(['auto'], { flags: { 'lifecycle-interval-ms': '50' } });
    try {
      // a Date in the past: expired now, whatever the objects' age
      await c2.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: 'auto',
          LifecycleConfiguration: { Rules: [{ ID: 'gone', Status: 'Enabled', Filter: { Prefix: 'gone/' }, Expiration: { Date: new Date('2020-01-01T00:00:00Z') } }] },
        }),
      );
      await c2.send(new PutObjectCommand({ Bucket: 'auto', Key: 'gone/1', Body: 'x' }));
      await c2.send(new PutObjectCommand({ Bucket: 'auto', Key: 'stay/1', Body: 'x' }));
      const deadline = Date.now() + 10_000;
      let left: string[] = [];
      while (Date.now() < deadline) {
        left = ((await c2.send(new ListObjectsV2Command({ Bucket: 'auto' }))).Contents ?? []).map((o) => o.Key!);
        if (left.length === 1) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(left).toEqual(['stay/1']);
      const metrics = await (await fetch(`${t2.endpoint}/metrics`)).text();
      expect(metrics).toMatch(/^strata_lifecycle_expired_objects_total 1$/m);
      expect(metrics).toMatch(/^strata_lifecycle_aborted_uploads_total 0$/m);
      expect(t2.server.lifecycle?.scheduled).toBe(true);
    } finally {
      await stopS3Suite(t2, c2);
    }
    expect(t2.server.lifecycle?.scheduled).toBe(false);
  });

  it('is not started with --lifecycle-interval-ms 0', () => {
    expect(t.server.lifecycle).toBeUndefined();
  });
});
