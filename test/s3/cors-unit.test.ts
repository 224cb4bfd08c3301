// The pure CORS parts: XML parsing and validation, rendering, the settings read-back check, the
// wildcard matcher, rule selection and the headers a match produces.

import { describe, expect, it } from 'vitest';
import {
  CORS_VARY,
  MAX_CORS_RULES,
  type CorsRule,
  actualRequestHeaders,
  corsRulesFromSettings,
  corsXml,
  findCorsRule,
  parseCorsXml,
  parseRequestHeaders,
  preflightHeaders,
  wildcardMatch,
} from '../../src/s3/cors.js';
import { S3Error } from '../../src/s3/errors.js';

function rule(r: Partial<CorsRule> & Pick<CorsRule, 'allowedOrigins' | 'allowedMethods'>): CorsRule {
  return { allowedHeaders: [], exposeHeaders: [], ...r };
}

function cfg(rules: string): string {
  return `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules}</CORSConfiguration>`;
}

function s3Code(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(S3Error);
    return { code: (err as S3Error).code, message: (err as S3Error).message };
  }
  throw new Error('expected an S3Error');
}

describe('wildcardMatch', () => {
  it.each([
    ['https://example.com', 'https://example.com', true],
    ['https://example.com', 'https://example.co', false],
    ['https://example.com', 'http://example.com', false],
    ['*', 'anything://at.all', true],
    ['*', '', true],
    ['https://*.example.com', 'https://a.example.com', true],
    ['https://*.example.com', 'https://a.b.example.com', true],
    ['https://*.example.com', 'https://.example.com', true],
    ['https://*.example.com', 'https://example.com', false],
    ['https://*.example.com', 'https://a.example.com.evil.net', false],
    ['http://*', 'http://x', true],
    ['http://*', 'https://x', false],
    ['*.com', 'https://x.com', true],
    // prefix and suffix may not overlap
    ['ab*ba', 'aba', false],
    ['ab*ba', 'abba', true],
  ])('%s vs %s → %s', (pattern, value, expected) => {
    expect(wildcardMatch(pattern, value)).toBe(expected);
  });
});

describe('parseRequestHeaders', () => {
  it('splits, trims, lower-cases and drops empties', () => {
    expect(parseRequestHeaders(undefined)).toEqual([]);
    expect(parseRequestHeaders('')).toEqual([]);
    expect(parseRequestHeaders('X-Amz-Date, Content-Type ,, authorization')).toEqual(['x-amz-date', 'content-type', 'authorization']);
  });
});

describe('findCorsRule', () => {
  const rules: CorsRule[] = [
    rule({ id: 'exact', allowedOrigins: ['https://app.example.com'], allowedMethods: ['GET', 'PUT'], allowedHeaders: ['Content-Type', 'x-amz-*'] }),
    rule({ id: 'wild', allowedOrigins: ['https://*.example.com'], allowedMethods: ['GET'] }),
    rule({ id: 'any', allowedOrigins: ['*'], allowedMethods: ['HEAD'], allowedHeaders: ['*'] }),
  ];
  it('matches origin, method and every requested header', () => {
    expect(findCorsRule(rules, 'https://app.example.com', 'PUT', ['content-type', 'x-amz-date'])?.id).toBe('exact');
    expect(findCorsRule(rules, 'https://app.example.com', 'PUT', ['CONTENT-TYPE'.toLowerCase()])?.id).toBe('exact');
    expect(findCorsRule(rules, 'https://app.example.com', 'PUT', ['authorization'])).toBeUndefined();
    expect(findCorsRule(rules, 'https://app.example.com', 'DELETE')).toBeUndefined();
  });
  it('takes the first rule that matches', () => {
    expect(findCorsRule(rules, 'https://app.example.com', 'GET')?.id).toBe('exact');
    expect(findCorsRule(rules, 'https://other.example.com', 'GET')?.id).toBe('wild');
    // the wildcard rule allows no headers
    expect(findCorsRule(rules, 'https://other.example.com', 'GET', ['x-custom'])).toBeUndefined();
    expect(findCorsRule(rules, 'https://evil.net', 'HEAD', ['x-anything', 'y'])?.id).toBe('any');
  });
  it('compares methods case-sensitively and origins exactly', () => {
    expect(findCorsRule(rules, 'https://app.example.com', 'get')).toBeUndefined();
    expect(findCorsRule(rules, 'https://evil.net', 'GET')).toBeUndefined();
  });
  it('no rules → no match', () => {
    expect(findCorsRule([], 'https://a', 'GET')).toBeUndefined();
  });
});

