// POST Object (browser-based uploads) through the real server: forms built by the AWS SDK's
// createPresignedPost and by hand (signed with the project's SigV4 primitives), sent with fetch + FormData
// or as raw multipart bytes. Success statuses, redirect, ${filename}, metadata, content-length-range,
// every auth failure, malformed bodies, and that a rejected POST leaves no object behind.

import { createHash, createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { minioClient, sdkClient } from '../helpers/server-clients.js';
import { startS3Suite, stopS3Suite } from '../helpers/s3-suite.js';
import { rawExchange } from '../helpers/server-raw.js';
import { deriveSigningKey, formatAmzDate, hmacHex } from '../../src/auth/sigv4.js';
import { POST_MAX_FIELD_VALUE_BYTES, POST_MAX_FIELDS } from '../../src/s3/post-object.js';

let t: TestServer;
let s3: S3Client;
const B = 'post-bucket';

beforeAll(async () => ({ t, s3 } = await startS3Suite([B])));
afterAll(() => stopS3Suite(t, s3));

type Fields = Record<string, string>;

/** fetch a multipart form: the fields in order, then the file last (as S3 requires). */
async function postForm(url: string, fields: Fields, file: { data: Uint8Array | string; name?: string; type?: string } | undefined, after: Fields = {}): Promise<Response> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append('file', new Blob([file.data], { type: file.type ?? 'application/octet-stream' }), file.name ?? 'upload.bin');
  for (const [k, v] of Object.entries(after)) fd.append(k, v);
  return fetch(url, { method: 'POST', body: fd, redirect: 'manual' });
}

/** A form signed by hand: any policy document, SigV4 over its base64 (what browsers' backends do). */
function handForm(policy: unknown, opts: { secret?: string; accessKeyId?: string; date?: Date } = {}): Fields {
  const d = opts.date ?? new Date();
  const amzDate = formatAmzDate(d);
  const day = amzDate.slice(0, 8);
  const credential = `${opts.accessKeyId ?? t.accessKeyId}/${day}/${t.region}/s3/aws4_request`;
  const doc = policy as { conditions?: unknown[] };
  const withAuth = {
    ...doc,
    conditions: [...(doc.conditions ?? []), { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' }, { 'x-amz-credential': credential }, { 'x-amz-date': amzDate }],
  };
  const b64 = Buffer.from(JSON.stringify(withAuth)).toString('base64');
  const sig = hmacHex(deriveSigningKey(opts.secret ?? t.secretAccessKey, day, t.region, 's3'), b64);
  return { Policy: b64, 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Credential': credential, 'X-Amz-Date': amzDate, 'X-Amz-Signature': sig };
}

function inAnHour(): string {
  return new Date(Date.now() + 3600_000).toISOString();
}

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: B, Key: key }));
    return true;
  } catch {
    return false;
  }
}

async function readBack(key: string): Promise<{ body: Buffer; contentType?: string; metadata?: Record<string, string>; etag?: string }> {
  const r = await s3.send(new GetObjectCommand({ Bucket: B, Key: key }));
  const body = Buffer.from(await r.Body!.transformToByteArray());
  const out: { body: Buffer; contentType?: string; metadata?: Record<string, string>; etag?: string } = { body };
  if (r.ContentType !== undefined) out.contentType = r.ContentType;
  if (r.Metadata !== undefined) out.metadata = r.Metadata;
  if (r.ETag !== undefined) out.etag = r.ETag;
  return out;
}

async function expectError(r: Response, status: number, code: string, message?: RegExp): Promise<void> {
  const text = await r.text();
  expect({ status: r.status, text }).toMatchObject({ status });
  expect(text).toContain(`<Code>${code}</Code>`);
  if (message) expect(text).toMatch(message);
}

