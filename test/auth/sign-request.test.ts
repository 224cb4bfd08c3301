import { describe, expect, it } from 'vitest';
import {
  createChunkSigner,
  encodeAwsChunked,
  presignUrl,
  signRequest,
  signRequestDetailed,
} from '../../src/auth/sign-request.js';
import { EMPTY_SHA256_HEX, STREAMING_SIGNED_PAYLOAD, UNSIGNED_PAYLOAD, canonicalQueryFromPairs } from '../../src/auth/sigv4.js';
import { AuthError } from '../../src/auth/errors.js';
import { smithySigner } from './smithy.js';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const DOC_DATE = new Date(Date.UTC(2013, 4, 24));

describe('signRequest', () => {
  it('reproduces the S3 doc GET-with-range example', () => {
    const h = signRequest({
      method: 'GET',
      host: 'examplebucket.s3.amazonaws.com',
      path: '/test.txt',
      headers: { Range: 'bytes=0-9' },
      payloadHash: EMPTY_SHA256_HEX,
      accessKeyId: AKID,
      secretAccessKey: SECRET,
      region: 'us-east-1',
      date: DOC_DATE,
    });
    expect(h).toEqual({
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
      'x-amz-date': '20130524T000000Z',
      'x-amz-content-sha256': EMPTY_SHA256_HEX,
      host: 'examplebucket.s3.amazonaws.com',
    });
  });

  it('skips unsignable headers', () => {
    const a = signRequest({ method: 'GET', host: 'h', path: '/', headers: { 'User-Agent': 'x', Connection: 'keep-alive' }, payloadHash: UNSIGNED_PAYLOAD, accessKeyId: 'a', secretAccessKey: 's', region: 'r', date: DOC_DATE });
    expect(a.authorization).toContain('SignedHeaders=host;x-amz-content-sha256;x-amz-date,');
  });

  it('produces the same headers as @smithy/signature-v4 on random requests', async () => {
    const smithy = smithySigner(AKID, SECRET, 'eu-west-3');
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = 'abcXYZ019-._~ /+=&%!*()é😀';
    const word = (max: number): string => {
      let s = '';
      const n = rnd(max) + 1;
      for (let i = 0; i < n; i++) s += [...alphabet][rnd([...alphabet].length)];
      return s;
    };
    for (let iter = 0; iter < 200; iter++) {
      const key = word(12);
      const path = '/bucket/' + key.split('/').map(encodeURIComponent).map((s) => s.replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())).join('/');
      const query: [string, string][] = [];
      for (let q = rnd(4); q > 0; q--) query.push([word(5), rnd(2) ? word(5) : '']);
      const headers: Record<string, string> = {};
      for (let q = rnd(4); q > 0; q--) headers['x-amz-meta-' + word(4).replace(/[^a-z0-9]/gi, 'k').toLowerCase()] = '  ' + word(8).replace(/[^\x20-\x7e]/g, 'v') + '  ';
      const payloadHash = rnd(2) ? UNSIGNED_PAYLOAD : EMPTY_SHA256_HEX;
      const date = new Date(Date.UTC(2024, rnd(12), rnd(28) + 1, rnd(24), rnd(60), rnd(60)));
      const ours = signRequest({ method: 'PUT', host: 'localhost:9000', path, query, headers, payloadHash, accessKeyId: AKID, secretAccessKey: SECRET, region: 'eu-west-3', date });
      const qobj: Record<string, string | string[]> = {};
      for (const [k, v] of query) {
        const prev = qobj[k];
        qobj[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      const signed = await smithy.sign(
        {
          method: 'PUT',
          protocol: 'http:',
          hostname: 'localhost',
          port: 9000,
          path,
          query: qobj,
          headers: { host: 'localhost:9000', 'x-amz-content-sha256': payloadHash, ...headers },
        } as never,
        { signingDate: date },
      );
      expect(ours.authorization, `iteration ${iter}: ${path} ${JSON.stringify(query)}`).toBe((signed as { headers: Record<string, string> }).headers['authorization']);
    }
  });
});

describe('presignUrl', () => {
  it('reproduces the S3 doc presigned GET example', () => {
    const q = presignUrl({ method: 'GET', host: 'examplebucket.s3.amazonaws.com', path: '/test.txt', accessKeyId: AKID, secretAccessKey: SECRET, region: 'us-east-1', date: DOC_DATE, expiresSec: 86400 });
    expect(q).toBe(
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });
  it('rejects out-of-range expiry', () => {
    for (const e of [0, -1, 604801, 1.5]) {
      expect(() => presignUrl({ method: 'GET', host: 'h', path: '/', accessKeyId: 'a', secretAccessKey: 's', region: 'r', expiresSec: e })).toThrow(AuthError);
    }
  });
});

describe('streaming chunk signer', () => {
  it('reproduces the S3 doc chunked PUT example (66560 x "a", 64 KiB chunks)', () => {
    const d = signRequestDetailed({
      method: 'PUT',
      host: 's3.amazonaws.com',
      path: '/examplebucket/chunkObject.txt',
      headers: {
        'content-encoding': 'aws-chunked',
        'content-length': '66824',
        'x-amz-decoded-content-length': '66560',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      },
      payloadHash: STREAMING_SIGNED_PAYLOAD,
      accessKeyId: AKID,
      secretAccessKey: SECRET,
      region: 'us-east-1',
      date: DOC_DATE,
    });
    expect(d.signature).toBe('4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9');
    const signer = createChunkSigner({ seedSignature: d.signature, signingKey: d.signingKey, scope: d.scope, amzDate: d.amzDate });
    const body = Buffer.alloc(66560, 'a');
    expect(signer.signChunk(body.subarray(0, 65536))).toBe('ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648');
    expect(signer.signChunk(body.subarray(65536))).toBe('0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497');
    expect(signer.signChunk(new Uint8Array(0))).toBe('b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9');
    const encoded = encodeAwsChunked(body, { signing: { seedSignature: d.signature, signingKey: d.signingKey, scope: d.scope, amzDate: d.amzDate } });
    expect(encoded.length).toBe(66824);
  });

  it('encodes unsigned-trailer bodies', () => {
    const b = encodeAwsChunked(Buffer.from('hello world'), { chunkSizeBytes: 5, trailers: { 'x-amz-checksum-crc32': 'DUoRhQ==' } });
    expect(b.toString()).toBe('5\r\nhello\r\n5\r\n worl\r\n1\r\nd\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
  });
});

describe('query helper', () => {
  it('canonical query is a valid wire query', () => {
    expect(canonicalQueryFromPairs([['prefix', 'a b/c'], ['list-type', '2']])).toBe('list-type=2&prefix=a%20b%2Fc');
  });
});

describe('awsChunkedEncodedLength', () => {
  it('matches encodeAwsChunked for every mode and many lengths', async () => {
    const { awsChunkedEncodedLength } = await import('../../src/auth/sign-request.js');
    const d = signRequestDetailed({ method: 'PUT', host: 'h', path: '/b/k', payloadHash: STREAMING_SIGNED_PAYLOAD, accessKeyId: AKID, secretAccessKey: SECRET, region: 'us-east-1' });
    const signing = { seedSignature: d.signature, signingKey: d.signingKey, scope: d.scope, amzDate: d.amzDate };
    const trailers = { 'x-amz-checksum-crc32': 'AAAAAA==' };
    for (const len of [0, 1, 15, 16, 17, 100, 4096, 65535, 65536, 65537, 200_000]) {
      for (const chunkSizeBytes of [16, 1000, 65536]) {
        if (len / chunkSizeBytes > 2000) continue;
        const body = Buffer.alloc(len, 1);
        expect(awsChunkedEncodedLength(len, { chunkSizeBytes, signed: true })).toBe(encodeAwsChunked(body, { chunkSizeBytes, signing }).length);
        expect(awsChunkedEncodedLength(len, { chunkSizeBytes, signed: true, trailers })).toBe(encodeAwsChunked(body, { chunkSizeBytes, signing, trailers }).length);
        expect(awsChunkedEncodedLength(len, { chunkSizeBytes, signed: false, trailers })).toBe(encodeAwsChunked(body, { chunkSizeBytes, trailers }).length);
        expect(awsChunkedEncodedLength(len, { chunkSizeBytes, signed: false })).toBe(encodeAwsChunked(body, { chunkSizeBytes }).length);
      }
    }
    expect(awsChunkedEncodedLength(66560, { signed: true })).toBe(66824);
  });
});
