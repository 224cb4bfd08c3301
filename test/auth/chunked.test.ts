import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder, chunkedModeFor, type ChunkSigning } from '../../src/auth/chunked.js';
import { AuthError } from '../../src/auth/errors.js';
import { encodeAwsChunked, signRequestDetailed } from '../../src/auth/sign-request.js';
import { STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER } from '../../src/auth/sigv4.js';
import { authenticate } from '../../src/auth/verify.js';
import { AKID, REGION, SECRET, identities, lowerHeaders } from './helpers.js';

const DOC_DATE = new Date(Date.UTC(2013, 4, 24));

function docSigning(): ChunkSigning {
  const d = signRequestDetailed({
    method: 'PUT',
    host: 's3.amazonaws.com',
    path: '/examplebucket/chunkObject.txt',
    headers: { 'content-encoding': 'aws-chunked', 'content-length': '66824', 'x-amz-decoded-content-length': '66560', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
    payloadHash: STREAMING_SIGNED_PAYLOAD,
    accessKeyId: AKID,
    secretAccessKey: SECRET,
    region: 'us-east-1',
    date: DOC_DATE,
  });
  return { seedSignature: d.signature, signingKey: d.signingKey, scope: d.scope, amzDate: d.amzDate };
}

/** The body exactly as the AWS doc lists it. */
function docBody(): Buffer {
  const a = (n: number): Buffer => Buffer.alloc(n, 'a');
  return Buffer.concat([
    Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'),
    a(65536),
    Buffer.from('\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'),
    a(1024),
    Buffer.from('\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
  ]);
}

interface Decoded {
  bytes: Buffer;
  trailers: Record<string, string>;
  decodedBytes: number;
}

/** Decode `body` pushed in pieces cut at `cuts`; copies each piece first, then scribbles over it after push (it "dies"). */
function decode(body: Uint8Array, opts: { signing?: ChunkSigning; expectTrailer: boolean; expectedDecodedLength?: number }, cuts: number[] = []): Decoded {
  const out: Buffer[] = [];
  const dec = new AwsChunkedDecoder({ ...opts, onData: (v) => out.push(Buffer.from(v)) });
  let prev = 0;
  for (const c of [...cuts, body.length]) {
    const piece = Buffer.from(body.subarray(prev, c));
    dec.push(piece);
    piece.fill(0x5a);
    prev = c;
  }
  const r = dec.end();
  return { bytes: Buffer.concat(out), ...r };
}

function expectAuthError(fn: () => unknown, code?: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AuthError);
    if (code !== undefined) expect((e as AuthError).code).toBe(code);
    return;
  }
  throw new Error('expected AuthError');
}

describe('AwsChunkedDecoder: AWS doc example', () => {
  it('decodes the published 66560-byte body and our encoder produces the same bytes', () => {
    const s = docSigning();
    expect(s.seedSignature).toBe('4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9');
    const body = docBody();
    expect(encodeAwsChunked(Buffer.alloc(66560, 'a'), { signing: s }).equals(body)).toBe(true);
    const r = decode(body, { signing: s, expectTrailer: false, expectedDecodedLength: 66560 });
    expect(r.decodedBytes).toBe(66560);
    expect(r.bytes.equals(Buffer.alloc(66560, 'a'))).toBe(true);
  });

  it('decodes with a split at every header byte and a stride through the data', () => {
    const s = docSigning();
    const body = docBody();
    const positions: number[] = [];
    for (let p = 0; p <= body.length; p++) {
      const inHeader = p < 90 || (p > 65620 && p < 65720) || p > body.length - 100;
      if (inHeader || p % 997 === 0) positions.push(p);
    }
    for (const p of positions) {
      const r = decode(body, { signing: s, expectTrailer: false }, [p]);
      expect(r.decodedBytes, `split at ${p}`).toBe(66560);
    }
  });

  it('rejects a flipped data byte, a wrong signature and a truncated body', () => {
    const s = docSigning();
    const body = docBody();
    const flipped = Buffer.from(body);
    flipped[5000] = 0x62;
    expectAuthError(() => decode(flipped, { signing: s, expectTrailer: false }), 'SignatureDoesNotMatch');
    const badSig = Buffer.from(body);
    badSig[30] = badSig[30] === 0x61 ? 0x62 : 0x61;
    expectAuthError(() => decode(badSig, { signing: s, expectTrailer: false }), 'SignatureDoesNotMatch');
    expectAuthError(() => decode(body.subarray(0, body.length - 2), { signing: s, expectTrailer: false }), 'IncompleteBody');
    expectAuthError(() => decode(body, { signing: s, expectTrailer: false, expectedDecodedLength: 66561 }), 'IncompleteBody');
    expectAuthError(() => decode(body, { signing: s, expectTrailer: false, expectedDecodedLength: 100 }), 'InvalidRequest');
    expectAuthError(() => decode(Buffer.concat([body, Buffer.from('x')]), { signing: s, expectTrailer: false }), 'InvalidRequest');
    expectAuthError(() => decode(body, { expectTrailer: false }), 'InvalidRequest'); // signed framing in an unsigned stream
  });
});

