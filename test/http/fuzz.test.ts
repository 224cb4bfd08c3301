// Seeded fuzzing of the front end over raw sockets: mutated Authorization headers, presigned
// queries, aws-chunked framing and trailers, DeleteObjects XML, Range headers and hostile keys.
// Every response must be a well-formed S3 error whose status matches the catalog (or a valid
// success), no 500s, the node stays up, and the stored objects are unchanged.
// Replay a failure with FUZZ_SEED=<seed> (printed on failure).

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAwsChunked, presignUrl } from '../../src/auth/sign-request.js';
import { STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD } from '../../src/auth/sigv4.js';
import { S3_ERRORS } from '../../src/s3/errors.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { rawExchange, signedRequest, type RawRequest, type RawResponse } from '../helpers/server-raw.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 0x5eed);
const ROUNDS_PER_FAMILY = Number(process.env['FUZZ_ROUNDS'] ?? 350);
const CONCURRENCY = 8;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let t: TestServer;
let rand: () => number;
const int = (n: number): number => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

const JUNK = ['', ' ', '%', '%%', '%00', '%ZZ', '\t', '=', '&', ',', ';', '/', '..', '"', "'", '<', '>', '\u00ff', '\u20ac', 'A'.repeat(300), '0', '-1', '99999999999999999999', 'null', '*'];

function mutateString(s: string): string {
  if (s.length === 0) return pick(JUNK);
  switch (int(7)) {
    case 0:
      return s.slice(0, int(s.length));
    case 1: {
      const i = int(s.length);
      return s.slice(0, i) + String.fromCharCode(32 + int(95)) + s.slice(i + 1);
    }
    case 2: {
      const i = int(s.length);
      return s.slice(0, i) + pick(JUNK) + s.slice(i);
    }
    case 3:
      return s + s;
    case 4: {
      const i = int(s.length);
      return s.slice(0, i) + s.slice(i + 1 + int(10));
    }
    case 5:
      return s.toUpperCase();
    default:
      return pick(JUNK);
  }
}

function mutateBytes(b: Buffer): Buffer {
  const out = Buffer.from(b);
  switch (int(5)) {
    case 0:
      return out.subarray(0, int(out.length));
    case 1: {
      const n = 1 + int(4);
      for (let i = 0; i < n; i++) out[int(out.length)] ^= 1 << int(8);
      return out;
    }
    case 2: {
      const i = int(out.length);
      return Buffer.concat([out.subarray(0, i), Buffer.from(pick(['\r\n', 'ffffffff\r\n', '0\r\n\r\n', ';chunk-signature=', 'x-amz-checksum-crc32:AAAAAA==\r\n', '\0'])), out.subarray(i)]);
    }
    case 3:
      return Buffer.concat([out, out.subarray(0, int(out.length))]);
    default: {
      const i = int(out.length);
      out[i] = pick([0x0d, 0x0a, 0x3b, 0x3a, 0x30, 0x66, 0x00, 0xff]);
      return out;
    }
  }
}

interface Outcome {
  family: string;
  req: string;
  res: RawResponse | Error;
}

function check(o: Outcome, head: boolean): string | undefined {
  const r = o.res;
  if (r instanceof Error) {
    // A connection the server closes without a response is acceptable only for framing it cannot parse at all.
    return o.family === 'garbage' ? undefined : `no response: ${r.message}`;
  }
  if (r.status >= 500 && r.status !== 501 && r.status !== 503) return `status ${r.status}`;
  if (r.status < 400) return undefined;
  if (!r.headers['x-amz-request-id']) return 'error without x-amz-request-id';
  if (head) return r.body.length === 0 ? undefined : 'HEAD error with a body';
  const text = r.body.toString('utf8');
  const m = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>([A-Za-z0-9]+)<\/Code><Message>[^<]*<\/Message>.*<RequestId>[0-9A-F]{16}<\/RequestId><\/Error>$/s.exec(text);
  if (!m) return `malformed error body: ${text.slice(0, 200)}`;
  const code = m[1] as keyof typeof S3_ERRORS;
  const entry = S3_ERRORS[code];
  if (!entry) return `code ${code} not in the catalog`;
  if (entry[0] !== r.status) return `code ${code} with status ${r.status}, catalog says ${entry[0]}`;
  return undefined;
}

