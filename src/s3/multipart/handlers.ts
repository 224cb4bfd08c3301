// The multipart operations on the wire. Each handler reads top-down: validate the request, find the
// upload, hand the body to the S3 layer's payload pipeline (src/s3/payload.ts), call the service,
// render XML with the S3 layer's helpers.
import { aclForNewObject, noteObjectOwner } from '../acl.js';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, type Engine, type WrittenData } from '../../store/api.js';
import type { RequestContext } from '../../http/context.js';
import type { HeaderList } from '../../http/response.js';
import { tagsFromHeaders } from '../tags.js';
import { S3Error } from '../errors.js';
import { intParam, requireBucket, requireKey, sendXml } from '../common.js';
import { refuseUnsupportedWriteHeaders } from '../unsupported-write-headers.js';
import { S3_NS, el, isoDate, parseXml, text } from '../xml.js';
import { CHECKSUM_HEADERS, checksumAlgorithmFromName, quoteEtag, systemMetaFromHeaders, userMetaFromHeaders, isBase64Of, CHECKSUM_BYTES } from '../object-meta.js';
import { checksumsToRequest, planBody, readSmallBody, streamBodyToWriter, verifyWritten } from '../payload.js';
import { evaluateCopySourceConditions } from '../conditional.js';
import { authorizeCopySource } from '../policy-handlers.js';
import { bucketVersioning, copySourceVersion, copySourceVersionHeaders } from '../versioning.js';
import { assertLockedPutIntegrity, planWriteLock, uploadLock } from '../object-lock-handlers.js';
import { bucketObjectLock, defaultRetention } from '../object-lock.js';
import { assertObjectKey, decodePathComponent } from '../names.js';
import { urlEncodeKey } from '../list-page.js';
import { wireChecksum, type ChecksumType } from './digests.js';
import { defaultMultipartLimits, type MultipartLimits } from './limits.js';
import { MultipartService, type RequestedPart } from './service.js';
import { UPLOAD_ID_PATTERN, type PartRecord, type Principal, type UploadRecord } from './records.js';

// ---------------------------------------------------------------- the service behind an engine

const services = new WeakMap<Engine, Promise<MultipartService>>();

/**
 * Limits: ServerConfig's optional `multipart` section (tests pass { minPartSizeBytes }), then
 * STRATA_MULTIPART_* environment variables (e.g. STRATA_MULTIPART_MIN_PART_SIZE_BYTES), then defaults.
 */
export function multipartLimitsFrom(config: unknown, env: Record<string, string | undefined> = process.env): Partial<MultipartLimits> {
  const out: Partial<MultipartLimits> = {};
  for (const name of Object.keys(defaultMultipartLimits) as (keyof MultipartLimits)[]) {
    const envName = 'STRATA_MULTIPART_' + name.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
    const v = env[envName];
    if (v !== undefined && v !== '') {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${envName} must be a non-negative integer, got '${v}'`);
      out[name] = n;
    }
  }
  const section = (config as { multipart?: Partial<MultipartLimits> } | undefined)?.multipart;
  return { ...out, ...(section ?? {}) };
}

/**
 * The node's multipart service: opened once per engine (loads open uploads, settles interrupted
 * completions, starts the sweeper). The server may call this at startup; otherwise the first
 * multipart request does.
 */
export function openMultipart(engine: Engine, limits: Partial<MultipartLimits> = {}): Promise<MultipartService> {
  let p = services.get(engine);
  if (p === undefined) {
    p = MultipartService.open(engine, limits).then((s) => {
      s.startSweeper();
      return s;
    });
    p.catch(() => services.delete(engine)); // a failed open is retried by the next request
    services.set(engine, p);
  }
  return p;
}

/** Stops the sweeper of the engine's service (call before engine.close()). */
export async function closeMultipart(engine: Engine): Promise<void> {
  const p = services.get(engine);
  services.delete(engine);
  if (p !== undefined) await (await p.catch(() => undefined))?.close();
}

function service(ctx: RequestContext): Promise<MultipartService> {
  return openMultipart(ctx.engine, multipartLimitsFrom(ctx.config));
}

// ---------------------------------------------------------------- request parsing helpers

function uploadIdParam(ctx: RequestContext): string {
  const id = ctx.query.get('uploadId') ?? '';
  // Anything that cannot be one of our ids cannot name an open upload.
  if (!UPLOAD_ID_PATTERN.test(id)) throw new S3Error('NoSuchUpload', undefined, { details: { UploadId: id } });
  return id;
}

function partNumberParam(ctx: RequestContext, svc: MultipartService): number {
  const v = ctx.query.get('partNumber') ?? '';
  const n = /^\d{1,6}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${svc.limits.maxPartsPerUpload}, inclusive`, {
      details: { ArgumentName: 'partNumber', ArgumentValue: v },
    });
  }
  svc.checkPartNumber(n);
  return n;
}

