// Seeded fuzzing: every mutated request or body either verifies or throws AuthError — never another
// exception type, never a hang. A failure prints the seed and iteration so it replays.
import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder, type ChunkSigning } from '../../src/auth/chunked.js';
import { AuthError } from '../../src/auth/errors.js';
import { encodeAwsChunked, presignUrl, signRequestDetailed } from '../../src/auth/sign-request.js';
import { STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD } from '../../src/auth/sigv4.js';
import { authenticate, type AuthRequest } from '../../src/auth/verify.js';
import { AKID, REGION, SECRET, identities } from './helpers.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOW = Date.UTC(2024, 5, 1, 12);
const OPTS = { region: REGION, nowMs: NOW };
const SPICE = ['', ' ', ',', '=', '/', ';', '%', '%2', '%zz', '%00', '&', '&&', '=', '\t', '\u00e9', '\ud83d\ude00', '\ud800', 'AWS4-HMAC-SHA256', 'Credential=', 'SignedHeaders=', 'Signature=', 'X-Amz-', 'aws4_request', '0', 'f', 'host', '\r\n', '\u0000', 'x'.repeat(300)];

function mutateString(s: string, rnd: () => number): string {
  const ops = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < ops; k++) {
    const pos = Math.floor(rnd() * (s.length + 1));
    switch (Math.floor(rnd() * 6)) {
      case 0: // flip one char
        if (s.length > 0) s = s.slice(0, pos) + String.fromCharCode(Math.floor(rnd() * 128)) + s.slice(pos + 1);
        break;
      case 1: // delete a range
        s = s.slice(0, pos) + s.slice(pos + Math.floor(rnd() * 20));
        break;
      case 2: // insert spice
        s = s.slice(0, pos) + SPICE[Math.floor(rnd() * SPICE.length)] + s.slice(pos);
        break;
      case 3: // truncate
        s = s.slice(0, pos);
        break;
      case 4: // duplicate a slice
        s = s.slice(0, pos) + s.slice(Math.max(0, pos - 30), pos) + s.slice(pos);
        break;
      default: // swap case of a char
        if (pos < s.length) {
          const c = s[pos]!;
          s = s.slice(0, pos) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + s.slice(pos + 1);
        }
    }
  }
  return s;
}

function mustBeAuthErrorOrOk(fn: () => unknown, where: string): 'ok' | 'rejected' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof AuthError)) throw new Error(`${where}: non-AuthError ${String(e)}`);
    return 'rejected';
  }
}

