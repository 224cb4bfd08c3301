// The light S3 client the load generator drives: an undici Pool with keep-alive connections and the
// project's SigV4 signer (src/auth/sign-request.ts, cached signing key). No retries, no middleware, no body
// copies: the AWS SDK tops out near 1,150 small PUT/s on this machine (DESIGN.md), so a benchmark through it
// measures the SDK. Per request this costs one HMAC chain with a cached key plus one SHA-256 of the canonical
// request (~10-20 µs).
//
// Client and server share this machine's two cores, so every µs the client spends per request is taken from
// the server under test. Requests go through Pool.dispatch() with one small handler object rather than
// Pool.request(), which builds a Readable body stream, an async iterator and several promises per request.

import { Pool, util as undiciUtil } from 'undici';
import type { Dispatcher } from 'undici';
import { signRequest } from '../auth/sign-request.js';
import { EMPTY_SHA256_HEX, UNSIGNED_PAYLOAD, canonicalQueryFromPairs, uriEncode } from '../auth/sigv4.js';

export { EMPTY_SHA256_HEX, UNSIGNED_PAYLOAD };

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ClientOptions {
  endpoint: string;
  /** Absent = anonymous (unsigned) requests. */
  credentials?: Credentials;
  region: string;
  /** Path-style (`/bucket/key`) vs virtual-hosted (`bucket.host/key`). */
  pathStyle: boolean;
  /** Keep-alive connections in the pool: at least the concurrency, or requests queue inside the client. */
  connections: number;
  /** Headers and body each time out after this long. */
  requestTimeoutMs: number;
}

export interface S3Response {
  status: number;
  /** Bytes of body received (GET, list) — counted, not kept, unless keepBody. */
  bytes: number;
  /** Milliseconds from sending to the response headers (time to first byte). */
  ttfbMs: number;
  headers: Record<string, string | string[] | undefined>;
  /** Body text: always for errors (bounded), for successes only when keepBody. */
  text?: string;
}

export interface RequestSpec {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  bucket: string;
  key?: string;
  query?: [string, string][];
  body?: Uint8Array;
  /** Hex SHA-256 of the body, or UNSIGNED-PAYLOAD. Default: the empty hash without body, unsigned with. */
  payloadHash?: string;
  headers?: Record<string, string>;
  /** Keep the (small) response body as text, e.g. for list / multipart XML. */
  keepBody?: boolean;
}

/** Error bodies and kept bodies are read up to this many bytes; the rest is discarded. */
export const MAX_KEPT_BODY_BYTES = 1 << 20;

export class S3Error extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'S3Error';
  }
}

/** `<Code>NoSuchKey</Code>` → 'NoSuchKey'; falls back to the HTTP status (HEAD has no body). */
export function s3ErrorCode(status: number, body: string | undefined): string {
  const m = body ? /<Code>\s*([^<\s]+)\s*<\/Code>/.exec(body) : null;
  if (m) return m[1]!;
  if (status === 404) return 'NotFound';
  if (status === 403) return 'Forbidden';
  if (status === 503) return 'ServiceUnavailable';
  return `HTTP${status}`;
}

/** Network-level failure → a stable code (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, …). */
export function networkErrorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown };
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.name === 'string' && e.name !== 'Error') return e.name;
  return 'NetworkError';
}

export class LightS3Client {
  readonly origin: string;
  readonly host: string;
  private readonly pool: Pool;
  private readonly opts: ClientOptions;