function principal(ctx: RequestContext): Principal | undefined {
  const id = ctx.auth?.accessKeyId;
  return id === undefined ? undefined : { id, displayName: id };
}

function principalXml(tag: 'Initiator' | 'Owner', p: Principal | undefined): string {
  const id = p?.id ?? '';
  return `<${tag}>${el('ID', id)}${el('DisplayName', p?.displayName ?? id)}</${tag}>`;
}

function checksumXml(checksums: Partial<Record<ChecksumAlgorithm, string>>, type: ChecksumType | undefined, partsCount: number): string {
  let xml = '';
  for (const alg of Object.keys(checksums) as ChecksumAlgorithm[]) {
    const v = checksums[alg];
    if (v !== undefined) xml += el(`Checksum${alg}`, partsCount > 0 ? wireChecksum(v, type, partsCount) : v);
  }
  return xml;
}

function partChecksumHeaders(part: PartRecord): HeaderList {
  const h: HeaderList = {};
  for (const alg of Object.keys(part.checksums) as ChecksumAlgorithm[]) h[CHECKSUM_HEADERS[alg]] = part.checksums[alg];
  return h;
}

function uploadChecksumHeaders(u: UploadRecord): HeaderList {
  if (u.checksumAlgorithm === undefined) return {};
  return { 'x-amz-checksum-algorithm': u.checksumAlgorithm, 'x-amz-checksum-type': u.checksumType };
}

// ---------------------------------------------------------------- CreateMultipartUpload

export async function createMultipartUpload(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const key = requireKey(ctx);
  assertObjectKey(key, ctx.config.limits.maxKeyBytes);
  refuseUnsupportedWriteHeaders(ctx.headers);
  // Decided now (the owner is whoever initiates), kept in the upload record, applied at Complete.
  const acl = aclForNewObject(ctx, b);
  // What the Create asked for is kept with the upload; the bucket default is decided at completion.
  const lock = planWriteLock(ctx, b, key);
  const svc = await service(ctx);
  const h = ctx.headers;
  let checksumAlgorithm: ChecksumAlgorithm | undefined;
  const algHeader = h['x-amz-checksum-algorithm'];
  if (algHeader !== undefined && algHeader !== '') {
    checksumAlgorithm = checksumAlgorithmFromName(algHeader.trim());
    if (checksumAlgorithm === undefined) throw new S3Error('InvalidRequest', `Checksum algorithm ${algHeader} is not supported.`);
  }
  let checksumType: ChecksumType | undefined;
  const typeHeader = h['x-amz-checksum-type'];
  if (typeHeader !== undefined && typeHeader !== '') {
    const t = typeHeader.trim().toUpperCase();
    if (t !== 'FULL_OBJECT' && t !== 'COMPOSITE') throw new S3Error('InvalidRequest', `Value for x-amz-checksum-type header is invalid.`);
    checksumType = t;
  }
  const storageClass = h['x-amz-storage-class'];
  const tags = tagsFromHeaders(h);
  await noteObjectOwner(ctx, b, acl);
  const upload = await svc.create({
    bucket: ctx.bucket!,
    key,
    system: systemMetaFromHeaders(h),
    user: userMetaFromHeaders(h, ctx.config.limits.maxUserMetadataBytes),
    ...(checksumAlgorithm !== undefined ? { checksumAlgorithm } : {}),
    ...(checksumType !== undefined ? { checksumType } : {}),
    ...(principal(ctx) !== undefined ? { owner: principal(ctx)! } : {}),
    ...(storageClass ? { storageClass } : {}),
    ...(tags !== undefined ? { tags } : {}),
    ...(acl !== undefined ? { acl } : {}),
    ...(lock?.retention !== undefined ? { retention: lock.retention } : {}),
    ...(lock?.legalHold === true ? { legalHold: true } : {}),
  });
  sendXml(
    ctx,
    200,
    `<InitiateMultipartUploadResult xmlns="${S3_NS}">${el('Bucket', upload.bucket)}${el('Key', upload.key)}${el('UploadId', upload.uploadId)}</InitiateMultipartUploadResult>`,
    uploadChecksumHeaders(upload),
  );
}