describe('fuzz', () => {
  it('mutated Authorization headers, dates, hashes, paths and queries', () => {
    const seed = 0xc0ffee;
    const rnd = mulberry32(seed);
    const path = '/bucket/some%20key/%E2%82%AC';
    const rawQuery = 'partNumber=1&uploadId=abc%2Fdef';
    const d = signRequestDetailed({
      method: 'PUT',
      host: 'localhost:9000',
      path,
      query: [['partNumber', '1'], ['uploadId', 'abc/def']],
      headers: { 'content-type': 'application/octet-stream', 'x-amz-meta-a': 'b' },
      payloadHash: UNSIGNED_PAYLOAD,
      accessKeyId: AKID,
      secretAccessKey: SECRET,
      region: REGION,
      date: new Date(NOW),
    });
    const base: AuthRequest = { method: 'PUT', rawPath: path, rawQuery, headers: { ...d.headers, 'content-type': 'application/octet-stream', 'x-amz-meta-a': 'b' } };
    expect(mustBeAuthErrorOrOk(() => authenticate(base, identities, OPTS), 'base')).toBe('ok');
    const counts = { ok: 0, rejected: 0 };
    for (let i = 0; i < 5000; i++) {
      const h = { ...base.headers } as Record<string, string>;
      let r: AuthRequest = { ...base, headers: h };
      const target = Math.floor(rnd() * 6);
      if (target <= 1) h['authorization'] = mutateString(h['authorization']!, rnd);
      else if (target === 2) h['x-amz-date'] = mutateString(h['x-amz-date']!, rnd);
      else if (target === 3) h['x-amz-content-sha256'] = mutateString(h['x-amz-content-sha256']!, rnd);
      else if (target === 4) r = { ...r, rawPath: mutateString(r.rawPath, rnd) };
      else r = { ...r, rawQuery: mutateString(r.rawQuery, rnd) };
      counts[mustBeAuthErrorOrOk(() => authenticate(r, identities, OPTS), `seed ${seed} iteration ${i}`)]++;
    }
    expect(counts.rejected).toBeGreaterThan(4000);
  });

  it('mutated presigned queries', () => {
    const seed = 0xbeef;
    const rnd = mulberry32(seed);
    const q = presignUrl({ method: 'GET', host: 'localhost:9000', path: '/b/k', query: [['versionId', 'v1']], accessKeyId: AKID, secretAccessKey: SECRET, region: REGION, date: new Date(NOW), expiresSec: 600 });
    const base: AuthRequest = { method: 'GET', rawPath: '/b/k', rawQuery: q, headers: { host: 'localhost:9000' } };
    expect(mustBeAuthErrorOrOk(() => authenticate(base, identities, OPTS), 'base')).toBe('ok');
    for (let i = 0; i < 5000; i++) {
      const r = { ...base, rawQuery: mutateString(q, rnd) };
      mustBeAuthErrorOrOk(() => authenticate(r, identities, OPTS), `seed ${seed} iteration ${i}`);
    }
  });

  it('mutated SigV2 headers and presigned queries', async () => {
    const { signV2, stringToSignV2 } = await import('../../src/auth/sigv2.js');
    const rnd = mulberry32(0x2222);
    const date = new Date(NOW).toUTCString();
    const r0: AuthRequest = { method: 'GET', rawPath: '/b/k%20x', rawQuery: 'acl', headers: { host: 'h', date } };
    const sig = signV2(SECRET, stringToSignV2(r0, date, undefined).sts);
    const authz = `AWS ${AKID}:${sig}`;
    expect(mustBeAuthErrorOrOk(() => authenticate({ ...r0, headers: { ...r0.headers, authorization: authz } }, identities, OPTS), 'v2 base')).toBe('ok');
    const expires = String(Math.floor(NOW / 1000) + 60);
    const psig = signV2(SECRET, stringToSignV2({ ...r0, rawQuery: '' }, expires, undefined).sts);
    const q = `AWSAccessKeyId=${AKID}&Expires=${expires}&Signature=${encodeURIComponent(psig)}`;
    expect(mustBeAuthErrorOrOk(() => authenticate({ ...r0, rawQuery: q }, identities, OPTS), 'v2 presigned base')).toBe('ok');
    for (let i = 0; i < 3000; i++) {
      if (i % 2 === 0) {
        const h = { ...r0.headers, authorization: mutateString(authz, rnd) } as Record<string, string>;
        if (rnd() < 0.3) h['date'] = mutateString(date, rnd);
        mustBeAuthErrorOrOk(() => authenticate({ ...r0, headers: h }, identities, OPTS), `v2 header ${i}`);
      } else {
        mustBeAuthErrorOrOk(() => authenticate({ ...r0, rawQuery: mutateString(q, rnd) }, identities, OPTS), `v2 query ${i}`);
      }
    }
  });

  it('random garbage Authorization headers', () => {
    const rnd = mulberry32(42);
    for (let i = 0; i < 3000; i++) {
      let s = rnd() < 0.5 ? 'AWS4-HMAC-SHA256 ' : rnd() < 0.5 ? 'AWS ' : '';
      const n = Math.floor(rnd() * 12);
      for (let k = 0; k < n; k++) s += SPICE[Math.floor(rnd() * SPICE.length)]!;
      const r: AuthRequest = { method: 'GET', rawPath: '/', rawQuery: '', headers: { host: 'h', authorization: s, 'x-amz-date': '20240601T120000Z', 'x-amz-content-sha256': UNSIGNED_PAYLOAD } };
      mustBeAuthErrorOrOk(() => authenticate(r, identities, OPTS), `garbage ${i}`);
    }
  });

  it('mutated aws-chunked bodies in random pieces', () => {
    const seed = 0x5eed;
    const rnd = mulberry32(seed);
    const bodies: { enc: Buffer; signing?: ChunkSigning; expectTrailer: boolean }[] = [];
    for (const payloadHash of [STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER]) {
      const d = signRequestDetailed({ method: 'PUT', host: 'h', path: '/b/k', payloadHash, accessKeyId: AKID, secretAccessKey: SECRET, region: REGION });
      const signing = { seedSignature: d.signature, signingKey: d.signingKey, scope: d.scope, amzDate: d.amzDate };
      const trailer = payloadHash === STREAMING_SIGNED_PAYLOAD_TRAILER;
      bodies.push({ enc: encodeAwsChunked(Buffer.alloc(300, 1), { signing, chunkSizeBytes: 100, ...(trailer ? { trailers: { 'x-amz-checksum-crc32': 'AAAAAA==' } } : {}) }), signing, expectTrailer: trailer });
    }
    bodies.push({ enc: encodeAwsChunked(Buffer.alloc(300, 2), { chunkSizeBytes: 64, trailers: { 'x-amz-checksum-crc32c': 'AAAAAA==' } }), expectTrailer: true });
    const counts = { ok: 0, rejected: 0 };
    for (let i = 0; i < 6000; i++) {
      const b = bodies[i % bodies.length]!;
      const enc = Buffer.from(b.enc);
      let mutated: Buffer = enc;
      const op = Math.floor(rnd() * 5);
      const pos = Math.floor(rnd() * enc.length);
      if (op === 0) mutated[pos] = Math.floor(rnd() * 256);
      else if (op === 1) mutated = Buffer.concat([enc.subarray(0, pos), enc.subarray(pos + 1 + Math.floor(rnd() * 8))]);
      else if (op === 2) mutated = Buffer.concat([enc.subarray(0, pos), Buffer.from(SPICE[Math.floor(rnd() * SPICE.length)]!), enc.subarray(pos)]);
      else if (op === 3) mutated = enc.subarray(0, pos);
      else mutated[pos] = enc[pos]! ^ (1 << Math.floor(rnd() * 8));
      const res = mustBeAuthErrorOrOk(() => {
        const dec = new AwsChunkedDecoder({ onData: () => {}, expectTrailer: b.expectTrailer, ...(b.signing ? { signing: b.signing } : {}), maxChunkSizeBytes: 1 << 20 });
        let off = 0;
        while (off < mutated.length) {
          const n = 1 + Math.floor(rnd() * 64);
          dec.push(mutated.subarray(off, off + n));
          off += n;
        }
        dec.end();
      }, `seed ${seed} iteration ${i}`);
      counts[res]++;
    }
    expect(counts.rejected).toBeGreaterThan(3000);
  });
});
