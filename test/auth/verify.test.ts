import { describe, expect, it } from 'vitest';
import { AuthError, type AuthErrorCode } from '../../src/auth/errors.js';
import { IdentityStore } from '../../src/auth/identities.js';
import { presignUrl, signRequest } from '../../src/auth/sign-request.js';
import {
  EMPTY_SHA256_HEX,
  STREAMING_SIGNED_PAYLOAD,
  STREAMING_UNSIGNED_PAYLOAD_TRAILER,
  UNSIGNED_PAYLOAD,
  buildCanonicalRequest,
  buildStringToSign,
  canonicalHeadersBlock,
  credentialScope,
  deriveSigningKey,
  hmacHex,
  sha256Hex,
} from '../../src/auth/sigv4.js';
import { authenticate, type AuthOptions, type AuthRequest, type AuthResult } from '../../src/auth/verify.js';
import { AKID, REGION, SECRET, identities, lowerHeaders, req, smithyQueryString } from './helpers.js';
import { smithySigner } from './smithy.js';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const OPTS: AuthOptions = { region: REGION, nowMs: NOW };
const HOST = 'localhost:9000';

function signed(method: string, path: string, query: [string, string][], headers: Record<string, string>, payloadHash: string, date = new Date(NOW)): AuthRequest {
  const h = signRequest({ method, host: HOST, path, query, headers, payloadHash, accessKeyId: AKID, secretAccessKey: SECRET, region: REGION, date });
  const rawQuery = query.length === 0 ? '' : query.map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&');
  return req(method, path, rawQuery, lowerHeaders({ ...headers, ...h }));
}

function expectCode(fn: () => unknown, code: AuthErrorCode, msg?: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AuthError);
    expect((e as AuthError).code).toBe(code);
    if (msg !== undefined) expect((e as AuthError).message).toContain(msg);
    return;
  }
  throw new Error(`expected AuthError ${code}`);
}

function ok(r: ReturnType<typeof authenticate>): AuthResult {
  if (r.anonymous) throw new Error('anonymous');
  return r;
}

