// A raw HTTP/1.1 client over net.Socket for tests that need exact bytes on the wire (Expect:
// 100-continue, truncated or stalled bodies, malformed framing, oversized headers, fuzzing), and a
// SigV4 helper built on the auth layer's client signer.

import net from 'node:net';
import { createHash } from 'node:crypto';
import { signRequestDetailed, type SignedRequest } from '../../src/auth/sign-request.js';
import { canonicalQueryFromPairs } from '../../src/auth/sigv4.js';
import type { TestServer } from './server.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Interim responses seen (100 Continue). */
  interim: number[];
  /** The server closed the connection after this response. */
  closed: boolean;
}

export interface RawRequest {
  method: string;
  /** Raw request target: path and query as they go on the wire. */
  target: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
  /** Send the body only after a 100 Continue (Expect: 100-continue tests). */
  waitForContinue?: boolean;
  /** Stop after this many body bytes and keep the socket open (stall tests). */
  stallAfterBytes?: number;
  /** Give up after this long. */
  timeoutMs?: number;
  /** HEAD: no body in the response. */
  expectNoBody?: boolean;
}

function parseHead(text: string): { status: number; headers: Record<string, string> } {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
  }
  return { status: m ? Number(m[1]) : 0, headers };
}

/** Sends raw bytes (e.g. a whole malformed request) and parses one response. */
export function rawExchange(port: number, req: RawRequest | Buffer, opts: { timeoutMs?: number; expectNoBody?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const interim: number[] = [];
    let head: { status: number; headers: Record<string, string> } | undefined;
    let bodyStart = 0;
    let done = false;
    const timeoutMs = (Buffer.isBuffer(req) ? opts.timeoutMs : req.timeoutMs) ?? 10_000;
    const noBody = Buffer.isBuffer(req) ? opts.expectNoBody === true : req.expectNoBody === true || req.method === 'HEAD';
    let bodyBytes: Buffer | undefined;
    const timer = setTimeout(() => finish(new Error(`raw request timed out after ${timeoutMs} ms`)), timeoutMs);
    const finish = (err?: Error, closed = false): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err && !head) return reject(err);
      if (!head) return reject(new Error('connection closed without a response'));
      const cl = Number(head.headers['content-length'] ?? NaN);
      const body = buf.subarray(bodyStart, Number.isFinite(cl) && !noBody ? bodyStart + cl : noBody ? bodyStart : buf.length);
      resolve({ status: head.status, headers: head.headers, body: Buffer.from(body), interim, closed });
    };
    const sendBody = (): void => {
      if (bodyBytes === undefined || bodyBytes.length === 0) return;
      const stall = Buffer.isBuffer(req) ? undefined : req.stallAfterBytes;
      sock.write(stall === undefined ? bodyBytes : bodyBytes.subarray(0, stall));
      bodyBytes = undefined;
    };
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (head) break;
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const h = parseHead(buf.subarray(0, end).toString('latin1'));
        if (h.status >= 100 && h.status < 200) {
          interim.push(h.status);
          buf = buf.subarray(end + 4);
          sendBody();
          continue;
        }
        head = h;
        bodyStart = end + 4;
      }
      const cl = Number(head.headers['content-length'] ?? NaN);
      if (noBody || (Number.isFinite(cl) && buf.length - bodyStart >= cl)) {
        // Give the server a moment to close if it intends to, so `closed` is meaningful.
        setTimeout(() => finish(undefined, sock.destroyed || sock.readableEnded), 20);
      }
    });
    sock.on('end', () => finish(undefined, true));
    sock.on('close', () => finish(undefined, true));
    sock.on('error', (e) => finish(e, true));
    if (Buffer.isBuffer(req)) {
      sock.write(req);
      return;
    }
    let headText = `${req.method} ${req.target} HTTP/1.1\r\n`;
    for (const [k, v] of Object.entries(req.headers)) headText += `${k}: ${v}\r\n`;
    headText += '\r\n';
    sock.write(headText, 'latin1');
    bodyBytes = req.body === undefined ? undefined : Buffer.from(req.body);
    if (!req.waitForContinue) sendBody();
  });
}

export interface SignOptions {
  query?: [string, string][];
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Default: sha256 of the body (signed payload). */
  payloadHash?: string;
  secretAccessKey?: string;
  accessKeyId?: string;
  date?: Date;
}

/** A SigV4-signed raw request for `path` (already URI-encoded). */
export function signedRequest(t: TestServer, method: string, path: string, o: SignOptions = {}): RawRequest & { signed: SignedRequest } {
  const body = o.body === undefined ? Buffer.alloc(0) : Buffer.from(o.body);
  const host = `127.0.0.1:${t.port}`;
  const signed = signRequestDetailed({
    method,
    host,
    path,
    ...(o.query ? { query: o.query } : {}),
    headers: o.headers ?? {},
    payloadHash: o.payloadHash ?? createHash('sha256').update(body).digest('hex'),
    accessKeyId: o.accessKeyId ?? t.accessKeyId,
    secretAccessKey: o.secretAccessKey ?? t.secretAccessKey,
    region: t.region,
    ...(o.date ? { date: o.date } : {}),
  });
  const target = o.query && o.query.length ? `${path}?${canonicalQueryFromPairs(o.query)}` : path;
  const headers: Record<string, string> = { ...(o.headers ?? {}), ...signed.headers };
  if (o.body !== undefined && headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) headers['content-length'] = String(body.length);
  return { method, target, headers, body, signed };
}
