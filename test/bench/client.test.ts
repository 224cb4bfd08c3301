// The light client's response handling over a real socket: status, headers, byte counts, kept bodies
// (bounded by MAX_KEPT_BODY_BYTES), HEAD/404 codes and network errors — the dispatch handler does by hand
// what Pool.request() used to do for us.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LightS3Client, MAX_KEPT_BODY_BYTES, S3Error, networkErrorCode, s3ErrorCode } from '../../src/bench/client.js';
import { signRequest } from '../../src/auth/sign-request.js';
import { EMPTY_SHA256_HEX, UNSIGNED_PAYLOAD } from '../../src/auth/sigv4.js';
import { smithySigner } from '../auth/smithy.js';

const NO_SUCH_KEY = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>nope</Message></Error>';
const BIG_ERROR_BYTES = MAX_KEPT_BODY_BYTES + 300_000;

let server: Server;
let endpoint: string;
const seen: { method: string; url: string; headers: Record<string, unknown>; bodyBytes: number }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => (bodyBytes += c.length));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, bodyBytes });
      const path = req.url!.split('?')[0]!;
      if (path === '/b/missing') {
        res.writeHead(404, { 'content-type': 'application/xml' });
        res.end(req.method === 'HEAD' ? undefined : NO_SUCH_KEY);
      } else if (path === '/b/big-error') {
        // Several chunks, more than the client keeps.
        res.writeHead(500, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let left = BIG_ERROR_BYTES;
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          res.write(chunk.subarray(0, n));
          left -= n;
        }
        res.end();
      } else if (path === '/b/early-hints') {
        res.writeEarlyHints({ link: '</x>; rel=preload' });
        res.writeHead(200, { etag: '"e"' });
        res.end('after hints');
      } else if (path === '/b' || path === '/b/list') {
        res.writeHead(200, { 'content-type': 'application/xml', 'x-multi': ['a', 'b'] });
        res.end('<ListBucketResult><Key>k1</Key><Key>a&amp;b</Key><IsTruncated>false</IsTruncated></ListBucketResult>');
      } else {
        res.writeHead(200, { etag: '"abc"', 'X-Amz-Request-Id': 'R1' });
        res.end(req.method === 'GET' ? Buffer.alloc(5000, 'y') : undefined);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

function client(): LightS3Client {
  return new LightS3Client({
    endpoint,
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' },
    region: 'us-east-1',
    pathStyle: true,
    connections: 4,
    requestTimeoutMs: 10_000,
  });
}

describe('LightS3Client.send', () => {
  it('counts a GET body without keeping it, with lower-case headers and a ttfb', async () => {
    const c = client();
    try {
      const r = await c.send({ method: 'GET', bucket: 'b', key: 'obj' });
      expect(r.status).toBe(200);
      expect(r.bytes).toBe(5000);
      expect(r.text).toBeUndefined();
      expect(r.headers['etag']).toBe('"abc"');
      expect(r.headers['x-amz-request-id']).toBe('R1');
      expect(r.ttfbMs).toBeGreaterThan(0);
    } finally {
      await c.close();
    }
  });

  it('sends a PUT body with its length and a signature', async () => {
    const c = client();
    try {
      seen.length = 0;
      const r = await c.send({ method: 'PUT', bucket: 'b', key: 'a key', body: Buffer.alloc(1234, 1) });
      expect(r.status).toBe(200);
      expect(r.bytes).toBe(0);
      const req = seen[0]!;
      expect(req.url).toBe('/b/a%20key');
      expect(req.bodyBytes).toBe(1234);
      expect(req.headers['content-length']).toBe('1234');
      expect(req.headers['x-amz-content-sha256']).toBe(UNSIGNED_PAYLOAD);
      expect(String(req.headers['authorization'])).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
    } finally {
      await c.close();
    }
  });

  it('keeps an error body and maps it to its S3 code; HEAD 404 maps to NotFound', async () => {
    const c = client();
    try {
      const g = await c.send({ method: 'GET', bucket: 'b', key: 'missing' });
      expect(g.status).toBe(404);
      expect(g.text).toBe(NO_SUCH_KEY);
      expect(g.bytes).toBe(Buffer.byteLength(NO_SUCH_KEY));
      expect(s3ErrorCode(g.status, g.text)).toBe('NoSuchKey');
      await expect(c.must({ method: 'GET', bucket: 'b', key: 'missing' })).rejects.toMatchObject({ code: 'NoSuchKey', status: 404 });

      const h = await c.send({ method: 'HEAD', bucket: 'b', key: 'missing' });
      expect(h.status).toBe(404);
      expect(h.bytes).toBe(0);
      expect(h.text).toBe('');
      const err = await c.must({ method: 'HEAD', bucket: 'b', key: 'missing' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(S3Error);
      expect((err as S3Error).code).toBe('NotFound');
    } finally {
      await c.close();
    }
  });

  it('bounds a large error body at MAX_KEPT_BODY_BYTES but counts every byte', async () => {
    const c = client();
    try {
      const r = await c.send({ method: 'GET', bucket: 'b', key: 'big-error' });
      expect(r.status).toBe(500);
      expect(r.bytes).toBe(BIG_ERROR_BYTES);
      expect(r.text!.length).toBe(MAX_KEPT_BODY_BYTES);
      expect(s3ErrorCode(r.status, r.text)).toBe('HTTP500');
    } finally {
      await c.close();
    }
  });

  it('keeps a success body on request, with repeated headers as arrays', async () => {
    const c = client();
    try {
      const page = await c.listPage('b', '', 1000);
      expect(page.keys).toEqual(['k1', 'a&b']);
      expect(page.next).toBeUndefined();
      const r = await c.send({ method: 'GET', bucket: 'b', key: 'list', keepBody: true });
      expect(r.headers['x-multi']).toEqual(['a', 'b']);
    } finally {
      await c.close();
    }
  });

  it('skips 1xx interim responses', async () => {
    const c = client();
    try {
      const r = await c.send({ method: 'GET', bucket: 'b', key: 'early-hints', keepBody: true });
      expect(r.status).toBe(200);
      expect(r.headers['etag']).toBe('"e"');
      expect(r.headers['link']).toBeUndefined();
      expect(r.text).toBe('after hints');
    } finally {
      await c.close();
    }
  });

  it('runs many requests at once on few connections', async () => {
    const c = client();
    try {
      const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => c.send({ method: i % 2 ? 'GET' : 'HEAD', bucket: 'b', key: `k${i}` })));
      for (const [i, r] of rs.entries()) {
        expect(r.status).toBe(200);
        expect(r.bytes).toBe(i % 2 ? 5000 : 0);
      }
    } finally {
      await c.close();
    }
  });

  it('rejects on a network failure with a stable code', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const c = new LightS3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', pathStyle: true, connections: 1, requestTimeoutMs: 5_000 });
    try {
      const err = await c.send({ method: 'GET', bucket: 'b', key: 'k' }).catch((e: unknown) => e);
      expect(networkErrorCode(err)).toBe('ECONNREFUSED');
    } finally {
      await c.destroy();
    }
  });

  it('rejects once closed', async () => {
    const c = client();
    await c.close();
    await expect(c.send({ method: 'GET', bucket: 'b', key: 'k' })).rejects.toThrow();
  });
});

