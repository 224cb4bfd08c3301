// The pure lifecycle parts: XML parsing and validation (with S3's error codes), rendering, the
// settings read-back check, filter matching, and the expiry instant with S3's midnight rounding.

import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  MAX_LIFECYCLE_RULES,
  type LifecycleConfig,
  type LifecycleFilter,
  commonPrefix,
  expirationHeader,
  expiryAfterDays,
  filterMatches,
  isExpired,
  lifecycleFromSettings,
  lifecycleXml,
  objectExpiry,
  parseLifecycleDate,
  parseLifecycleXml,
  noncurrentExpiry,
  removesExpiredMarker,
  versionRules,
} from '../../src/s3/lifecycle.js';
import { S3Error } from '../../src/s3/errors.js';

const cfg = (rules: string): string => `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules}</LifecycleConfiguration>`;
const rule = (body: string, id = 'r'): string => `<Rule><ID>${id}</ID><Status>Enabled</Status>${body}</Rule>`;

function s3Code(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(S3Error);
    return { code: (err as S3Error).code, message: (err as S3Error).message };
  }
  throw new Error('expected an S3Error');
}

const utc = (s: string): number => Date.parse(s);

describe('expiryAfterDays: the next midnight UTC after start + days', () => {
  it.each([
    // AWS's own example: created 2014-01-15 10:30 UTC, Days 3 → 2014-01-19 00:00 UTC
    ['2014-01-15T10:30:00Z', 3, '2014-01-19T00:00:00Z'],
    ['2014-01-15T00:00:00.001Z', 1, '2014-01-17T00:00:00Z'],
    // exactly midnight still rounds to the *next* midnight
    ['2014-01-15T00:00:00Z', 1, '2014-01-17T00:00:00Z'],
    ['2014-01-15T23:59:59.999Z', 1, '2014-01-17T00:00:00Z'],
    ['2016-02-28T12:00:00Z', 1, '2016-03-01T00:00:00Z'], // leap day
    ['2014-12-31T18:00:00Z', 30, '2015-01-31T00:00:00Z'],
  ])('%s + %d days → %s', (start, days, expected) => {
    expect(expiryAfterDays(utc(start), days)).toBe(utc(expected));
  });

  it('is always a midnight and always more than `days` days later', () => {
    for (let i = 0; i < 500; i++) {
      const start = 1_400_000_000_000 + Math.floor(Math.random() * 400 * DAY_MS);
      const days = 1 + (i % 40);
      const e = expiryAfterDays(start, days);
      expect(e % DAY_MS).toBe(0);
      expect(e).toBeGreaterThan(start + days * DAY_MS);
      expect(e).toBeLessThanOrEqual(start + (days + 1) * DAY_MS);
    }
  });
});

describe('parseLifecycleDate', () => {
  it('accepts midnight UTC in the ISO forms S3 takes', () => {
    for (const s of ['2027-01-01', '2027-01-01T00:00:00Z', '2027-01-01T00:00:00.000Z', '2027-01-01T01:00:00+01:00']) {
      expect(parseLifecycleDate(s)).toBe(utc('2027-01-01T00:00:00Z'));
    }
  });
  it('not a date → MalformedXML; not midnight → InvalidArgument', () => {
    for (const s of ['20270101', '2027-13-01', '2027-02-30', 'tomorrow', '2027-01-01T25:00:00Z']) expect(s3Code(() => parseLifecycleDate(s)).code).toBe('MalformedXML');
    expect(s3Code(() => parseLifecycleDate('2027-01-01T12:00:00Z'))).toEqual({ code: 'InvalidArgument', message: "'Date' must be at midnight GMT" });
    expect(s3Code(() => parseLifecycleDate('2027-01-01T00:00:00+01:00')).code).toBe('InvalidArgument');
  });
});