describe('response headers', () => {
  it('echo the origin, with credentials, for a specific or wildcard origin', () => {
    const r = rule({ allowedOrigins: ['https://*.example.com'], allowedMethods: ['GET', 'PUT'], exposeHeaders: ['ETag', 'x-amz-request-id'], maxAgeSeconds: 3000 });
    expect(preflightHeaders(r, 'https://a.example.com', ['content-type', 'x-amz-date'])).toEqual({
      'Access-Control-Allow-Origin': 'https://a.example.com',
      'Access-Control-Allow-Methods': 'GET, PUT',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Headers': 'content-type, x-amz-date',
      'Access-Control-Expose-Headers': 'ETag, x-amz-request-id',
      'Access-Control-Max-Age': 3000,
      Vary: CORS_VARY,
    });
    expect(actualRequestHeaders(r, 'https://a.example.com')).toEqual({
      'Access-Control-Allow-Origin': 'https://a.example.com',
      'Access-Control-Allow-Methods': 'GET, PUT',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': 'ETag, x-amz-request-id',
      'Access-Control-Max-Age': 3000,
      Vary: CORS_VARY,
    });
  });
  it("answer '*' without credentials when only the rule's '*' origin matched", () => {
    const r = rule({ allowedOrigins: ['https://a.com', '*'], allowedMethods: ['GET'] });
    const h = actualRequestHeaders(r, 'https://b.com');
    expect(h['Access-Control-Allow-Origin']).toBe('*');
    expect(h['Access-Control-Allow-Credentials']).toBeUndefined();
    expect(h['Access-Control-Max-Age']).toBeUndefined();
    expect(h['Access-Control-Expose-Headers']).toBeUndefined();
    expect(actualRequestHeaders(r, 'https://a.com')['Access-Control-Allow-Origin']).toBe('https://a.com');
    expect(preflightHeaders(r, 'https://b.com', [])['Access-Control-Allow-Headers']).toBeUndefined();
  });
});