describe('POST Object with createPresignedPost forms', () => {
  it('204 by default; the object reads back byte-identical with its Content-Type and x-amz-meta-*', async () => {
    const data = randomBytes(100_003);
    const { url, fields } = await createPresignedPost(s3, {
      Bucket: B,
      Key: 'sdk/plain.bin',
      Fields: { 'Content-Type': 'image/png', 'x-amz-meta-owner': 'alice', 'Cache-Control': 'max-age=60' },
      Expires: 600,
    });
    expect(url).toBe(`${t.endpoint}/${B}`);
    const r = await postForm(url, fields, { data });
    expect(r.status).toBe(204);
    const md5 = createHash('md5').update(data).digest('hex');
    expect(r.headers.get('etag')).toBe(`"${md5}"`);
    expect(r.headers.get('location')).toBe(`${t.endpoint}/${B}/sdk/plain.bin`);
    const got = await readBack('sdk/plain.bin');
    expect(got.body.equals(data)).toBe(true);
    expect(got.contentType).toBe('image/png');
    expect(got.metadata).toEqual({ owner: 'alice' });
    expect(got.etag).toBe(`"${md5}"`);
  });

  it('success_action_status 201 answers the PostResponse XML; 200 an empty body; an unknown value 204', async () => {
    const { url, fields } = await createPresignedPost(s3, { Bucket: B, Key: 'sdk/s201', Fields: { success_action_status: '201' } });
    const r = await postForm(url, fields, { data: 'hello' });
    expect(r.status).toBe(201);
    const xml = await r.text();
    expect(xml).toContain(`<Bucket>${B}</Bucket>`);
    expect(xml).toContain('<Key>sdk/s201</Key>');
    expect(xml).toContain(`<ETag>&quot;${createHash('md5').update('hello').digest('hex')}&quot;</ETag>`);
    expect(xml).toContain(`<Location>${t.endpoint}/${B}/sdk/s201</Location>`);

    const p200 = await createPresignedPost(s3, { Bucket: B, Key: 'sdk/s200', Fields: { success_action_status: '200' } });
    const r200 = await postForm(p200.url, p200.fields, { data: 'x' });
    expect(r200.status).toBe(200);
    expect(await r200.text()).toBe('');

    const p404 = await createPresignedPost(s3, { Bucket: B, Key: 'sdk/s404', Fields: { success_action_status: '404' } });
    const r404 = await postForm(p404.url, p404.fields, { data: 'x' });
    expect(r404.status).toBe(204);
    expect(await exists('sdk/s404')).toBe(true);
  });

  it('success_action_redirect answers 303 to the URL with bucket, key and etag', async () => {
    const { url, fields } = await createPresignedPost(s3, {
      Bucket: B,
      Key: 'sdk/redirect me',
      Fields: { success_action_redirect: 'https://example.com/done?x=1' },
    });
    const r = await postForm(url, fields, { data: 'abc' });
    expect(r.status).toBe(303);
    const etag = createHash('md5').update('abc').digest('hex');
    expect(r.headers.get('location')).toBe(`https://example.com/done?x=1&bucket=${B}&key=sdk%2Fredirect%20me&etag=%22${etag}%22`);
    expect((await readBack('sdk/redirect me')).body.toString()).toBe('abc');
  });

  it('${filename} in the key takes the uploaded file name (the policy sees the substituted key)', async () => {
    const { url, fields } = await createPresignedPost(s3, { Bucket: B, Key: 'uploads/${filename}' });
    const r = await postForm(url, fields, { data: 'photo bytes', name: 'cat.jpg' });
    expect(r.status).toBe(204);
    expect((await readBack('uploads/cat.jpg')).body.toString()).toBe('photo bytes');
  });

  it('content-length-range: too large → EntityTooLarge, too small → EntityTooSmall, nothing stored', async () => {
    const { url, fields } = await createPresignedPost(s3, { Bucket: B, Key: 'sdk/ranged', Conditions: [['content-length-range', 10, 100]] });
    await expectError(await postForm(url, fields, { data: randomBytes(101) }), 400, 'EntityTooLarge');
    await expectError(await postForm(url, fields, { data: randomBytes(9) }), 400, 'EntityTooSmall');
    expect(await exists('sdk/ranged')).toBe(false);
    expect((await postForm(url, fields, { data: randomBytes(100) })).status).toBe(204);
    expect((await readBack('sdk/ranged')).body.length).toBe(100);
  });

  it('a 5 MiB file streams through and reads back identical', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 17);
    const { url, fields } = await createPresignedPost(s3, { Bucket: B, Key: 'sdk/big', Conditions: [['content-length-range', 0, 6 * 1024 * 1024]] });
    const r = await postForm(url, fields, { data });
    expect(r.status).toBe(204);
    const got = await readBack('sdk/big');
    expect(got.body.length).toBe(data.length);
    expect(got.body.equals(data)).toBe(true);
  });

  it('a wrong secret → 403 SignatureDoesNotMatch; an unknown key id → 403 InvalidAccessKeyId; nothing stored', async () => {
    const bad = sdkClient(t, { secretAccessKey: 'not-the-secret' });
    const p = await createPresignedPost(bad, { Bucket: B, Key: 'sdk/badsig' });
    await expectError(await postForm(p.url, p.fields, { data: 'x' }), 403, 'SignatureDoesNotMatch');
    const stranger = sdkClient(t, { accessKeyId: 'AKIDNOBODY' });
    const q = await createPresignedPost(stranger, { Bucket: B, Key: 'sdk/badsig' });
    await expectError(await postForm(q.url, q.fields, { data: 'x' }), 403, 'InvalidAccessKeyId');
    bad.destroy();
    stranger.destroy();
    expect(await exists('sdk/badsig')).toBe(false);
  });

  it('a field the policy does not cover → 403 "Extra input fields"; a field that breaks a condition → 403', async () => {
    const { url, fields } = await createPresignedPost(s3, { Bucket: B, Key: 'sdk/extra' });
    await expectError(await postForm(url, { ...fields, 'x-amz-meta-sneaky': 'yes' }, { data: 'x' }), 403, 'AccessDenied', /Extra input fields: x-amz-meta-sneaky/);
    await expectError(await postForm(url, { ...fields, key: 'sdk/other' }, { data: 'x' }), 403, 'AccessDenied', /Policy Condition failed/);
    expect(await exists('sdk/extra')).toBe(false);
    expect(await exists('sdk/other')).toBe(false);
  });

  it('the form addressed to another bucket fails its bucket condition', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'post-other' }));
    const { fields } = await createPresignedPost(s3, { Bucket: B, Key: 'sdk/wrong-bucket' });
    await expectError(await postForm(`${t.endpoint}/post-other`, fields, { data: 'x' }), 403, 'AccessDenied', /Policy Condition failed/);
  });

  it('x-ignore-* fields and fields after the file are ignored', async () => {
    const { url, fields } = await createPresignedPost(s3, { Bucket: B, Key: 'sdk/ignored' });
    const r = await postForm(url, { ...fields, 'x-ignore-tracking': '1' }, { data: 'kept' }, { 'x-amz-meta-late': 'after the file' });
    expect(r.status).toBe(204);
    const got = await readBack('sdk/ignored');
    expect(got.body.toString()).toBe('kept');
    expect(got.metadata).toEqual({});
  });
});