async function runAll(family: string, make: () => RawRequest | Buffer): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const reqs = Array.from({ length: ROUNDS_PER_FAMILY }, make);
  const worker = async (): Promise<void> => {
    while (next < reqs.length) {
      const req = reqs[next++]!;
      const head = !Buffer.isBuffer(req) && req.method === 'HEAD';
      let res: RawResponse | Error;
      try {
        // Bytes uWS cannot parse as HTTP may get no answer until its own timeout: don't wait for it.
        res = await rawExchange(t.port, req, { timeoutMs: Buffer.isBuffer(req) ? 1000 : 5000 });
      } catch (e) {
        res = e as Error;
      }
      const desc = Buffer.isBuffer(req) ? req.subarray(0, 200).toString('latin1') : `${req.method} ${req.target.slice(0, 200)} ${JSON.stringify(req.headers).slice(0, 400)}`;
      const problem = check({ family, req: desc, res }, head);
      if (problem) failures.push(`[seed ${SEED}] ${family}: ${problem} :: ${desc}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return failures;
}

async function snapshot(): Promise<string> {
  const buckets = t.engine.listBuckets().map((b) => b.name).sort();
  const objs: string[] = [];
  for (const b of buckets) for (const o of t.engine.listObjects(b, { limit: 100000 })) objs.push(`${b}/${o.key}:${o.etag}:${o.sizeBytes}`);
  return JSON.stringify({ buckets, objs });
}

let before = '';

beforeAll(async () => {
  rand = rng(SEED);
  t = await startTestServer({ flags: { 'idle-timeout-ms': '2000' } });
  expect((await rawExchange(t.port, signedRequest(t, 'PUT', '/fuzz'))).status).toBe(200);
  for (const k of ['keep-1', 'keep-2', 'dir/keep-3']) {
    expect((await rawExchange(t.port, signedRequest(t, 'PUT', `/fuzz/${k}`, { body: `body of ${k} `.repeat(50) }))).status).toBe(200);
  }
  before = await snapshot();
});

afterAll(async () => {
  await t?.stop();
});

describe(`fuzz (seed ${SEED})`, () => {
  it('mutated Authorization headers', async () => {
    const f = await runAll('authorization', () => {
      const get = rand() < 0.7;
      const req = get ? signedRequest(t, 'GET', '/fuzz/keep-1') : signedRequest(t, 'PUT', `/fuzz/new-${int(1e9)}`, { body: 'x' });
      const authz = req.headers['authorization']!;
      if (get) req.headers['authorization'] = mutateString(authz);
      else {
        // PUTs mutate only the signature, always to a different value, so none can succeed.
        const i = authz.indexOf('Signature=') + 'Signature='.length;
        const sig = authz.slice(i);
        let bad = mutateString(sig);
        if (bad === sig || bad.toLowerCase() === sig) {
          const j = int(sig.length);
          bad = sig.slice(0, j) + (sig[j] === '0' ? '1' : '0') + sig.slice(j + 1);
        }
        req.headers['authorization'] = authz.slice(0, i) + bad;
      }
      if (rand() < 0.2) req.headers['x-amz-date'] = mutateString(req.headers['x-amz-date']!);
      if (rand() < 0.1) req.headers['x-amz-content-sha256'] = mutateString(req.headers['x-amz-content-sha256']!);
      return req;
    });
    expect(f, f.slice(0, 5).join('\n')).toEqual([]);
  });

  it('mutated presigned queries', async () => {
    const f = await runAll('presigned', () => {
      const put = rand() < 0.3;
      const path = put ? `/fuzz/presigned-${int(1e9)}` : '/fuzz/keep-2';
      const q = presignUrl({ method: put ? 'PUT' : 'GET', host: `127.0.0.1:${t.port}`, path, expiresSec: 60, accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey, region: t.region });
      const pairs = q.split('&');
      const i = put ? pairs.length - 1 : int(pairs.length); // PUT: only the signature changes
      const [k, v = ''] = pairs[i]!.split('=');
      const mutated = put ? `${k}=${'0'.repeat(64)}` : rand() < 0.5 ? `${k}=${mutateString(v)}` : mutateString(pairs[i]!);
      pairs[i] = mutated;
      if (!put && rand() < 0.2) pairs.push(pick(pairs));
      // Characters that cannot appear in a request line at all are percent-encoded, as any client would.
      const target = `${path}?${pairs.join('&')}`.replace(/[\s\u0000-\u001f\u007f-\uffff]/g, (c) => encodeURIComponent(c));
      return { method: put ? 'PUT' : 'GET', target, headers: { host: `127.0.0.1:${t.port}`, ...(put ? { 'content-length': '1' } : {}) }, body: put ? 'x' : undefined };
    });
    expect(f, f.slice(0, 5).join('\n')).toEqual([]);
  });

  it('mutated aws-chunked framing and trailers', async () => {
    const payloads = new Map<string, { payload: Buffer; original: Buffer; mutated: Buffer }>();
    const f = await runAll('aws-chunked', () => {
      const payload = Buffer.alloc(1 + int(5000), 0x41 + int(26));
      const trailer = rand() < 0.5;
      const key = `chunked-${int(1e9)}`;
      const base = signedRequest(t, 'PUT', `/fuzz/${key}`, {
        payloadHash: trailer ? STREAMING_SIGNED_PAYLOAD_TRAILER : STREAMING_SIGNED_PAYLOAD,
        headers: {
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': String(payload.length),
          ...(trailer ? { 'x-amz-trailer': 'x-amz-checksum-crc32' } : {}),
        },
      });
      const s = base.signed;
      const body = encodeAwsChunked(payload, {
        chunkSizeBytes: 1 + int(2048),
        signing: { seedSignature: s.signature, signingKey: s.signingKey, scope: s.scope, amzDate: s.amzDate },
        ...(trailer ? { trailers: { 'x-amz-checksum-crc32': 'AAAAAA==' } } : {}),
      });
      const mutated = mutateBytes(body);
      payloads.set(key, { payload, original: body, mutated });
      const headers = { ...base.headers, 'content-length': String(mutated.length) };
      return { ...base, headers, body: mutated };
    });
    expect(f, f.slice(0, 5).join('\n')).toEqual([]);
    // A mutation can leave the request meaning the same thing (a hex digit's case flipped in a chunk
    // size): such a PUT may succeed, but only with exactly the signed payload. Check, then remove it.
    for (const o of t.engine.listObjects('fuzz', { prefix: 'chunked-', limit: 1000 })) {
      const p = payloads.get(o.key)!;
      const parts: Buffer[] = [];
      for await (const c of t.engine.readObject(o)) parts.push(Buffer.from(c));
      expect(Buffer.concat(parts).equals(p.payload), `accepted mutation stored other bytes: ${JSON.stringify(p.mutated.toString('latin1').slice(0, 300))}`).toBe(true);
      await t.engine.deleteObject('fuzz', o.key);
    }
  });

  it('mutated DeleteObjects XML', async () => {
    const f = await runAll('delete-xml', () => {
      const n = 1 + int(5);
      let xml = `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rand() < 0.5 ? '<Quiet>true</Quiet>' : ''}`;
      for (let i = 0; i < n; i++) xml += `<Object><Key>zz-${int(1e6)}</Key></Object>`;
      xml += '</Delete>';
      const choice = int(6);
      const body =
        choice === 0 ? mutateString(xml)
        : choice === 1 ? '<Delete>' + '<Object>'.repeat(500) + '</Delete>'
        : choice === 2 ? '<!DOCTYPE d [<!ENTITY e "x">]><Delete><Object><Key>&e;</Key></Object></Delete>'
        : choice === 3 ? `<Delete><Object><Key>${'k'.repeat(1100)}</Key></Object></Delete>`
        : choice === 4 ? xml.replace('zz-', '\u0001zz-')
        : mutateBytes(Buffer.from(xml)).toString('latin1');
      const withMd5 = rand() < 0.85;
      return signedRequest(t, 'POST', '/fuzz', { query: [['delete', '']], body, headers: withMd5 ? { 'content-md5': createHash('md5').update(Buffer.from(body, 'utf8')).digest('base64') } : {} });
    });
    expect(f, f.slice(0, 5).join('\n')).toEqual([]);
  });

  it('mutated Range headers and conditionals', async () => {
    const f = await runAll('range', () => {
      const base = pick(['bytes=0-10', 'bytes=-5', 'bytes=10-', 'bytes=0-0', 'bytes=1-2,3-4', 'bytes=99999-']);
      const headers: Record<string, string> = { range: rand() < 0.7 ? mutateString(base) : base };
      if (rand() < 0.3) headers['if-match'] = mutateString('"abc"');
      if (rand() < 0.3) headers['if-modified-since'] = mutateString('Thu, 01 Jan 2026 00:00:00 GMT');
      return signedRequest(t, rand() < 0.8 ? 'GET' : 'HEAD', '/fuzz/keep-1', { headers });
    });
    expect(f, f.slice(0, 5).join('\n')).toEqual([]);
  });

  it('hostile keys: ../, %00, invalid UTF-8, 1025 bytes, odd percent-encoding', async () => {
    const keys = ['..%2F..%2Fetc%2Fpasswd', '../../x', '%00', 'a%00b', '%C3%28', '%FF%FE', '%ED%A0%80', '%', '%%', '%2', 'k'.repeat(1025), '%E2%82%AC'.repeat(342), '.', '..', '/', '//x', 'a/./b', '%2e%2e', 'sp ace', '\u00e9', '?x', '#frag'];
    const f = await runAll('keys', () => {
      let k = pick(keys);
      if (rand() < 0.3) k = mutateString(k);
      const method = pick(['GET', 'HEAD', 'GET', 'DELETE']);
      const path = `/fuzz/zz-${k}`;
      try {
        // Whitespace and control characters cannot travel in a request line; clients percent-encode them.
        return signedRequest(t, method, path.replace(/[\s#?\u0000-\u001f\u007f-\uffff]/g, (c) => encodeURIComponent(c)));
      } catch {
        return { method, target: path.replace(/[\s#\u0000-\u001f\u007f-\uffff]/g, (c) => encodeURIComponent(c)), headers: { host: `127.0.0.1:${t.port}` } };
      }
    });
    expect(f, f.slice(0, 5).join('\n')).toEqual([]);
  });

  it('garbage requests and headers', async () => {
    const f = await runAll('garbage', () => {
      switch (int(4)) {
        case 0:
          return Buffer.from(mutateString('GET /fuzz/keep-1 HTTP/1.1\r\nHost: x\r\n\r\n'), 'latin1');
        case 1: {
          const req = signedRequest(t, pick(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']), pick(['/', '/fuzz', '/fuzz/keep-1', '/nobucket/x', '/Bad_Bucket']), {
            query: rand() < 0.5 ? [[pick(['acl', 'policy', 'uploads', 'uploadId', 'partNumber', 'list-type', 'max-keys', 'tagging', 'versions', 'delete', 'location']), mutateString('2')]] : [],
          });
          if (req.method === 'PUT' && req.target.startsWith('/fuzz/keep')) req.headers['authorization'] += 'x';
          if (req.method === 'DELETE' && req.target.startsWith('/fuzz')) req.headers['authorization'] += 'x';
          if (req.method === 'POST' || (req.method === 'PUT' && req.target === '/fuzz')) req.headers['authorization'] += 'x';
          return req;
        }
        case 2: {
          const req = signedRequest(t, 'GET', '/fuzz/keep-1');
          req.headers[pick(['x-amz-meta-a', 'content-length', 'transfer-encoding', 'expect', 'x-amz-decoded-content-length', 'content-md5', 'x-amz-checksum-crc32', 'x-amz-trailer'])] = mutateString('abc');
          return req;
        }
        default: {
          const req = signedRequest(t, 'PUT', `/fuzz/zz-put-${int(1e9)}`, { body: 'data', payloadHash: UNSIGNED_PAYLOAD });
          req.headers[pick(['content-md5', 'x-amz-checksum-crc32', 'x-amz-checksum-sha256', 'x-amz-checksum-crc64nvme', 'if-none-match', 'if-match', 'x-amz-meta-big', 'content-length'])] = mutateString(pick(['AAAAAA==', '*', '"x"', 'v'.repeat(3000)]));
          req.headers['authorization'] = req.headers['authorization']!.slice(0, -4) + '0000';
          return req;
        }
      }
    });
    expect(f, f.slice(0, 5).join('\n')).toEqual([]);
  });

  it('the node is still up and nothing stored changed', async () => {
    const live = await fetch(`${t.endpoint}/health/ready`);
    expect(live.status).toBe(200);
    const ok = await rawExchange(t.port, signedRequest(t, 'GET', '/fuzz/keep-1'));
    expect(ok.status).toBe(200);
    expect(JSON.parse(await snapshot())).toEqual(JSON.parse(before));
  });
});
