// Request payloads: what the client claims about the body (lengths, aws-chunked framing, Content-MD5,
// x-amz-checksum-* header or trailer, signed SHA-256), streaming it into an engine writer, and
// checking every claim against what the writer computed BEFORE anything is committed.

import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import type { ChecksumAlgorithm, ObjectWriter, WrittenData } from '../store/api.js';
import { crc64nvmeBase64 } from '../store/crc64nvme.js';
import type { RequestContext } from '../http/context.js';
import type { BodySink } from '../http/body.js';
import { S3Error } from './errors.js';
import { CHECKSUM_BYTES, CHECKSUM_HEADERS, checksumAlgorithmFromName, isBase64Of } from './object-meta.js';
import { createChunkDecoder, type ChunkDecoder } from './auth-glue.js';

export interface BodyPlan {
  /** Content-Length of the request as sent (framing included); undefined with Transfer-Encoding: chunked. */
  contentLength?: number;
  /** Payload bytes the object will have, when known. */
  decodedLength?: number;
  /** aws-chunked framing (STREAMING-* payload modes). */
  chunked: boolean;
  contentMd5Base64?: string;
  headerChecksum?: { alg: ChecksumAlgorithm; value: string };
  trailerChecksum?: ChecksumAlgorithm;
  /** SHA-256 the client signed (x-amz-content-sha256 with a hex value). */
  sha256Hex?: string;
}

function parseLength(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,16}$/.test(v.trim())) throw new S3Error('InvalidArgument', `${name} must be a non-negative integer.`);
  return Number(v.trim());
}

/** Validates the body-describing headers. `requireLength`: PUT-like requests need a known size. */
export function planBody(ctx: RequestContext, opts: { requireLength: boolean; maxBytes: number }): BodyPlan {
  const h = ctx.headers;
  const mode = ctx.auth?.payloadMode ?? 'unsigned';
  const chunked = mode.startsWith('streaming');
  const contentLength = parseLength(h['content-length'], 'Content-Length');
  const te = h['transfer-encoding'];
  if (contentLength === undefined && te === undefined && opts.requireLength) throw new S3Error('MissingContentLength');
  let decodedLength = contentLength;
  if (chunked) {
    decodedLength = parseLength(h['x-amz-decoded-content-length'], 'x-amz-decoded-content-length');
    if (decodedLength === undefined) {
      throw new S3Error('MissingContentLength', 'aws-chunked uploads must send x-amz-decoded-content-length.');
    }
  }
  if (decodedLength !== undefined && decodedLength > opts.maxBytes) {
    throw new S3Error('EntityTooLarge', undefined, { details: { ProposedSize: String(decodedLength), MaxSizeAllowed: String(opts.maxBytes) } });
  }
  const plan: BodyPlan = { chunked };
  if (contentLength !== undefined) plan.contentLength = contentLength;
  if (decodedLength !== undefined) plan.decodedLength = decodedLength;

  const md5 = h['content-md5'];
  if (md5 !== undefined) {
    if (!isBase64Of(md5.trim(), 16)) throw new S3Error('InvalidDigest');
    plan.contentMd5Base64 = md5.trim();
  }
  for (const name in h) {
    if (!name.startsWith('x-amz-checksum-') || name === 'x-amz-checksum-mode' || name === 'x-amz-checksum-type' || name === 'x-amz-checksum-algorithm') continue;
    const alg = checksumAlgorithmFromName(name);
    if (!alg) throw new S3Error('InvalidRequest', `Checksum algorithm of ${name} is not supported.`);
    if (plan.headerChecksum) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    const value = h[name]!.trim();
    if (!isBase64Of(value, CHECKSUM_BYTES[alg])) throw new S3Error('InvalidRequest', `Value for ${name} header is invalid.`);
    plan.headerChecksum = { alg, value };
  }
  const trailer = h['x-amz-trailer'];
  if (trailer !== undefined) {
    const alg = checksumAlgorithmFromName(trailer.trim());
    if (!alg) throw new S3Error('InvalidRequest', 'The value specified in the x-amz-trailer header is not supported.');
    if (mode !== 'streaming-unsigned-trailer' && mode !== 'streaming-signed-trailer') {
      throw new S3Error('InvalidRequest', 'x-amz-trailer requires a STREAMING-*-TRAILER x-amz-content-sha256.');
    }
    if (plan.headerChecksum) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    plan.trailerChecksum = alg;
  }
  checkSdkChecksumAlgorithm(h['x-amz-sdk-checksum-algorithm'], plan.headerChecksum?.alg ?? plan.trailerChecksum);
  if (mode === 'signed' && ctx.auth?.payloadSha256Hex) plan.sha256Hex = ctx.auth.payloadSha256Hex.toLowerCase();
  return plan;
}