describe('POST Object with minio-js presignedPostPolicy', () => {
  it('a minio policy form uploads with its content type, metadata and length range', async () => {
    const mc = minioClient(t);
    const policy = mc.newPostPolicy();
    policy.setBucket(B);
    policy.setKey('minio/form.txt');
    policy.setExpires(new Date(Date.now() + 600_000));
    policy.setContentType('text/plain');
    policy.setContentLengthRange(1, 1024);
    policy.setUserMetaData({ origin: 'minio' });
    const { postURL, formData } = await mc.presignedPostPolicy(policy);
    const r = await postForm(postURL, formData as Fields, { data: 'from minio', type: 'text/plain' });
    expect(r.status).toBe(204);
    const got = await readBack('minio/form.txt');
    expect(got.body.toString()).toBe('from minio');
    expect(got.contentType).toBe('text/plain');
    expect(got.metadata).toEqual({ origin: 'minio' });
    await expectError(await postForm(postURL, formData as Fields, { data: randomBytes(1025) }), 400, 'EntityTooLarge');
  });
});

describe('POST Object on a virtual-hosted bucket', () => {
  it('Host: <bucket>.<domain> routes to the bucket; Location is the virtual-hosted URL', async () => {
    const v = await startTestServer({ flags: { domain: 'localhost' } });
    try {
      const c = sdkClient(v);
      await c.send(new CreateBucketCommand({ Bucket: 'vhost-post' }));
      const { fields } = await createPresignedPost(c, { Bucket: 'vhost-post', Key: 'v/obj' });
      c.destroy();
      const fd = new FormData();
      for (const [k, val] of Object.entries(fields)) fd.append(k, val);
      fd.append('file', new Blob(['vhost bytes']), 'f');
      const req = new Request(`${v.endpoint}/`, { method: 'POST', body: fd });
      const body = Buffer.from(await req.arrayBuffer());
      const r = await rawExchange(v.port, {
        method: 'POST',
        target: '/',
        headers: { 'content-type': req.headers.get('content-type')!, host: `vhost-post.localhost:${v.port}`, 'content-length': String(body.length) },
        body,
      });
      expect(r.status).toBe(204);
      expect(r.headers['location']).toBe(`http://vhost-post.localhost:${v.port}/v/obj`);
      expect(v.engine.headObject('vhost-post', 'v/obj')?.sizeBytes).toBe(11);
    } finally {
      await v.stop();
    }
  });
});

