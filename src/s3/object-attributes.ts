// GetObjectAttributes (GET ?attributes): ETag, checksums, parts, storage class and size of an object
// without its body; x-amz-object-attributes names which of them the client wants.

import type { ChecksumAlgorithm } from '../store/api.js';
import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { requireBucket, requireKey, sendXml } from './common.js';
import type { HeaderList } from '../http/response.js';
import { bucketVersioning, readableVersion, versionHeaders, versionIdParam } from './versioning.js';
import { S3_NS, el, httpDate } from './xml.js';

const ATTRIBUTES = new Set(['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']);
/** Parts listed per response at most (x-amz-max-parts is capped to it). */
export const MAX_ATTRIBUTE_PARTS = 1000;

function checksumXml(checksums: Partial<Record<ChecksumAlgorithm, string>>): string {
  let xml = '';
  for (const [alg, v] of Object.entries(checksums)) if (v !== undefined) xml += el(`Checksum${alg}`, v);
  return xml;
}

function intHeader(ctx: RequestContext, name: string, dflt: number): number {
  const v = ctx.headers[name];
  if (v === undefined || v === '') return dflt;
  if (!/^\d{1,10}$/.test(v.trim())) throw new S3Error('InvalidArgument', `${name} must be a non-negative integer`, { details: { ArgumentName: name, ArgumentValue: v } });
  return Number(v.trim());
}

export async function getObjectAttributes(ctx: RequestContext): Promise<void> {
  const key = requireKey(ctx);
  const b = requireBucket(ctx);
  const bucket = b.name;
  const raw = ctx.headers['x-amz-object-attributes'];
  const wanted = new Set((raw ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''));
  if (wanted.size === 0) {
    throw new S3Error('InvalidArgument', 'x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty', { details: { ArgumentName: 'x-amz-object-attributes' } });
  }
  for (const a of wanted) if (!ATTRIBUTES.has(a)) throw new S3Error('InvalidArgument', 'Invalid attribute name specified.', { details: { ArgumentName: 'x-amz-object-attributes', ArgumentValue: a } });
  const maxParts = Math.min(intHeader(ctx, 'x-amz-max-parts', MAX_ATTRIBUTE_PARTS), MAX_ATTRIBUTE_PARTS);
  const marker = intHeader(ctx, 'x-amz-part-number-marker', 0);
  const versionId = versionIdParam(ctx);
  const meta = readableVersion(ctx, bucket, key, versionId);

  let xml = `<GetObjectAttributesResponse xmlns="${S3_NS}">`;
  if (wanted.has('ETag')) xml += el('ETag', meta.etag);
  if (wanted.has('Checksum') && Object.keys(meta.checksums).length > 0) {
    xml += `<Checksum>${checksumXml(meta.checksums)}${meta.checksumType ? el('ChecksumType', meta.checksumType) : ''}</Checksum>`;
  }
  if (wanted.has('ObjectParts') && meta.parts && meta.parts.length > 0) {
    const after = meta.parts.filter((p) => p.partNumber > marker);
    const page = after.slice(0, maxParts);
    const truncated = after.length > page.length;
    xml += `<ObjectParts>${el('PartsCount', meta.parts.length)}${el('PartNumberMarker', marker)}`;
    if (truncated) xml += el('NextPartNumberMarker', page[page.length - 1]!.partNumber);
    xml += `${el('MaxParts', maxParts)}${el('IsTruncated', truncated)}`;
    for (const p of page) xml += `<Part>${checksumXml(p.checksums ?? {})}${el('PartNumber', p.partNumber)}${el('Size', p.sizeBytes)}</Part>`;
    xml += '</ObjectParts>';
  }
  if (wanted.has('StorageClass')) xml += el('StorageClass', 'STANDARD');
  if (wanted.has('ObjectSize')) xml += el('ObjectSize', meta.sizeBytes);
  xml += '</GetObjectAttributesResponse>';
  const headers: HeaderList = { 'Last-Modified': httpDate(meta.lastModifiedMs), ...versionHeaders(bucketVersioning(b), meta, versionId) };
  sendXml(ctx, 200, xml, headers);
}