describe('parseCorsXml', () => {
  it('parses one or many rules, every field, pretty-printed or not', () => {
    const rules = parseCorsXml(
      cfg(`
  <CORSRule>
    <ID>r1</ID>
    <AllowedOrigin>https://a.example.com</AllowedOrigin>
    <AllowedOrigin>https://*.b.com</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
  <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>
`),
    );
    expect(rules).toEqual([
      { id: 'r1', allowedOrigins: ['https://a.example.com', 'https://*.b.com'], allowedMethods: ['GET', 'PUT'], allowedHeaders: ['*'], exposeHeaders: ['ETag'], maxAgeSeconds: 3000 },
      { allowedOrigins: ['*'], allowedMethods: ['HEAD'], allowedHeaders: [], exposeHeaders: [] },
    ]);
    expect(parseCorsXml(cfg('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>'))).toHaveLength(1);
  });

  it('round-trips through corsXml', () => {
    const xml = cfg(
      '<CORSRule><ID>a&amp;b</ID><AllowedOrigin>https://x</AllowedOrigin><AllowedMethod>DELETE</AllowedMethod><AllowedMethod>POST</AllowedMethod>' +
        '<AllowedHeader>x-amz-*</AllowedHeader><ExposeHeader>x-amz-meta-a</ExposeHeader><MaxAgeSeconds>0</MaxAgeSeconds></CORSRule>',
    );
    const rules = parseCorsXml(xml);
    expect(rules[0]!.id).toBe('a&b');
    expect(parseCorsXml(corsXml(rules))).toEqual(rules);
  });

  it.each([
    ['empty body', ''],
    ['not XML', 'hello'],
    ['wrong root', '<Cors><CORSRule/></Cors>'],
    ['no rules', cfg('')],
    ['no origin', cfg('<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>')],
    ['no method', cfg('<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>')],
    ['unknown element', cfg('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Colour>red</Colour></CORSRule>')],
    ['unknown top-level element', cfg('<Extra/><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>')],
    ['non-numeric max age', cfg('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>ten</MaxAgeSeconds></CORSRule>')],
    ['negative max age', cfg('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds></CORSRule>')],
    ['two max ages', cfg('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2</MaxAgeSeconds></CORSRule>')],
    ['nested origin', cfg('<CORSRule><AllowedOrigin><x/></AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>')],
    ['doctype', '<!DOCTYPE x [<!ENTITY a "b">]>' + cfg('')],
  ])('MalformedXML: %s', (_name, xml) => {
    expect(s3Code(() => parseCorsXml(xml)).code).toBe('MalformedXML');
  });

  it('unsupported methods are InvalidRequest, naming the method (case-sensitive, as S3)', () => {
    for (const m of ['PATCH', 'OPTIONS', 'get', 'COPY']) {
      const e = s3Code(() => parseCorsXml(cfg(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>${m}</AllowedMethod></CORSRule>`)));
      expect(e).toEqual({ code: 'InvalidRequest', message: `Found unsupported HTTP method in CORS config. Unsupported method is ${m}` });
    }
  });

  it('more than one wildcard in an origin or header, or any in an expose header, is InvalidRequest', () => {
    expect(s3Code(() => parseCorsXml(cfg('<CORSRule><AllowedOrigin>https://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>')))).toEqual({
      code: 'InvalidRequest',
      message: 'AllowedOrigin "https://*.*.com" can not have more than one wildcard.',
    });
    expect(s3Code(() => parseCorsXml(cfg('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader></CORSRule>'))).code).toBe('InvalidRequest');
    expect(s3Code(() => parseCorsXml(cfg('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>*</ExposeHeader></CORSRule>'))).code).toBe('InvalidRequest');
  });

  it(`at most ${MAX_CORS_RULES} rules, and a bounded size`, () => {
    const one = '<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>';
    expect(parseCorsXml(cfg(one.repeat(MAX_CORS_RULES)))).toHaveLength(MAX_CORS_RULES);
    expect(s3Code(() => parseCorsXml(cfg(one.repeat(MAX_CORS_RULES + 1)))).code).toBe('InvalidRequest');
    const big = `<CORSRule><AllowedOrigin>${'a'.repeat(70 * 1024)}</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`;
    expect(s3Code(() => parseCorsXml(cfg(big))).code).toBe('MaxMessageLengthExceeded');
  });

  it('rule IDs are at most 255 characters', () => {
    const ok = cfg(`<CORSRule><ID>${'i'.repeat(255)}</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`);
    expect(parseCorsXml(ok)[0]!.id).toHaveLength(255);
    const bad = cfg(`<CORSRule><ID>${'i'.repeat(256)}</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`);
    expect(s3Code(() => parseCorsXml(bad)).code).toBe('InvalidArgument');
  });
});

describe('corsRulesFromSettings', () => {
  it('returns the stored rules, undefined when none, and refuses a record of the wrong shape', () => {
    const rules = [rule({ allowedOrigins: ['*'], allowedMethods: ['GET'] })];
    expect(corsRulesFromSettings({ cors: rules })).toBe(rules);
    expect(corsRulesFromSettings({ tags: {} })).toBeUndefined();
    expect(() => corsRulesFromSettings({ cors: [] })).toThrow();
    expect(() => corsRulesFromSettings({ cors: 'x' })).toThrow();
    expect(() => corsRulesFromSettings({ cors: [{ allowedOrigins: ['*'] }] })).toThrow();
  });
});
