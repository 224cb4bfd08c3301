// Pure parts of the S3 layer: ranges, conditionals, XML, list pagination, names, routing, errors, config.

import { describe, expect, it } from 'vitest';
import { parseRange } from '../../src/s3/range.js';
import { evaluateConditions, evaluateCopySourceConditions, etagMatches } from '../../src/s3/conditional.js';
import { parseCreateBucket, parseDeleteRequest, parseXml } from '../../src/s3/xml.js';
import { AFTER_ALL, afterFromMarker, decodeContinuationToken, encodeContinuationToken, listPage, urlEncodeKey } from '../../src/s3/list-page.js';
import { assertObjectKey, bucketNameProblem, decodePathComponent } from '../../src/s3/names.js';
import { matchRoute, ROUTES } from '../../src/s3/router.js';
import { S3_ERRORS, S3Error, fromAuthError, fromStoreError, renderErrorXml, toS3Error, xmlEscape } from '../../src/s3/errors.js';
import { StoreError, type StoreErrorCode } from '../../src/store/api.js';
import { AuthError, AUTH_ERROR_CODES } from '../../src/auth/errors.js';
import { CONFIG_OPTIONS, ConfigError, loadConfig, parseFlags, knownFlags, renderConfigMarkdown } from '../../src/config.js';
import { parseCopySource } from '../../src/s3/copy.js';
import { storedContentEncoding, isBase64Of } from '../../src/s3/object-meta.js';