describe('POST Object with hand-built forms', () => {
  it('an expired policy → 403 "Policy expired."', async () => {
    const f = handForm({ expiration: new Date(Date.now() - 60_000).toISOString(), conditions: [{ bucket: B }, { key: 'hand/expired' }] });
    await expectError(await postForm(`${t.endpoint}/${B}`, { key: 'hand/expired', ...f }, { data: 'x' }), 403, 'AccessDenied', /Policy expired/);
    expect(await exists('hand/expired')).toBe(false);
  });

  it('no policy at all is anonymous → 403 AccessDenied', async () => {
    await expectError(await postForm(`${t.endpoint}/${B}`, { key: 'hand/anon' }, { data: 'x' }), 403, 'AccessDenied');
    expect(await exists('hand/anon')).toBe(false);
  });

  it('missing signature fields → 400 InvalidArgument; missing key → 400 InvalidArgument', async () => {
    const f = handForm({ expiration: inAnHour(), conditions: [{ bucket: B }, ['starts-with', '$key', '']] });
    const noSig: Fields = { key: 'hand/nosig', ...f };
    delete noSig['X-Amz-Signature'];
    await expectError(await postForm(`${t.endpoint}/${B}`, noSig, { data: 'x' }), 400, 'InvalidArgument');
    await expectError(await postForm(`${t.endpoint}/${B}`, f, { data: 'x' }), 400, 'InvalidArgument', /must contain a field named &apos;key&apos;/);
  });

  it('no file part → 400 IncorrectNumberOfFilesInPostRequest (after the policy verified)', async () => {
    const f = handForm({ expiration: inAnHour(), conditions: [{ bucket: B }, { key: 'hand/nofile' }] });
    await expectError(await postForm(`${t.endpoint}/${B}`, { key: 'hand/nofile', ...f }, undefined), 400, 'IncorrectNumberOfFilesInPostRequest');
    await expectError(await postForm(`${t.endpoint}/${B}`, { key: 'hand/nofile' }, undefined), 403, 'AccessDenied');
  });

  it('case-insensitive field names, Content-MD5 and x-amz-checksum-sha256 fields, tagging XML', async () => {
    const body = Buffer.from('checked content');
    const md5 = createHash('md5').update(body).digest('base64');
    const sha = createHash('sha256').update(body).digest('base64');
    const tagging = '<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>';
    const f = handForm({
      expiration: inAnHour(),
      conditions: [{ bucket: B }, ['eq', '$KEY', 'hand/checked'], { 'content-md5': md5 }, { 'x-amz-checksum-sha256': sha }, { tagging }],
    });
    const r = await postForm(`${t.endpoint}/${B}`, { KEY: 'hand/checked', ...f, 'Content-MD5': md5, 'x-amz-checksum-sha256': sha, tagging }, { data: body });
    expect(r.status).toBe(204);
    expect(r.headers.get('x-amz-checksum-sha256')).toBe(sha);
    expect((await readBack('hand/checked')).body.equals(body)).toBe(true);
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'hand/checked' }));
    expect(tags.TagSet).toEqual([{ Key: 'k', Value: 'v' }]);

    const wrong = createHash('md5').update('other').digest('base64');
    const g = handForm({ expiration: inAnHour(), conditions: [{ bucket: B }, { key: 'hand/badmd5' }, { 'content-md5': wrong }] });
    await expectError(await postForm(`${t.endpoint}/${B}`, { key: 'hand/badmd5', ...g, 'Content-MD5': wrong }, { data: body }), 400, 'BadDigest');
    expect(await exists('hand/badmd5')).toBe(false);
  });

  it('fields sent as file parts (Python requests `files=`, s3-tests) are fields; the part named file is the content', async () => {
    const tagging = '<Tagging><TagSet><Tag><Key>0</Key><Value>0</Value></Tag></TagSet></Tagging>';
    const f = handForm({ expiration: inAnHour(), conditions: [{ bucket: B }, ['starts-with', '$key', 'asfile/'], ['starts-with', '$tagging', '']] });
    const asFiles = async (fields: Fields, content: string, after: Fields = {}): Promise<Response> => {
      const fd = new FormData();
      // Every part carries a filename, as requests does for a plain string in `files=`.
      for (const [k, v] of Object.entries(fields)) fd.append(k, new Blob([v]), k);
      fd.append('file', new Blob([content]), 'file');
      for (const [k, v] of Object.entries(after)) fd.append(k, new Blob([v]), k);
      return fetch(`${t.endpoint}/${B}`, { method: 'POST', body: fd });
    };
    const r = await asFiles({ key: 'asfile/one', ...f, tagging }, 'bar', { ignored: 'after the file' });
    expect(r.status).toBe(204);
    expect((await readBack('asfile/one')).body.toString()).toBe('bar');
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'asfile/one' }));
    expect(tags.TagSet).toEqual([{ Key: '0', Value: '0' }]);
    // The file part waits for the fields before it, then streams as usual (a few MiB here).
    const big = randomBytes(3 * 1024 * 1024 + 5).toString('base64');
    expect((await asFiles({ key: 'asfile/big', ...f }, big)).status).toBe(204);
    expect((await readBack('asfile/big')).body.toString()).toBe(big);
    // Such a field is bounded like any other.
    const long = await asFiles({ key: 'asfile/long', ...f, 'x-amz-meta-big': 'x'.repeat(POST_MAX_FIELD_VALUE_BYTES + 1) }, 'bar');
    await expectError(long, 400, 'MaxPostPreDataLengthExceeded');
    expect(await exists('asfile/long')).toBe(false);
  });

  it('too many fields before the file → 400 MaxPostPreDataLengthExceeded', async () => {
    const f = handForm({ expiration: inAnHour(), conditions: [{ bucket: B }, { key: 'hand/many' }] });
    const extra: Fields = {};
    for (let i = 0; i < POST_MAX_FIELDS; i++) extra[`x-ignore-${i}`] = 'v';
    await expectError(await postForm(`${t.endpoint}/${B}`, { key: 'hand/many', ...f, ...extra }, { data: 'x' }), 400, 'MaxPostPreDataLengthExceeded');
  });

  it('a missing bucket is NoSuchBucket once the policy verified', async () => {
    const f = handForm({ expiration: inAnHour(), conditions: [{ bucket: 'no-such-bucket' }, { key: 'k' }] });
    await expectError(await postForm(`${t.endpoint}/no-such-bucket`, { key: 'k', ...f }, { data: 'x' }), 404, 'NoSuchBucket');
  });
});

