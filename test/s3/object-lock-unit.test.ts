// The pure Object Lock rules and XML (src/s3/object-lock.ts): every branch of the retention and delete
// rules, the configuration / retention / legal-hold bodies, the write headers, default retention dates.

import { describe, expect, it } from 'vitest';
import type { BucketMeta, ObjectMeta, ObjectRetention } from '../../src/store/api.js';
import { S3Error } from '../../src/s3/errors.js';
import {
  assertDeletable,
  assertRetentionChange,
  assertVersioningChangeAllowed,
  bucketObjectLock,
  defaultRetention,
  isLocked,
  legalHoldXml,
  lockFromHeaders,
  objectLockConfigurationXml,
  objectLockHeaders,
  parseIsoInstant,
  parseLegalHoldXml,
  parseObjectLockConfiguration,
  parseRetentionXml,
  retentionXml,
} from '../../src/s3/object-lock.js';

const NOW = Date.UTC(2026, 0, 15, 10, 30);
const DAY = 86_400_000;

function version(lock: { retention?: ObjectRetention; legalHold?: boolean; deleteMarker?: boolean } = {}): ObjectMeta {
  return { bucket: 'b', key: 'k', sizeBytes: 1, etag: 'e', lastModifiedMs: NOW, seq: 1, versionId: 'v', system: {}, user: {}, checksums: {}, layout: { extents: [] }, ...lock };
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return err.code;
    throw err;
  }
  return undefined;
}

const xml = (s: string): Buffer => Buffer.from(s);

describe('delete rule', () => {
  const gov = version({ retention: { mode: 'GOVERNANCE', untilMs: NOW + DAY } });
  const comp = version({ retention: { mode: 'COMPLIANCE', untilMs: NOW + DAY } });
  it('legal hold stops everyone, bypass or not', () => {
    expect(code(() => assertDeletable(version({ legalHold: true }), NOW, true))).toBe('AccessDenied');
    expect(isLocked(version({ legalHold: true }), NOW)).toBe(true);
  });
  it('COMPLIANCE stops everyone until it expires', () => {
    expect(code(() => assertDeletable(comp, NOW, true))).toBe('AccessDenied');
    expect(code(() => assertDeletable(comp, NOW + DAY, false))).toBeUndefined();
  });
  it('GOVERNANCE gives way to the bypass only', () => {
    expect(code(() => assertDeletable(gov, NOW, false))).toBe('AccessDenied');
    expect(code(() => assertDeletable(gov, NOW, true))).toBeUndefined();
  });
  it('no lock, expired retention, delete markers: deletable', () => {
    expect(code(() => assertDeletable(version(), NOW, false))).toBeUndefined();
    expect(isLocked(version({ retention: { mode: 'COMPLIANCE', untilMs: NOW - 1 } }), NOW)).toBe(false);
    expect(code(() => assertDeletable(version({ deleteMarker: true }), NOW, false))).toBeUndefined();
  });
});