/**
 * x-amz-sdk-checksum-algorithm says which checksum the SDK computed; S3 holds the request to it: it
 * must come with that algorithm's x-amz-checksum-* header or x-amz-trailer (the SDK sends them
 * together). Without either, a client would believe a body was checked that nothing checked, so S3
 * refuses both cases with 400 InvalidRequest (its observed codes and messages; the API reference
 * says BadDigest for a mismatch, S3 itself answers InvalidRequest). The value is case-insensitive.
 */
export function checkSdkChecksumAlgorithm(sdkValue: string | undefined, claimed: ChecksumAlgorithm | undefined): void {
  if (sdkValue === undefined) return;
  if (claimed === undefined) {
    throw new S3Error('InvalidRequest', 'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.');
  }
  if (checksumAlgorithmFromName(sdkValue.trim()) !== claimed) {
    throw new S3Error('InvalidRequest', 'Value for x-amz-sdk-checksum-algorithm header is invalid.');
  }
}

export function checksumsToRequest(plan: BodyPlan): ChecksumAlgorithm[] {
  const out: ChecksumAlgorithm[] = [];
  if (plan.headerChecksum) out.push(plan.headerChecksum.alg);
  if (plan.trailerChecksum && !out.includes(plan.trailerChecksum)) out.push(plan.trailerChecksum);
  return out;
}

export interface ReceivedBody {
  trailers: Record<string, string>;
  decodedBytes: number;
}

/**
 * Streams the request body into `writer`, decoding aws-chunked framing on the fly.
 * Pauses the socket while the writer is over its budget; enforces the declared decoded length.
 */
export async function streamBodyToWriter(ctx: RequestContext, plan: BodyPlan, writer: ObjectWriter, maxBytes: number): Promise<ReceivedBody> {
  let writerFull = false;
  let decoded = 0;
  const toWriter = (chunk: Uint8Array): void => {
    decoded += chunk.byteLength;
    if (decoded > maxBytes || (plan.decodedLength !== undefined && decoded > plan.decodedLength)) {
      throw new S3Error(decoded > maxBytes ? 'EntityTooLarge' : 'IncompleteBody', 'The body is longer than declared.');
    }
    if (!writer.write(chunk)) writerFull = true;
  };
  let decoder: ChunkDecoder | undefined;
  if (plan.chunked) {
    decoder = createChunkDecoder(ctx, {
      onData: toWriter,
      expectTrailer: plan.trailerChecksum !== undefined,
      ...(plan.decodedLength !== undefined ? { expectedDecodedLength: plan.decodedLength } : {}),
    });
  }
  const sink: BodySink = {
    write(chunk) {
      writerFull = false;
      if (decoder) decoder.push(chunk);
      else toWriter(chunk);
      ctx.bytesIn = decoded;
      return !writerFull;
    },
    onDrain(cb) {
      writer.onDrain(cb);
    },
  };
  await ctx.body.pipe(sink);
  let trailers: Record<string, string> = {};
  if (decoder) {
    const end = decoder.end();
    trailers = end.trailers;
  }
  ctx.bytesIn = decoded;
  if (plan.decodedLength !== undefined && decoded !== plan.decodedLength) {
    throw new S3Error('IncompleteBody', `Received ${decoded} payload bytes, expected ${plan.decodedLength}.`);
  }
  return { trailers, decodedBytes: decoded };
}

function trailerValue(plan: BodyPlan, trailers: Record<string, string>): string {
  const alg = plan.trailerChecksum!;
  const name = CHECKSUM_HEADERS[alg];
  const v = trailers[name];
  if (v === undefined) throw new S3Error('InvalidRequest', `The trailer ${name} was declared in x-amz-trailer but not sent.`);
  const value = v.trim();
  if (!isBase64Of(value, CHECKSUM_BYTES[alg])) throw new S3Error('InvalidRequest', `Value for ${name} trailing header is invalid.`);
  return value;
}