describe('POST Object with Signature Version 2 forms (boto2, ceph s3-tests)', () => {
  function v2Form(policy: unknown, secret = t.secretAccessKey): Fields {
    const b64 = Buffer.from(JSON.stringify(policy)).toString('base64');
    return { AWSAccessKeyId: t.accessKeyId, policy: b64, signature: createHmac('sha1', secret).update(b64).digest('base64') };
  }
  const policy = () => ({
    expiration: inAnHour(),
    conditions: [{ bucket: B }, ['starts-with', '$key', 'v2/'], { acl: 'private' }, ['starts-with', '$Content-Type', 'text/plain'], ['content-length-range', 0, 1024]],
  });

  it('uploads with the HMAC-SHA1 policy signature and reads back', async () => {
    const r = await postForm(`${t.endpoint}/${B}`, { key: 'v2/foo.txt', acl: 'private', 'Content-Type': 'text/plain', ...v2Form(policy()) }, { data: 'bar' });
    expect(r.status).toBe(204);
    const back = await readBack('v2/foo.txt');
    expect(back.body.toString()).toBe('bar');
    expect(back.contentType).toBe('text/plain');
  });

  it('a wrong secret → 403 SignatureDoesNotMatch, a broken condition → 403 AccessDenied; nothing stored', async () => {
    await expectError(await postForm(`${t.endpoint}/${B}`, { key: 'v2/bad.txt', acl: 'private', 'Content-Type': 'text/plain', ...v2Form(policy(), 'wrong') }, { data: 'x' }), 403, 'SignatureDoesNotMatch');
    await expectError(await postForm(`${t.endpoint}/${B}`, { key: 'v2/bad2.txt', acl: 'public-read', 'Content-Type': 'text/plain', ...v2Form(policy()) }, { data: 'x' }), 403, 'AccessDenied');
    expect(await exists('v2/bad.txt')).toBe(false);
    expect(await exists('v2/bad2.txt')).toBe(false);
  });
});

