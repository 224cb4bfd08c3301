// The bucket-policy module on its own: validation (MalformedPolicy and its reasons), glob matching,
// IAM evaluation with the fail-safe rule for what Strata does not support, and GetBucketPolicyStatus'
// notion of public. Plus: every routed operation has an entry in the action table.

import { describe, expect, it } from 'vitest';
import { S3Error } from '../../src/s3/errors.js';
import { ROUTES } from '../../src/s3/router.js';
import { POLICY_ACTIONS, VERSION_POLICY_ACTIONS, policyActionOf } from '../../src/s3/policy-handlers.js';
import {
  compileGlob,
  evaluatePolicy,
  globMatch,
  cidrContains,
  isPolicyPublic,
  KNOWN_S3_ACTIONS,
  parseCidr,
  parseIp,
  parsePolicy,
  type Caller,
  type CompiledPolicy,
  type RequestFacts,
} from '../../src/s3/policy.js';

const B = 'pics';
const ANON: Caller = { anonymous: true };
const ALICE: Caller = { anonymous: false, accessKeyId: 'alice-key' };

function policy(...statements: unknown[]): CompiledPolicy {
  return parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }), B);
}

function req(caller: Caller, action: string, key: string | undefined, keys: Record<string, string> = {}): RequestFacts {
  return {
    caller,
    action,
    resource: key === undefined ? `arn:aws:s3:::${B}` : `arn:aws:s3:::${B}/${key}`,
    key: (lower) => keys[lower],
  };
}

function malformed(text: string, bucket = B): string {
  try {
    parsePolicy(text, bucket);
  } catch (err) {
    expect(err).toBeInstanceOf(S3Error);
    expect((err as S3Error).code).toBe('MalformedPolicy');
    expect((err as S3Error).status).toBe(400);
    return (err as S3Error).message;
  }
  throw new Error(`accepted: ${text}`);
}