// ---------------------------------------------------------------- UploadPart / UploadPartCopy

export async function uploadPart(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const key = requireKey(ctx);
  refuseUnsupportedWriteHeaders(ctx.headers, { copySource: true });
  const svc = await service(ctx);
  const partNumber = partNumberParam(ctx, svc);
  const upload = svc.getUpload(ctx.bucket!, key, uploadIdParam(ctx));
  if (ctx.headers['x-amz-copy-source'] !== undefined) return uploadPartCopy(ctx, svc, upload, partNumber);

  const plan = planBody(ctx, { requireLength: true, maxBytes: svc.limits.maxPartSizeBytes });
  assertLockedPutIntegrity(plan, uploadLock(b, upload), 'Upload Part');
  const claimedAlg = plan.headerChecksum?.alg ?? plan.trailerChecksum;
  if (upload.checksumAlgorithm !== undefined && claimedAlg !== undefined && claimedAlg !== upload.checksumAlgorithm) {
    throw new S3Error(
      'InvalidRequest',
      `Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm.toLowerCase()}, actual checksum Type: ${claimedAlg.toLowerCase()}`,
    );
  }
  const writer = ctx.engine.createWriter(
    svc.writerOptions(upload, {
      checksums: checksumsToRequest(plan),
      ...(plan.sha256Hex !== undefined ? { sha256Hex: true } : {}),
      ...(plan.decodedLength !== undefined ? { expectedSizeBytes: plan.decodedLength } : {}),
    }),
  );
  ctx.cleanups.push(() => writer.abort('request ended'));
  let data: WrittenData;
  try {
    const received = await streamBodyToWriter(ctx, plan, writer, svc.limits.maxPartSizeBytes);
    data = await writer.finish();
    if (data.sizeBytes !== received.decodedBytes) {
      throw new Error(`engine wrote ${data.sizeBytes} bytes but ${received.decodedBytes} were received`);
    }
    // Nothing is recorded unless every digest the client claimed matches what was computed.
    verifyWritten(plan, data, received);
  } catch (err) {
    writer.abort('upload part failed');
    throw err;
  }
  const part = await svc.putPart(upload, partNumber, data);
  ctx.res.send(200, { ETag: quoteEtag(part.md5Hex), ...partChecksumHeaders(part) }, '');
}

/** x-amz-copy-source: [/]bucket/key[?versionId=v], percent-encoded. */
export function parseCopySource(raw: string): { bucket: string; key: string; versionId?: string } {
  let s = raw.trim();
  let versionId: string | undefined;
  const q = s.indexOf('?');
  if (q >= 0) {
    const params = new URLSearchParams(s.slice(q + 1));
    versionId = params.get('versionId') ?? undefined;
    s = s.slice(0, q);
  }
  s = decodePathComponent(s);
  if (s.startsWith('/')) s = s.slice(1);
  const slash = s.indexOf('/');
  if (slash <= 0 || slash === s.length - 1) {
    throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', {
      details: { ArgumentName: 'x-amz-copy-source', ArgumentValue: raw },
    });
  }
  return { bucket: s.slice(0, slash), key: s.slice(slash + 1), ...(versionId !== undefined ? { versionId } : {}) };
}

/** x-amz-copy-source-range: bytes=first-last, both required, within the source. */
export function parseCopySourceRange(raw: string | undefined, sourceSize: number): { start: number; end: number } | undefined {
  if (raw === undefined) return undefined;
  const m = /^bytes=(\d{1,16})-(\d{1,16})$/.exec(raw.trim());
  if (!m) {
    throw new S3Error(
      'InvalidArgument',
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      { details: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: raw } },
    );
  }
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > end || end >= sourceSize) {
    throw new S3Error('InvalidArgument', `Range specified is not valid for source object of size: ${sourceSize}`, {
      details: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: raw },
    });
  }
  return { start, end };
}