describe('POST Object with malformed bodies', () => {
  async function rawPost(body: string | Buffer, contentType: string): Promise<Response> {
    return fetch(`${t.endpoint}/${B}`, { method: 'POST', body, headers: { 'content-type': contentType } });
  }

  it('a part header starting with whitespace (the dicer crash, CVE-2022-24434) → 400, the node stays up', async () => {
    const boundary = '----WebKitFormBoundaryoo6vortfDzBsDiro';
    const body = `--${boundary}\r\n Content-Disposition: form-data; name="bildbeschreibung"\r\n\r\n\r\n--${boundary}--`;
    const r = await rawPost(body, `multipart/form-data; boundary=${boundary}`);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    await r.text();
    const { url, fields } = await createPresignedPost(s3, { Bucket: B, Key: 'after-crash-attempt' });
    expect((await postForm(url, fields, { data: 'alive' })).status).toBe(204);
  });

  it('no boundary, or a body cut before the closing boundary → 400 MalformedPOSTRequest', async () => {
    await expectError(await rawPost('whatever', 'multipart/form-data'), 400, 'MalformedPOSTRequest');
    const b = 'xyz';
    const cut = `--${b}\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--${b}\r\nContent-Disposition: form-data; name="policy"\r\n\r\nabc`;
    await expectError(await rawPost(cut, `multipart/form-data; boundary=${b}`), 400, 'MalformedPOSTRequest');
  });

  it('POST on a bucket without a multipart body is still 405 MethodNotAllowed (signed)', async () => {
    const r = await rawPost('x', 'text/plain');
    expect(r.status).toBe(403); // anonymous: authenticated before the 405
    await r.text();
  });
});

describe('POST Object on a versioned bucket', () => {
  it('each upload is a new version, answered in x-amz-version-id; the previous one stays readable', async () => {
    const VB = 'post-versioned';
    await s3.send(new CreateBucketCommand({ Bucket: VB }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: VB, VersioningConfiguration: { Status: 'Enabled' } }));
    const ids: string[] = [];
    for (const body of ['first', 'second']) {
      const { url, fields } = await createPresignedPost(s3, { Bucket: VB, Key: 'form.txt' });
      const r = await postForm(url, fields, { data: body });
      expect(r.status).toBe(204);
      expect(r.headers.get('x-amz-version-id')).toMatch(/^[0-9a-f]{16}$/);
      ids.push(r.headers.get('x-amz-version-id')!);
    }
    expect(ids[0]).not.toBe(ids[1]);
    const old = await s3.send(new GetObjectCommand({ Bucket: VB, Key: 'form.txt', VersionId: ids[0] }));
    expect(await old.Body!.transformToString()).toBe('first');
    const cur = await s3.send(new GetObjectCommand({ Bucket: VB, Key: 'form.txt' }));
    expect(cur.VersionId).toBe(ids[1]);
    // A bucket never versioned answers no version id.
    const { url, fields } = await createPresignedPost(s3, { Bucket: B, Key: 'form-plain.txt' });
    const r = await postForm(url, fields, { data: 'x' });
    expect(r.status).toBe(204);
    expect(r.headers.get('x-amz-version-id')).toBeNull();
  });
});
