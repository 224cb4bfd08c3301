// Bucket versioning in the S3 layer: the bucket's mode (settings.versioning), PutBucketVersioning /
// GetBucketVersioning, and what every object operation needs to name a version — the versionId
// parameter's syntax, which version a read addresses, and the x-amz-version-id / x-amz-delete-marker
// headers S3 answers with.

import { NULL_VERSION_ID, type BucketMeta, type ObjectMeta, type VersioningMode } from '../store/api.js';
import { isVersionId } from '../store/index.js';
import type { RequestContext } from '../http/context.js';
import type { HeaderList } from '../http/response.js';
import { S3Error } from './errors.js';
import { requireBucket, sendXml } from './common.js';
import { readSmallBody } from './payload.js';
import { S3_NS, el, httpDate, parseXml, text } from './xml.js';
import { assertVersioningChangeAllowed } from './object-lock.js';

/** The bucket setting that holds the versioning state ('Enabled' | 'Suspended'; absent = never versioned). */
export const BUCKET_VERSIONING_SETTING = 'versioning';

/**
 * Whether `v` can be a version id at all (the engine's syntax, "null" included). One that cannot is
 * answered 400 InvalidArgument, as S3 does, rather than 404 NoSuchVersion.
 */
export function isVersionIdSyntax(v: string): boolean {
  return isVersionId(v);
}

export function invalidVersionId(v: string, argumentName = 'versionId'): S3Error {
  return new S3Error('InvalidArgument', 'Invalid version id specified', { details: { ArgumentName: argumentName, ArgumentValue: v } });
}

/** The bucket's versioning mode; undefined when it was never set (objects are the one "null" version). */
export function bucketVersioning(b: BucketMeta): VersioningMode | undefined {
  const v = b.settings[BUCKET_VERSIONING_SETTING];
  if (v === undefined) return undefined;
  // The pair of the check in putBucketVersioning: only these two are ever stored.
  if (v !== 'Enabled' && v !== 'Suspended') throw new Error(`bucket settings: versioning of ${b.name} is ${JSON.stringify(v)}`);
  return v;
}

/** `?versionId=` of the request: undefined when absent, InvalidArgument when it cannot be a version id. */
export function versionIdParam(ctx: RequestContext): string | undefined {
  const v = ctx.query.get('versionId');
  if (v === undefined) return undefined;
  if (!isVersionIdSyntax(v)) throw invalidVersionId(v);
  return v;
}

/** x-amz-version-id on object responses: on versioned buckets, and whenever the request named a version. */
export function versionHeaders(mode: VersioningMode | undefined, meta: ObjectMeta, asked: string | undefined): HeaderList {
  return mode !== undefined || asked !== undefined ? { 'x-amz-version-id': meta.versionId } : {};
}

/** x-amz-version-id on write responses: S3 names only real versions; a "null" one gets no header. */
export function writtenVersionHeaders(meta: ObjectMeta): HeaderList {
  return meta.versionId !== NULL_VERSION_ID ? { 'x-amz-version-id': meta.versionId } : {};
}

/**
 * The version a read addresses (GetObject, HeadObject, tagging, attributes, ACL, copy source):
 * - no versionId: the current version; when the latest is a delete marker, 404 NoSuchKey carrying
 *   x-amz-delete-marker: true and the marker's version id (S3 behaves as if the object were deleted);
 * - a versionId: that version, 404 NoSuchVersion when there is none; one naming a delete marker is
 *   405 MethodNotAllowed (with x-amz-delete-marker, Last-Modified and the id), as S3 answers.
 */
export function readableVersion(ctx: RequestContext, bucket: string, key: string, versionId: string | undefined): ObjectMeta {
  if (versionId === undefined) {
    const meta = ctx.engine.headObject(bucket, key);
    if (meta) return meta;
    const latest = ctx.engine.headVersion(bucket, key);
    const headers: Record<string, string> = latest?.deleteMarker ? { 'x-amz-delete-marker': 'true', 'x-amz-version-id': latest.versionId } : {};
    throw new S3Error('NoSuchKey', undefined, { headers, details: { Key: key } });
  }
  const meta = ctx.engine.headVersion(bucket, key, versionId);
  if (!meta) throw new S3Error('NoSuchVersion', undefined, { details: { Key: key, VersionId: versionId } });
  if (meta.deleteMarker) throw deleteMarkerNotAllowed(meta, ctx.method);
  return meta;
}