describe('authenticate: header', () => {
  it('accepts our own signer and reports payload mode', () => {
    const body = Buffer.from('hello');
    const r = ok(authenticate(signed('PUT', '/bucket/a%20b', [], { 'content-type': 'text/plain' }, sha256Hex(body)), identities, OPTS));
    expect(r.kind).toBe('header-v4');
    expect(r.accessKeyId).toBe(AKID);
    expect(r.payloadMode).toBe('signed');
    expect(r.payloadSha256Hex).toBe(sha256Hex(body));
    expect(r.scope).toBe('20240601/us-east-1/s3/aws4_request');
    expect(r.amzDate).toBe('20240601T120000Z');
    expect(r.signedHeaders).toEqual(['content-type', 'host', 'x-amz-content-sha256', 'x-amz-date']);
    expect(ok(authenticate(signed('GET', '/bucket', [['list-type', '2'], ['prefix', 'a b/é']], {}, UNSIGNED_PAYLOAD), identities, OPTS)).payloadMode).toBe('unsigned');
    const s = ok(authenticate(signed('PUT', '/b/k', [], { 'x-amz-decoded-content-length': '66560', 'content-encoding': 'aws-chunked' }, STREAMING_SIGNED_PAYLOAD), identities, OPTS));
    expect(s.payloadMode).toBe('streaming-signed');
    expect(s.decodedContentLength).toBe(66560);
    expect(ok(authenticate(signed('PUT', '/b/k', [], { 'x-amz-trailer': 'x-amz-checksum-crc32' }, STREAMING_UNSIGNED_PAYLOAD_TRAILER), identities, OPTS)).payloadMode).toBe(
      'streaming-unsigned-trailer',
    );
  });

  it('returns anonymous when there are no credentials', () => {
    expect(authenticate(req('GET', '/b/k', 'x=1', { host: HOST }), identities, OPTS)).toEqual({ anonymous: true });
  });

  it('accepts the Date header instead of x-amz-date', () => {
    // Sign with x-amz-date, then replace it by the equivalent Date header and drop it from SignedHeaders.
    const r = signed('GET', '/b/k', [], {}, EMPTY_SHA256_HEX);
    const h = { ...r.headers };
    delete h['x-amz-date'];
    h['date'] = new Date(NOW).toUTCString();
    h['authorization'] = h['authorization']!.replace(';x-amz-date', '');
    expectCode(() => authenticate({ ...r, headers: h }, identities, OPTS), 'SignatureDoesNotMatch');
  });

  it('tolerates wire encodings that differ from the canonical one', () => {
    // Signed as the canonical form, sent with unescaped sub-delims and a lower-case escape.
    const r = signed('GET', '/b/%28x%29%21%7E', [], {}, EMPTY_SHA256_HEX);
    expect(ok(authenticate({ ...r, rawPath: '/b/(x)!%7e' }, identities, OPTS)).accessKeyId).toBe(AKID);
  });

  it('accepts a client that signs unescaped sub-delims exactly as sent', () => {
    const amzDate = '20240601T120000Z';
    const hv = { host: HOST, 'x-amz-content-sha256': UNSIGNED_PAYLOAD, 'x-amz-date': amzDate };
    const names = Object.keys(hv).sort();
    const creq = buildCanonicalRequest('GET', '/b/a+b:c', '', canonicalHeadersBlock(names, hv)!, names.join(';'), UNSIGNED_PAYLOAD);
    const scope = credentialScope('20240601', REGION, 's3');
    const sig = hmacHex(deriveSigningKey(SECRET, '20240601', REGION, 's3'), buildStringToSign(amzDate, scope, creq));
    const authorization = `AWS4-HMAC-SHA256 Credential=${AKID}/${scope}, SignedHeaders=${names.join(';')}, Signature=${sig}`;
    expect(ok(authenticate(req('GET', '/b/a+b:c', '', { ...hv, authorization }), identities, OPTS)).accessKeyId).toBe(AKID);
    expectCode(() => authenticate(req('GET', '/b/a+b:d', '', { ...hv, authorization }), identities, OPTS), 'SignatureDoesNotMatch');
  });

  it('rejects with the S3 codes', () => {
    const good = signed('GET', '/b/k', [['a', '1']], {}, EMPTY_SHA256_HEX);
    const authz = good.headers['authorization']!;
    const withAuthz = (a: string): AuthRequest => ({ ...good, headers: { ...good.headers, authorization: a } });
    expectCode(() => authenticate(good, identities, { ...OPTS, nowMs: NOW + 16 * 60_000 }), 'RequestTimeTooSkewed');
    expectCode(() => authenticate(good, identities, { ...OPTS, nowMs: NOW - 16 * 60_000 }), 'RequestTimeTooSkewed');
    expect(ok(authenticate(good, identities, { ...OPTS, nowMs: NOW + 14 * 60_000 })).accessKeyId).toBe(AKID);
    expectCode(() => authenticate(good, identities, { ...OPTS, region: 'eu-west-1' }), 'AuthorizationHeaderMalformed', "the region 'us-east-1' is wrong; expecting 'eu-west-1'");
    expect(ok(authenticate(good, identities, { ...OPTS, region: 'eu-west-1', alsoAcceptRegions: ['us-east-1'] })).scope).toContain('/us-east-1/');
    expectCode(() => authenticate(good, IdentityStore.fromConfig({ accessKeyId: 'OTHERKEY', secretAccessKey: SECRET }), OPTS), 'InvalidAccessKeyId');
    expectCode(() => authenticate(good, IdentityStore.fromConfig({ accessKeyId: AKID, secretAccessKey: 'another-secret' }), OPTS), 'SignatureDoesNotMatch');
    expectCode(() => authenticate({ ...good, rawQuery: 'a=2' }, identities, OPTS), 'SignatureDoesNotMatch');
    expectCode(() => authenticate({ ...good, rawPath: '/b/K' }, identities, OPTS), 'SignatureDoesNotMatch');
    expectCode(() => authenticate({ ...good, method: 'DELETE' }, identities, OPTS), 'SignatureDoesNotMatch');
    expectCode(() => authenticate(withAuthz(authz.replace(/Signature=[0-9a-f]/, 'Signature=Z')), identities, OPTS), 'AuthorizationHeaderMalformed');
    expectCode(() => authenticate(withAuthz(authz.replace('/s3/', '/ec2/')), identities, OPTS), 'AuthorizationHeaderMalformed');
    expectCode(() => authenticate(withAuthz(authz.replace('aws4_request', 'aws5_request')), identities, OPTS), 'AuthorizationHeaderMalformed');
    expectCode(() => authenticate(withAuthz(authz.replace('/20240601/', '/20240602/')), identities, OPTS), 'AuthorizationHeaderMalformed');
    expectCode(() => authenticate(withAuthz(authz.replace('SignedHeaders=host;', 'SignedHeaders=')), identities, OPTS), 'AuthorizationHeaderMalformed');
    expectCode(() => authenticate(withAuthz(authz.replace(', Signature', ', Signature=x, Signature')), identities, OPTS), 'AuthorizationHeaderMalformed');
    expectCode(() => authenticate(withAuthz('AWS4-HMAC-SHA256 '), identities, OPTS), 'AuthorizationHeaderMalformed');
    expectCode(() => authenticate(withAuthz('Bearer abc'), identities, OPTS), 'InvalidArgument');
    expectCode(() => authenticate(withAuthz(authz + 'x'.repeat(9000)), identities, OPTS), 'AuthorizationHeaderMalformed');
    const noSha = { ...good.headers };
    delete noSha['x-amz-content-sha256'];
    expectCode(() => authenticate({ ...good, headers: noSha }, identities, OPTS), 'InvalidRequest', 'x-amz-content-sha256');
    expectCode(() => authenticate({ ...good, headers: { ...good.headers, 'x-amz-content-sha256': 'nope' } }, identities, OPTS), 'InvalidArgument');
    expectCode(() => authenticate({ ...good, headers: { ...good.headers, 'x-amz-acl': 'public-read' } }, identities, OPTS), 'AccessDenied', 'not signed');
    const noDate = { ...good.headers };
    delete noDate['x-amz-date'];
    expectCode(() => authenticate({ ...good, headers: noDate }, identities, OPTS), 'AccessDenied');
    expectCode(() => authenticate({ ...good, headers: { ...good.headers, 'x-amz-date': '2024-06-01T12:00:00Z' } }, identities, OPTS), 'AccessDenied');
    const noHost = { ...good.headers };
    delete noHost['host'];
    expectCode(() => authenticate({ ...good, headers: noHost }, identities, OPTS), 'SignatureDoesNotMatch');
    expectCode(() => authenticate({ ...good, rawQuery: 'X-Amz-Algorithm=AWS4-HMAC-SHA256' }, identities, OPTS), 'InvalidArgument', 'Only one auth mechanism');
  });
});