  constructor(opts: ClientOptions) {
    const url = new URL(opts.endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`endpoint must be http(s): ${opts.endpoint}`);
    if (url.pathname !== '/' && url.pathname !== '') throw new Error(`endpoint must not have a path: ${opts.endpoint}`);
    this.origin = url.origin;
    this.host = url.host;
    this.opts = opts;
    this.pool = new Pool(this.origin, {
      connections: Math.max(1, opts.connections),
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: opts.requestTimeoutMs,
      bodyTimeout: opts.requestTimeoutMs,
      connect: { timeout: Math.min(opts.requestTimeoutMs, 10_000) },
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }

  /** One request; resolves with any HTTP status (the caller decides what is an error), rejects on network failure. */
  send(spec: RequestSpec): Promise<S3Response> {
    // Not async: that would wrap this promise in another one. A throw while signing rejects via the executor.
    return new Promise<S3Response>((resolve, reject) => {
      const opts = this.dispatchOptions(spec);
      this.pool.dispatch(opts, new ResponseCollector(spec.keepBody === true, resolve, reject));
    });
  }

  /** Path, signed headers and body of one request, as Pool.dispatch() takes them. */
  private dispatchOptions(spec: RequestSpec): Dispatcher.DispatchOptions {
    const keyPath = spec.key === undefined ? '' : uriEncode(spec.key, false);
    let path: string;
    let host: string;
    if (this.opts.pathStyle) {
      path = '/' + spec.bucket + (spec.key === undefined ? '' : '/' + keyPath);
      host = this.host;
    } else {
      path = '/' + keyPath;
      host = spec.bucket + '.' + this.host;
    }
    const query = spec.query ?? NO_QUERY;
    const qs = query.length ? canonicalQueryFromPairs(query) : '';
    const payloadHash = spec.payloadHash ?? (spec.body && spec.body.length > 0 ? UNSIGNED_PAYLOAD : EMPTY_SHA256_HEX);
    let headers: Record<string, string>;
    if (this.opts.credentials) {
      const signed = signRequest({
        method: spec.method,
        host,
        path,
        query,
        headers: spec.headers,
        payloadHash,
        accessKeyId: this.opts.credentials.accessKeyId,
        secretAccessKey: this.opts.credentials.secretAccessKey,
        region: this.opts.region,
      });
      headers = spec.headers ? { ...spec.headers, ...signed } : signed;
    } else {
      headers = { ...spec.headers, host, 'x-amz-content-sha256': payloadHash };
    }
    if (spec.body) headers['content-length'] = String(spec.body.length);

    return { method: spec.method, path: qs ? path + '?' + qs : path, headers, body: spec.body };
  }

  /** send(), and throw S3Error unless 2xx. */
  async must(spec: RequestSpec): Promise<S3Response> {
    const r = await this.send(spec);
    if (r.status < 200 || r.status >= 300) {
      const code = s3ErrorCode(r.status, r.text);
      throw new S3Error(code, r.status, `${spec.method} ${spec.bucket}/${spec.key ?? ''}: ${r.status} ${code}`);
    }
    return r;
  }

  async createBucket(bucket: string): Promise<'created' | 'exists'> {
    const r = await this.send({ method: 'PUT', bucket });
    if (r.status >= 200 && r.status < 300) return 'created';
    const code = s3ErrorCode(r.status, r.text);
    if (code === 'BucketAlreadyOwnedByYou') return 'exists';
    throw new S3Error(code, r.status, `create bucket ${bucket}: ${r.status} ${code}`);
  }

  async deleteBucket(bucket: string): Promise<void> {
    await this.must({ method: 'DELETE', bucket });
  }

  /** One ListObjectsV2 page. */
  async listPage(bucket: string, prefix: string, maxKeys: number, continuationToken?: string): Promise<{ keys: string[]; next?: string; bytes: number }> {
    const query: [string, string][] = [
      ['list-type', '2'],
      ['prefix', prefix],
      ['max-keys', String(maxKeys)],
    ];
    if (continuationToken) query.push(['continuation-token', continuationToken]);
    const r = await this.must({ method: 'GET', bucket, query, keepBody: true });
    const body = r.text ?? '';
    const keys = [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => decodeXml(m[1]!));
    const truncated = /<IsTruncated>\s*true\s*<\/IsTruncated>/.test(body);
    const next = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(body)?.[1];
    return { keys, next: truncated && next ? decodeXml(next) : undefined, bytes: r.bytes };
  }
}

/**
 * Receives one response through undici's dispatch handler interface and settles the send() promise.
 *
 * This uses the onConnect/onHeaders/onData/onComplete/onError form on purpose: it is what undici 7's
 * HTTP/1 client calls natively. The newer onRequestStart/onResponse* form is adapted to it by wrapping
 * every request in an UnwrapHandler plus a controller and parsing the trailers too — the allocations we
 * are here to avoid. Bodies are counted and dropped, so onData never asks for backpressure (returns true).
 */
class ResponseCollector implements Dispatcher.DispatchHandler {
  private readonly t0 = performance.now();
  private status = 0;
  private ttfbMs = 0;
  private bytes = 0;
  private headers: Record<string, string | string[] | undefined> = EMPTY_HEADERS;
  /** Kept chunks (error or keepBody responses only), at most MAX_KEPT_BODY_BYTES of them plus one chunk. */
  private chunks: Buffer[] | undefined;
  private keptBytes = 0;
  private settled = false;

  constructor(
    private readonly keepBody: boolean,
    private readonly resolve: (r: S3Response) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  onConnect(): void {}

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // 1xx interim responses (103 Early Hints) come before the real one; Pool.request() skipped them too.
    if (statusCode < 200) return true;
    this.ttfbMs = performance.now() - this.t0;
    this.status = statusCode;
    // The same parser (and so the same shape: lower-case names, repeats as arrays) Pool.request() used.
    this.headers = undiciUtil.parseHeaders(rawHeaders) as Record<string, string | string[] | undefined>;
    if (this.keepBody || statusCode >= 300) this.chunks = [];
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    // A chunk is a view of one socket read, which Node allocates afresh and undici never reuses: safe to keep.
    if (this.chunks !== undefined && this.keptBytes < MAX_KEPT_BODY_BYTES) {
      this.chunks.push(chunk);
      this.keptBytes += chunk.length;
    }
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    this.settled = true;
    let text: string | undefined;
    if (this.chunks !== undefined) {
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      text = all.subarray(0, MAX_KEPT_BODY_BYTES).toString('utf8');
    }
    this.resolve({ status: this.status, bytes: this.bytes, ttfbMs: this.ttfbMs, headers: this.headers, text });
  }

  onError(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(err);
  }
}

/** Most requests have no query; one shared (never mutated) empty list rather than a new one each. */
const NO_QUERY: [string, string][] = [];

/** Shared placeholder until headers arrive; never handed out (onComplete always follows onHeaders). */
const EMPTY_HEADERS: Record<string, string | string[] | undefined> = Object.freeze({}) as Record<string, string | string[] | undefined>;

export function decodeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (_, name: string, dec?: string, hex?: string) => {
    if (dec) return String.fromCodePoint(Number(dec));
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[name]!;
  });
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
