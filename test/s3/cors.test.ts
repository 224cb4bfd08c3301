// Bucket CORS through the real server: Put/Get/DeleteBucketCors with the AWS SDK v3, validation
// errors, unauthenticated preflights with fetch, Access-Control-* headers on actual responses
// (errors included), and the configuration surviving a restart.

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  GetBucketCorsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type CORSRule,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/server-clients.js';
import { expectS3Error } from '../helpers/s3-suite.js';
import { rawExchange, signedRequest } from '../helpers/server-raw.js';

let t: TestServer;
let s3: S3Client;
const B = 'corsy';
const NONE = 'no-cors';

const RULES: CORSRule[] = [
  {
    ID: 'app',
    AllowedOrigins: ['https://app.example.org'],
    AllowedMethods: ['GET', 'PUT', 'HEAD'],
    AllowedHeaders: ['Content-Type', 'x-amz-*'],
    ExposeHeaders: ['ETag', 'x-amz-request-id'],
    MaxAgeSeconds: 600,
  },
  { AllowedOrigins: ['https://*.example.com'], AllowedMethods: ['GET', 'POST'] },
  { AllowedOrigins: ['*'], AllowedMethods: ['HEAD'], AllowedHeaders: ['*'] },
];


function preflight(p: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${t.endpoint}${p}`, { method: 'OPTIONS', headers });
}

function xmlCode(body: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
}

/** A raw signed PutBucketCors (bodies the SDK would not produce), with Content-MD5. */
async function rawPutCors(bucket: string, xml: string, withMd5 = true): Promise<{ status: number; code: string | undefined; body: string }> {
  const headers: Record<string, string> = withMd5 ? { 'content-md5': createHash('md5').update(xml).digest('base64') } : {};
  const r = await rawExchange(t.port, signedRequest(t, 'PUT', `/${bucket}`, { query: [['cors', '']], headers, body: xml }));
  const body = r.body.toString('utf8');
  return { status: r.status, code: xmlCode(body), body };
}

beforeAll(async () => {
  t = await startTestServer();
  s3 = sdkClient(t);
  await s3.send(new CreateBucketCommand({ Bucket: B }));
  await s3.send(new CreateBucketCommand({ Bucket: NONE }));
  await s3.send(new PutBucketCorsCommand({ Bucket: B, CORSConfiguration: { CORSRules: RULES } }));
  await s3.send(new PutObjectCommand({ Bucket: B, Key: 'obj', Body: 'hello' }));
  await s3.send(new PutObjectCommand({ Bucket: NONE, Key: 'obj', Body: 'hello' }));
});

afterAll(async () => {
  s3?.destroy();
  await t?.stop();
});

describe('Put/Get/DeleteBucketCors', () => {
  it('round-trips the rules and deletes them', async () => {
    const bucket = 'cors-roundtrip';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await expectS3Error(s3.send(new GetBucketCorsCommand({ Bucket: bucket })), 'NoSuchCORSConfiguration', 404, 'The CORS configuration does not exist');
    const put = await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: RULES } }));
    expect(put.$metadata.httpStatusCode).toBe(200);
    const got = await s3.send(new GetBucketCorsCommand({ Bucket: bucket }));
    expect(got.CORSRules).toEqual([
      RULES[0],
      { AllowedOrigins: ['https://*.example.com'], AllowedMethods: ['GET', 'POST'] },
      { AllowedOrigins: ['*'], AllowedMethods: ['HEAD'], AllowedHeaders: ['*'] },
    ]);
    // a second Put replaces the whole configuration
    await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['DELETE'] }] } }));
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules).toEqual([{ AllowedOrigins: ['*'], AllowedMethods: ['DELETE'] }]);
    const del = await s3.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expectS3Error(s3.send(new GetBucketCorsCommand({ Bucket: bucket })), 'NoSuchCORSConfiguration', 404);
    // deleting again is still 204
    expect((await s3.send(new DeleteBucketCorsCommand({ Bucket: bucket }))).$metadata.httpStatusCode).toBe(204);
  });

  it('leaves other bucket settings alone', async () => {
    const { PutBucketTaggingCommand, GetBucketTaggingCommand } = await import('@aws-sdk/client-s3');
    const bucket = 'cors-and-tags';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] } }));
    await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: RULES } }));
    await s3.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toEqual([{ Key: 'k', Value: 'v' }]);
  });

  it('NoSuchBucket for a missing bucket', async () => {
    await expectS3Error(s3.send(new GetBucketCorsCommand({ Bucket: 'nope-nope' })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new PutBucketCorsCommand({ Bucket: 'nope-nope', CORSConfiguration: { CORSRules: RULES } })), 'NoSuchBucket', 404);
  });

  it('rejects unsupported methods, missing origins or methods, and bad wildcards', async () => {
    await expectS3Error(
      s3.send(new PutBucketCorsCommand({ Bucket: NONE, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }] } })),
      'InvalidRequest',
      400,
      'Found unsupported HTTP method in CORS config. Unsupported method is PATCH',
    );
    await expectS3Error(s3.send(new PutBucketCorsCommand({ Bucket: NONE, CORSConfiguration: { CORSRules: [{ AllowedOrigins: [], AllowedMethods: ['GET'] }] } })), 'MalformedXML', 400);
    await expectS3Error(s3.send(new PutBucketCorsCommand({ Bucket: NONE, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: [] }] } })), 'MalformedXML', 400);
    await expectS3Error(s3.send(new PutBucketCorsCommand({ Bucket: NONE, CORSConfiguration: { CORSRules: [] } })), 'MalformedXML', 400);
    await expectS3Error(
      s3.send(new PutBucketCorsCommand({ Bucket: NONE, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['http://*.*.x'], AllowedMethods: ['GET'] }] } })),
      'InvalidRequest',
      400,
    );
    const many = Array.from({ length: 101 }, () => ({ AllowedOrigins: ['*'], AllowedMethods: ['GET'] }));
    await expectS3Error(s3.send(new PutBucketCorsCommand({ Bucket: NONE, CORSConfiguration: { CORSRules: many } })), 'InvalidRequest', 400);
    // nothing was stored by any of these
    await expectS3Error(s3.send(new GetBucketCorsCommand({ Bucket: NONE })), 'NoSuchCORSConfiguration', 404);
  });

  it('malformed XML, a missing Content-MD5 and an oversized body (raw requests)', async () => {
    expect((await rawPutCors(NONE, '<CORSConfiguration><CORSRule>')).code).toBe('MalformedXML');
    expect((await rawPutCors(NONE, 'not xml')).code).toBe('MalformedXML');
    expect((await rawPutCors(NONE, '<Other/>')).code).toBe('MalformedXML');
    const ok = '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>';
    const noMd5 = await rawPutCors(NONE, ok, false);
    expect([noMd5.status, noMd5.code]).toEqual([400, 'InvalidRequest']);
    const big = `<CORSConfiguration><CORSRule><AllowedOrigin>${'a'.repeat(70 * 1024)}</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`;
    const tooBig = await rawPutCors(NONE, big);
    // the declared Content-Length is refused before the body is read, as for every small XML body
    expect([tooBig.status, tooBig.code]).toEqual([400, 'EntityTooLarge']);
    await expectS3Error(s3.send(new GetBucketCorsCommand({ Bucket: NONE })), 'NoSuchCORSConfiguration', 404);
  });
});

describe('preflight (OPTIONS, unauthenticated)', () => {
  it('allows an exact origin with its methods and headers', async () => {
    const r = await preflight(`/${B}/obj`, {
      Origin: 'https://app.example.org',
      'Access-Control-Request-Method': 'PUT',
      'Access-Control-Request-Headers': 'Content-Type, X-Amz-Date',
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('https://app.example.org');
    expect(r.headers.get('access-control-allow-methods')).toBe('GET, PUT, HEAD');
    expect(r.headers.get('access-control-allow-headers')).toBe('content-type, x-amz-date');
    expect(r.headers.get('access-control-expose-headers')).toBe('ETag, x-amz-request-id');
    expect(r.headers.get('access-control-max-age')).toBe('600');
    expect(r.headers.get('access-control-allow-credentials')).toBe('true');
    expect(r.headers.get('vary')).toBe('Origin, Access-Control-Request-Headers, Access-Control-Request-Method');
    expect(await r.text()).toBe('');
  });

  it('allows a wildcard origin, on the bucket and with a sub-resource query', async () => {
    for (const p of [`/${B}`, `/${B}/some/new/key`, `/${B}/obj?uploads`]) {
      const r = await preflight(p, { Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'POST' });
      expect(r.status, p).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
      expect(r.headers.get('access-control-allow-methods')).toBe('GET, POST');
      expect(r.headers.get('access-control-allow-headers')).toBeNull();
      expect(r.headers.get('access-control-max-age')).toBeNull();
    }
  });

  it("answers '*' for a rule whose origin is '*'", async () => {
    const r = await preflight(`/${B}/obj`, { Origin: 'https://anyone.net', 'Access-Control-Request-Method': 'HEAD', 'Access-Control-Request-Headers': 'x-whatever' });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
    expect(r.headers.get('access-control-allow-headers')).toBe('x-whatever');
  });

  it('403 AccessForbidden for a disallowed origin, method or header', async () => {
    const cases: Record<string, string>[] = [
      { Origin: 'https://evil.net', 'Access-Control-Request-Method': 'GET' },
      { Origin: 'https://example.com', 'Access-Control-Request-Method': 'GET' }, // *.example.com needs a subdomain
      { Origin: 'https://app.example.org', 'Access-Control-Request-Method': 'DELETE' },
      { Origin: 'https://app.example.org', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type, authorization' },
      { Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-custom' },
    ];
    for (const h of cases) {
      const r = await preflight(`/${B}/obj`, h);
      expect(r.status, JSON.stringify(h)).toBe(403);
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
      const body = await r.text();
      expect(xmlCode(body)).toBe('AccessForbidden');
      expect(body).toContain('CORSResponse: This CORS request is not allowed.');
      expect(body).toContain(`<Method>${h['Access-Control-Request-Method']}</Method>`);
      expect(body).toContain('<ResourceType>OBJECT</ResourceType>');
    }
  });

  it('403 on a bucket without a CORS configuration, 404 on a missing bucket', async () => {
    const r = await preflight(`/${NONE}/obj`, { Origin: 'https://app.example.org', 'Access-Control-Request-Method': 'GET' });
    expect(r.status).toBe(403);
    expect(xmlCode(await r.text())).toBe('AccessForbidden');
    const m = await preflight('/missing-bucket/obj', { Origin: 'https://app.example.org', 'Access-Control-Request-Method': 'GET' });
    expect(m.status).toBe(404);
    expect(xmlCode(await m.text())).toBe('NoSuchBucket');
  });

  it('400 without Origin or Access-Control-Request-Method', async () => {
    const a = await preflight(`/${B}/obj`, { 'Access-Control-Request-Method': 'GET' });
    expect(a.status).toBe(400);
    const body = await a.text();
    expect(xmlCode(body)).toBe('BadRequest');
    expect(body).toContain('Insufficient information. Origin request header needed.');
    const b = await preflight(`/${B}/obj`, { Origin: 'https://app.example.org' });
    expect(b.status).toBe(400);
    expect(xmlCode(await b.text())).toBe('BadRequest');
  });

  it('OPTIONS on the service is still refused', async () => {
    const r = await preflight('/', { Origin: 'https://app.example.org', 'Access-Control-Request-Method': 'GET' });
    expect(r.status).toBe(403);
  });
});

describe('Access-Control-* headers on actual requests', () => {
  it('GET with a matching Origin carries them; without or with another Origin it does not', async () => {
    const r = await rawExchange(t.port, signedRequest(t, 'GET', `/${B}/obj`, { headers: { origin: 'https://app.example.org' } }));
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('hello');
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example.org');
    expect(r.headers['access-control-allow-methods']).toBe('GET, PUT, HEAD');
    expect(r.headers['access-control-expose-headers']).toBe('ETag, x-amz-request-id');
    expect(r.headers['access-control-max-age']).toBe('600');
    expect(r.headers['vary']).toContain('Origin');

    const wild = await rawExchange(t.port, signedRequest(t, 'GET', `/${B}/obj`, { headers: { origin: 'https://a.example.com' } }));
    expect(wild.headers['access-control-allow-origin']).toBe('https://a.example.com');
    expect(wild.headers['access-control-max-age']).toBeUndefined();

    const plain = await rawExchange(t.port, signedRequest(t, 'GET', `/${B}/obj`));
    expect(plain.status).toBe(200);
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    const other = await rawExchange(t.port, signedRequest(t, 'GET', `/${B}/obj`, { headers: { origin: 'https://evil.net' } }));
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers['vary']).toBeUndefined();
    // the method counts: DELETE is in no rule
    const del = await rawExchange(t.port, signedRequest(t, 'DELETE', `/${B}/gone`, { headers: { origin: 'https://app.example.org' } }));
    expect(del.status).toBe(204);
    expect(del.headers['access-control-allow-origin']).toBeUndefined();
    // a bucket without CORS never adds them
    const none = await rawExchange(t.port, signedRequest(t, 'GET', `/${NONE}/obj`, { headers: { origin: 'https://app.example.org' } }));
    expect(none.status).toBe(200);
    expect(none.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('on a 404 error response and a HEAD', async () => {
    const r = await rawExchange(t.port, signedRequest(t, 'GET', `/${B}/missing`, { headers: { origin: 'https://app.example.org' } }));
    expect(r.status).toBe(404);
    expect(xmlCode(r.body.toString())).toBe('NoSuchKey');
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example.org');
    expect(r.headers['access-control-expose-headers']).toBe('ETag, x-amz-request-id');
    const h = await rawExchange(t.port, signedRequest(t, 'HEAD', `/${B}/missing`, { headers: { origin: 'https://x.net' } }), { expectNoBody: true });
    expect(h.status).toBe(404);
    expect(h.headers['access-control-allow-origin']).toBe('*');
    // an unsigned request is refused, and the browser still gets to read why
    const anon = await fetch(`${t.endpoint}/${B}/obj`, { headers: { Origin: 'https://shop.example.com' } });
    expect(anon.status).toBe(403);
    expect(anon.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
  });

  it('PUT through the SDK with an Origin header', async () => {
    const cmd = new PutObjectCommand({ Bucket: B, Key: 'from-browser', Body: 'data' });
    let headers: Record<string, string> = {};
    cmd.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers['origin'] = 'https://app.example.org';
        const out = await next(args);
        headers = (out.response as { headers: Record<string, string> }).headers;
        return out;
      },
      { step: 'build' },
    );
    const out = await s3.send(cmd);
    expect(out.ETag).toBeDefined();
    expect(headers['access-control-allow-origin']).toBe('https://app.example.org');
    expect(headers['access-control-allow-methods']).toBe('GET, PUT, HEAD');
  });
});

describe('a browser upload (POST Object)', () => {
  it('preflight, then the form POST answers with the CORS headers', async () => {
    const origin = 'https://upload.example.com';
    const pre = await preflight(`/${B}`, { Origin: origin, 'Access-Control-Request-Method': 'POST' });
    expect(pre.status).toBe(200);
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
    const { url, fields } = await createPresignedPost(s3, { Bucket: B, Key: 'browser/upload.txt' });
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    fd.append('file', new Blob(['from the browser']), 'upload.txt');
    const r = await fetch(url, { method: 'POST', body: fd, headers: { Origin: origin } });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe(origin);
    expect(r.headers.get('access-control-allow-methods')).toBe('GET, POST');
    // and a refused form still tells the page why
    const bad = new FormData();
    for (const [k, v] of Object.entries(fields)) bad.append(k, k === 'Policy' ? 'e30=' : v);
    bad.append('file', new Blob(['x']), 'x.txt');
    const denied = await fetch(url, { method: 'POST', body: bad, headers: { Origin: origin } });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBe(origin);
  });
});

describe('durability', () => {
  it('the configuration survives a restart on the same data dir', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-cors-'));
    try {
      let srv = await startTestServer({ dataDir });
      let c = sdkClient(srv);
      await c.send(new CreateBucketCommand({ Bucket: 'persist' }));
      await c.send(new PutBucketCorsCommand({ Bucket: 'persist', CORSConfiguration: { CORSRules: RULES } }));
      c.destroy();
      await srv.stop();

      srv = await startTestServer({ dataDir });
      c = sdkClient(srv);
      expect((await c.send(new GetBucketCorsCommand({ Bucket: 'persist' }))).CORSRules?.[0]).toEqual(RULES[0]);
      const r = await fetch(`${srv.endpoint}/persist/k`, { method: 'OPTIONS', headers: { Origin: 'https://app.example.org', 'Access-Control-Request-Method': 'GET' } });
      expect(r.status).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBe('https://app.example.org');
      c.destroy();
      await srv.stop();
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
