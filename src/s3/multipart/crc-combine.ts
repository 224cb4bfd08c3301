// crc32_combine for the reflected CRC-32 family (zlib's CRC32 and Castagnoli CRC32C), so a
// FULL_OBJECT multipart checksum is computed from the parts' CRCs and lengths without reading a byte.
//
// Maths (zlib 1.2.12+ crc32_combine): CRC(A‖B) = CRC(A)·x^(8·|B|) mod P  ⊕  CRC(B).
// Polynomials are kept reflected, as the CRC registers are: bit 31 holds x^0.

export const CRC32_POLY_REFLECTED = 0xedb88320;
export const CRC32C_POLY_REFLECTED = 0x82f63b78;

/** a·b mod P, both reflected. `a` must be non-zero (x^n mod P never is). */
function multModP(a: number, b: number, poly: number): number {
  let m = 0x80000000;
  let p = 0;
  for (let bit = 0; bit < 32; bit++) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ poly : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) mod P for k = 0..31: shifting by n bits is a product of the table entries for n's set bits. */
function powerTable(poly: number): Uint32Array {
  const table = new Uint32Array(32);
  let p = 0x40000000; // x^1
  table[0] = p;
  for (let k = 1; k < 32; k++) {
    p = multModP(p, p, poly);
    table[k] = p;
  }
  return table;
}

const tables = new Map<number, Uint32Array>();
function tableFor(poly: number): Uint32Array {
  let t = tables.get(poly);
  if (t === undefined) {
    t = powerTable(poly);
    tables.set(poly, t);
  }
  return t;
}

/** x^(n·2^k) mod P. n may exceed 2^32 (parts up to 5 GiB), so no bitwise ops on n. */
function xPowModP(n: number, k: number, poly: number): number {
  const table = tableFor(poly);
  let p = 0x80000000; // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multModP(table[k & 31]!, p, poly);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** CRC of A‖B given crcA = CRC(A), crcB = CRC(B) and |B| in bytes. */
export function crcCombine(crcA: number, crcB: number, lengthB: number, poly: number): number {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`bad length ${lengthB}`);
  if (lengthB === 0) return crcA >>> 0;
  // 8·lengthB bits = lengthB · 2^3, hence k starts at 3.
  return (multModP(xPowModP(lengthB, 3, poly), crcA >>> 0, poly) ^ (crcB >>> 0)) >>> 0;
}

export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return crcCombine(crcA, crcB, lengthB, CRC32_POLY_REFLECTED);
}

export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  return crcCombine(crcA, crcB, lengthB, CRC32C_POLY_REFLECTED);
}

// ---- CRC-64/NVME (S3 CRC64NVME): the same algebra on 64-bit reflected registers, in BigInt. It runs
// once per part at CompleteMultipartUpload (≤ 10,000 parts, ~64 BigInt multiply steps per table hit),
// so clarity wins over speed here.

export const CRC64NVME_POLY_REFLECTED = 0x9a6c9329ac4bc9b5n;
const MASK64 = (1n << 64n) - 1n;
const X0_64 = 1n << 63n; // x^0, reflected

function multModP64(a: bigint, b: bigint, poly: bigint): bigint {
  let m = X0_64;
  let p = 0n;
  for (let bit = 0; bit < 64; bit++) {
    if ((a & m) !== 0n) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = (b & 1n) !== 0n ? (b >> 1n) ^ poly : b >> 1n;
  }
  return p;
}

let crc64Table: bigint[] | undefined;
/** x^(2^k) mod P for k = 0..63. */
function powerTable64(): bigint[] {
  if (crc64Table !== undefined) return crc64Table;
  const table: bigint[] = new Array(64);
  let p = X0_64 >> 1n; // x^1
  table[0] = p;
  for (let k = 1; k < 64; k++) {
    p = multModP64(p, p, CRC64NVME_POLY_REFLECTED);
    table[k] = p;
  }
  crc64Table = table;
  return table;
}

/** CRC-64/NVME of A‖B given crcA, crcB (unsigned 64-bit) and |B| in bytes. */
export function crc64nvmeCombine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`bad length ${lengthB}`);
  if (crcA < 0n || crcA > MASK64 || crcB < 0n || crcB > MASK64) throw new RangeError('CRC-64 out of range');
  if (lengthB === 0) return crcA;
  const table = powerTable64();
  // x^(8·lengthB) mod P: 8·lengthB bits = lengthB · 2^3, so the table walk starts at k = 3; a safe
  // integer has at most 53 bits, so k stays below 56 < 64 (inside the table).
  let n = lengthB;
  let k = 3;
  let shift = X0_64;
  while (n > 0) {
    if (n % 2 === 1) shift = multModP64(table[k]!, shift, CRC64NVME_POLY_REFLECTED);
    n = Math.floor(n / 2);
    k++;
  }
  return multModP64(shift, crcA, CRC64NVME_POLY_REFLECTED) ^ crcB;
}
