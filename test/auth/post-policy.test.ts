import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as Minio from 'minio';
import { AuthError } from '../../src/auth/errors.js';
import { verifyPostPolicy } from '../../src/auth/post-policy.js';
import { credentialScope, deriveSigningKey, formatAmzDate, hmacHex } from '../../src/auth/sigv4.js';
import { AKID, REGION, SECRET, identities } from './helpers.js';

const NOW = Date.UTC(2024, 5, 1, 12);

function form(conditions: unknown[], fields: Record<string, string>, expiration = new Date(NOW + 3600_000).toISOString()): Record<string, string> {
  const amzDate = formatAmzDate(new Date(NOW));
  const credential = `${AKID}/${credentialScope(amzDate.slice(0, 8), REGION, 's3')}`;
  const base = { 'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': credential, 'x-amz-date': amzDate };
  const policy = Buffer.from(
    JSON.stringify({ expiration, conditions: [...conditions, { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' }, { 'x-amz-credential': credential }, { 'x-amz-date': amzDate }] }),
  ).toString('base64');
  const signature = hmacHex(deriveSigningKey(SECRET, amzDate.slice(0, 8), REGION, 's3'), policy);
  return { ...fields, ...base, Policy: policy, 'X-Amz-Signature': signature };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AuthError);
    return (e as AuthError).code;
  }
  return 'ok';
}

describe('verifyPostPolicy', () => {
  const opts = { region: REGION, nowMs: NOW };
  it('accepts a form that satisfies its signed policy', () => {
    const f = form(
      [{ bucket: 'photos' }, ['starts-with', '$key', 'user/alice/'], ['content-length-range', 1, 1048576], ['starts-with', '$Content-Type', 'image/'], ['eq', '$success_action_status', '201']],
      { key: 'user/alice/cat.png', 'Content-Type': 'image/png', success_action_status: '201', 'x-ignore-tracking': '1' },
    );
    const r = verifyPostPolicy(f, 'photos', identities, opts);
    expect(r.accessKeyId).toBe(AKID);
    expect(r.contentLengthRange).toEqual({ min: 1, max: 1048576 });
  });

  it('rejects what the policy does not allow', () => {
    const conds = [{ bucket: 'photos' }, ['starts-with', '$key', 'user/alice/']];
    expect(code(() => verifyPostPolicy(form(conds, { key: 'user/bob/x' }), 'photos', identities, opts))).toBe('AccessDenied');
    expect(code(() => verifyPostPolicy(form(conds, { key: 'user/alice/x' }), 'other', identities, opts))).toBe('AccessDenied');
    expect(code(() => verifyPostPolicy(form(conds, { key: 'user/alice/x', acl: 'public-read' }), 'photos', identities, opts))).toBe('AccessDenied');
    expect(code(() => verifyPostPolicy(form(conds, { key: 'user/alice/x' }, new Date(NOW - 1).toISOString()), 'photos', identities, opts))).toBe('AccessDenied');
    const f = form(conds, { key: 'user/alice/x' });
    expect(code(() => verifyPostPolicy({ ...f, 'X-Amz-Signature': '0'.repeat(64) }, 'photos', identities, opts))).toBe('SignatureDoesNotMatch');
    expect(code(() => verifyPostPolicy({ ...f, Policy: f['Policy'] + 'AA' }, 'photos', identities, opts))).toBe('SignatureDoesNotMatch');
    expect(code(() => verifyPostPolicy(f, 'photos', identities, { ...opts, region: 'eu-west-1' }))).toBe('AuthorizationQueryParametersError');
    const noSig = { ...f };
    delete noSig['X-Amz-Signature'];
    expect(code(() => verifyPostPolicy(noSig, 'photos', identities, opts))).toBe('InvalidArgument');
    expect(verifyPostPolicy(f, 'photos', identities, opts).accessKeyId).toBe(AKID);
  });

  it('accepts minio-js presignedPostPolicy forms', async () => {
    const client = new Minio.Client({ endPoint: '127.0.0.1', port: 9, useSSL: false, accessKey: AKID, secretKey: SECRET, region: REGION, pathStyle: true });
    const p = client.newPostPolicy();
    p.setBucket('bucket');
    p.setKey('uploads/file name.txt');
    p.setExpires(new Date(Date.now() + 600_000));
    p.setContentType('text/plain');
    p.setContentLengthRange(1, 1024);
    const { formData } = await client.presignedPostPolicy(p);
    const r = verifyPostPolicy(formData as Record<string, string>, 'bucket', identities, { region: REGION, nowMs: Date.now() });
    expect(r.contentLengthRange).toEqual({ min: 1, max: 1024 });
  });

  it('never throws anything but AuthError on mangled forms', () => {
    let seed = 99;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const f = form([{ bucket: 'b' }, ['starts-with', '$key', '']], { key: 'k' });
    for (let i = 0; i < 2000; i++) {
      const g: Record<string, string> = { ...f };
      const names = Object.keys(g);
      const n = names[Math.floor(rnd() * names.length)]!;
      const v = g[n]!;
      const pos = Math.floor(rnd() * (v.length + 1));
      g[n] = v.slice(0, pos) + ['', '{', '"', '[', '%', 'A', '\u0000'][Math.floor(rnd() * 7)] + v.slice(pos + Math.floor(rnd() * 4));
      code(() => verifyPostPolicy(g, 'b', identities, { region: REGION, nowMs: NOW }));
    }
  });

  it('signed but malformed policies are AuthErrors too', () => {
    const weird: unknown[] = [null, 1, 'x', [], {}, ['eq'], ['eq', 'key', 'v'], ['starts-with', '$key', 5], ['content-length-range', -1, 5], ['content-length-range', '1', '2'], ['content-length-range', 5, 1], { a: 1 }, { a: 'b', c: 'd' }, [['nested']], ['EQ', '$key', 'k']];
    for (const w of weird) {
      const f = form([{ bucket: 'b' }, ['eq', '$key', 'k'], w], { key: 'k' });
      code(() => verifyPostPolicy(f, 'b', identities, { region: REGION, nowMs: NOW }));
    }
    // Only ISO 8601 UTC (S3): Python's str(datetime) and other formats Date.parse would take are refused.
    for (const exp of ['', 'not a date', '2030-01-01T00:00:00Z'.repeat(10), '2030-01-01 00:00:00.123456+00:00', 'Jan 1 2030', '2030-01-01T00:00:00+01:00', '2030-01-01']) {
      expect(code(() => verifyPostPolicy(form([{ bucket: 'b' }, ['eq', '$key', 'k']], { key: 'k' }, exp), 'b', identities, { region: REGION, nowMs: NOW }))).toBe('InvalidArgument');
    }
  });
});

describe('verifyPostPolicy, Signature Version 2 forms', () => {
  const opts = { region: REGION, nowMs: NOW };
  function v2form(conditions: unknown[], fields: Record<string, string>, expiration = new Date(NOW + 3600_000).toISOString(), secret = SECRET): Record<string, string> {
    const policy = Buffer.from(JSON.stringify({ expiration, conditions })).toString('base64');
    const signature = createHmac('sha1', secret).update(policy).digest('base64');
    return { ...fields, AWSAccessKeyId: AKID, policy, signature };
  }
  const conds = [{ bucket: 'photos' }, ['starts-with', '$key', 'foo'], { acl: 'private' }, ['starts-with', '$Content-Type', 'text/plain'], ['content-length-range', 0, 1024]];
  const fields = { key: 'foo.txt', acl: 'private', 'Content-Type': 'text/plain' };

  it('accepts a form signed with HMAC-SHA1 of the policy (boto2, ceph s3-tests)', () => {
    const r = verifyPostPolicy(v2form(conds, fields), 'photos', identities, opts);
    expect(r.accessKeyId).toBe(AKID);
    expect(r.contentLengthRange).toEqual({ min: 0, max: 1024 });
  });

  it('rejects a wrong signature, an unknown key, an expired policy, an uncovered field and a failed condition', () => {
    expect(code(() => verifyPostPolicy(v2form(conds, fields, undefined, 'wrong-secret'), 'photos', identities, opts))).toBe('SignatureDoesNotMatch');
    expect(code(() => verifyPostPolicy({ ...v2form(conds, fields), AWSAccessKeyId: 'NOPE' }, 'photos', identities, opts))).toBe('InvalidAccessKeyId');
    expect(code(() => verifyPostPolicy(v2form(conds, fields, new Date(NOW - 1).toISOString()), 'photos', identities, opts))).toBe('AccessDenied');
    expect(code(() => verifyPostPolicy(v2form(conds, { ...fields, 'x-amz-meta-foo': 'bar' }), 'photos', identities, opts))).toBe('AccessDenied');
    expect(code(() => verifyPostPolicy(v2form(conds, { ...fields, key: 'bar.txt' }), 'photos', identities, opts))).toBe('AccessDenied');
    const noSig = v2form(conds, fields);
    delete noSig['signature'];
    expect(code(() => verifyPostPolicy(noSig, 'photos', identities, opts))).toBe('InvalidArgument');
    const noPolicy = v2form(conds, fields);
    delete noPolicy['policy'];
    expect(code(() => verifyPostPolicy(noPolicy, 'photos', identities, opts))).toBe('InvalidArgument');
  });
});
