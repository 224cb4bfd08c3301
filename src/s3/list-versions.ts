// ListObjectVersions (GET ?versions) on Strata's unversioned buckets: every object has exactly one
// version, "null", which is the latest; there are no delete markers. Clients and test harnesses call it
// to empty a bucket (aws s3api list-object-versions, the ceph s3-tests teardown), so it must answer
// rather than 501.

import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { sendXml } from './common.js';
import { listInputs, listRun } from './list.js';
import { afterFromMarker, urlEncodeKey } from './list-page.js';
import { S3_NS, el, isoDate } from './xml.js';

/** The one version id an unversioned bucket has. */
export const NULL_VERSION_ID = 'null';

export async function listObjectVersions(ctx: RequestContext): Promise<void> {
  const i = listInputs(ctx);
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const versionIdMarker = ctx.query.get('version-id-marker');
  if (versionIdMarker !== undefined && versionIdMarker !== '' && keyMarker === '') {
    throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', { details: { ArgumentName: 'version-id-marker', ArgumentValue: versionIdMarker } });
  }
  if (versionIdMarker !== undefined && versionIdMarker !== '' && versionIdMarker !== NULL_VERSION_ID) {
    throw new S3Error('InvalidArgument', 'Invalid version id specified', { details: { ArgumentName: 'version-id-marker', ArgumentValue: versionIdMarker } });
  }
  // With one version per key, "after key K, version null" and "after key K" are the same position.
  const page = listRun(ctx, i, afterFromMarker(keyMarker === '' ? undefined : keyMarker, i.prefix, i.delimiter));
  const enc = (s: string): string => (i.encodeUrl ? urlEncodeKey(s) : s);
  let xml = `<ListVersionsResult xmlns="${S3_NS}">${el('Name', i.bucket)}${el('Prefix', enc(i.prefix))}${el('KeyMarker', enc(keyMarker))}`;
  xml += el('VersionIdMarker', versionIdMarker ?? '');
  if (page.isTruncated && page.lastEntry !== undefined) {
    xml += el('NextKeyMarker', enc(page.lastEntry));
    // A common prefix has no version; a key's next version marker is its (only) version.
    if (page.contents.length > 0 && page.contents[page.contents.length - 1]!.key === page.lastEntry) xml += el('NextVersionIdMarker', NULL_VERSION_ID);
  }
  xml += el('MaxKeys', i.maxKeys);
  if (i.delimiter !== undefined) xml += el('Delimiter', enc(i.delimiter));
  xml += el('IsTruncated', page.isTruncated);
  for (const o of page.contents) {
    xml += `<Version>${el('Key', enc(o.key))}${el('VersionId', NULL_VERSION_ID)}${el('IsLatest', true)}${el('LastModified', isoDate(o.lastModifiedMs))}${el('ETag', `"${o.etag}"`)}`;
    for (const alg of Object.keys(o.checksums)) xml += el('ChecksumAlgorithm', alg);
    xml += `${el('Size', o.sizeBytes)}<StorageClass>STANDARD</StorageClass>${i.ownerXmlOf(o)}</Version>`;
  }
  for (const cp of page.commonPrefixes) xml += `<CommonPrefixes>${el('Prefix', enc(cp))}</CommonPrefixes>`;
  if (i.encodeUrl) xml += el('EncodingType', 'url');
  xml += '</ListVersionsResult>';
  sendXml(ctx, 200, xml);
}

/**
 * The versionId a request names, checked against an unversioned bucket: absent or "null" address the
 * object; anything else names a version that cannot exist, and must not touch the object.
 */
export function requireNullVersion(ctx: RequestContext): void {
  const v = ctx.query.get('versionId');
  if (v !== undefined && v !== NULL_VERSION_ID) throw new S3Error('InvalidArgument', 'Invalid version id specified', { details: { ArgumentName: 'versionId', ArgumentValue: v } });
}