async function uploadPartCopy(ctx: RequestContext, svc: MultipartService, upload: UploadRecord, partNumber: number): Promise<void> {
  const h = ctx.headers;
  const src = parseCopySource(h['x-amz-copy-source']!);
  authorizeCopySource(ctx, src.bucket, src.key, src.versionId);
  if (ctx.engine.getBucket(src.bucket) === undefined) throw new S3Error('NoSuchBucket', undefined, { details: { BucketName: src.bucket } });
  const meta = copySourceVersion(ctx, src);
  const ok = evaluateCopySourceConditions(
    {
      ...(h['x-amz-copy-source-if-match'] !== undefined ? { ifMatch: h['x-amz-copy-source-if-match'] } : {}),
      ...(h['x-amz-copy-source-if-none-match'] !== undefined ? { ifNoneMatch: h['x-amz-copy-source-if-none-match'] } : {}),
      ...(h['x-amz-copy-source-if-modified-since'] !== undefined ? { ifModifiedSince: h['x-amz-copy-source-if-modified-since'] } : {}),
      ...(h['x-amz-copy-source-if-unmodified-since'] !== undefined ? { ifUnmodifiedSince: h['x-amz-copy-source-if-unmodified-since'] } : {}),
    },
    meta.etag,
    meta.lastModifiedMs,
  );
  if (!ok) throw new S3Error('PreconditionFailed', undefined, { details: { Condition: 'x-amz-copy-source-If-*' } });
  const range = parseCopySourceRange(h['x-amz-copy-source-range'], meta.sizeBytes);
  ctx.body.discard();
  const part = await svc.copyPart(upload, partNumber, meta, range);
  const headers: HeaderList = { ...partChecksumHeaders(part), ...copySourceVersionHeaders(meta, src.versionId) };
  sendXml(
    ctx,
    200,
    `<CopyPartResult xmlns="${S3_NS}">${el('LastModified', isoDate(part.lastModifiedMs))}${el('ETag', quoteEtag(part.md5Hex))}${checksumXml(part.checksums, undefined, 0)}</CopyPartResult>`,
    headers,
  );
}

// ---------------------------------------------------------------- ListParts

export async function listParts(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  const key = requireKey(ctx);
  const svc = await service(ctx);
  const upload = svc.getUpload(ctx.bucket!, key, uploadIdParam(ctx));
  const maxParts = intParam(ctx, 'max-parts', svc.limits.maxListEntries, svc.limits.maxListEntries);
  const marker = intParam(ctx, 'part-number-marker', 0, svc.limits.maxPartsPerUpload);
  const page = svc.listParts(upload, { partNumberMarker: marker, maxParts });
  let xml =
    `<ListPartsResult xmlns="${S3_NS}">${el('Bucket', upload.bucket)}${el('Key', upload.key)}${el('UploadId', upload.uploadId)}` +
    `${principalXml('Initiator', upload.owner)}${principalXml('Owner', upload.owner)}${el('StorageClass', upload.storageClass ?? 'STANDARD')}` +
    `${el('PartNumberMarker', marker)}${el('NextPartNumberMarker', page.nextPartNumberMarker)}${el('MaxParts', maxParts)}` +
    `${el('IsTruncated', page.isTruncated)}${el('ChecksumAlgorithm', upload.checksumAlgorithm)}${el('ChecksumType', upload.checksumType)}`;
  for (const p of page.parts) {
    xml +=
      `<Part>${el('PartNumber', p.partNumber)}${el('LastModified', isoDate(p.lastModifiedMs))}${el('ETag', quoteEtag(p.md5Hex))}` +
      `${el('Size', p.sizeBytes)}${checksumXml(p.checksums, undefined, 0)}</Part>`;
  }
  xml += '</ListPartsResult>';
  sendXml(ctx, 200, xml, uploadChecksumHeaders(upload));
}

// ---------------------------------------------------------------- CompleteMultipartUpload