const PUBLIC_READ = { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${B}/*`] };

describe('parsePolicy: what is a valid policy', () => {
  it('accepts the usual shapes (one statement as an object, strings or lists, no Version)', () => {
    expect(policy(PUBLIC_READ).statements).toHaveLength(1);
    const p = parsePolicy(JSON.stringify({ Statement: { Effect: 'Deny', Principal: { AWS: ['*'] }, Action: 's3:*', Resource: `arn:aws:s3:::${B}` } }), B);
    expect(p.version).toBe('2008-10-17');
    expect(p.statements[0]!.effect).toBe('Deny');
  });

  it('rejects with a message that names the problem', () => {
    expect(malformed('{not json')).toMatch(/valid JSON/);
    expect(malformed('[]')).toMatch(/first byte/);
    expect(malformed(JSON.stringify({ Version: '2020-01-01', Statement: [PUBLIC_READ] }))).toMatch(/Version/);
    expect(malformed(JSON.stringify({ Version: '2012-10-17' }))).toMatch(/Missing required field Statement/);
    expect(malformed(JSON.stringify({ Version: '2012-10-17', Statement: [] }))).toMatch(/empty/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Effect: undefined }] }))).toMatch(/Effect/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Effect: 'allow' }] }))).toMatch(/Allow or Deny/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Principal: undefined }] }))).toMatch(/Principal/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, NotPrincipal: { AWS: 'x-key' } }] }))).toMatch(/exactly one of Principal/);
    // NotPrincipal with Allow is accepted, as AWS does (see the evaluation test below).
    expect(() => parsePolicy(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Principal: undefined, NotPrincipal: { AWS: 'x-key' } }] }), B)).not.toThrow();
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Action: undefined }] }))).toMatch(/Action/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Action: 'iam:PassRole' }] }))).toMatch(/invalid action/);
    // A typo must not make a Deny silently inert.
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Effect: 'Deny', Action: ['s3:GetObject', 's3:DeleteObjekt'] }] }))).toMatch(/DeleteObjekt.*not an S3 action/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Resource: 'arn:aws:s3:::other/*' }] }))).toMatch(/invalid resource/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Resource: `arn:aws:s3:::${B}-2/*` }] }))).toMatch(/invalid resource/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Resource: '*' }] }))).toMatch(/invalid resource/);
    expect(malformed(JSON.stringify({ Statement: [PUBLIC_READ, PUBLIC_READ] }))).toMatch(/unique/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Extra: 1 }] }))).toMatch(/Unknown field Extra/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Principal: { AWS: 'arn:aws:iam::*:user/*' } }] }))).toMatch(/principal/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Principal: { Martian: 'x' } }] }))).toMatch(/principal/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Condition: { IpAddress: { 'aws:SourceIp': '300.1.1.1/8' } } }] }))).toMatch(/IP address/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Condition: { NumericLessThan: { 's3:max-keys': 'ten' } } }] }))).toMatch(/not a number/);
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }] }))).toMatch(/true or false/);
    // An operator outside IAM's grammar is a typo, not a feature: refused at Put time.
    expect(malformed(JSON.stringify({ Statement: [{ ...PUBLIC_READ, Condition: { StringEqualz: { 'aws:UserAgent': 'x' } } }] }))).toMatch(/Invalid Condition type/);
  });

  it('with isKnownUser (Put time), refuses principals naming users that do not exist', () => {
    const text = (p: unknown): string => JSON.stringify({ Statement: [{ ...PUBLIC_READ, Effect: 'Deny', Principal: p }] });
    const isKnownUser = (k: string): boolean => k === 'alice-key';
    expect(() => parsePolicy(text({ AWS: 'arn:aws:iam::123456789012:user/alice-key' }), B, { isKnownUser })).not.toThrow();
    expect(() => parsePolicy(text({ AWS: ['*', '123456789012', 'arn:aws:iam::123456789012:role/r'] }), B, { isKnownUser })).not.toThrow();
    expect(() => parsePolicy(text({ AWS: 'arn:aws:iam::123456789012:user/alcie-key' }), B, { isKnownUser })).toThrow(/alcie-key/);
    expect(() => parsePolicy(text({ CanonicalUser: 'bob' }), B, { isKnownUser })).toThrow(/bob/);
    // Read back from storage without the check: an identity removed since must not break the bucket.
    expect(() => parsePolicy(text({ AWS: 'bob' }), B)).not.toThrow();
  });

  it('accepts IAM operators and keys Strata does not evaluate (they fail safe instead)', () => {
    expect(() => policy({ ...PUBLIC_READ, Condition: { BinaryEquals: { 'aws:UserAgent': 'eA==' } } })).not.toThrow();
    expect(() => policy({ ...PUBLIC_READ, Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-123' } } })).not.toThrow();
    expect(() => policy({ ...PUBLIC_READ, Condition: { 'ForAnyValue:StringLikeIfExists': { 'aws:UserAgent': 'x*' } } })).not.toThrow();
  });
});

describe('glob patterns', () => {
  it('* is any run, ? one character; actions compare case-insensitively, resources exactly', () => {
    expect(globMatch(compileGlob('s3:Get*', true, false), 's3:getobject')).toBe(1);
    expect(globMatch(compileGlob('s3:?etObject', true, false), 's3:GetObject')).toBe(1);
    expect(globMatch(compileGlob('s3:?etObject', true, false), 's3:PutObjects')).toBe(0);
    expect(globMatch(compileGlob('arn:aws:s3:::b/public/*', false, false), 'arn:aws:s3:::b/public/')).toBe(1);
    expect(globMatch(compileGlob('arn:aws:s3:::b/public/*', false, false), 'arn:aws:s3:::b/Public/x')).toBe(0);
    expect(globMatch(compileGlob('a*b?c*', false, false), 'aXXbYcZZ')).toBe(1);
    expect(globMatch(compileGlob('*', false, false), '')).toBe(1);
  });

  it('policy variables: ${*} ${?} ${$} are literals; others are unsupported (unknown), and only in 2012-10-17', () => {
    expect(globMatch(compileGlob('a${*}b', false, true), 'a*b')).toBe(1);
    expect(globMatch(compileGlob('a${*}b', false, true), 'axb')).toBe(0);
    expect(globMatch(compileGlob('home/${aws:username}/*', false, true), 'home/x/y')).toBe(2);
    expect(globMatch(compileGlob('home/${aws:username}/*', false, false), 'home/${aws:username}/y')).toBe(1);
  });

  it('a pathological pattern does not backtrack exponentially', () => {
    const g = compileGlob('*a'.repeat(200) + 'b', false, false);
    const t0 = performance.now();
    expect(globMatch(g, 'a'.repeat(1024))).toBe(0);
    expect(performance.now() - t0).toBeLessThan(200);
  });
});

describe('addresses and CIDR blocks', () => {
  it('parses IPv4 and IPv6 (compressed, embedded IPv4) and refuses what is not an address', () => {
    expect(parseIp('127.0.0.1')).toEqual([0x7f00, 0x0001]);
    expect(parseIp('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIp('2001:db8::8:800:200c:417a')).toEqual([0x2001, 0xdb8, 0, 0, 0x8, 0x800, 0x200c, 0x417a]);
    expect(parseIp('::ffff:10.0.0.1')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001]);
    expect(parseIp('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.4 ', '1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', '1:2:3:4:5:6:7']) expect(parseIp(bad), bad).toBeUndefined();
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '::/129', 'localhost']) expect(parseCidr(bad), bad).toBeUndefined();
  });

  it('matches by prefix length, within one family', () => {
    const has = (cidr: string, ip: string): boolean => cidrContains(parseCidr(cidr)!, parseIp(ip)!);
    expect(has('127.0.0.0/8', '127.255.0.1')).toBe(true);
    expect(has('127.0.0.0/8', '128.0.0.1')).toBe(false);
    expect(has('10.1.2.0/23', '10.1.3.255')).toBe(true);
    expect(has('10.1.2.0/23', '10.1.4.0')).toBe(false);
    expect(has('0.0.0.0/0', '203.0.113.9')).toBe(true);
    expect(has('203.0.113.9', '203.0.113.9')).toBe(true);
    expect(has('203.0.113.9', '203.0.113.8')).toBe(false);
    expect(has('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(has('2001:db8::/33', '2001:db8:ffff::1')).toBe(false);
    expect(has('::/0', '127.0.0.1')).toBe(false); // IPv6 blocks never hold IPv4 callers
  });
});

describe('evaluatePolicy', () => {
  it('public read: anonymous may GET objects, not PUT them, not list', () => {
    const p = policy(PUBLIC_READ);
    expect(evaluatePolicy(p, req(ANON, 's3:GetObject', 'a.jpg'))).toBe('allow');
    expect(evaluatePolicy(p, req(ANON, 's3:PutObject', 'a.jpg'))).toBe('none');
    expect(evaluatePolicy(p, req(ANON, 's3:ListBucket', undefined))).toBe('none');
  });

  it('an explicit Deny wins over an Allow, for signed callers as for anonymous ones', () => {
    const p = policy(PUBLIC_READ, { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/secret/*` });
    expect(evaluatePolicy(p, req(ANON, 's3:GetObject', 'secret/x'))).toBe('deny');
    expect(evaluatePolicy(p, req(ALICE, 's3:GetObject', 'secret/x'))).toBe('deny');
    expect(evaluatePolicy(p, req(ALICE, 's3:GetObject', 'public/x'))).toBe('allow');
  });

  it('NotAction and NotResource', () => {
    const p = policy({ Effect: 'Deny', Principal: '*', NotAction: ['s3:Get*', 's3:List*'], NotResource: `arn:aws:s3:::${B}/scratch/*` });
    expect(evaluatePolicy(p, req(ALICE, 's3:PutObject', 'a'))).toBe('deny');
    expect(evaluatePolicy(p, req(ALICE, 's3:PutObject', 'scratch/a'))).toBe('none');
    expect(evaluatePolicy(p, req(ALICE, 's3:GetObject', 'a'))).toBe('none');
  });

  it('principals: "*" is everyone; user ARNs, the account, bare key ids and CanonicalUser name signed callers only', () => {
    const deny = (principal: unknown): CompiledPolicy => policy({ Effect: 'Deny', Principal: principal, Action: 's3:*', Resource: `arn:aws:s3:::${B}/*` });
    for (const pr of [{ AWS: 'arn:aws:iam::123456789012:user/alice-key' }, { AWS: 'arn:aws:iam::123456789012:user/team/alice-key' }, { AWS: '123456789012' }, { AWS: 'arn:aws:iam::123456789012:root' }, { AWS: 'alice-key' }, { CanonicalUser: 'alice-key' }]) {
      expect(evaluatePolicy(deny(pr), req(ALICE, 's3:GetObject', 'k')), JSON.stringify(pr)).toBe('deny');
      expect(evaluatePolicy(deny(pr), req(ANON, 's3:GetObject', 'k')), JSON.stringify(pr)).toBe('none');
    }
    for (const pr of [{ AWS: 'arn:aws:iam::123456789012:user/bob' }, { Service: 'logging.s3.amazonaws.com' }, { AWS: 'arn:aws:iam::123456789012:role/r' }]) {
      expect(evaluatePolicy(deny(pr), req(ALICE, 's3:GetObject', 'k')), JSON.stringify(pr)).toBe('none');
    }
    // NotPrincipal (Deny only): everyone but alice.
    const p = policy({ Effect: 'Deny', NotPrincipal: { AWS: 'alice-key' }, Action: 's3:*', Resource: `arn:aws:s3:::${B}/*` });
    expect(evaluatePolicy(p, req(ALICE, 's3:GetObject', 'k'))).toBe('none');
    expect(evaluatePolicy(p, req(ANON, 's3:GetObject', 'k'))).toBe('deny');
    expect(evaluatePolicy(p, req({ anonymous: false, accessKeyId: 'bob' }, 's3:GetObject', 'k'))).toBe('deny');
    // NotPrincipal with Allow: everyone but alice is allowed, anonymous callers included — and that is public.
    const q = policy({ Effect: 'Allow', NotPrincipal: { AWS: 'alice-key' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/*` });
    expect(evaluatePolicy(q, req(ALICE, 's3:GetObject', 'k'))).toBe('none');
    expect(evaluatePolicy(q, req(ANON, 's3:GetObject', 'k'))).toBe('allow');
    expect(isPolicyPublic(q)).toBe(true);
  });

  it('IpAddress / NotIpAddress on aws:SourceIp (IPv4-mapped addresses count as IPv4)', () => {
    const allowFrom = (cidr: string): CompiledPolicy => policy({ ...PUBLIC_READ, Condition: { IpAddress: { 'aws:SourceIp': cidr } } });
    expect(evaluatePolicy(allowFrom('127.0.0.0/8'), req(ANON, 's3:GetObject', 'k', { 'aws:sourceip': '127.0.0.1' }))).toBe('allow');
    expect(evaluatePolicy(allowFrom('127.0.0.0/8'), req(ANON, 's3:GetObject', 'k', { 'aws:sourceip': '::ffff:127.0.0.1' }))).toBe('allow');
    expect(evaluatePolicy(allowFrom('10.0.0.0/8'), req(ANON, 's3:GetObject', 'k', { 'aws:sourceip': '127.0.0.1' }))).toBe('none');
    expect(evaluatePolicy(allowFrom('::1'), req(ANON, 's3:GetObject', 'k', { 'aws:sourceip': '::1' }))).toBe('allow');
    const denyOutside = policy({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `arn:aws:s3:::${B}/*`, Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } } });
    expect(evaluatePolicy(denyOutside, req(ALICE, 's3:GetObject', 'k', { 'aws:sourceip': '127.0.0.1' }))).toBe('deny');
    expect(evaluatePolicy(denyOutside, req(ALICE, 's3:GetObject', 'k', { 'aws:sourceip': '10.1.2.3' }))).toBe('none');
  });

  it('string, numeric, date and bool operators; a missing key fails positive operators and satisfies negated ones', () => {
    const listPrefix = policy({ Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${B}`, Condition: { StringLike: { 's3:prefix': ['public/*', ''] } } });
    expect(evaluatePolicy(listPrefix, req(ANON, 's3:ListBucket', undefined, { 's3:prefix': 'public/2024/' }))).toBe('allow');
    expect(evaluatePolicy(listPrefix, req(ANON, 's3:ListBucket', undefined, { 's3:prefix': 'private/' }))).toBe('none');
    expect(evaluatePolicy(listPrefix, req(ANON, 's3:ListBucket', undefined, {}))).toBe('none');
    const notLike = (op: string): CompiledPolicy => policy({ Effect: 'Deny', Principal: '*', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${B}`, Condition: { [op]: { 's3:prefix': 'public/*' } } });
    expect(evaluatePolicy(notLike('StringNotLike'), req(ALICE, 's3:ListBucket', undefined, {}))).toBe('deny');
    expect(evaluatePolicy(notLike('StringLikeIfExists'), req(ALICE, 's3:ListBucket', undefined, {}))).toBe('deny');
    expect(evaluatePolicy(notLike('StringLike'), req(ALICE, 's3:ListBucket', undefined, {}))).toBe('none');
    const maxKeys = policy({ Effect: 'Deny', Principal: '*', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${B}`, Condition: { NumericGreaterThan: { 's3:max-keys': 100 } } });
    expect(evaluatePolicy(maxKeys, req(ALICE, 's3:ListBucket', undefined, { 's3:max-keys': '1000' }))).toBe('deny');
    expect(evaluatePolicy(maxKeys, req(ALICE, 's3:ListBucket', undefined, { 's3:max-keys': '10' }))).toBe('none');
    const tls = policy({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `arn:aws:s3:::${B}/*`, Condition: { Bool: { 'aws:SecureTransport': false } } });
    expect(evaluatePolicy(tls, req(ALICE, 's3:GetObject', 'k', { 'aws:securetransport': 'false' }))).toBe('deny');
    const until = policy({ ...PUBLIC_READ, Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } } });
    expect(evaluatePolicy(until, req(ANON, 's3:GetObject', 'k', { 'aws:currenttime': '2026-11-23T00:00:00Z' }))).toBe('allow');
    expect(evaluatePolicy(until, req(ANON, 's3:GetObject', 'k', { 'aws:currenttime': '2031-01-01T00:00:00Z' }))).toBe('none');
    const ua = policy({ ...PUBLIC_READ, Condition: { StringEqualsIgnoreCase: { 'aws:UserAgent': 'Curl/8' } } });
    expect(evaluatePolicy(ua, req(ANON, 's3:GetObject', 'k', { 'aws:useragent': 'curl/8' }))).toBe('allow');
    const nul = policy({ ...PUBLIC_READ, Condition: { Null: { 'aws:Referer': 'false' } } });
    expect(evaluatePolicy(nul, req(ANON, 's3:GetObject', 'k', {}))).toBe('none');
    expect(evaluatePolicy(nul, req(ANON, 's3:GetObject', 'k', { 'aws:referer': 'https://x' }))).toBe('allow');
  });

  it('fail-safe: what Strata cannot evaluate never grants and always denies (unless the rest of the Deny surely does not apply)', () => {
    const unsupportedKey = { StringEquals: { 'aws:PrincipalOrgID': 'o-123' } };
    const unsupportedOp = { BinaryEquals: { 'aws:UserAgent': 'eA==' } };
    for (const cond of [unsupportedKey, unsupportedOp]) {
      expect(evaluatePolicy(policy({ ...PUBLIC_READ, Condition: cond }), req(ANON, 's3:GetObject', 'k'))).toBe('none');
      const deny = policy({ Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${B}/*`, Condition: cond });
      expect(evaluatePolicy(deny, req(ALICE, 's3:DeleteObject', 'k'))).toBe('deny');
      expect(evaluatePolicy(deny, req(ALICE, 's3:GetObject', 'k'))).toBe('none'); // the action surely does not match
    }
    // An AND with a definite "no": the Deny surely does not apply, whatever the unknown part says.
    const mixed = policy({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `arn:aws:s3:::${B}/*`, Condition: { ...unsupportedKey, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } });
    expect(evaluatePolicy(mixed, req(ALICE, 's3:GetObject', 'k', { 'aws:sourceip': '127.0.0.1' }))).toBe('none');
    expect(evaluatePolicy(mixed, req(ALICE, 's3:GetObject', 'k', { 'aws:sourceip': '10.0.0.1' }))).toBe('deny');
    // A policy variable Strata does not substitute, in a Resource.
    const home = policy({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/home/\${aws:username}/*` });
    expect(evaluatePolicy(home, req(ANON, 's3:GetObject', 'home/x/y'))).toBe('none');
    const homeDeny = policy({ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/home/\${aws:username}/*` });
    expect(evaluatePolicy(homeDeny, req(ALICE, 's3:GetObject', 'home/x/y'))).toBe('deny');
  });
});

describe('isPolicyPublic (GetBucketPolicyStatus)', () => {
  it('public: an Allow to "*" without a condition pinning fixed values', () => {
    expect(isPolicyPublic(policy(PUBLIC_READ))).toBe(true);
    expect(isPolicyPublic(policy({ ...PUBLIC_READ, Principal: { AWS: '*' } }))).toBe(true);
    expect(isPolicyPublic(policy({ ...PUBLIC_READ, Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } }))).toBe(true);
    expect(isPolicyPublic(policy({ ...PUBLIC_READ, Condition: { StringLike: { 'aws:UserAgent': '*' } } }))).toBe(true);
  });

  it('not public: named principals, narrowing conditions, Deny statements', () => {
    expect(isPolicyPublic(policy({ ...PUBLIC_READ, Principal: { AWS: 'arn:aws:iam::123456789012:user/alice' } }))).toBe(false);
    expect(isPolicyPublic(policy({ ...PUBLIC_READ, Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } }))).toBe(false);
    expect(isPolicyPublic(policy({ ...PUBLIC_READ, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } }))).toBe(false);
    expect(isPolicyPublic(policy({ ...PUBLIC_READ, Effect: 'Deny' }))).toBe(false);
  });
});

describe('the action table', () => {
  it('names every routed operation (null = not governed by a bucket policy)', () => {
    for (const r of ROUTES) expect(Object.prototype.hasOwnProperty.call(POLICY_ACTIONS, r.op), r.op).toBe(true);
    for (const [op, action] of Object.entries(POLICY_ACTIONS)) if (action !== null) expect(KNOWN_S3_ACTIONS.has(action.toLowerCase()), `${op} → ${action}`).toBe(true);
  });

  it('a request naming a versionId is decided as the *Version action; other operations keep theirs', () => {
    for (const [op, action] of Object.entries(VERSION_POLICY_ACTIONS)) {
      expect(Object.prototype.hasOwnProperty.call(POLICY_ACTIONS, op), op).toBe(true);
      expect(KNOWN_S3_ACTIONS.has(action.toLowerCase()), `${op} → ${action}`).toBe(true);
    }
    expect(policyActionOf('GetObject', '0123456789abcdef')).toBe('s3:GetObjectVersion');
    expect(policyActionOf('HeadObject', 'null')).toBe('s3:GetObjectVersion');
    expect(policyActionOf('DeleteObject', 'null')).toBe('s3:DeleteObjectVersion');
    expect(policyActionOf('PutObjectTagging', 'null')).toBe('s3:PutObjectVersionTagging');
    expect(policyActionOf('GetObject', undefined)).toBe('s3:GetObject');
    expect(policyActionOf('PutObject', 'null')).toBe('s3:PutObject');
  });
});