describe('retention change rule', () => {
  const until = NOW + 10 * DAY;
  const gov = version({ retention: { mode: 'GOVERNANCE', untilMs: until } });
  const comp = version({ retention: { mode: 'COMPLIANCE', untilMs: until } });
  const change = (v: ObjectMeta, next: ObjectRetention | null, bypass: boolean): string | undefined => code(() => assertRetentionChange(v, next, NOW, bypass));
  it('COMPLIANCE: same or later date in the same mode only, bypass or not', () => {
    expect(change(comp, { mode: 'COMPLIANCE', untilMs: until }, false)).toBeUndefined();
    expect(change(comp, { mode: 'COMPLIANCE', untilMs: until + DAY }, false)).toBeUndefined();
    expect(change(comp, { mode: 'COMPLIANCE', untilMs: until - 1 }, true)).toBe('AccessDenied');
    expect(change(comp, { mode: 'GOVERNANCE', untilMs: until + DAY }, true)).toBe('AccessDenied');
    expect(change(comp, null, true)).toBe('AccessDenied');
  });
  it('GOVERNANCE: extend freely; shorten, remove or change the mode with the bypass', () => {
    expect(change(gov, { mode: 'GOVERNANCE', untilMs: until + DAY }, false)).toBeUndefined();
    expect(change(gov, { mode: 'GOVERNANCE', untilMs: until - DAY }, false)).toBe('AccessDenied');
    expect(change(gov, { mode: 'GOVERNANCE', untilMs: until - DAY }, true)).toBeUndefined();
    expect(change(gov, null, false)).toBe('AccessDenied');
    expect(change(gov, null, true)).toBeUndefined();
    expect(change(gov, { mode: 'COMPLIANCE', untilMs: until }, false)).toBe('AccessDenied');
    expect(change(gov, { mode: 'COMPLIANCE', untilMs: until }, true)).toBeUndefined();
  });
  it('an expired or absent retention can be replaced by anything', () => {
    const expired = version({ retention: { mode: 'COMPLIANCE', untilMs: NOW } });
    expect(change(expired, { mode: 'GOVERNANCE', untilMs: NOW + DAY }, false)).toBeUndefined();
    expect(change(expired, null, false)).toBeUndefined();
    expect(change(version(), { mode: 'COMPLIANCE', untilMs: NOW + DAY }, false)).toBeUndefined();
  });
});

describe('ObjectLockConfiguration', () => {
  const conf = (inner: string): Buffer => xml(`<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</ObjectLockConfiguration>`);
  const rule = (dr: string): Buffer => conf(`<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>${dr}</DefaultRetention></Rule>`);
  it('parses a rule with Days or Years, or none', () => {
    expect(parseObjectLockConfiguration(rule('<Mode>GOVERNANCE</Mode><Days>1</Days>'))).toEqual({ mode: 'GOVERNANCE', days: 1 });
    expect(parseObjectLockConfiguration(rule('<Mode>COMPLIANCE</Mode><Years>100</Years>'))).toEqual({ mode: 'COMPLIANCE', years: 100 });
    expect(parseObjectLockConfiguration(conf('<ObjectLockEnabled>Enabled</ObjectLockEnabled>'))).toBeUndefined();
  });
  it('refuses what S3 refuses, with its codes', () => {
    const c = (b: Buffer): string | undefined => code(() => parseObjectLockConfiguration(b));
    expect(c(rule('<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>'))).toBe('MalformedXML');
    expect(c(rule('<Mode>GOVERNANCE</Mode>'))).toBe('MalformedXML');
    expect(c(rule('<Days>1</Days>'))).toBe('MalformedXML');
    expect(c(rule('<Mode>governance</Mode><Days>1</Days>'))).toBe('MalformedXML');
    expect(c(rule('<Mode>abc</Mode><Days>1</Days>'))).toBe('MalformedXML');
    expect(c(rule('<Mode>GOVERNANCE</Mode><Days>1.5</Days>'))).toBe('MalformedXML');
    expect(c(rule('<Mode>GOVERNANCE</Mode><Days>0</Days>'))).toBe('InvalidRetentionPeriod');
    expect(c(rule('<Mode>GOVERNANCE</Mode><Years>-1</Years>'))).toBe('InvalidRetentionPeriod');
    expect(c(rule('<Mode>GOVERNANCE</Mode><Days>36501</Days>'))).toBe('InvalidRetentionPeriod');
    expect(c(rule('<Mode>GOVERNANCE</Mode><Years>101</Years>'))).toBe('InvalidRetentionPeriod');
    expect(c(conf('<ObjectLockEnabled>Disabled</ObjectLockEnabled>'))).toBe('MalformedXML');
    expect(c(conf('<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule>'))).toBe('MalformedXML');
    expect(c(conf('<ObjectLockEnabled>Enabled</ObjectLockEnabled><Extra/>'))).toBe('MalformedXML');
    expect(c(xml('<Other/>'))).toBe('MalformedXML');
  });
  it('renders what Get answers', () => {
    expect(objectLockConfigurationXml({ enabled: true })).toBe('<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>');
    expect(objectLockConfigurationXml({ enabled: true, rule: { mode: 'COMPLIANCE', years: 2 } })).toContain('<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years>2</Years></DefaultRetention></Rule>');
  });
  it('the stored setting is checked when read back (fails closed)', () => {
    const b = (v: unknown): BucketMeta => ({ name: 'b', createdMs: 0, owner: 'o', settings: v === undefined ? {} : { objectLock: v } });
    expect(bucketObjectLock(b(undefined))).toBeUndefined();
    expect(bucketObjectLock(b({ enabled: true, rule: { mode: 'GOVERNANCE', days: 3 } }))).toEqual({ enabled: true, rule: { mode: 'GOVERNANCE', days: 3 } });
    expect(() => bucketObjectLock(b({ enabled: false }))).toThrow(/objectLock/);
    expect(() => bucketObjectLock(b({ enabled: true, rule: { mode: 'GOVERNANCE', days: 1, years: 1 } }))).toThrow(/objectLock/);
  });
  it('versioning cannot be suspended on an Object Lock bucket', () => {
    const locked: BucketMeta = { name: 'b', createdMs: 0, owner: 'o', settings: { versioning: 'Enabled', objectLock: { enabled: true } } };
    expect(code(() => assertVersioningChangeAllowed(locked, 'Suspended'))).toBe('InvalidBucketState');
    expect(code(() => assertVersioningChangeAllowed(locked, 'Enabled'))).toBeUndefined();
    expect(code(() => assertVersioningChangeAllowed({ ...locked, settings: {} }, 'Suspended'))).toBeUndefined();
  });
});

