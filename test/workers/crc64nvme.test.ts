// CRC-64/NVME (S3 CRC64NVME): the hash-wasm configuration against the catalogue check value and an
// independent table implementation; hash state carried between "workers" (save → structured clone →
// load into another hasher) equals one-shot hashing.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CRC64NVME_EMPTY_BASE64, createCrc64nvmeHasher, crc64nvme, crc64nvmeBase64 } from '../../src/store/crc64nvme.js';
import { refCrc64nvme, refCrc64nvmeBase64 } from '../helpers/crc64nvme-ref.js';

describe('CRC-64/NVME', () => {
  it('matches the check value CRC-64/NVME("123456789") = 0xae8b14860a799888', () => {
    const check = Buffer.from('123456789');
    expect(Buffer.from(crc64nvme(check)).toString('hex')).toBe('ae8b14860a799888');
    expect(refCrc64nvme(check)).toBe(0xae8b14860a799888n);
  });

  it('empty input is zero (the value zero-length objects get)', () => {
    expect(crc64nvmeBase64(new Uint8Array(0))).toBe(CRC64NVME_EMPTY_BASE64);
    expect(refCrc64nvmeBase64(new Uint8Array(0))).toBe(CRC64NVME_EMPTY_BASE64);
  });

  it('agrees with the reference implementation on random inputs of many lengths', () => {
    for (const len of [1, 7, 8, 9, 63, 64, 65, 1000, 4096, 65_537]) {
      const data = randomBytes(len);
      expect(crc64nvmeBase64(data), `length ${len}`).toBe(refCrc64nvmeBase64(data));
    }
  });

  it('hashes a view over a SharedArrayBuffer at an offset (how workers see blocks)', () => {
    const sab = new SharedArrayBuffer(10_000);
    const view = new Uint8Array(sab);
    view.set(randomBytes(10_000));
    const sub = new Uint8Array(sab, 123, 5000);
    expect(crc64nvmeBase64(sub)).toBe(refCrc64nvmeBase64(Uint8Array.from(sub)));
  });

  it('resumable state across blocks (and across hashers, as between workers) equals one-shot', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const oneShot = Buffer.from(crc64nvme(body)).toString('hex');
    const a = await createCrc64nvmeHasher();
    const b = await createCrc64nvmeHasher();
    for (const cuts of [[0, 1024 * 1024, 2 * 1024 * 1024, 3 * 1024 * 1024], [0, 1, 2, 999_999], [0]]) {
      let state: Uint8Array | undefined;
      const bounds = [...cuts, body.length];
      for (let i = 0; i < bounds.length - 1; i++) {
        const h = i % 2 === 0 ? a : b;
        if (state) h.load(state);
        else h.init();
        h.update(body.subarray(bounds[i]!, bounds[i + 1]!));
        if (i === bounds.length - 2) expect(h.digest('hex'), `cuts ${cuts.join(',')}`).toBe(oneShot);
        else state = structuredClone(h.save());
      }
    }
  });
});