describe('parseRange', () => {
  const cases: [string | undefined, number, ReturnType<typeof parseRange>][] = [
    [undefined, 10, { kind: 'none' }],
    ['bytes=0-0', 10, { kind: 'range', start: 0, end: 0 }],
    ['bytes=2-4', 10, { kind: 'range', start: 2, end: 4 }],
    ['bytes=7-', 10, { kind: 'range', start: 7, end: 9 }],
    ['bytes=-3', 10, { kind: 'range', start: 7, end: 9 }],
    ['bytes=-30', 10, { kind: 'range', start: 0, end: 9 }],
    ['bytes=5-100', 10, { kind: 'range', start: 5, end: 9 }],
    ['bytes=10-', 10, { kind: 'unsatisfiable' }],
    ['bytes=10-20', 10, { kind: 'unsatisfiable' }],
    ['bytes=-0', 10, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=4-2', 10, { kind: 'none' }],
    ['bytes=abc', 10, { kind: 'none' }],
    ['bytes=1-2,4-5', 10, { kind: 'none' }],
    ['items=1-2', 10, { kind: 'none' }],
    ['bytes=-', 10, { kind: 'none' }],
    ['bytes=99999999999999999999-', 10, { kind: 'none' }],
  ];
  for (const [h, size, want] of cases) it(`${h} of ${size}`, () => expect(parseRange(h, size)).toEqual(want));
});

describe('conditionals', () => {
  const etag = 'abc';
  const lm = Date.parse('2026-01-01T00:00:10Z');
  const before = 'Thu, 01 Jan 2026 00:00:00 GMT';
  const after = 'Thu, 01 Jan 2026 00:01:00 GMT';
  const same = 'Thu, 01 Jan 2026 00:00:10 GMT';
  it('etag lists, weak tags and *', () => {
    expect(etagMatches('"abc"', etag)).toBe(true);
    expect(etagMatches('"x", "abc"', etag)).toBe(true);
    expect(etagMatches('W/"abc"', etag)).toBe(true);
    expect(etagMatches('*', etag)).toBe(true);
    expect(etagMatches('"abd"', etag)).toBe(false);
  });
  it('S3 precedence', () => {
    expect(evaluateConditions({}, etag, lm)).toBe('ok');
    expect(evaluateConditions({ ifMatch: '"nope"' }, etag, lm)).toBe('precondition-failed');
    expect(evaluateConditions({ ifMatch: '"abc"', ifUnmodifiedSince: before }, etag, lm)).toBe('ok');
    expect(evaluateConditions({ ifUnmodifiedSince: before }, etag, lm)).toBe('precondition-failed');
    expect(evaluateConditions({ ifUnmodifiedSince: same }, etag, lm)).toBe('ok');
    expect(evaluateConditions({ ifNoneMatch: '"abc"' }, etag, lm)).toBe('not-modified');
    expect(evaluateConditions({ ifNoneMatch: '"zzz"', ifModifiedSince: after }, etag, lm)).toBe('ok');
    expect(evaluateConditions({ ifModifiedSince: after }, etag, lm)).toBe('not-modified');
    expect(evaluateConditions({ ifModifiedSince: same }, etag, lm)).toBe('not-modified');
    expect(evaluateConditions({ ifModifiedSince: before }, etag, lm)).toBe('ok');
    expect(evaluateConditions({ ifModifiedSince: 'garbage' }, etag, lm)).toBe('ok');
    expect(evaluateConditions({ ifMatch: '"nope"', ifNoneMatch: '"abc"' }, etag, lm)).toBe('precondition-failed');
  });
  it('copy-source conditions are all 412', () => {
    expect(evaluateCopySourceConditions({ ifNoneMatch: '"abc"' }, etag, lm)).toBe(false);
    expect(evaluateCopySourceConditions({ ifMatch: '"abc"', ifUnmodifiedSince: before }, etag, lm)).toBe(true);
    expect(evaluateCopySourceConditions({ ifModifiedSince: after }, etag, lm)).toBe(false);
  });
});

describe('XML', () => {
  it('parses DeleteObjects with Quiet, namespaces, entities', () => {
    const r = parseDeleteRequest(Buffer.from('<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key><VersionId>v1</VersionId></Object></Delete>'), 1000);
    expect(r).toEqual({ quiet: true, objects: [{ key: 'a&b' }, { key: 'c', versionId: 'v1' }] });
  });
  it('rejects malformed, empty, DOCTYPE, too many keys', () => {
    expect(() => parseDeleteRequest(Buffer.from('<Delete><Object><Key>a</Key></Object>'), 1000)).toThrow(S3Error);
    expect(() => parseDeleteRequest(Buffer.from(''), 1000)).toThrow(/XML/);
    expect(() => parseDeleteRequest(Buffer.from('<Delete></Delete>'), 1000)).toThrow(S3Error);
    expect(() => parseXml('<!DOCTYPE x [<!ENTITY a "b">]><Delete/>')).toThrow(S3Error);
    const many = '<Delete>' + '<Object><Key>k</Key></Object>'.repeat(3) + '</Delete>';
    expect(() => parseDeleteRequest(Buffer.from(many), 2)).toThrow(/at most 2/);
  });
  it('CreateBucketConfiguration', () => {
    expect(parseCreateBucket(Buffer.alloc(0))).toBeUndefined();
    expect(parseCreateBucket(Buffer.from('<CreateBucketConfiguration xmlns="x"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>'))).toBe('eu-west-1');
    expect(() => parseCreateBucket(Buffer.from('<Nope/>'))).toThrow(S3Error);
  });
  it('escapes text including control characters', () => {
    expect(xmlEscape(`<a&"b'>\u0001`)).toBe('&lt;a&amp;&quot;b&apos;&gt;&#x1;');
  });
  it('renders the error document', () => {
    const xml = renderErrorXml(new S3Error('NoSuchKey', undefined, { details: { Key: 'k<' } }), '/b/k<', 'REQ1');
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k&lt;</Key><Resource>/b/k&lt;</Resource><RequestId>REQ1</RequestId></Error>',
    );
  });
});

