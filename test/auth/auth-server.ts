// A throwaway node:http server that runs only the auth layer (authenticate + aws-chunked decoder) and
// answers with just enough S3 for clients to carry on. It records what each request authenticated as.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsChunkedDecoder, chunkedModeFor } from '../../src/auth/chunked.js';
import { AuthError } from '../../src/auth/errors.js';
import { authenticate, type AuthResult } from '../../src/auth/verify.js';
import { REGION, identities } from './helpers.js';

export interface Seen {
  method: string;
  url: string;
  auth?: AuthResult;
  error?: string;
  body?: Buffer;
  trailers?: Record<string, string>;
}

export const seen: Seen[] = [];
let server: Server;
export let port = 0;

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
  if (req.method === 'GET' && q.startsWith('location')) {
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>');
  } else if (req.method === 'GET' && (q.includes('list-type=2') || /^\/[^/]+\/?$/.test(s.url.split('?')[0]!))) {
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

export async function startAuthServer(): Promise<void> {
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
}

export async function stopAuthServer(): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