describe('default retention dates', () => {
  it('days count in exact days from the write, years in calendar years (UTC)', () => {
    expect(defaultRetention({ mode: 'GOVERNANCE', days: 3 }, NOW)).toEqual({ mode: 'GOVERNANCE', untilMs: NOW + 3 * DAY });
    expect(defaultRetention({ mode: 'COMPLIANCE', years: 1 }, NOW).untilMs).toBe(Date.UTC(2027, 0, 15, 10, 30));
    expect(defaultRetention({ mode: 'COMPLIANCE', years: 1 }, Date.UTC(2028, 1, 29)).untilMs).toBe(Date.UTC(2029, 2, 1));
  });
});

describe('Retention and LegalHold bodies', () => {
  it('Retention: mode and date, or neither (removal)', () => {
    expect(parseRetentionXml(xml('<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00.000Z</RetainUntilDate></Retention>'))).toEqual({ mode: 'GOVERNANCE', untilMs: Date.UTC(2030, 0, 1) });
    expect(parseRetentionXml(xml('<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T01:00:00+01:00</RetainUntilDate></Retention>'))!.untilMs).toBe(Date.UTC(2030, 0, 1));
    expect(parseRetentionXml(xml('<Retention/>'))).toBeNull();
    const c = (s: string): string | undefined => code(() => parseRetentionXml(xml(s)));
    expect(c('<Retention><Mode>governance</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>')).toBe('MalformedXML');
    expect(c('<Retention><Mode>GOVERNANCE</Mode></Retention>')).toBe('MalformedXML');
    expect(c('<Retention><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>')).toBe('MalformedXML');
    expect(c('<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>tomorrow</RetainUntilDate></Retention>')).toBe('MalformedXML');
    expect(retentionXml({ mode: 'GOVERNANCE', untilMs: Date.UTC(2030, 0, 1) })).toContain('<Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00.000Z</RetainUntilDate>');
  });
  it('LegalHold: ON or OFF only', () => {
    expect(parseLegalHoldXml(xml('<LegalHold><Status>ON</Status></LegalHold>'))).toBe(true);
    expect(parseLegalHoldXml(xml('<LegalHold><Status>OFF</Status></LegalHold>'))).toBe(false);
    expect(code(() => parseLegalHoldXml(xml('<LegalHold><Status>abc</Status></LegalHold>')))).toBe('MalformedXML');
    expect(code(() => parseLegalHoldXml(xml('<LegalHold/>')))).toBe('MalformedXML');
    expect(legalHoldXml(false)).toContain('<Status>OFF</Status>');
  });
  it('ISO 8601 instants need a zone', () => {
    expect(parseIsoInstant('2030-01-01T00:00:00Z')).toBe(Date.UTC(2030, 0, 1));
    expect(parseIsoInstant('2030-01-01')).toBeUndefined();
    expect(parseIsoInstant('2030-01-01T00:00:00')).toBeUndefined();
  });
});

