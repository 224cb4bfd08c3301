// Multipart ETag and checksum arithmetic: pure functions over the parts' digests.
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import type { ChecksumAlgorithm } from '../../store/api.js';
import { crc64nvme } from '../../store/crc64nvme.js';
import { crc32Combine, crc32cCombine, crc64nvmeCombine } from './crc-combine.js';

export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

/** S3: MD5 of the concatenated binary part MD5s, hex, then `-N`. */
export function multipartEtag(partMd5Hexes: readonly string[]): string {
  const h = createHash('md5');
  for (const hex of partMd5Hexes) h.update(Buffer.from(hex, 'hex'));
  return `${h.digest('hex')}-${partMd5Hexes.length}`;
}

function crcBytes(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
}

function digestOf(algorithm: ChecksumAlgorithm, data: Uint8Array): Buffer {
  switch (algorithm) {
    case 'CRC32':
      return crcBytes(zlibCrc32(data));
    case 'CRC32C':
      return crcBytes(crc32c(data));
    case 'SHA1':
      return createHash('sha1').update(data).digest();
    case 'SHA256':
      return createHash('sha256').update(data).digest();
    case 'CRC64NVME':
      return Buffer.from(crc64nvme(data));
  }
}

/** Byte length of each algorithm's digest; a part checksum of any other length is malformed. */
export const DIGEST_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = { CRC32: 4, CRC32C: 4, SHA1: 20, SHA256: 32, CRC64NVME: 8 };

export function isValidChecksumValue(algorithm: ChecksumAlgorithm, base64: string): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return false;
  return Buffer.from(base64, 'base64').length === DIGEST_BYTES[algorithm];
}

/**
 * COMPOSITE: checksum of the concatenated binary part checksums, base64. Stored bare in ObjectMeta
 * (objectHeaders appends `-N` from meta.parts); on the wire it is always `<base64>-N`.
 */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partChecksumsBase64: readonly string[]): string {
  const joined = Buffer.concat(partChecksumsBase64.map((c) => Buffer.from(c, 'base64')));
  return digestOf(algorithm, joined).toString('base64');
}

/** The wire form of a stored object checksum: COMPOSITE values carry the part count. */
export function wireChecksum(value: string, checksumType: ChecksumType | undefined, partsCount: number): string {
  return checksumType === 'COMPOSITE' ? `${value}-${partsCount}` : value;
}

export function supportsFullObject(algorithm: ChecksumAlgorithm): boolean {
  return algorithm === 'CRC32' || algorithm === 'CRC32C' || algorithm === 'CRC64NVME';
}

/** S3: CRC64NVME multipart uploads are FULL_OBJECT only (COMPOSITE is refused, and is not the default). */
export function supportsComposite(algorithm: ChecksumAlgorithm): boolean {
  return algorithm !== 'CRC64NVME';
}

/** x-amz-checksum-type when CreateMultipartUpload names an algorithm but no type. */
export function defaultChecksumType(algorithm: ChecksumAlgorithm): ChecksumType {
  return supportsComposite(algorithm) ? 'COMPOSITE' : 'FULL_OBJECT';
}

/** FULL_OBJECT: the CRC of the whole object, folded from each part's CRC and length. */
export function fullObjectChecksum(
  algorithm: ChecksumAlgorithm,
  parts: readonly { checksumBase64: string; sizeBytes: number }[],
): string {
  if (!supportsFullObject(algorithm)) throw new RangeError(`FULL_OBJECT is not defined for ${algorithm}`);
  if (algorithm === 'CRC64NVME') {
    let acc64 = 0n; // CRC-64/NVME of the empty string
    for (const p of parts) acc64 = crc64nvmeCombine(acc64, Buffer.from(p.checksumBase64, 'base64').readBigUInt64BE(0), p.sizeBytes);
    const out = Buffer.alloc(8);
    out.writeBigUInt64BE(acc64, 0);
    return out.toString('base64');
  }
  const combine = algorithm === 'CRC32' ? crc32Combine : crc32cCombine;
  let acc = 0; // CRC of the empty string, for both algorithms
  for (const p of parts) {
    const crc = Buffer.from(p.checksumBase64, 'base64').readUInt32BE(0);
    acc = combine(acc, crc, p.sizeBytes);
  }
  return crcBytes(acc).toString('base64');
}

/** A checksum over `data` in the S3 wire form (base64 of the big-endian digest). */
export function checksumBase64(algorithm: ChecksumAlgorithm, data: Uint8Array): string {
  return digestOf(algorithm, data).toString('base64');
}