describe('authenticate: presigned', () => {
  const base = { method: 'GET', host: HOST, path: '/bucket/photo%201.jpg', accessKeyId: AKID, secretAccessKey: SECRET, region: REGION, date: new Date(NOW) };

  it('accepts our presigned URLs until they expire', () => {
    const q = presignUrl({ ...base, expiresSec: 3600, query: [['response-content-type', 'image/jpeg']] });
    const r = req('GET', base.path, q, { host: HOST });
    const res = ok(authenticate(r, identities, OPTS));
    expect(res.kind).toBe('presigned-v4');
    expect(res.payloadMode).toBe('unsigned');
    expect(res.expiresAtMs).toBe(NOW + 3600_000);
    expect(ok(authenticate(r, identities, { ...OPTS, nowMs: NOW + 3600_000 })).accessKeyId).toBe(AKID);
    expectCode(() => authenticate(r, identities, { ...OPTS, nowMs: NOW + 3600_001 }), 'AccessDenied', 'Request has expired');
    expectCode(() => authenticate(r, identities, { ...OPTS, nowMs: NOW - 16 * 60_000 }), 'AccessDenied', 'not valid yet');
    expectCode(() => authenticate(r, identities, { ...OPTS, region: 'eu-west-1' }), 'AuthorizationQueryParametersError', 'region');
    expectCode(() => authenticate({ ...r, rawQuery: q.replace('X-Amz-Expires=3600', 'X-Amz-Expires=604801') }, identities, OPTS), 'AuthorizationQueryParametersError');
    expectCode(() => authenticate({ ...r, rawQuery: q.replace('X-Amz-Expires=3600', 'X-Amz-Expires=0') }, identities, OPTS), 'AuthorizationQueryParametersError');
    expectCode(() => authenticate({ ...r, rawQuery: q.replace('X-Amz-Expires=3600', 'X-Amz-Expires=3601') }, identities, OPTS), 'SignatureDoesNotMatch');
    expectCode(() => authenticate({ ...r, rawQuery: q.replace(/&X-Amz-Date=[^&]*/, '') }, identities, OPTS), 'AuthorizationQueryParametersError');
    expectCode(() => authenticate({ ...r, rawQuery: q + '&X-Amz-Date=20240601T120000Z' }, identities, OPTS), 'AuthorizationQueryParametersError', 'duplicate');
    expectCode(() => authenticate({ ...r, rawQuery: q.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512') }, identities, OPTS), 'AuthorizationQueryParametersError');
    expectCode(() => authenticate({ ...r, rawQuery: q + '&extra=1' }, identities, OPTS), 'SignatureDoesNotMatch');
    expectCode(() => authenticate({ ...r, headers: { host: 'evil:9000' } }, identities, OPTS), 'SignatureDoesNotMatch');
    expectCode(() => authenticate({ ...r, headers: { host: HOST, 'x-amz-acl': 'public-read' } }, identities, OPTS), 'AccessDenied');
  });

  it('presigned PUT with a signed content-type header', () => {
    const q = presignUrl({ ...base, method: 'PUT', expiresSec: 60, headers: { 'Content-Type': 'image/png' } });
    expect(q).toContain('X-Amz-SignedHeaders=content-type%3Bhost');
    expect(ok(authenticate(req('PUT', base.path, q, { host: HOST, 'content-type': 'image/png' }), identities, OPTS)).signedHeaders).toEqual(['content-type', 'host']);
    expectCode(() => authenticate(req('PUT', base.path, q, { host: HOST, 'content-type': 'text/html' }), identities, OPTS), 'SignatureDoesNotMatch');
    expectCode(() => authenticate(req('PUT', base.path, q, { host: HOST }), identities, OPTS), 'SignatureDoesNotMatch');
  });

  it('accepts @smithy/signature-v4 presigned requests', async () => {
    const signer = smithySigner(AKID, SECRET, REGION);
    for (const [i, [path, query]] of ([
      ['/bucket/key', {}],
      ['/bucket/dir/%E2%82%AC%20x%2By', { versionId: 'v 1' }],
      ['/bucket', { 'list-type': '2', prefix: 'a/b c', 'continuation-token': 'x+y/z=' }],
    ] as const).entries()) {
      const shaHeader = i % 2 === 0 ? 'X-Amz-Content-Sha256' : 'x-amz-content-sha256';
      const p = await signer.presign(
        { method: 'GET', protocol: 'http:', hostname: 'localhost', port: 9000, path, query: { ...query }, headers: { host: HOST, [shaHeader]: UNSIGNED_PAYLOAD } } as never,
        { signingDate: new Date(NOW), expiresIn: 900 },
      );
      const pr = p as unknown as { query: Record<string, string>; headers: Record<string, string>; path: string };
      // Like @aws-sdk/s3-request-presigner: the UNSIGNED-PAYLOAD header is hoisted into the query.
      expect(pr.query[shaHeader]).toBe(UNSIGNED_PAYLOAD);
      const r = req('GET', pr.path, smithyQueryString(pr.query), lowerHeaders(pr.headers));
      expect(ok(authenticate(r, identities, OPTS)).kind).toBe('presigned-v4');
    }
  });
});

describe('authenticate: cross-check with @smithy/signature-v4', () => {
  it('verifies random SDK-signed requests, including checksum and trailer headers', async () => {
    const signer = smithySigner(AKID, SECRET, REGION);
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const chars = [...'abcXYZ09-._~ +=&/%!*()é€😀'];
    const word = (n: number): string => Array.from({ length: rnd(n) + 1 }, () => chars[rnd(chars.length)]).join('');
    const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
    for (let i = 0; i < 300; i++) {
      const key = word(20);
      const path = '/bucket/' + key.split('/').map(enc).join('/');
      const query: Record<string, string> = {};
      for (let q = rnd(4); q > 0; q--) query[word(6)] = rnd(3) === 0 ? '' : word(8);
      const payload = [EMPTY_SHA256_HEX, UNSIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD, STREAMING_UNSIGNED_PAYLOAD_TRAILER][rnd(4)]!;
      const headers: Record<string, string> = { host: HOST, 'x-amz-content-sha256': payload, 'Content-Type': 'application/octet-stream', 'amz-sdk-invocation-id': 'abc' };
      if (rnd(2)) {
        headers['x-amz-checksum-crc32'] = 'DUoRhQ==';
        headers['x-amz-sdk-checksum-algorithm'] = 'CRC32';
      }
      if (payload.startsWith('STREAMING')) {
        headers['x-amz-decoded-content-length'] = '1234';
        headers['content-encoding'] = 'aws-chunked';
        headers['x-amz-trailer'] = 'x-amz-checksum-crc32';
      }
      if (rnd(2)) headers['x-amz-meta-note'] = '  two  spaces  ';
      const s = (await signer.sign({ method: 'PUT', protocol: 'http:', hostname: 'localhost', port: 9000, path, query, headers } as never, {
        signingDate: new Date(NOW - rnd(600_000)),
      })) as unknown as { headers: Record<string, string>; path: string; query: Record<string, string> };
      const r = req('PUT', s.path, smithyQueryString(s.query), lowerHeaders(s.headers));
      let res: AuthResult;
      try {
        res = ok(authenticate(r, identities, OPTS));
      } catch (e) {
        throw new Error(`iteration ${i}: ${path}?${r.rawQuery}: ${String(e)}`);
      }
      expect(res.seedSignature).toBe(s.headers['authorization']!.slice(-64));
    }
  });
});

describe('authenticate: SigV2', () => {
  it('verifies header and presigned V2 (s3cmd signature_v2 / legacy tools)', async () => {
    const { signV2, stringToSignV2 } = await import('../../src/auth/sigv2.js');
    const date = new Date(NOW).toUTCString();
    const headers: Record<string, string> = { host: HOST, date, 'content-type': 'text/plain', 'x-amz-meta-a': ' 1 ' };
    const r0 = req('PUT', '/bucket/k%20ey', 'acl&foo=bar', headers);
    const sig = signV2(SECRET, stringToSignV2(r0, date, undefined).sts);
    expect(stringToSignV2(r0, date, undefined).sts).toBe(`PUT\n\ntext/plain\n${date}\nx-amz-meta-a:1\n/bucket/k%20ey?acl`);
    const r = { ...r0, headers: { ...headers, authorization: `AWS ${AKID}:${sig}` } };
    expect(ok(authenticate(r, identities, OPTS)).kind).toBe('header-v2');
    expectCode(() => authenticate({ ...r, rawPath: '/bucket/other' }, identities, OPTS), 'SignatureDoesNotMatch');
    expectCode(() => authenticate(r, identities, { ...OPTS, nowMs: NOW + 3600_000 }), 'RequestTimeTooSkewed');
    // Virtual-hosted: the bucket comes from the host, the path lacks it.
    const vr = req('GET', '/k', '', { host: 'bucket.s3.local', date });
    const vsig = signV2(SECRET, stringToSignV2(vr, date, 'bucket').sts);
    expect(ok(authenticate({ ...vr, headers: { ...vr.headers, authorization: `AWS ${AKID}:${vsig}` } }, identities, { ...OPTS, virtualHostBucket: 'bucket' })).accessKeyId).toBe(AKID);
    // Presigned V2.
    const expires = String(Math.floor(NOW / 1000) + 60);
    const pr = req('GET', '/bucket/k', '', { host: HOST });
    const psig = signV2(SECRET, stringToSignV2(pr, expires, undefined).sts);
    const q = `AWSAccessKeyId=${AKID}&Expires=${expires}&Signature=${encodeURIComponent(psig)}`;
    expect(ok(authenticate({ ...pr, rawQuery: q }, identities, OPTS)).kind).toBe('presigned-v2');
    expectCode(() => authenticate({ ...pr, rawQuery: q }, identities, { ...OPTS, nowMs: NOW + 61_000 }), 'AccessDenied', 'expired');
  });
});

describe('authenticate: AWS SigV4 test-suite request through the verifier', () => {
  it('post-x-www-form-urlencoded verifies with service "service"', () => {
    const store = IdentityStore.fromConfig({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' });
    const r = req('POST', '/', '', {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': '13',
      host: 'example.amazonaws.com',
      'x-amz-content-sha256': '9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e',
      'x-amz-date': '20150830T123600Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b',
    });
    const res = ok(authenticate(r, store, { region: 'us-east-1', service: 'service', nowMs: Date.UTC(2015, 7, 30, 12, 36) }));
    expect(res.payloadSha256Hex).toBe('9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e');
  });
});
