// GetObject and HeadObject: conditionals (S3 precedence), single ranges, partNumber, response-*
// overrides; bodies streamed from the engine with backpressure.

import type { ByteRange, ObjectMeta } from '../store/api.js';
import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { requireBucket, requireKey } from './common.js';
import { applyResponseOverrides, objectHeaders, quoteEtag } from './object-meta.js';
import { evaluateConditions } from './conditional.js';
import { parseRange } from './range.js';
import { httpDate } from './xml.js';
import { tagCount } from './tags.js';
import { addExpirationHeader } from './lifecycle-handlers.js';
import { refuseSseOnRead } from './unsupported-write-headers.js';
import { bucketVersioning, readableVersion, versionHeaders, versionIdParam } from './versioning.js';
import { objectLockReadHeaders } from './object-lock-handlers.js';

export const MAX_PART_NUMBER = 10000;

function partRange(meta: ObjectMeta, partNumber: number): ByteRange | undefined {
  if (!meta.parts || meta.parts.length === 0) {
    if (partNumber === 1) return undefined;
    throw new S3Error('InvalidPartNumber');
  }
  let start = 0;
  for (const p of meta.parts) {
    if (p.partNumber === partNumber) return p.sizeBytes === 0 ? { start, end: start - 1 } : { start, end: start + p.sizeBytes - 1 };
    start += p.sizeBytes;
  }
  throw new S3Error('InvalidPartNumber');
}

async function getOrHead(ctx: RequestContext, head: boolean): Promise<void> {
  const key = requireKey(ctx);
  const b = requireBucket(ctx);
  const bucket = b.name;
  const versionId = versionIdParam(ctx);
  const meta = readableVersion(ctx, bucket, key, versionId);
  const vHeaders = versionHeaders(bucketVersioning(b), meta, versionId);
  refuseSseOnRead(ctx.headers);

  const pnText = ctx.query.get('partNumber');
  let partNumber: number | undefined;
  if (pnText !== undefined) {
    if (!/^\d{1,5}$/.test(pnText) || Number(pnText) < 1 || Number(pnText) > MAX_PART_NUMBER) {
      throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, { details: { ArgumentName: 'partNumber', ArgumentValue: pnText } });
    }
    partNumber = Number(pnText);
    if (ctx.headers['range'] !== undefined) throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter');
  }

  const h = ctx.headers;
  const outcome = evaluateConditions(
    { ifMatch: h['if-match'], ifNoneMatch: h['if-none-match'], ifModifiedSince: h['if-modified-since'], ifUnmodifiedSince: h['if-unmodified-since'] },
    meta.etag,
    meta.lastModifiedMs,
  );
  if (outcome === 'precondition-failed') throw new S3Error('PreconditionFailed', undefined, { details: { Condition: h['if-match'] !== undefined ? 'If-Match' : 'If-Unmodified-Since' } });
  if (outcome === 'not-modified') {
    ctx.res.sendHeadersOnly(304, { ETag: quoteEtag(meta.etag), 'Last-Modified': httpDate(meta.lastModifiedMs), ...vHeaders });
    return;
  }

  const size = meta.sizeBytes;
  let range: ByteRange | undefined;
  let status = 200;
  if (partNumber !== undefined) {
    range = partRange(meta, partNumber);
    if (range) status = 206;
  } else {
    const r = parseRange(h['range'], size);
    if (r.kind === 'unsatisfiable') {
      throw new S3Error('InvalidRange', undefined, { headers: { 'Content-Range': `bytes */${size}` }, details: { RangeRequested: h['range'] ?? '', ActualObjectSize: String(size) } });
    }
    if (r.kind === 'range') {
      range = { start: r.start, end: r.end };
      status = 206;
    }
  }
  const headers = { ...objectHeaders(ctx, meta, { wholeObject: range === undefined }), ...vHeaders, ...objectLockReadHeaders(ctx, b, meta) };
  if (!head) applyResponseOverrides(ctx, headers);
  if (partNumber !== undefined && meta.parts) headers['x-amz-mp-parts-count'] = meta.parts.length;
  const tags = tagCount(meta);
  if (tags !== undefined) headers['x-amz-tagging-count'] = tags;
  addExpirationHeader(headers, b, meta, versionId === undefined || ctx.engine.headObject(bucket, key)?.versionId === meta.versionId);
  const length = range ? Math.max(0, range.end - range.start + 1) : size;
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  if (head) {
    ctx.res.sendHeadersOnly(status, headers, length);
    return;
  }
  if (length === 0) {
    ctx.res.send(status, headers, '');
    return;
  }
  // Borrowed chunks are views of the engine's pooled read blocks: stream() keeps each one until uWS has
  // taken all of it and only then asks for the next (which returns the block), so no copy is needed.
  await ctx.res.stream(status, headers, length, ctx.engine.readObject(meta, range, { borrowChunks: true }));
}

export function getObject(ctx: RequestContext): Promise<void> {
  return getOrHead(ctx, false);
}

export function headObject(ctx: RequestContext): Promise<void> {
  return getOrHead(ctx, true);
}