describe('signRequest without extra headers (the load generator fast path)', () => {
  it('matches @smithy/signature-v4', async () => {
    const smithy = smithySigner('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', 'eu-west-3');
    const paths = ['/b/obj-000001', '/b/a%20b/c', '/b/%E2%82%AC', '/b', '/'];
    for (const [i, path] of paths.entries()) {
      for (const payloadHash of [UNSIGNED_PAYLOAD, EMPTY_SHA256_HEX]) {
        // Cross a day boundary and change region mid-way: the memoised scope and key must follow.
        const date = new Date(Date.UTC(2024, 5, 1 + (i % 2), 23, 59, 59));
        const query: [string, string][] = i === 4 ? [['list-type', '2'], ['prefix', 'p x']] : [];
        const ours = signRequest({ method: 'GET', host: 'localhost:9000', path, query, payloadHash, accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', region: 'eu-west-3', date });
        const signed = (await smithy.sign(
          {
            method: 'GET',
            protocol: 'http:',
            hostname: 'localhost',
            port: 9000,
            path,
            query: Object.fromEntries(query),
            headers: { host: 'localhost:9000', 'x-amz-content-sha256': payloadHash },
          } as never,
          { signingDate: date },
        )) as { headers: Record<string, string> };
        expect(ours.authorization, `${path} ${payloadHash}`).toBe(signed.headers['authorization']);
        // A different region in between must not leak its key into the next signature.
        signRequest({ method: 'GET', host: 'h', path: '/', payloadHash, accessKeyId: 'x', secretAccessKey: 'y', region: 'us-east-1', date });
      }
    }
  });
});