describe('parseLifecycleXml', () => {
  it('parses every filter form and action, and renders them back in the same shape', () => {
    const xml = cfg(
      rule('<Filter><Prefix>logs/</Prefix></Filter><Expiration><Days>30</Days></Expiration>', 'prefix') +
        rule('<Filter></Filter><Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration>', 'empty') +
        rule('<Filter><Tag><Key>class</Key><Value>tmp</Value></Tag></Filter><Expiration><Days>1</Days></Expiration>', 'tag') +
        rule('<Filter><ObjectSizeGreaterThan>100</ObjectSizeGreaterThan></Filter><Expiration><Days>2</Days></Expiration>', 'gt') +
        rule('<Filter><ObjectSizeLessThan>100</ObjectSizeLessThan></Filter><Expiration><Days>2</Days></Expiration>', 'lt') +
        rule(
          '<Filter><And><Prefix>a/</Prefix><Tag><Key>k1</Key><Value>v1</Value></Tag><Tag><Key>k2</Key><Value></Value></Tag><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan><ObjectSizeLessThan>10</ObjectSizeLessThan></And></Filter><Expiration><Days>5</Days></Expiration>',
          'and',
        ) +
        '<Rule><ID>legacy</ID><Prefix>old/</Prefix><Status>Disabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>' +
        rule(
          '<Filter><Prefix>v/</Prefix></Filter><NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration><NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>',
          'noncurrent',
        ) +
        rule('<Filter><Prefix>dm/</Prefix></Filter><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>', 'marker'),
    );
    const c = parseLifecycleXml(xml);
    expect(c.rules.map((r) => r.filter.form)).toEqual(['prefix', 'empty', 'tag', 'size-gt', 'size-lt', 'and', 'legacy-prefix', 'prefix', 'prefix']);
    expect(c.rules[5]!.filter).toEqual({ form: 'and', prefix: 'a/', tags: [{ key: 'k1', value: 'v1' }, { key: 'k2', value: '' }], sizeGreaterThan: 1, sizeLessThan: 10 });
    expect(c.rules[1]!.expiration).toEqual({ dateMs: utc('2030-01-01T00:00:00Z') });
    expect(c.rules[6]).toMatchObject({ id: 'legacy', enabled: false, abortIncompleteMultipartUploadDays: 7 });
    expect(c.rules[7]!.noncurrentVersionTransitions).toEqual([{ noncurrentDays: 1, storageClass: 'GLACIER' }]);
    // render → parse is the identity
    expect(parseLifecycleXml(lifecycleXml(c))).toEqual(c);
    const out = lifecycleXml(c);
    expect(out).toContain('<Rule><Expiration><Days>30</Days></Expiration><ID>prefix</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status></Rule>');
    expect(out).toContain('<ID>legacy</ID><Prefix>old/</Prefix><Status>Disabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>');
    expect(out).toContain('<Date>2030-01-01T00:00:00.000Z</Date>');
  });

  it('gives a rule without ID a unique one', () => {
    const c = parseLifecycleXml(cfg('<Rule><Status>Enabled</Status><Filter/><Expiration><Days>1</Days></Expiration></Rule>'.repeat(3)));
    const ids = c.rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id.length).toBeGreaterThan(10);
  });

  it.each([
    ['Days 0', rule('<Filter/><Expiration><Days>0</Days></Expiration>'), 'InvalidArgument'],
    ['Days negative', rule('<Filter/><Expiration><Days>-3</Days></Expiration>'), 'InvalidArgument'],
    ['Days not a number', rule('<Filter/><Expiration><Days>ten</Days></Expiration>'), 'MalformedXML'],
    ['Days and Date', rule('<Filter/><Expiration><Days>1</Days><Date>2030-01-01</Date></Expiration>'), 'MalformedXML'],
    ['Days and ExpiredObjectDeleteMarker', rule('<Filter/><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>'), 'MalformedXML'],
    ['empty Expiration', rule('<Filter/><Expiration></Expiration>'), 'MalformedXML'],
    ['Date not midnight', rule('<Filter/><Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration>'), 'InvalidArgument'],
    ['Date not a date', rule('<Filter/><Expiration><Date>20300101</Date></Expiration>'), 'MalformedXML'],
    ['duplicate IDs', rule('<Filter/><Expiration><Days>1</Days></Expiration>', 'x') + rule('<Filter/><Expiration><Days>2</Days></Expiration>', 'x'), 'InvalidArgument'],
    ['ID of 256 characters', rule('<Filter/><Expiration><Days>1</Days></Expiration>', 'i'.repeat(256)), 'InvalidArgument'],
    ['Status lower case', '<Rule><ID>r</ID><Status>enabled</Status><Filter/><Expiration><Days>1</Days></Expiration></Rule>', 'MalformedXML'],
    ['no Status', '<Rule><ID>r</ID><Filter/><Expiration><Days>1</Days></Expiration></Rule>', 'MalformedXML'],
    ['no action', rule('<Filter/>'), 'MalformedXML'],
    ['neither Filter nor Prefix', rule('<Expiration><Days>1</Days></Expiration>'), 'MalformedXML'],
    ['both Filter and Prefix', rule('<Prefix>a</Prefix><Filter/><Expiration><Days>1</Days></Expiration>'), 'MalformedXML'],
    ['two predicates without And', rule('<Filter><Prefix>a</Prefix><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></Filter><Expiration><Days>1</Days></Expiration>'), 'MalformedXML'],
    ['empty And', rule('<Filter><And></And></Filter><Expiration><Days>1</Days></Expiration>'), 'MalformedXML'],
    ['Tag without Key', rule('<Filter><Tag><Value>v</Value></Tag></Filter><Expiration><Days>1</Days></Expiration>'), 'MalformedXML'],
    ['duplicate tag keys', rule('<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And></Filter><Expiration><Days>1</Days></Expiration>'), 'InvalidArgument'],
    ['sizes the wrong way round', rule('<Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>5</ObjectSizeLessThan></And></Filter><Expiration><Days>1</Days></Expiration>'), 'InvalidArgument'],
    ['unknown element', rule('<Filter/><Expiration><Days>1</Days></Expiration><Colour>red</Colour>'), 'MalformedXML'],
    ['Transition', rule('<Filter/><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>'), 'InvalidStorageClass'],
    ['Transition next to an Expiration', rule('<Filter/><Expiration><Days>60</Days></Expiration><Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>'), 'InvalidStorageClass'],
    ['DaysAfterInitiation 0', rule('<Filter/><AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>'), 'InvalidArgument'],
    ['Abort with a tag filter', rule('<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>'), 'InvalidRequest'],
    ['Abort with a size filter', rule('<Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></Filter><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>'), 'InvalidRequest'],
    ['NoncurrentDays 0', rule('<Filter/><NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>'), 'InvalidArgument'],
  ])('%s → %s', (_name, rules, code) => {
    expect(s3Code(() => parseLifecycleXml(cfg(rules))).code).toBe(code);
  });

  it('1..1000 rules; more or none is MalformedXML; not a LifecycleConfiguration is MalformedXML', () => {
    const one = (i: number): string => rule('<Filter/><Expiration><Days>1</Days></Expiration>', `r${i}`);
    expect(parseLifecycleXml(cfg(Array.from({ length: MAX_LIFECYCLE_RULES }, (_, i) => one(i)).join(''))).rules).toHaveLength(MAX_LIFECYCLE_RULES);
    expect(s3Code(() => parseLifecycleXml(cfg(Array.from({ length: MAX_LIFECYCLE_RULES + 1 }, (_, i) => one(i)).join('')))).code).toBe('MalformedXML');
    expect(s3Code(() => parseLifecycleXml(cfg(''))).code).toBe('MalformedXML');
    expect(s3Code(() => parseLifecycleXml('<CORSConfiguration/>')).code).toBe('MalformedXML');
    expect(s3Code(() => parseLifecycleXml('<LifecycleConfiguration><Rule>')).code).toBe('MalformedXML');
  });
});