describe('list pagination', () => {
  const keys = ['a', 'b/1', 'b/2', 'b/3', 'c', 'd/x/1', 'd/y', 'e', 'f/', 'f/g', 'ü/1', '\u{1F600}/z', 'zz'].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  const objs = keys.map((key) => ({ key }));
  const fetch = (prefix: string) => (after: string | undefined, limit: number) =>
    objs.filter((o) => o.key.startsWith(prefix) && (after === undefined || Buffer.compare(Buffer.from(o.key), Buffer.from(after)) > 0)).slice(0, limit);

  function brute(prefix: string, delimiter?: string): string[] {
    const out: string[] = [];
    for (const k of keys.filter((k) => k.startsWith(prefix))) {
      const i = delimiter ? k.indexOf(delimiter, prefix.length) : -1;
      const e = i >= 0 ? 'P:' + k.slice(0, i + delimiter!.length) : 'K:' + k;
      if (!out.includes(e)) out.push(e);
    }
    return out;
  }

  for (const prefix of ['', 'b', 'd/', 'f']) {
    for (const delimiter of [undefined, '/', 'x']) {
      for (const maxKeys of [1, 2, 3, 5, 1000]) {
        it(`prefix=${JSON.stringify(prefix)} delimiter=${delimiter} max=${maxKeys}: all pages = one listing, nothing repeated`, () => {
          const seen: string[] = [];
          let after: string | undefined;
          for (let guard = 0; guard < 100; guard++) {
            const p = listPage(fetch(prefix), { prefix, ...(delimiter ? { delimiter } : {}), maxKeys, ...(after !== undefined ? { after } : {}) });
            expect(p.contents.length + p.commonPrefixes.length).toBeLessThanOrEqual(maxKeys);
            // Order within a page: interleave by key for comparison.
            const page = [...p.contents.map((c) => 'K:' + c.key), ...p.commonPrefixes.map((c) => 'P:' + c)].sort((x, y) => Buffer.compare(Buffer.from(x.slice(2)), Buffer.from(y.slice(2))));
            seen.push(...page);
            if (!p.isTruncated) break;
            expect(p.resumeAfter).toBeDefined();
            after = p.resumeAfter;
          }
          expect(seen).toEqual(brute(prefix, delimiter));
        });
      }
    }
  }

  it('v1 markers that are common prefixes skip the prefix', () => {
    expect(afterFromMarker('b/', '', '/')).toBe('b/' + AFTER_ALL);
    expect(afterFromMarker('b/1', '', '/')).toBe('b/1');
    expect(afterFromMarker('b/', '', undefined)).toBe('b/');
    expect(afterFromMarker(undefined, '', '/')).toBeUndefined();
  });

  it('continuation tokens round-trip and reject garbage', () => {
    for (const k of ['', 'a', 'b/' + AFTER_ALL, 'ü €', '\u{1F600}']) expect(decodeContinuationToken(encodeContinuationToken(k))).toBe(k);
    expect(decodeContinuationToken('!!')).toBeUndefined();
    expect(decodeContinuationToken('a+b/')).toBeUndefined();
  });

  it('url encoding keeps / and encodes the rest', () => {
    expect(urlEncodeKey("a b/c+d'é")).toBe('a%20b/c%2Bd%27%C3%A9');
  });
});

describe('names', () => {
  it('bucket rules', () => {
    for (const ok of ['abc', 'my-bucket', 'a.b.c', '123', 'a'.repeat(63)]) expect(bucketNameProblem(ok)).toBeNull();
    for (const bad of ['ab', 'a'.repeat(64), 'ABC', 'a_b', '-ab', 'ab-', 'a..b', 'a.-b', '192.168.1.1', 'xn--abc', 'abc-s3alias', '.ab', 'ab.', 'a b']) {
      expect(bucketNameProblem(bad), bad).not.toBeNull();
    }
  });
  it('keys', () => {
    expect(() => assertObjectKey('k'.repeat(1024), 1024)).not.toThrow();
    expect(() => assertObjectKey('k'.repeat(1025), 1024)).toThrow(/too long/);
    expect(() => assertObjectKey('é'.repeat(513), 1024)).toThrow(/too long/);
    expect(() => assertObjectKey('a\u0000b', 1024)).toThrow(S3Error);
    expect(() => assertObjectKey('../../etc/passwd', 1024)).not.toThrow();
    expect(() => assertObjectKey('\ud800', 1024)).toThrow(S3Error);
    expect(decodePathComponent('a%20b%2Fc')).toBe('a b/c');
    expect(() => decodePathComponent('%E0%A4%A')).toThrow(S3Error);
    expect(() => decodePathComponent('%C3%28')).toThrow(S3Error);
  });
  it('copy source', () => {
    expect(parseCopySource('/b/k%20y')).toEqual({ bucket: 'b', key: 'k y' });
    expect(parseCopySource('b/dir/k?versionId=v1')).toEqual({ bucket: 'b', key: 'dir/k', versionId: 'v1' });
    expect(parseCopySource('b/k%3Fq')).toEqual({ bucket: 'b', key: 'k?q' });
    expect(() => parseCopySource('nokey')).toThrow(S3Error);
    expect(() => parseCopySource('/b/')).toThrow(S3Error);
  });
  it('stored content-encoding drops aws-chunked', () => {
    expect(storedContentEncoding('aws-chunked')).toBeUndefined();
    expect(storedContentEncoding('aws-chunked,gzip')).toBe('gzip');
    expect(storedContentEncoding('gzip')).toBe('gzip');
    expect(isBase64Of('AAAAAA==', 4)).toBe(true);
    expect(isBase64Of('AAAAAA=', 4)).toBe(false);
  });
});

