// Object and bucket tags as S3 validates them: the Tagging XML body, the x-amz-tagging header (a URL
// query string), and the limits and messages AWS answers with. Pure functions: unit-tested exhaustively.

import type { ObjectMeta } from '../store/api.js';
import { S3Error } from './errors.js';
import { S3_NS, el, parseXml, text } from './xml.js';

export const MAX_OBJECT_TAGS = 10;
export const MAX_BUCKET_TAGS = 50;
/** Lengths are in Unicode characters (code points), not bytes. */
export const MAX_TAG_KEY_CHARS = 128;
export const MAX_TAG_VALUE_CHARS = 256;
/** Reserved prefix: tags AWS itself sets (CloudFormation …); a requester may not write them. */
export const RESERVED_TAG_PREFIX = 'aws:';
/** AWS's documented tag alphabet: letters, numbers and spaces in any script, and + - = . _ : / @ */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export type TagTarget = 'object' | 'bucket';
export type Tags = Record<string, string>;

function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function invalidTag(message: string, details: Record<string, string> = {}): S3Error {
  return new S3Error('InvalidTag', message, { details });
}

/** Checks an ordered list of (key, value) pairs against S3's rules and returns them as a record. */
export function validateTags(pairs: readonly (readonly [string, string])[], target: TagTarget): Tags {
  const max = target === 'object' ? MAX_OBJECT_TAGS : MAX_BUCKET_TAGS;
  if (pairs.length > max) {
    throw invalidTag(target === 'object' ? `Object tags cannot be greater than ${max}` : `Bucket tag count cannot be greater than ${max}`);
  }
  const out: Tags = Object.create(null) as Tags;
  const seen = new Set<string>();
  for (const [key, value] of pairs) {
    const keyChars = chars(key);
    if (keyChars < 1 || keyChars > MAX_TAG_KEY_CHARS || !TAG_CHARS.test(key)) throw invalidTag('The TagKey you have provided is invalid', { TagKey: key });
    if (chars(value) > MAX_TAG_VALUE_CHARS || !TAG_CHARS.test(value)) throw invalidTag('The TagValue you have provided is invalid', { TagKey: key, TagValue: value });
    if (key.toLowerCase().startsWith(RESERVED_TAG_PREFIX)) throw invalidTag('Your TagKey cannot be prefixed with aws:', { TagKey: key });
    if (seen.has(key)) throw invalidTag('Cannot provide multiple Tags with the same key', { TagKey: key });
    seen.add(key);
    out[key] = value;
  }
  // A plain object from here on (null-prototype records confuse deep equality and JSON users).
  return { ...out };
}

/** <Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging> → tags. MalformedXML when the shape is wrong. */
export function parseTaggingXml(body: Buffer | string, target: TagTarget): Tags {
  const doc = parseXml(body);
  const tagging = doc['Tagging'];
  if (!tagging || typeof tagging !== 'object') throw new S3Error('MalformedXML');
  const tagSet = (tagging as Record<string, unknown>)['TagSet'];
  if (tagSet === undefined) throw new S3Error('MalformedXML');
  // <TagSet/> (or whitespace only) parses as a string: an empty set, which is how S3 clears tags.
  if (typeof tagSet === 'string') {
    if (tagSet.trim() !== '') throw new S3Error('MalformedXML');
    return validateTags([], target);
  }
  if (typeof tagSet !== 'object' || tagSet === null || Array.isArray(tagSet)) throw new S3Error('MalformedXML');
  const raw = (tagSet as Record<string, unknown>)['Tag'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const pairs = list.map((t): [string, string] => {
    if (!t || typeof t !== 'object') throw new S3Error('MalformedXML');
    const key = text((t as Record<string, unknown>)['Key']);
    const value = text((t as Record<string, unknown>)['Value']);
    if (key === undefined || value === undefined) throw new S3Error('MalformedXML');
    return [key, value];
  });
  return validateTags(pairs, target);
}

const HEADER_MESSAGE = "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.";

function headerError(value: string): S3Error {
  return new S3Error('InvalidArgument', HEADER_MESSAGE, { details: { ArgumentName: 'x-amz-tagging', ArgumentValue: value } });
}

function decodeFormComponent(s: string, whole: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw headerError(whole);
  }
}

/**
 * x-amz-tagging: `k1=v1&k2=v2`, URL-encoded ('+' is a space, `k` alone is an empty value). Duplicate
 * names and undecodable escapes are InvalidArgument (as S3 answers); the tags themselves InvalidTag.
 */
export function parseTaggingHeader(value: string): Tags {
  const pairs: [string, string][] = [];
  const seen = new Set<string>();
  if (value !== '') {
    for (const part of value.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const key = decodeFormComponent(eq < 0 ? part : part.slice(0, eq), value);
      const val = eq < 0 ? '' : decodeFormComponent(part.slice(eq + 1), value);
      if (seen.has(key)) throw headerError(value);
      seen.add(key);
      pairs.push([key, val]);
    }
  }
  return validateTags(pairs, 'object');
}

/** The x-amz-tagging request header, if present. */
export function tagsFromHeaders(h: Readonly<Record<string, string>>): Tags | undefined {
  const v = h['x-amz-tagging'];
  return v === undefined ? undefined : parseTaggingHeader(v);
}

/** x-amz-tagging-directive on CopyObject: COPY (default) or REPLACE. */
export function taggingDirective(h: Readonly<Record<string, string>>): 'COPY' | 'REPLACE' {
  const d = (h['x-amz-tagging-directive'] ?? 'COPY').trim().toUpperCase();
  if (d !== 'COPY' && d !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown tagging directive.', { details: { ArgumentName: 'x-amz-tagging-directive', ArgumentValue: h['x-amz-tagging-directive']! } });
  }
  return d;
}

/**
 * The GetObjectTagging / GetBucketTagging body (without the XML declaration). Tags are a set and S3
 * promises no order; they go out sorted by key (code units) so the answer is stable and does not
 * depend on JS object key order (integer-like keys first); clients comparing lists, s3-tests among
 * them, expect that.
 */
export function taggingXml(tags: Tags | undefined): string {
  let set = '';
  const t = tags ?? {};
  for (const k of Object.keys(t).sort()) set += `<Tag>${el('Key', k)}${el('Value', t[k]!)}</Tag>`;
  return `<Tagging xmlns="${S3_NS}"><TagSet>${set}</TagSet></Tagging>`;
}

/** x-amz-tagging-count for GET/HEAD; undefined when the object has no tags (S3 omits the header). */
export function tagCount(meta: Pick<ObjectMeta, 'tags'>): number | undefined {
  const n = meta.tags ? Object.keys(meta.tags).length : 0;
  return n > 0 ? n : undefined;
}
