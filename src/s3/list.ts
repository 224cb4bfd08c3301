// ListObjects (v1) and ListObjectsV2 over the engine's ordered index.

import type { ObjectMeta } from '../store/api.js';
import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { displayNameOf, intParam, ownerXml, requireBucket, sendXml } from './common.js';
import { objectOwner } from './acl-stored.js';
import { afterFromMarker, decodeContinuationToken, encodeContinuationToken, listPage, urlEncodeKey, type ListPage } from './list-page.js';
import { S3_NS, el, isoDate } from './xml.js';

export interface ListInputs {
  bucket: string;
  prefix: string;
  delimiter: string | undefined;
  maxKeys: number;
  encodeUrl: boolean;
  /** The <Owner> of a listed object: its ACL's owner (or the bucket owner), with the display name. */
  ownerXmlOf: (o: ObjectMeta) => string;
}

export function listInputs(ctx: RequestContext): ListInputs {
  const b = requireBucket(ctx);
  const enc = ctx.query.get('encoding-type');
  if (enc !== undefined && enc.toLowerCase() !== 'url') throw new S3Error('InvalidEncodingType', undefined, { details: { ArgumentName: 'encoding-type', ArgumentValue: enc } });
  const d = ctx.query.get('delimiter');
  return {
    bucket: b.name,
    prefix: ctx.query.get('prefix') ?? '',
    delimiter: d === undefined || d === '' ? undefined : d,
    maxKeys: intParam(ctx, 'max-keys', ctx.config.limits.maxListKeys, ctx.config.limits.maxListKeys),
    encodeUrl: enc !== undefined,
    ownerXmlOf: (o) => {
      const id = objectOwner(b, o);
      return ownerXml(id, displayNameOf(ctx, id));
    },
  };
}

export function listRun(ctx: RequestContext, i: ListInputs, after: string | undefined): ListPage<ObjectMeta> {
  const p: { prefix: string; delimiter?: string; maxKeys: number; after?: string } = { prefix: i.prefix, maxKeys: i.maxKeys };
  if (i.delimiter !== undefined) p.delimiter = i.delimiter;
  if (after !== undefined) p.after = after;
  return listPage((a, limit) => ctx.engine.listObjects(i.bucket, a === undefined ? { prefix: i.prefix, limit } : { prefix: i.prefix, after: a, limit }), p);
}

function contentsXml(page: ListPage<ObjectMeta>, i: ListInputs, withOwner: boolean): string {
  const enc = (s: string): string => (i.encodeUrl ? urlEncodeKey(s) : s);
  let xml = '';
  for (const o of page.contents) {
    xml += `<Contents>${el('Key', enc(o.key))}${el('LastModified', isoDate(o.lastModifiedMs))}${el('ETag', `"${o.etag}"`)}`;
    for (const alg of Object.keys(o.checksums)) xml += el('ChecksumAlgorithm', alg);
    if (Object.keys(o.checksums).length > 0 && o.checksumType) xml += el('ChecksumType', o.checksumType);
    xml += `${el('Size', o.sizeBytes)}${withOwner ? i.ownerXmlOf(o) : ''}<StorageClass>STANDARD</StorageClass></Contents>`;
  }
  for (const cp of page.commonPrefixes) xml += `<CommonPrefixes>${el('Prefix', enc(cp))}</CommonPrefixes>`;
  return xml;
}

export async function listObjectsV2(ctx: RequestContext): Promise<void> {
  const i = listInputs(ctx);
  const token = ctx.query.get('continuation-token');
  const startAfter = ctx.query.get('start-after');
  let after: string | undefined;
  // An empty token is no token (AWS lists from the start and echoes it back; botocore sends one).
  if (token !== undefined && token !== '') {
    const t = decodeContinuationToken(token);
    if (t === undefined) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { details: { ArgumentName: 'continuation-token' } });
    after = t;
  } else if (startAfter !== undefined && startAfter !== '') {
    after = startAfter;
  }
  const page = listRun(ctx, i, after);
  const enc = (s: string): string => (i.encodeUrl ? urlEncodeKey(s) : s);
  const fetchOwner = (ctx.query.get('fetch-owner') ?? '').toLowerCase() === 'true';
  let xml = `<ListBucketResult xmlns="${S3_NS}">${el('Name', i.bucket)}${el('Prefix', enc(i.prefix))}`;
  if (startAfter !== undefined) xml += el('StartAfter', enc(startAfter));
  if (token !== undefined) xml += el('ContinuationToken', token);
  xml += `${el('KeyCount', page.contents.length + page.commonPrefixes.length)}${el('MaxKeys', i.maxKeys)}`;
  if (i.delimiter !== undefined) xml += el('Delimiter', enc(i.delimiter));
  xml += el('IsTruncated', page.isTruncated);
  if (page.isTruncated && page.resumeAfter !== undefined) xml += el('NextContinuationToken', encodeContinuationToken(page.resumeAfter));
  if (i.encodeUrl) xml += el('EncodingType', 'url');
  xml += contentsXml(page, i, fetchOwner);
  xml += '</ListBucketResult>';
  sendXml(ctx, 200, xml);
}

export async function listObjectsV1(ctx: RequestContext): Promise<void> {
  const i = listInputs(ctx);
  const marker = ctx.query.get('marker') ?? '';
  const page = listRun(ctx, i, afterFromMarker(marker === '' ? undefined : marker, i.prefix, i.delimiter));
  const enc = (s: string): string => (i.encodeUrl ? urlEncodeKey(s) : s);
  let xml = `<ListBucketResult xmlns="${S3_NS}">${el('Name', i.bucket)}${el('Prefix', enc(i.prefix))}${el('Marker', enc(marker))}`;
  // S3 sends NextMarker only with a delimiter; without one, clients use the last Key.
  if (page.isTruncated && i.delimiter !== undefined && page.lastEntry !== undefined) xml += el('NextMarker', enc(page.lastEntry));
  xml += el('MaxKeys', i.maxKeys);
  if (i.delimiter !== undefined) xml += el('Delimiter', enc(i.delimiter));
  xml += el('IsTruncated', page.isTruncated);
  if (i.encodeUrl) xml += el('EncodingType', 'url');
  xml += contentsXml(page, i, true);
  xml += '</ListBucketResult>';
  sendXml(ctx, 200, xml);
}

export async function listObjects(ctx: RequestContext): Promise<void> {
  const lt = ctx.query.get('list-type');
  if (lt === '2') return listObjectsV2(ctx);
  if (lt !== undefined && lt !== '1') throw new S3Error('InvalidArgument', 'Invalid list-type.', { details: { ArgumentName: 'list-type', ArgumentValue: lt } });
  return listObjectsV1(ctx);
}
