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