describe('routing table', () => {
  const q = (...keys: string[]) => new Map(keys.map((k) => [k, '']));
  const op = (method: string, scope: 'service' | 'bucket' | 'object', query = q(), headers: Record<string, string> = {}) => {
    const m = matchRoute(method, scope, query, headers);
    return 'route' in m ? m.route.op : 'MethodNotAllowed';
  };
  it('maps requests to operations', () => {
    expect(op('GET', 'service')).toBe('ListBuckets');
    expect(op('GET', 'bucket')).toBe('ListObjects');
    expect(op('GET', 'bucket', q('location'))).toBe('GetBucketLocation');
    expect(op('GET', 'bucket', q('versioning'))).toBe('GetBucketVersioning');
    expect(op('PUT', 'bucket', q('versioning'))).toBe('PutBucketVersioning');
    expect(op('DELETE', 'bucket', q('versioning'))).toBe('UnsupportedBucketSubresource');
    expect(op('GET', 'bucket', q('policy'))).toBe('GetBucketPolicy');
    expect(op('GET', 'bucket', q('policyStatus'))).toBe('GetBucketPolicyStatus');
    expect(op('PUT', 'bucket', q('lifecycle'))).toBe('PutBucketLifecycleConfiguration');
    expect(op('GET', 'bucket', q('lifecycle'))).toBe('GetBucketLifecycleConfiguration');
    expect(op('DELETE', 'bucket', q('lifecycle'))).toBe('DeleteBucketLifecycle');
    expect(op('GET', 'bucket', q('website'))).toBe('GetBucketWebsite');
    expect(op('POST', 'bucket', q('website'))).toBe('UnconfiguredBucketSubresourceMethod');
    expect(op('GET', 'bucket', q('metrics'))).toBe('ListBucketMetricsConfigurations');
    expect(op('GET', 'bucket', q('metrics', 'id'))).toBe('GetBucketMetricsConfiguration');
    expect(op('GET', 'bucket', q('session'))).toBe('UnsupportedBucketSubresource');
    expect(op('PUT', 'bucket', q('cors'))).toBe('PutBucketCors');
    expect(op('OPTIONS', 'bucket', q('cors'))).toBe('PreflightBucket');
    expect(op('OPTIONS', 'object', q('uploads'))).toBe('PreflightObject');
    expect(op('PUT', 'bucket')).toBe('CreateBucket');
    expect(op('POST', 'bucket', q('delete'))).toBe('DeleteObjects');
    expect(op('GET', 'bucket', q('uploads'))).toBe('ListMultipartUploads');
    expect(op('PUT', 'object')).toBe('PutObject');
    expect(op('PUT', 'object', q(), { 'x-amz-copy-source': 'b/k' })).toBe('CopyObject');
    expect(op('PUT', 'object', q('partNumber', 'uploadId'))).toBe('UploadPart');
    expect(op('PUT', 'object', q('partNumber', 'uploadId'), { 'x-amz-copy-source': 'b/k' })).toBe('UploadPartCopy');
    expect(op('POST', 'object', q('uploads'))).toBe('CreateMultipartUpload');
    expect(op('POST', 'object', q('uploadId'))).toBe('CompleteMultipartUpload');
    expect(op('DELETE', 'object', q('uploadId'))).toBe('AbortMultipartUpload');
    expect(op('GET', 'object', q('uploadId'))).toBe('ListParts');
    expect(op('GET', 'object', q('tagging'))).toBe('GetObjectTagging');
    expect(op('PUT', 'object', q('retention'))).toBe('PutObjectRetention');
    expect(op('DELETE', 'object', q('legal-hold'))).toBe('UnconfiguredObjectSubresourceMethod');
    expect(op('GET', 'object', q('torrent'))).toBe('UnsupportedObjectSubresource');
    expect(op('POST', 'object')).toBe('MethodNotAllowed');
    expect(op('PATCH', 'object')).toBe('MethodNotAllowed');
    expect(op('DELETE', 'service')).toBe('MethodNotAllowed');
  });
  it('every route has a unique op', () => {
    expect(new Set(ROUTES.map((r) => r.op)).size).toBe(ROUTES.length);
  });
});