describe('matching and expiry', () => {
  const f = (x: Partial<LifecycleFilter>): LifecycleFilter => ({ form: 'and', prefix: '', tags: [], ...x });
  const obj = (key: string, sizeBytes = 10, tags?: Record<string, string>) => ({ key, sizeBytes, ...(tags ? { tags } : {}) });

  it('prefix, tags (all, exact, extra ones allowed, missing Value = empty), strict sizes', () => {
    expect(filterMatches(f({}), obj('anything'))).toBe(true);
    expect(filterMatches(f({ prefix: 'logs/' }), obj('logs/a'))).toBe(true);
    expect(filterMatches(f({ prefix: 'logs/' }), obj('log/a'))).toBe(false);
    const tags = [{ key: 'a', value: '1' }, { key: 'b', value: '' }];
    expect(filterMatches(f({ tags }), obj('k', 1, { a: '1', b: '', c: 'x' }))).toBe(true);
    expect(filterMatches(f({ tags }), obj('k', 1, { a: '1' }))).toBe(false);
    expect(filterMatches(f({ tags }), obj('k', 1, { a: '2', b: '' }))).toBe(false);
    expect(filterMatches(f({ tags }), obj('k', 1))).toBe(false);
    expect(filterMatches(f({ sizeGreaterThan: 10 }), obj('k', 10))).toBe(false);
    expect(filterMatches(f({ sizeGreaterThan: 10 }), obj('k', 11))).toBe(true);
    expect(filterMatches(f({ sizeLessThan: 10 }), obj('k', 10))).toBe(false);
    expect(filterMatches(f({ sizeLessThan: 10 }), obj('k', 9))).toBe(true);
  });

  it('the earliest enabled rule wins; disabled and no-expiration rules never expire anything', () => {
    const c: LifecycleConfig = parseLifecycleXml(
      cfg(
        rule('<Filter><Prefix>a/</Prefix></Filter><Expiration><Days>10</Days></Expiration>', 'ten') +
          rule('<Filter><Prefix>a/b</Prefix></Filter><Expiration><Days>2</Days></Expiration>', 'two') +
          '<Rule><ID>off</ID><Status>Disabled</Status><Filter/><Expiration><Days>1</Days></Expiration></Rule>' +
          rule('<Filter/><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>', 'abort') +
          rule('<Filter><Prefix>d/</Prefix></Filter><Expiration><Date>2030-01-01</Date></Expiration>', 'date'),
      ),
    );
    const t0 = utc('2029-06-01T13:00:00Z');
    expect(objectExpiry(c, { ...obj('a/x'), lastModifiedMs: t0 })).toEqual({ expiryMs: utc('2029-06-12T00:00:00Z'), ruleId: 'ten' });
    expect(objectExpiry(c, { ...obj('a/bc'), lastModifiedMs: t0 })).toEqual({ expiryMs: utc('2029-06-04T00:00:00Z'), ruleId: 'two' });
    expect(objectExpiry(c, { ...obj('z'), lastModifiedMs: t0 })).toBeUndefined();
    expect(objectExpiry(c, { ...obj('d/1'), lastModifiedMs: t0 })).toEqual({ expiryMs: utc('2030-01-01T00:00:00Z'), ruleId: 'date' });
    // a Date rule expires objects created after the date too
    expect(isExpired(c, { ...obj('d/1'), lastModifiedMs: utc('2030-05-01T00:00:00Z') }, utc('2030-05-01T00:00:01Z'))).toBe(true);
    expect(isExpired(c, { ...obj('a/bc'), lastModifiedMs: t0 }, utc('2029-06-03T23:59:59.999Z'))).toBe(false);
    expect(isExpired(c, { ...obj('a/bc'), lastModifiedMs: t0 }, utc('2029-06-04T00:00:00Z'))).toBe(true);
  });

  it('Days too large for a date never expire anything (and never give an invalid header date)', () => {
    const c = parseLifecycleXml(cfg(rule('<Filter/><Expiration><Days>2147483647</Days></Expiration>')));
    expect(objectExpiry(c, { ...obj('k'), lastModifiedMs: Date.now() })).toBeUndefined();
    const ok = parseLifecycleXml(cfg(rule('<Filter/><Expiration><Days>36500</Days></Expiration>')));
    expect(objectExpiry(ok, { ...obj('k'), lastModifiedMs: 0 })!.expiryMs).toBe(36501 * DAY_MS);
  });

  it('x-amz-expiration in S3 form, rule ids that would break the header escaped', () => {
    expect(expirationHeader({ expiryMs: utc('2012-12-23T00:00:00Z'), ruleId: '1' })).toBe('expiry-date="Sun, 23 Dec 2012 00:00:00 GMT", rule-id="1"');
    expect(expirationHeader({ expiryMs: 0, ruleId: 'a"b\n' })).toBe('expiry-date="Thu, 01 Jan 1970 00:00:00 GMT", rule-id="a%22b%0A"');
  });

  it('commonPrefix', () => {
    expect(commonPrefix([])).toBe('');
    expect(commonPrefix(['logs/a', 'logs/b'])).toBe('logs/');
    expect(commonPrefix(['logs/a', ''])).toBe('');
    expect(commonPrefix(['x'])).toBe('x');
    expect(commonPrefix(['a\ud83d\ude00', 'a\ud83d\ude01'])).toBe('a');
  });
});

