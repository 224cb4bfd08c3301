// The tag parsing and validation module: S3's limits, messages and the x-amz-tagging header grammar.
import { describe, expect, it } from 'vitest';
import { S3Error } from '../../src/s3/errors.js';
import {
  MAX_BUCKET_TAGS,
  MAX_OBJECT_TAGS,
  parseTaggingHeader,
  parseTaggingXml,
  tagCount,
  taggingDirective,
  taggingXml,
  validateTags,
} from '../../src/s3/tags.js';

function thrown(fn: () => unknown): S3Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(S3Error);
    return err as S3Error;
  }
  throw new Error('expected an S3Error');
}

const xml = (tags: [string, string][]): string =>
  `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${tags.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`;

describe('validateTags', () => {
  it('accepts the limits exactly, counting Unicode characters, not bytes', () => {
    const tags = validateTags([['k'.repeat(128), 'v'.repeat(256)], ['é'.repeat(128), '𝒜'.repeat(256)], ['empty', '']], 'object');
    expect(Object.keys(tags)).toHaveLength(3);
    // 𝒜 is one letter but two UTF-16 units: 129 of them are too many
    expect(thrown(() => validateTags([['k', '𝒜'.repeat(257)]], 'object')).code).toBe('InvalidTag');
    expect(thrown(() => validateTags([['k', '😀']], 'object')).message).toBe('The TagValue you have provided is invalid');
    expect(tags['empty']).toBe('');
    expect(validateTags([['+- =._:/@', '+- =._:/@']], 'object')).toEqual({ '+- =._:/@': '+- =._:/@' });
    expect(Object.keys(validateTags(Array.from({ length: MAX_OBJECT_TAGS }, (_, i) => [`k${i}`, 'v'] as const), 'object'))).toHaveLength(10);
    expect(Object.keys(validateTags(Array.from({ length: MAX_BUCKET_TAGS }, (_, i) => [`k${i}`, 'v'] as const), 'bucket'))).toHaveLength(50);
  });

  it('rejects every InvalidTag case with S3 messages', () => {
    const cases: [[string, string][], 'object' | 'bucket', string][] = [
      [Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']), 'object', 'Object tags cannot be greater than 10'],
      [Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']), 'bucket', 'Bucket tag count cannot be greater than 50'],
      [[['k'.repeat(129), 'v']], 'object', 'The TagKey you have provided is invalid'],
      [[['', 'v']], 'object', 'The TagKey you have provided is invalid'],
      [[['k', 'v'.repeat(257)]], 'object', 'The TagValue you have provided is invalid'],
      [[['k', 'inv&alid']], 'bucket', 'The TagValue you have provided is invalid'],
      [[['a,b', 'v']], 'object', 'The TagKey you have provided is invalid'],
      [[['aws:cloudformation', 'v']], 'object', 'Your TagKey cannot be prefixed with aws:'],
      [[['AWS:x', 'v']], 'bucket', 'Your TagKey cannot be prefixed with aws:'],
      [[['dup', '1'], ['dup', '2']], 'object', 'Cannot provide multiple Tags with the same key'],
    ];
    for (const [pairs, target, message] of cases) {
      const e = thrown(() => validateTags(pairs, target));
      expect(e.code).toBe('InvalidTag');
      expect(e.status).toBe(400);
      expect(e.message).toBe(message);
    }
    expect(thrown(() => validateTags([['k', 'bad&']], 'object')).details).toEqual({ TagKey: 'k', TagValue: 'bad&' });
    expect(thrown(() => validateTags([['d', '1'], ['d', '2']], 'object')).details).toEqual({ TagKey: 'd' });
  });

  it('keeps __proto__ as an ordinary key', () => {
    const t = validateTags([['__proto__', 'x']], 'object');
    expect(Object.keys(t)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
  });
});

describe('parseTaggingXml', () => {
  it('parses one tag, several tags, entities and empty values', () => {
    expect(parseTaggingXml(xml([['a', '1']]), 'object')).toEqual({ a: '1' });
    expect(parseTaggingXml(xml([['a', '1'], ['b', '']]), 'object')).toEqual({ a: '1', b: '' });
    expect(parseTaggingXml('<Tagging><TagSet><Tag><Key>k</Key><Value/></Tag></TagSet></Tagging>', 'object')).toEqual({ k: '' });
    expect(parseTaggingXml('<?xml version="1.0"?>\n<Tagging>\n  <TagSet>\n    <Tag><Key>a b</Key><Value>x=y</Value></Tag>\n  </TagSet>\n</Tagging>', 'object')).toEqual({ 'a b': 'x=y' });
  });

  it('an empty TagSet is an empty set', () => {
    expect(parseTaggingXml('<Tagging><TagSet/></Tagging>', 'object')).toEqual({});
    expect(parseTaggingXml('<Tagging><TagSet>\n</TagSet></Tagging>', 'bucket')).toEqual({});
  });

  it('malformed bodies are MalformedXML', () => {
    for (const body of ['', 'not xml', '<Tagging>', '<Other><TagSet/></Other>', '<Tagging/>', '<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>', '<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>', '<Tagging><TagSet>junk</TagSet></Tagging>']) {
      expect(thrown(() => parseTaggingXml(body, 'object')).code, body).toBe('MalformedXML');
    }
  });

  it('validation applies to the body', () => {
    expect(thrown(() => parseTaggingXml(xml([['aws:x', '1']]), 'object')).code).toBe('InvalidTag');
    expect(thrown(() => parseTaggingXml(xml([['a', '1'], ['a', '2']]), 'object')).message).toBe('Cannot provide multiple Tags with the same key');
  });

  it('round trips through taggingXml', () => {
    const tags = { a: '1', 'b c': '', 'ü/@': 'x+y' };
    expect(parseTaggingXml(taggingXml(tags), 'object')).toEqual(tags);
    expect(taggingXml(undefined)).toBe('<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet></TagSet></Tagging>');
  });
});

describe('parseTaggingHeader', () => {
  it('decodes a URL query string', () => {
    expect(parseTaggingHeader('k1=v1&k2=v2')).toEqual({ k1: 'v1', k2: 'v2' });
    expect(parseTaggingHeader('a%20b=c%2Bd&e+f=g%3Dh')).toEqual({ 'a b': 'c+d', 'e f': 'g=h' });
    expect(parseTaggingHeader('k=&only')).toEqual({ k: '', only: '' });
    expect(parseTaggingHeader('%C3%A9=%F0%9D%92%9C')).toEqual({ é: '𝒜' });
    expect(parseTaggingHeader('')).toEqual({});
  });

  it('duplicate names and bad escapes are InvalidArgument, bad tags InvalidTag', () => {
    const dup = thrown(() => parseTaggingHeader('a=&a='));
    expect(dup.code).toBe('InvalidArgument');
    expect(dup.message).toBe("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.");
    expect(thrown(() => parseTaggingHeader('a=%zz')).code).toBe('InvalidArgument');
    expect(thrown(() => parseTaggingHeader(Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&'))).message).toBe('Object tags cannot be greater than 10');
    expect(thrown(() => parseTaggingHeader('aws%3Ax=1')).message).toBe('Your TagKey cannot be prefixed with aws:');
    expect(thrown(() => parseTaggingHeader(`${'k'.repeat(129)}=v`)).code).toBe('InvalidTag');
  });
});

describe('directive and count', () => {
  it('x-amz-tagging-directive', () => {
    expect(taggingDirective({})).toBe('COPY');
    expect(taggingDirective({ 'x-amz-tagging-directive': 'replace' })).toBe('REPLACE');
    expect(thrown(() => taggingDirective({ 'x-amz-tagging-directive': 'MERGE' })).code).toBe('InvalidArgument');
  });
  it('tag count is absent without tags', () => {
    expect(tagCount({})).toBeUndefined();
    expect(tagCount({ tags: {} })).toBeUndefined();
    expect(tagCount({ tags: { a: '1', b: '2' } })).toBe(2);
  });
});

describe('routing', () => {
  it('?tagging is routed on buckets and objects, no longer a 501 catch-all', async () => {
    const { matchRoute } = await import('../../src/s3/router.js');
    const { UNSUPPORTED_BUCKET_SUBRESOURCES, UNSUPPORTED_OBJECT_SUBRESOURCES } = await import('../../src/s3/subresources.js');
    const q = new Map([['tagging', '']]);
    const op = (method: string, scope: 'bucket' | 'object'): string | undefined => {
      const m = matchRoute(method, scope, q, {});
      return 'route' in m ? m.route.op : undefined;
    };
    expect([op('GET', 'bucket'), op('PUT', 'bucket'), op('DELETE', 'bucket')]).toEqual(['GetBucketTagging', 'PutBucketTagging', 'DeleteBucketTagging']);
    expect([op('GET', 'object'), op('PUT', 'object'), op('DELETE', 'object')]).toEqual(['GetObjectTagging', 'PutObjectTagging', 'DeleteObjectTagging']);
    expect(UNSUPPORTED_BUCKET_SUBRESOURCES as readonly string[]).not.toContain('tagging');
    expect(UNSUPPORTED_OBJECT_SUBRESOURCES as readonly string[]).not.toContain('tagging');
  });
});