describe('error catalog', () => {
  it('statuses are as S3 documents them', () => {
    const want: Record<string, number> = {
      AccessDenied: 403, BadDigest: 400, BucketAlreadyExists: 409, BucketAlreadyOwnedByYou: 409, BucketNotEmpty: 409,
      EntityTooLarge: 400, EntityTooSmall: 400, IncompleteBody: 400, InternalError: 500, InvalidArgument: 400,
      InvalidBucketName: 400, InvalidDigest: 400, InvalidPart: 400, InvalidPartOrder: 400, InvalidRange: 416,
      InvalidRequest: 400, KeyTooLongError: 400, MalformedXML: 400, MetadataTooLarge: 400, MethodNotAllowed: 405,
      MissingContentLength: 411, NoSuchBucket: 404, NoSuchKey: 404, NoSuchUpload: 404, NotImplemented: 501,
      PreconditionFailed: 412, RequestTimeout: 400, RequestTimeTooSkewed: 403, ServiceUnavailable: 503,
      SignatureDoesNotMatch: 403, SlowDown: 503, XAmzContentSHA256Mismatch: 400, InvalidAccessKeyId: 403,
      AuthorizationHeaderMalformed: 400,
    };
    for (const [c, s] of Object.entries(want)) expect(S3_ERRORS[c as keyof typeof S3_ERRORS]?.[0], c).toBe(s);
  });
  it('every StoreError and AuthError code maps to a catalog error', () => {
    const storeCodes: StoreErrorCode[] = ['NoSuchBucket', 'BucketExists', 'BucketNotEmpty', 'NoSuchKey', 'PreconditionFailed', 'Busy', 'Unavailable', 'DataLoss', 'Aborted', 'InvalidArgument', 'Internal'];
    for (const c of storeCodes) expect(fromStoreError(new StoreError(c, 'x')).status).toBeGreaterThanOrEqual(400);
    expect(fromStoreError(new StoreError('Busy', 'x')).code).toBe('SlowDown');
    for (const c of AUTH_ERROR_CODES) {
      const e = fromAuthError(new AuthError(c, 'm'));
      expect(e.code, c).toBe(c);
    }
    const unknown = toS3Error(new Error('boom'));
    expect(unknown.internal).toBe(true);
    expect(unknown.error.code).toBe('InternalError');
    expect(unknown.error.message).not.toContain('boom');
  });
});

describe('config', () => {
  it('flags > env > defaults, unit-last names, credentials', () => {
    const c = loadConfig({ port: '1234' }, { STRATA_PORT: '5555', STRATA_REGION: 'eu-west-1', STRATA_MAX_KEY_BYTES: '512' });
    expect(c.port).toBe(1234);
    expect(c.region).toBe('eu-west-1');
    expect(c.limits.maxKeyBytes).toBe(512);
    expect(c.limits.maxUserMetadataBytes).toBe(2048);
    expect(c.engine.erasure).toEqual({ k: 4, m: 2 });
    expect(c.engine.drives).toHaveLength(6);
    expect(c.usingDefaultCredentials).toBe(true);
    expect(c.accessKeyId).toBe('strata-admin');
    const d = loadConfig({ ec: '2+1', data: '/x' }, { STRATA_ACCESS_KEY: 'AK', STRATA_SECRET_KEY: 'SK' });
    expect(d.engine.drives).toEqual(['/x/drive-1', '/x/drive-2', '/x/drive-3']);
    expect(d.usingDefaultCredentials).toBe(false);
  });
  it('rejects bad values and unknown flags', () => {
    expect(() => loadConfig({ port: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ ec: '4-2' })).toThrow(ConfigError);
    expect(() => loadConfig({ drives: '/a,/b' })).toThrow(/needs 6/);
    expect(() => parseFlags(['--prot', '1'], knownFlags())).toThrow(/unknown flag/);
    expect(parseFlags(['--port=9', '--region', 'x'], knownFlags()).flags).toEqual({ port: '9', region: 'x' });
  });
  it('every option is documented with a unit-last name and a README row', () => {
    const md = renderConfigMarkdown();
    for (const o of CONFIG_OPTIONS) {
      expect(md).toContain(`\`--${o.flag}\``);
      if (o.unit === 'bytes') expect(o.key).toMatch(/Bytes$/);
      if (o.unit === 'ms') expect(o.key).toMatch(/Ms$/);
    }
  });
});