/** A request naming a delete marker by version id (it has no data, tags or attributes to act on). */
export function deleteMarkerNotAllowed(marker: ObjectMeta, method: string): S3Error {
  return new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
    headers: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': marker.versionId, 'Last-Modified': httpDate(marker.lastModifiedMs) },
    details: { Method: method, ResourceType: 'DeleteMarker' },
  });
}

// ------------------------------------------------------------------------------------------------
// PutBucketVersioning / GetBucketVersioning

export async function getBucketVersioning(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const mode = bucketVersioning(b);
  sendXml(ctx, 200, `<VersioningConfiguration xmlns="${S3_NS}">${mode !== undefined ? el('Status', mode) : ''}</VersioningConfiguration>`);
}

/**
 * Enabled or Suspended, recorded in the bucket settings; a bucket once versioned never becomes
 * unversioned again (S3 has no way back, only Suspended). A configuration without Status changes
 * nothing. MFA Delete is not supported (Enabled → 501).
 */
export async function putBucketVersioning(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const doc = parseXml(await readSmallBody(ctx, ctx.config.limits.maxXmlBodyBytes));
  const conf = doc['VersioningConfiguration'];
  if (conf === undefined || (typeof conf === 'object' && conf !== null && Array.isArray(conf))) throw new S3Error('MalformedXML');
  const fields = typeof conf === 'object' && conf !== null ? (conf as Record<string, unknown>) : {};
  for (const name of Object.keys(fields)) {
    if (name !== 'Status' && name !== 'MfaDelete') throw new S3Error('MalformedXML');
  }
  const status = text(fields['Status']);
  const mfa = text(fields['MfaDelete']);
  if (status !== undefined && status !== 'Enabled' && status !== 'Suspended') throw new S3Error('MalformedXML');
  if (mfa !== undefined && mfa !== 'Enabled' && mfa !== 'Disabled') throw new S3Error('MalformedXML');
  if (mfa === 'Enabled') throw new S3Error('NotImplemented', 'MFA Delete is not supported by Strata.');
  assertVersioningChangeAllowed(ctx.engine.getBucket(b.name) ?? b, status);
  if (status !== undefined && status !== bucketVersioning(b)) {
    await ctx.engine.updateBucketSettings(b.name, { [BUCKET_VERSIONING_SETTING]: status });
  }
  ctx.res.send(200, {}, '');
}

// ------------------------------------------------------------------------------------------------
// copy sources (CopyObject, UploadPartCopy)

/**
 * The version a copy reads: `?versionId=` of x-amz-copy-source, or the current version. A source whose
 * latest version is a delete marker is NoSuchKey; naming a delete marker by id is 400 InvalidRequest,
 * as S3 answers it.
 */
export function copySourceVersion(ctx: RequestContext, src: { bucket: string; key: string; versionId?: string }): ObjectMeta {
  if (src.versionId === undefined) {
    const meta = ctx.engine.headObject(src.bucket, src.key);
    if (!meta) throw new S3Error('NoSuchKey', undefined, { details: { Key: src.key } });
    return meta;
  }
  if (!isVersionIdSyntax(src.versionId)) throw invalidVersionId(src.versionId, 'x-amz-copy-source');
  const meta = ctx.engine.headVersion(src.bucket, src.key, src.versionId);
  if (!meta) throw new S3Error('NoSuchVersion', undefined, { details: { Key: src.key, VersionId: src.versionId } });
  if (meta.deleteMarker) throw new S3Error('InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.');
  return meta;
}

/** x-amz-copy-source-version-id: the version copied, when it has a real id or the request named one. */
export function copySourceVersionHeaders(meta: ObjectMeta, asked: string | undefined): HeaderList {
  return meta.versionId !== NULL_VERSION_ID || asked !== undefined ? { 'x-amz-copy-source-version-id': meta.versionId } : {};
}