describe('AwsChunkedDecoder: every mode, every split', () => {
  const payload = Buffer.from('The quick brown fox jumps over the lazy dog, 0123456789!');
  const trailers = { 'x-amz-checksum-crc32': 'Ac6fWQ==' };
  const signing = (): ChunkSigning => {
    const d = signRequestDetailed({ method: 'PUT', host: 'h', path: '/b/k', payloadHash: STREAMING_SIGNED_PAYLOAD_TRAILER, accessKeyId: AKID, secretAccessKey: SECRET, region: REGION });
    return { seedSignature: d.signature, signingKey: d.signingKey, scope: d.scope, amzDate: d.amzDate };
  };
  const cases: { name: string; body: () => { enc: Buffer; signing?: ChunkSigning; expectTrailer: boolean; trailers: Record<string, string> } }[] = [
    { name: 'signed', body: () => { const s = signing(); return { enc: encodeAwsChunked(payload, { signing: s, chunkSizeBytes: 16 }), signing: s, expectTrailer: false, trailers: {} }; } },
    { name: 'signed-trailer', body: () => { const s = signing(); return { enc: encodeAwsChunked(payload, { signing: s, chunkSizeBytes: 16, trailers }), signing: s, expectTrailer: true, trailers }; } },
    { name: 'unsigned-trailer', body: () => ({ enc: encodeAwsChunked(payload, { chunkSizeBytes: 16, trailers }), expectTrailer: true, trailers }) },
    { name: 'unsigned-no-trailer', body: () => ({ enc: encodeAwsChunked(payload, { chunkSizeBytes: 7 }), expectTrailer: false, trailers: {} }) },
  ];
  for (const c of cases) {
    it(`${c.name}: one split at every position, two splits at many, byte by byte`, () => {
      const { enc, signing: s, expectTrailer, trailers: t } = c.body();
      const opts = s === undefined ? { expectTrailer } : { signing: s, expectTrailer };
      for (let p = 0; p <= enc.length; p++) {
        const r = decode(enc, opts, [p]);
        expect(r.bytes.equals(payload), `split ${p}`).toBe(true);
        expect(r.trailers).toEqual(t);
      }
      for (let p = 0; p <= enc.length; p += 3) for (let q = p; q <= enc.length; q += 5) expect(decode(enc, opts, [p, q]).bytes.equals(payload)).toBe(true);
      const every = Array.from({ length: enc.length }, (_, k) => k);
      expect(decode(enc, opts, every).bytes.equals(payload)).toBe(true);
    });
  }

  it('hands out views of the pushed buffer, never copies', () => {
    const enc = encodeAwsChunked(payload, { chunkSizeBytes: 16 });
    const seen: Uint8Array[] = [];
    const dec = new AwsChunkedDecoder({ expectTrailer: false, onData: (v) => seen.push(v) });
    dec.push(enc);
    dec.end();
    for (const v of seen) expect(v.buffer).toBe(enc.buffer);
  });

  it('checks the trailer signature and its presence', () => {
    const s = signing();
    const enc = encodeAwsChunked(payload, { signing: s, chunkSizeBytes: 16, trailers });
    const tampered = Buffer.from(enc.toString('latin1').replace('Ac6fWQ==', 'Ac6fWA=='), 'latin1');
    expectAuthError(() => decode(tampered, { signing: s, expectTrailer: true }), 'SignatureDoesNotMatch');
    const noSig = Buffer.from(enc.toString('latin1').replace(/x-amz-trailer-signature:[0-9a-f]+\r\n/, ''), 'latin1');
    expectAuthError(() => decode(noSig, { signing: s, expectTrailer: true }), 'SignatureDoesNotMatch');
  });

  it('accepts the AWS SDK v3 unsigned-trailer ending without a checksum ("0\\r\\n")', () => {
    expect(decode(Buffer.from('3\r\nabc\r\n0\r\n'), { expectTrailer: true }).bytes.toString()).toBe('abc');
    expectAuthError(() => decode(Buffer.from('3\r\nabc\r\n0\r\n'), { expectTrailer: false }), 'IncompleteBody');
  });

  it('bounds chunk size, header length and trailers', () => {
    const dec = (b: string, o: { maxChunkSizeBytes?: number; maxTrailerBytes?: number; expectTrailer?: boolean } = {}): void => {
      const d = new AwsChunkedDecoder({ expectTrailer: o.expectTrailer ?? false, onData: () => {}, ...o });
      d.push(Buffer.from(b));
      d.end();
    };
    expectAuthError(() => dec('11\r\n' + 'x'.repeat(17) + '\r\n0\r\n\r\n', { maxChunkSizeBytes: 16 }), 'InvalidRequest');
    expectAuthError(() => dec('ffffffffffffffffff\r\n'), 'InvalidRequest');
    expectAuthError(() => dec('0'.repeat(200)), 'InvalidRequest');
    expectAuthError(() => dec('0\r\nx-amz-checksum-crc32:' + 'A'.repeat(2000) + '\r\n\r\n', { expectTrailer: true }), 'InvalidRequest');
    expectAuthError(() => dec('0\r\na:1\r\nb:2\r\n\r\n', { expectTrailer: true, maxTrailerBytes: 6 }), 'InvalidRequest');
    expectAuthError(() => dec('0\r\n' + Array.from({ length: 20 }, (_, k) => `x-t${k}:1\r\n`).join('') + '\r\n', { expectTrailer: true }), 'InvalidRequest');
    expectAuthError(() => dec('0\r\na:1\r\na:2\r\n\r\n', { expectTrailer: true }), 'InvalidRequest');
    expectAuthError(() => dec('3\nabc\r\n0\r\n\r\n'), 'InvalidRequest');
    expectAuthError(() => dec('3\r\nabcd\r\n0\r\n\r\n'), 'InvalidRequest');
    expectAuthError(() => dec('g\r\n'), 'InvalidRequest');
    expectAuthError(() => dec('3;foo=bar\r\nabc\r\n0\r\n\r\n'), 'InvalidRequest');
    expect(() => dec('0\r\nX-Amz-Checksum-CRC32 : v\r\n\r\n', { expectTrailer: true })).toThrow(AuthError);
  });

  it('keeps failing after a failure', () => {
    const d = new AwsChunkedDecoder({ expectTrailer: false, onData: () => {} });
    expectAuthError(() => d.push(Buffer.from('zz\r\n')));
    expectAuthError(() => d.push(Buffer.from('0\r\n\r\n')));
    expectAuthError(() => d.end());
  });
});