export function parseCompleteRequest(body: Buffer, maxParts: number): RequestedPart[] {
  const doc = parseXml(body);
  const root = doc['CompleteMultipartUpload'];
  if (root === undefined || root === null || typeof root !== 'object') {
    // <CompleteMultipartUpload/> parses to '' : a well-formed request naming no part.
    if (root === '') throw new S3Error('MalformedXML', 'You must specify at least one part.');
    throw new S3Error('MalformedXML');
  }
  const list = (root as Record<string, unknown>)['Part'];
  if (!Array.isArray(list) || list.length === 0) throw new S3Error('MalformedXML', 'You must specify at least one part.');
  if (list.length > maxParts) throw new S3Error('MalformedXML', `A multipart upload has at most ${maxParts} parts.`);
  return list.map((p) => {
    if (p === null || typeof p !== 'object') throw new S3Error('MalformedXML');
    const r = p as Record<string, unknown>;
    const num = text(r['PartNumber'])?.trim();
    const etag = text(r['ETag']);
    if (num === undefined || !/^\d{1,6}$/.test(num) || etag === undefined) throw new S3Error('MalformedXML');
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const alg of CHECKSUM_ALGORITHMS) {
      const v = text(r[`Checksum${alg}`])?.trim();
      if (v === undefined || v === '') continue;
      if (!isBase64Of(v, CHECKSUM_BYTES[alg])) throw new S3Error('InvalidRequest', `Value for Checksum${alg} of part ${num} is invalid.`);
      checksums[alg] = v;
    }
    return { partNumber: Number(num), etag, checksums };
  });
}

/** Checksum headers on Complete describe the whole object, not the XML body: keep them from the body check. */
function withoutObjectChecksumHeaders(ctx: RequestContext): { bodyCtx: RequestContext; claimed?: { algorithm: ChecksumAlgorithm; value: string } } {
  let claimed: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.headers)) {
    const alg = name.startsWith('x-amz-checksum-') ? checksumAlgorithmFromName(name) : undefined;
    if (alg !== undefined) claimed = { algorithm: alg, value: value.trim() };
    // S3 ignores x-amz-sdk-checksum-algorithm on Complete: it names no checksum of this body.
    else if (name !== 'x-amz-sdk-checksum-algorithm') headers[name] = value;
  }
  if (claimed === undefined && ctx.headers['x-amz-sdk-checksum-algorithm'] === undefined) return { bodyCtx: ctx };
  const bodyCtx = Object.create(ctx, { headers: { value: headers, enumerable: true } }) as RequestContext;
  return claimed === undefined ? { bodyCtx } : { bodyCtx, claimed };
}

export async function completeMultipartUpload(ctx: RequestContext): Promise<void> {
  const bucketMeta = requireBucket(ctx);
  const versioning = bucketVersioning(bucketMeta);
  // An upload whose Create named no retention gets the bucket's default, counted from completion.
  const lockRule = bucketObjectLock(bucketMeta)?.rule;
  const key = requireKey(ctx);
  const svc = await service(ctx);
  const uploadId = uploadIdParam(ctx);
  const { bodyCtx, claimed } = withoutObjectChecksumHeaders(ctx);
  const body = await readSmallBody(bodyCtx, svc.limits.maxCompleteBodyBytes);
  ctx.bytesIn = bodyCtx.bytesIn;
  const requested = parseCompleteRequest(body, svc.limits.maxPartsPerUpload);
  const condition: { ifAbsent?: boolean; ifEtag?: string } = {};
  const ifNoneMatch = ctx.headers['if-none-match']?.trim();
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch !== '*') throw new S3Error('NotImplemented', 'If-None-Match on CompleteMultipartUpload supports only *.');
    condition.ifAbsent = true;
  }
  const ifMatch = ctx.headers['if-match']?.trim();
  if (ifMatch !== undefined) condition.ifEtag = ifMatch.replace(/^"(.*)"$/, '$1');
  const sizeHeader = ctx.headers['x-amz-mp-object-size']?.trim();
  if (sizeHeader !== undefined && !/^\d{1,16}$/.test(sizeHeader)) throw new S3Error('InvalidArgument', 'x-amz-mp-object-size must be a non-negative integer.');
  const r = await svc.complete(ctx.bucket!, key, uploadId, requested, {
    ...(sizeHeader !== undefined ? { expectedSizeBytes: Number(sizeHeader) } : {}),
    ...(claimed !== undefined ? { claimedChecksum: claimed } : {}),
    ...(Object.keys(condition).length > 0 ? { condition } : {}),
    ...(versioning !== undefined ? { versioning } : {}),
    ...(lockRule !== undefined ? { defaultRetention: defaultRetention(lockRule, Date.now()) } : {}),
  });
  const host = ctx.headers['host'] ?? `${ctx.config.address}:${ctx.config.port}`;
  const location = `http://${host}/${encodeURIComponent(r.bucket)}/${urlEncodeKey(r.key)}`;
  const headers: HeaderList = {};
  if (r.versionId !== undefined && r.versionId !== 'null') headers['x-amz-version-id'] = r.versionId;
  sendXml(
    ctx,
    200,
    `<CompleteMultipartUploadResult xmlns="${S3_NS}">${el('Location', location)}${el('Bucket', r.bucket)}${el('Key', r.key)}` +
      `${el('ETag', quoteEtag(r.etag))}${checksumXml(r.checksums, r.checksumType, r.partsCount)}${el('ChecksumType', r.checksumType)}</CompleteMultipartUploadResult>`,
    headers,
  );
}