/** Every claim vs what was computed; returns the checksums to persist with the object. */
export function verifyDigests(
  plan: BodyPlan,
  computed: { md5Hex: string; checksums: Partial<Record<ChecksumAlgorithm, string>>; sha256Hex?: string },
  trailers: Record<string, string>,
): Partial<Record<ChecksumAlgorithm, string>> {
  if (plan.sha256Hex !== undefined && computed.sha256Hex !== plan.sha256Hex) {
    throw new S3Error('XAmzContentSHA256Mismatch', undefined, {
      details: { ClientComputedContentSHA256: plan.sha256Hex, S3ComputedContentSHA256: computed.sha256Hex ?? '' },
    });
  }
  if (plan.contentMd5Base64 !== undefined && Buffer.from(computed.md5Hex, 'hex').toString('base64') !== plan.contentMd5Base64) {
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  const stored: Partial<Record<ChecksumAlgorithm, string>> = {};
  const check = (alg: ChecksumAlgorithm, claimed: string): void => {
    if (computed.checksums[alg] !== claimed) {
      throw new S3Error('BadDigest', `The ${alg} you specified did not match the calculated checksum.`);
    }
    stored[alg] = claimed;
  };
  if (plan.headerChecksum) check(plan.headerChecksum.alg, plan.headerChecksum.value);
  if (plan.trailerChecksum) check(plan.trailerChecksum, trailerValue(plan, trailers));
  return stored;
}

export function verifyWritten(plan: BodyPlan, data: WrittenData, received: ReceivedBody): Partial<Record<ChecksumAlgorithm, string>> {
  return verifyDigests(plan, data, received.trailers);
}

/** Checksum of an in-memory buffer (small XML bodies), S3 wire form. */
export function computeChecksum(alg: ChecksumAlgorithm, data: Uint8Array): string {
  const be32 = (n: number): string => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b.toString('base64');
  };
  switch (alg) {
    case 'CRC32':
      return be32(zlib.crc32(data));
    case 'CRC32C':
      return be32(crc32c(data));
    case 'SHA1':
      return createHash('sha1').update(data).digest('base64');
    case 'SHA256':
      return createHash('sha256').update(data).digest('base64');
    case 'CRC64NVME':
      return crc64nvmeBase64(data);
  }
}

/**
 * Reads a small body (XML) whole, decoding aws-chunked if needed, and verifies every claim.
 * `requireIntegrity`: DeleteObjects needs Content-MD5 or an x-amz-checksum-*.
 */
export async function readSmallBody(ctx: RequestContext, limitBytes: number, requireIntegrity = false): Promise<Buffer> {
  const plan = planBody(ctx, { requireLength: false, maxBytes: limitBytes });
  if (plan.decodedLength !== undefined && plan.decodedLength > limitBytes) throw new S3Error('MaxMessageLengthExceeded');
  if (requireIntegrity && !plan.contentMd5Base64 && !plan.headerChecksum && !plan.trailerChecksum) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5 or x-amz-checksum-*.');
  }
  const parts: Buffer[] = [];
  let n = 0;
  const collect = (chunk: Uint8Array): void => {
    n += chunk.byteLength;
    if (n > limitBytes) throw new S3Error('MaxMessageLengthExceeded');
    parts.push(Buffer.from(chunk));
  };
  let decoder: ChunkDecoder | undefined;
  if (plan.chunked) decoder = createChunkDecoder(ctx, { onData: collect, expectTrailer: plan.trailerChecksum !== undefined });
  await ctx.body.pipe({
    write(chunk) {
      if (decoder) decoder.push(chunk);
      else collect(chunk);
      return true;
    },
    onDrain() {},
  });
  const trailers = decoder ? decoder.end().trailers : {};
  const body = Buffer.concat(parts, n);
  ctx.bytesIn = n;
  if (plan.decodedLength !== undefined && n !== plan.decodedLength) throw new S3Error('IncompleteBody');
  const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
  for (const alg of checksumsToRequest(plan)) checksums[alg] = computeChecksum(alg, body);
  const computed: { md5Hex: string; checksums: typeof checksums; sha256Hex?: string } = {
    md5Hex: plan.contentMd5Base64 ? createHash('md5').update(body).digest('hex') : '',
    checksums,
  };
  if (plan.sha256Hex !== undefined) computed.sha256Hex = createHash('sha256').update(body).digest('hex');
  verifyDigests(plan, computed, trailers);
  return body;
}
