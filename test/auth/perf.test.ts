// Cost per operation, measured (DESIGN.md budgets ~10 µs for a verify with a cached signing key).
// Assertions are loose (10×) so a loaded CI box does not flake; the numbers are printed.
import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder } from '../../src/auth/chunked.js';
import { encodeAwsChunked, signRequest, signRequestDetailed } from '../../src/auth/sign-request.js';
import { STREAMING_SIGNED_PAYLOAD, UNSIGNED_PAYLOAD } from '../../src/auth/sigv4.js';
import { authenticate, type AuthRequest } from '../../src/auth/verify.js';
import { AKID, REGION, SECRET, identities } from './helpers.js';

function perOpMicros(n: number, fn: () => void): number {
  for (let i = 0; i < Math.min(n, 2000); i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

describe('auth cost', () => {
  it('verify, sign, and decode signed aws-chunked', () => {
    const headers = { 'content-type': 'application/octet-stream', 'content-length': '4096', 'x-amz-meta-run': 'bench' };
    const h = signRequest({ method: 'PUT', host: 'localhost:9000', path: '/bench/obj-000001', headers, payloadHash: UNSIGNED_PAYLOAD, accessKeyId: AKID, secretAccessKey: SECRET, region: REGION });
    const req: AuthRequest = { method: 'PUT', rawPath: '/bench/obj-000001', rawQuery: '', headers: { ...headers, ...h, 'user-agent': 'strata-bench' } };
    const now = Date.now();
    const verifyUs = perOpMicros(20000, () => {
      authenticate(req, identities, { region: REGION, nowMs: now });
    });
    const signUs = perOpMicros(20000, () => {
      signRequest({ method: 'PUT', host: 'localhost:9000', path: '/bench/obj-000001', headers, payloadHash: UNSIGNED_PAYLOAD, accessKeyId: AKID, secretAccessKey: SECRET, region: REGION });
    });
    const d = signRequestDetailed({ method: 'PUT', host: 'h', path: '/b/k', payloadHash: STREAMING_SIGNED_PAYLOAD, accessKeyId: AKID, secretAccessKey: SECRET, region: REGION });
    const signing = { seedSignature: d.signature, signingKey: d.signingKey, scope: d.scope, amzDate: d.amzDate };
    const body = encodeAwsChunked(Buffer.alloc(16 * 1024 * 1024, 3), { signing, chunkSizeBytes: 65536 });
    const t0 = process.hrtime.bigint();
    const dec = new AwsChunkedDecoder({ signing, expectTrailer: false, onData: () => {} });
    for (let off = 0; off < body.length; off += 65536) dec.push(body.subarray(off, off + 65536));
    dec.end();
    const decodeMBs = 16 / (Number(process.hrtime.bigint() - t0) / 1e9);
    console.log(`auth cost: verify ${verifyUs.toFixed(1)} µs/op, sign ${signUs.toFixed(1)} µs/op, signed aws-chunked decode ${decodeMBs.toFixed(0)} MiB/s`);
    expect(verifyUs).toBeLessThan(200);
    expect(signUs).toBeLessThan(200);
  });
});
