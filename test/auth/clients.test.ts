// Real clients against a throwaway node:http server that runs only the auth layer: the AWS SDK v3
// (header auth, signed + unsigned payloads, STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer,
// checksum headers) and minio-js (header auth, presigned GET/PUT). Every request must authenticate.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import * as Minio from 'minio';
import { AwsChunkedDecoder, chunkedModeFor } from '../../src/auth/chunked.js';
import { AuthError } from '../../src/auth/errors.js';
import { authenticate, type AuthResult } from '../../src/auth/verify.js';
import { AKID, REGION, SECRET, identities } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  auth?: AuthResult;
  error?: string;
  body?: Buffer;
  trailers?: Record<string, string>;
}

const seen: Seen[] = [];
let server: Server;
let port = 0;

/** Lower-case names; repeated headers joined with ',' as SigV4 canonicalisation expects. */
function headersOf(req: IncomingMessage): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i]!.toLowerCase();
    const v = req.rawHeaders[i + 1]!;
    h[k] = h[k] === undefined ? v : h[k] + ',' + v;
  }
  return h;
}

function respond(req: IncomingMessage, res: import('node:http').ServerResponse, s: Seen): void {
  if (s.error !== undefined) {
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${s.error.split(':')[0]}</Code><Message>x</Message><RequestId>1</RequestId></Error>`);
    return;
  }
  const q = s.url.includes('?') ? s.url.slice(s.url.indexOf('?') + 1) : '';
  if (req.method === 'GET' && q.includes('list-type=2')) {
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>');
  } else if (req.method === 'POST' && q.startsWith('delete')) {
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></DeleteResult>');
  } else if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5', etag: '"5d41402abc4b2a76b9719d911017c592"', 'last-modified': new Date().toUTCString() });
    res.end('hello');
  } else if (req.method === 'HEAD') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5', etag: '"5d41402abc4b2a76b9719d911017c592"', 'last-modified': new Date().toUTCString() });
    res.end();
  } else {
    res.writeHead(200, { etag: '"5d41402abc4b2a76b9719d911017c592"' });
    res.end();
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const s: Seen = { method: req.method ?? '', url };
    seen.push(s);
    const chunks: Buffer[] = [];
    let decoder: AwsChunkedDecoder | undefined;
    try {
      const r = authenticate(
        { method: req.method ?? '', rawPath: qi < 0 ? url : url.slice(0, qi), rawQuery: qi < 0 ? '' : url.slice(qi + 1), headers: headersOf(req) },
        identities,
        { region: REGION, nowMs: Date.now() },
      );
      if (r.anonymous) throw new AuthError('AccessDenied', 'anonymous');
      s.auth = r;
      const mode = chunkedModeFor(r);
      if (mode !== undefined) {
        decoder = new AwsChunkedDecoder({ ...mode, onData: (v) => chunks.push(Buffer.from(v)), ...(r.decodedContentLength !== undefined ? { expectedDecodedLength: r.decodedContentLength } : {}) });
      }
    } catch (e) {
      s.error = e instanceof AuthError ? `${e.code}: ${e.message}` : `NON-AUTH ${String(e)}`;
    }
    req.on('data', (d: Buffer) => {
      if (s.error !== undefined) return;
      try {
        if (decoder !== undefined) decoder.push(d);
        else chunks.push(Buffer.from(d));
      } catch (e) {
        s.error = e instanceof AuthError ? `${e.code}: ${e.message}` : `NON-AUTH ${String(e)}`;
      }
    });
    req.on('end', () => {
      if (s.error === undefined) {
        try {
          if (decoder !== undefined) s.trailers = decoder.end().trailers;
          s.body = Buffer.concat(chunks);
          if (s.auth?.payloadMode === 'signed' && createHash('sha256').update(s.body).digest('hex') !== s.auth.payloadSha256Hex) {
            s.error = 'XAmzContentSHA256Mismatch';
          }
        } catch (e) {
          s.error = e instanceof AuthError ? `${e.code}: ${e.message}` : `NON-AUTH ${String(e)}`;
        }
      }
      respond(req, res, s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function crc32Base64(b: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(b));
  return out.toString('base64');
}

describe('AWS SDK v3', () => {
  const client = (): S3Client =>
    new S3Client({ region: REGION, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, maxAttempts: 1 });

  it('PutObject with a buffer body (signed payload + checksum header)', async () => {
    seen.length = 0;
    await client().send(new PutObjectCommand({ Bucket: 'bucket', Key: 'dir/a b+c(1)!é~.txt', Body: Buffer.from('hello world'), ContentType: 'text/plain', Metadata: { note: 'x  y' } }));
    const s = seen.at(-1)!;
    expect(s.error).toBeUndefined();
    expect(s.body!.toString()).toBe('hello world');
  });

  it('PutObject with a stream body (aws-chunked, unsigned payload, CRC32 trailer)', async () => {
    seen.length = 0;
    const data = Buffer.alloc(200_000, 'q');
    await client().send(new PutObjectCommand({ Bucket: 'bucket', Key: 'stream.bin', Body: Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]), ContentLength: data.length }));
    const s = seen.at(-1)!;
    expect(s.error).toBeUndefined();
    expect(s.auth!.payloadMode).toBe('streaming-unsigned-trailer');
    expect(s.body!.equals(data)).toBe(true);
    expect(s.trailers).toEqual({ 'x-amz-checksum-crc32': crc32Base64(data) });
  });

  it('GetObject with range, HeadObject, ListObjectsV2, DeleteObjects, UploadPart', async () => {
    seen.length = 0;
    const c = client();
    await (await c.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'x/y z%.txt', Range: 'bytes=0-4', VersionId: 'v/1' }))).Body!.transformToString();
    await c.send(new HeadObjectCommand({ Bucket: 'bucket', Key: 'ключ' }));
    await c.send(new ListObjectsV2Command({ Bucket: 'bucket', Prefix: 'a b/ü', Delimiter: '/', StartAfter: 'a+b' }));
    await c.send(new DeleteObjectsCommand({ Bucket: 'bucket', Delete: { Objects: [{ Key: 'a' }, { Key: 'b c' }] } }));
    await c.send(new UploadPartCommand({ Bucket: 'bucket', Key: 'k', UploadId: 'abc/def+g==', PartNumber: 3, Body: Buffer.alloc(1000, 1) }));
    expect(seen.map((s) => s.error)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('a wrong secret is SignatureDoesNotMatch, an unknown key InvalidAccessKeyId', async () => {
    seen.length = 0;
    const bad = new S3Client({ region: REGION, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: AKID, secretAccessKey: 'not-the-secret' }, maxAttempts: 1 });
    await expect(bad.send(new HeadObjectCommand({ Bucket: 'bucket', Key: 'k' }))).rejects.toBeTruthy();
    expect(seen.at(-1)!.error).toMatch(/^SignatureDoesNotMatch/);
    const unknown = new S3Client({ region: REGION, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: 'NOPE', secretAccessKey: SECRET }, maxAttempts: 1 });
    await expect(unknown.send(new HeadObjectCommand({ Bucket: 'bucket', Key: 'k' }))).rejects.toBeTruthy();
    expect(seen.at(-1)!.error).toMatch(/^InvalidAccessKeyId/);
  });
});

describe('minio-js', () => {
  const client = (): Minio.Client => new Minio.Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: AKID, secretKey: SECRET, region: REGION, pathStyle: true });

  it('putObject, getObject, statObject', async () => {
    seen.length = 0;
    const c = client();
    await c.putObject('bucket', 'min io/key(1).txt', Buffer.from('hello minio'), 11, { 'Content-Type': 'text/plain', 'x-amz-meta-foo': 'bar' });
    await c.getObject('bucket', 'min io/key(1).txt').then((s) => new Promise((r) => { s.on('data', () => {}); s.on('end', r); }));
    await c.statObject('bucket', 'a/b');
    expect(seen.map((s) => s.error)).toEqual([undefined, undefined, undefined]);
    expect(seen[0]!.body!.toString()).toBe('hello minio');
  });

  it('presignedGetObject / presignedPutObject URLs verify', async () => {
    seen.length = 0;
    const c = client();
    const get = await c.presignedGetObject('bucket', 'dir/pre signed+é.txt', 600, { 'response-content-type': 'text/plain' });
    expect((await fetch(get)).status).toBe(200);
    const put = await c.presignedPutObject('bucket', 'up load.txt', 600);
    expect((await fetch(put, { method: 'PUT', body: 'data' })).status).toBe(200);
    expect(seen.map((s) => s.error)).toEqual([undefined, undefined]);
    expect(seen.map((s) => s.auth?.kind)).toEqual(['presigned-v4', 'presigned-v4']);
  });
});