describe('lifecycleFromSettings', () => {
  it('returns what was stored and refuses anything it did not write', () => {
    const c = parseLifecycleXml(cfg(rule('<Filter/><Expiration><Days>1</Days></Expiration>')));
    expect(lifecycleFromSettings({})).toBeUndefined();
    expect(lifecycleFromSettings({ lifecycle: JSON.parse(JSON.stringify(c)) })).toEqual(c);
    expect(() => lifecycleFromSettings({ lifecycle: { rules: [] } })).toThrow(/1\.\.1000/);
    expect(() => lifecycleFromSettings({ lifecycle: { rules: [{ ...c.rules[0], expiration: { days: 0 } }] } })).toThrow(/malformed/);
    expect(() => lifecycleFromSettings({ lifecycle: { rules: [{ ...c.rules[0], expiration: { dateMs: 5 } }] } })).toThrow(/malformed/);
    expect(() => lifecycleFromSettings({ lifecycle: { rules: [{ ...c.rules[0], filter: { form: 'regex', prefix: '', tags: [] } }] } })).toThrow(/malformed/);
  });
});

describe('versioned buckets: noncurrent versions and expired delete markers', () => {
  const c = parseLifecycleXml(
    cfg(
      rule('<Filter><Prefix>a/</Prefix></Filter><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays></NoncurrentVersionExpiration>', 'a') +
        rule('<Filter><Prefix>k/</Prefix></Filter><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>', 'k') +
        rule('<Filter><Prefix>m/</Prefix></Filter><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>', 'm') +
        '<Rule><ID>off</ID><Status>Disabled</Status><Filter/><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration></Rule>',
    ),
  );

  it('versionRules: the enabled rules with a version action', () => {
    expect(versionRules(c).map((r) => r.id)).toEqual(['a', 'k', 'm']);
  });

  it('NoncurrentDays count from when the version became noncurrent, rounded to the next midnight UTC', () => {
    const since = utc('2014-01-15T10:30:00Z');
    expect(noncurrentExpiry(c, { key: 'a/x', sizeBytes: 1 }, since, 0)).toBe(utc('2014-01-18T00:00:00Z'));
    expect(noncurrentExpiry(c, { key: 'b/x', sizeBytes: 1 }, since, 0)).toBeUndefined();
  });

  it('NewerNoncurrentVersions keeps that many newer noncurrent versions whatever their age', () => {
    const since = utc('2014-01-15T10:30:00Z');
    expect(noncurrentExpiry(c, { key: 'k/x', sizeBytes: 1 }, since, 0)).toBeUndefined();
    expect(noncurrentExpiry(c, { key: 'k/x', sizeBytes: 1 }, since, 1)).toBeUndefined();
    expect(noncurrentExpiry(c, { key: 'k/x', sizeBytes: 1 }, since, 2)).toBe(utc('2014-01-17T00:00:00Z'));
  });

  it('ExpiredObjectDeleteMarker applies under its filter only', () => {
    expect(removesExpiredMarker(c, 'm/x')).toBe(true);
    expect(removesExpiredMarker(c, 'a/x')).toBe(false);
  });
});