// ---------------------------------------------------------------- AbortMultipartUpload

export async function abortMultipartUpload(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  const key = requireKey(ctx);
  const svc = await service(ctx);
  await svc.abort(ctx.bucket!, key, uploadIdParam(ctx));
  ctx.res.send(204, {}, '');
}

// ---------------------------------------------------------------- ListMultipartUploads

export async function listMultipartUploads(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  const svc = await service(ctx);
  const q = ctx.query;
  const encoding = q.get('encoding-type');
  if (encoding !== undefined && encoding !== 'url') throw new S3Error('InvalidEncodingType', undefined, { details: { ArgumentName: 'encoding-type', ArgumentValue: encoding } });
  const enc = (s: string): string => (encoding === 'url' ? urlEncodeKey(s) : s);
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') || undefined;
  const keyMarker = q.get('key-marker') || undefined;
  const uploadIdMarker = q.get('upload-id-marker') || undefined;
  const maxUploads = intParam(ctx, 'max-uploads', svc.limits.maxListEntries, svc.limits.maxListEntries);
  const page = svc.listUploads(ctx.bucket!, {
    prefix,
    maxUploads,
    ...(delimiter !== undefined ? { delimiter } : {}),
    ...(keyMarker !== undefined ? { keyMarker } : {}),
    ...(keyMarker !== undefined && uploadIdMarker !== undefined ? { uploadIdMarker } : {}),
  });
  let xml =
    `<ListMultipartUploadsResult xmlns="${S3_NS}">${el('Bucket', ctx.bucket!)}${el('KeyMarker', enc(keyMarker ?? ''))}` +
    `${el('UploadIdMarker', uploadIdMarker ?? '')}${el('NextKeyMarker', page.nextKeyMarker !== undefined ? enc(page.nextKeyMarker) : undefined)}` +
    `${el('NextUploadIdMarker', page.nextUploadIdMarker)}${el('Delimiter', delimiter !== undefined ? enc(delimiter) : undefined)}` +
    `${el('Prefix', enc(prefix))}${el('MaxUploads', maxUploads)}${el('IsTruncated', page.isTruncated)}${el('EncodingType', encoding)}`;
  for (const u of page.uploads) {
    xml +=
      `<Upload>${el('Key', enc(u.key))}${el('UploadId', u.uploadId)}${principalXml('Initiator', u.owner)}${principalXml('Owner', u.owner)}` +
      `${el('StorageClass', u.storageClass ?? 'STANDARD')}${el('Initiated', isoDate(u.initiatedMs))}` +
      `${el('ChecksumAlgorithm', u.checksumAlgorithm)}${el('ChecksumType', u.checksumType)}</Upload>`;
  }
  for (const p of page.commonPrefixes) xml += `<CommonPrefixes>${el('Prefix', enc(p))}</CommonPrefixes>`;
  xml += '</ListMultipartUploadsResult>';
  sendXml(ctx, 200, xml);
}
