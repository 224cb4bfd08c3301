// XML in and out. Responses are rendered by hand (small, fixed shapes; escaping in one function);
// request bodies are parsed with fast-xml-parser with entity expansion off and size already capped.

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error, xmlEscape } from './errors.js';

export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** <Name>escaped</Name>, nothing when value is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** ISO-8601 with milliseconds, as S3 writes dates in XML. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** RFC 7231 IMF-fixdate, for Last-Modified. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  // Numeric character references (&#34;) are XML; aws-sdk-go clients (rclone) escape ETag quotes that way.
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => name === 'Object' || name === 'Part',
});

// ACL bodies need one attribute, the Grantee's xsi:type (read as '@_type' once prefixes are removed).
const attributeParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** Parses a request body; anything that is not well-formed XML is MalformedXML. */
export function parseXml(body: Buffer | string, options: { attributes?: boolean } = {}): Record<string, unknown> {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') throw new S3Error('MalformedXML');
  // DOCTYPE enables entity tricks (billion laughs); S3 bodies never need one.
  if (/<!DOCTYPE/i.test(text)) throw new S3Error('MalformedXML');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new S3Error('MalformedXML');
  try {
    const out = (options.attributes === true ? attributeParser : parser).parse(text) as unknown;
    if (!out || typeof out !== 'object') throw new S3Error('MalformedXML');
    return out as Record<string, unknown>;
  } catch (err) {
    if (err instanceof S3Error) throw err;
    throw new S3Error('MalformedXML');
  }
}

/** A parsed element's text (fast-xml-parser gives strings, or objects for elements with children). */
export function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export interface DeleteRequest {
  quiet: boolean;
  objects: { key: string; versionId?: string }[];
}

export function parseDeleteRequest(body: Buffer, maxKeys: number): DeleteRequest {
  const doc = parseXml(body);
  const del = doc['Delete'];
  if (!del || typeof del !== 'object') throw new S3Error('MalformedXML');
  const d = del as Record<string, unknown>;
  const quietText = text(d['Quiet']);
  const quiet = quietText !== undefined && quietText.trim().toLowerCase() === 'true';
  const list = d['Object'];
  if (!Array.isArray(list) || list.length === 0) throw new S3Error('MalformedXML');
  if (list.length > maxKeys) throw new S3Error('MalformedXML', `The request may contain at most ${maxKeys} keys.`);
  const objects = list.map((o) => {
    if (!o || typeof o !== 'object') throw new S3Error('MalformedXML');
    const key = text((o as Record<string, unknown>)['Key']);
    if (key === undefined) throw new S3Error('MalformedXML');
    const versionId = text((o as Record<string, unknown>)['VersionId']);
    return versionId === undefined ? { key } : { key, versionId };
  });
  return { quiet, objects };
}

/** CreateBucketConfiguration's LocationConstraint; undefined when the body is empty. */
export function parseCreateBucket(body: Buffer): string | undefined {
  if (body.length === 0 || body.toString('utf8').trim() === '') return undefined;
  const doc = parseXml(body);
  const cfg = doc['CreateBucketConfiguration'];
  if (cfg === undefined) throw new S3Error('MalformedXML');
  if (typeof cfg !== 'object' || cfg === null) return undefined;
  return text((cfg as Record<string, unknown>)['LocationConstraint']);
}