describe('write headers', () => {
  const future = new Date(NOW + DAY).toISOString();
  it('mode and date together, a known mode, a future ISO date, hold ON/OFF', () => {
    expect(lockFromHeaders({ 'x-amz-object-lock-mode': 'COMPLIANCE', 'x-amz-object-lock-retain-until-date': future, 'x-amz-object-lock-legal-hold': 'ON' }, NOW)).toEqual({ retention: { mode: 'COMPLIANCE', untilMs: NOW + DAY }, legalHold: true });
    expect(lockFromHeaders({ 'x-amz-object-lock-legal-hold': 'OFF' }, NOW)).toEqual({ legalHold: false });
    const c = (h: Record<string, string>): string | undefined => code(() => lockFromHeaders(h, NOW));
    expect(c({ 'x-amz-object-lock-mode': 'GOVERNANCE' })).toBe('InvalidArgument');
    expect(c({ 'x-amz-object-lock-retain-until-date': future })).toBe('InvalidArgument');
    expect(c({ 'x-amz-object-lock-mode': 'governance', 'x-amz-object-lock-retain-until-date': future })).toBe('InvalidArgument');
    expect(c({ 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': new Date(NOW).toISOString() })).toBe('InvalidArgument');
    expect(c({ 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': 'Thu, 01 Jan 2030 00:00:00 GMT' })).toBe('InvalidArgument');
    expect(c({ 'x-amz-object-lock-legal-hold': 'on' })).toBe('InvalidArgument');
  });
  it('GET/HEAD headers: retention as ISO 8601, legal hold only while ON', () => {
    const v = version({ retention: { mode: 'GOVERNANCE', untilMs: Date.UTC(2030, 0, 1) }, legalHold: true });
    expect(objectLockHeaders(v, { retention: true, legalHold: true })).toEqual({
      'x-amz-object-lock-mode': 'GOVERNANCE',
      'x-amz-object-lock-retain-until-date': '2030-01-01T00:00:00.000Z',
      'x-amz-object-lock-legal-hold': 'ON',
    });
    expect(objectLockHeaders(v, { retention: false, legalHold: false })).toEqual({});
    expect(objectLockHeaders(version(), { retention: true, legalHold: true })).toEqual({});
  });
});

describe('lock at commit (object-lock-handlers.ts)', () => {
  it('the request’s retention wins; else the default rule of the bucket as read at commit, counted from then', async () => {
    const { lockAtCommit } = await import('../../src/s3/object-lock-handlers.js');
    const bucket = (rule?: unknown): BucketMeta => ({ name: 'b', createdMs: 0, owner: 'o', settings: { versioning: 'Enabled', objectLock: rule ? { enabled: true, rule } : { enabled: true } } });
    const asked: ObjectRetention = { mode: 'GOVERNANCE', untilMs: NOW + 5 * DAY };
    expect(lockAtCommit({ retention: asked }, bucket({ mode: 'COMPLIANCE', days: 1 }), NOW)).toEqual({ retention: asked });
    // A rule put after the request began (the plan saw none) still applies.
    expect(lockAtCommit(undefined, bucket({ mode: 'COMPLIANCE', days: 1 }), NOW)).toEqual({ retention: { mode: 'COMPLIANCE', untilMs: NOW + DAY } });
    expect(lockAtCommit({ legalHold: true, rule: { mode: 'GOVERNANCE', days: 9 } }, bucket(), NOW)).toEqual({ legalHold: true });
    expect(lockAtCommit(undefined, { name: 'b', createdMs: 0, owner: 'o', settings: {} }, NOW)).toEqual({});
  });
});