describe('authenticate → decoder wiring', () => {
  it('chunkedModeFor gives the decoder what it needs', () => {
    const payload = Buffer.alloc(200_000, 7);
    const d = signRequestDetailed({
      method: 'PUT',
      host: 'localhost:9000',
      path: '/b/k',
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(payload.length), 'x-amz-trailer': 'x-amz-checksum-crc32' },
      payloadHash: STREAMING_SIGNED_PAYLOAD_TRAILER,
      accessKeyId: AKID,
      secretAccessKey: SECRET,
      region: REGION,
    });
    const auth = authenticate(
      { method: 'PUT', rawPath: '/b/k', rawQuery: '', headers: lowerHeaders({ 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(payload.length), 'x-amz-trailer': 'x-amz-checksum-crc32', ...d.headers }) },
      identities,
      { region: REGION, nowMs: Date.now() },
    );
    if (auth.anonymous) throw new Error('anonymous');
    const mode = chunkedModeFor(auth)!;
    expect(mode.expectTrailer).toBe(true);
    const enc = encodeAwsChunked(payload, { signing: { seedSignature: d.signature, signingKey: d.signingKey, scope: d.scope, amzDate: d.amzDate }, trailers: { 'x-amz-checksum-crc32': 'AAAAAA==' } });
    const r = decode(enc, { ...mode, expectedDecodedLength: auth.decodedContentLength! }, [1000, 70000, 140000]);
    expect(r.bytes.equals(payload)).toBe(true);
    expect(r.trailers).toEqual({ 'x-amz-checksum-crc32': 'AAAAAA==' });
  });
});
