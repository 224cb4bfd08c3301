// ListObjectVersions (GET ?versions): every version and delete marker, by key then newest first, over
// engine.listVersions; prefix, delimiter (CommonPrefixes), key-marker / version-id-marker, max-keys
// (≤ maxListKeys) and encoding-type=url. A bucket that was never versioned lists each object once, as
// its "null" version. Clients and test harnesses call it to empty a bucket, so it must always answer.

import type { VersionEntry } from '../store/api.js';
import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { sendXml } from './common.js';
import { listInputs } from './list.js';
import { afterFromMarker, urlEncodeKey } from './list-page.js';
import { listVersionsPage, type VersionCursor } from './list-versions-page.js';
import { invalidVersionId, isVersionIdSyntax } from './versioning.js';
import { S3_NS, el, isoDate } from './xml.js';

export async function listObjectVersions(ctx: RequestContext): Promise<void> {
  const i = listInputs(ctx);
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const rawVersionIdMarker = ctx.query.get('version-id-marker');
  const versionIdMarker = rawVersionIdMarker === '' ? undefined : rawVersionIdMarker;
  if (versionIdMarker !== undefined && keyMarker === '') {
    throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', { details: { ArgumentName: 'version-id-marker', ArgumentValue: versionIdMarker } });
  }
  if (versionIdMarker !== undefined && !isVersionIdSyntax(versionIdMarker)) throw invalidVersionId(versionIdMarker, 'version-id-marker');
  let start: VersionCursor = {};
  if (versionIdMarker !== undefined) start = { keyMarker, versionIdMarker };
  else if (keyMarker !== '') start = { keyMarker: afterFromMarker(keyMarker, i.prefix, i.delimiter)! };

  const page = listVersionsPage<VersionEntry>(
    (c, limit) => ctx.engine.listVersions(i.bucket, { prefix: i.prefix, limit, ...c }),
    { prefix: i.prefix, maxKeys: i.maxKeys, start, ...(i.delimiter !== undefined ? { delimiter: i.delimiter } : {}) },
  );

  const enc = (s: string): string => (i.encodeUrl ? urlEncodeKey(s) : s);
  let xml = `<ListVersionsResult xmlns="${S3_NS}">${el('Name', i.bucket)}${el('Prefix', enc(i.prefix))}${el('KeyMarker', enc(keyMarker))}`;
  xml += el('VersionIdMarker', rawVersionIdMarker ?? '');
  if (page.isTruncated) {
    if (page.nextKeyMarker !== undefined) xml += el('NextKeyMarker', enc(page.nextKeyMarker));
    if (page.nextVersionIdMarker !== undefined) xml += el('NextVersionIdMarker', page.nextVersionIdMarker);
  }
  xml += el('MaxKeys', i.maxKeys);
  if (i.delimiter !== undefined) xml += el('Delimiter', enc(i.delimiter));
  xml += el('IsTruncated', page.isTruncated);
  // Versions and delete markers interleaved in listing order, as S3 writes them.
  for (const { meta: o, isLatest } of page.entries) {
    const head = `${el('Key', enc(o.key))}${el('VersionId', o.versionId)}${el('IsLatest', isLatest)}${el('LastModified', isoDate(o.lastModifiedMs))}`;
    if (o.deleteMarker) {
      xml += `<DeleteMarker>${head}${i.ownerXmlOf(o)}</DeleteMarker>`;
      continue;
    }
    xml += `<Version>${head}${el('ETag', `"${o.etag}"`)}`;
    for (const alg of Object.keys(o.checksums)) xml += el('ChecksumAlgorithm', alg);
    if (Object.keys(o.checksums).length > 0 && o.checksumType) xml += el('ChecksumType', o.checksumType);
    xml += `${el('Size', o.sizeBytes)}<StorageClass>STANDARD</StorageClass>${i.ownerXmlOf(o)}</Version>`;
  }
  for (const cp of page.commonPrefixes) xml += `<CommonPrefixes>${el('Prefix', enc(cp))}</CommonPrefixes>`;
  if (i.encodeUrl) xml += el('EncodingType', 'url');
  xml += '</ListVersionsResult>';
  sendXml(ctx, 200, xml);
}
