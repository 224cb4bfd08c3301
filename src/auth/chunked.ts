// Incremental aws-chunked body decoder for every streaming mode S3 clients use:
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD          "<hex>;chunk-signature=<sig>\r\n<data>\r\n" … "0;chunk-signature=<sig>\r\n\r\n"
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  … "0;chunk-signature=<sig>\r\n" <trailer lines> "x-amz-trailer-signature:<sig>\r\n\r\n"
//   STREAMING-UNSIGNED-PAYLOAD-TRAILER          "<hex>\r\n<data>\r\n" … "0\r\n" <trailer lines> "\r\n"   (AWS SDK v3 default for streams)
//
// push() runs synchronously inside the socket callback with a buffer that dies on return, so payload
// bytes are never copied here: onData gets sub-views of that buffer, synchronously. Only framing bytes
// (a chunk header line, a trailer line) are kept across pushes, in one fixed-size line buffer.
//
// A chunk's signature can only be checked after its last byte, so onData has already seen the bytes of
// a chunk that then fails: the consumer must treat everything as provisional until end() returns, and
// discard the object if push() or end() throws.

import { createHash, type Hash } from 'node:crypto';
import { AuthError } from './errors.js';
import {
  EMPTY_SHA256_HEX,
  chunkStringToSign,
  constantTimeEqual,
  hmacHex,
  isLowerHex64,
  trailerStringToSign,
} from './sigv4.js';
import type { AuthResult } from './request.js';

export interface ChunkSigning {
  seedSignature: string;
  signingKey: Uint8Array;
  scope: string;
  amzDate: string;
}

export interface AwsChunkedDecoderOptions {
  /** Receives decoded payload as views of the pushed buffer; valid only during the call. */
  onData: (bytes: Uint8Array) => void;
  /** Present for the signed streaming modes: every chunk signature (and the trailer signature) is verified. */
  signing?: ChunkSigning;
  /** True for the -TRAILER modes. */
  expectTrailer: boolean;
  /** Largest chunk accepted. Default DEFAULT_MAX_CHUNK_SIZE_BYTES. */
  maxChunkSizeBytes?: number;
  /** Bound on the whole trailer section. Default DEFAULT_MAX_TRAILER_BYTES. */
  maxTrailerBytes?: number;
  /** x-amz-decoded-content-length when the client sent it: more bytes fail at once, fewer fail at end(). */
  expectedDecodedLength?: number;
}

export interface AwsChunkedResult {
  /** Trailer headers, names lower-case (x-amz-trailer-signature excluded). */
  trailers: Record<string, string>;
  decodedBytes: number;
}

/** SDKs send 64 KiB chunks; rclone/minio-go up to a few MiB. Nothing is buffered, so this only limits garbage. */
export const DEFAULT_MAX_CHUNK_SIZE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_TRAILER_BYTES = 16 * 1024;
/** "<16 hex>;chunk-signature=<64 hex>\r\n" is 99 bytes. */
export const MAX_CHUNK_HEADER_BYTES = 128;
/** One trailer line, e.g. "x-amz-checksum-sha256:<44 base64>\r\n". */
export const MAX_TRAILER_LINE_BYTES = 1024;
export const MAX_TRAILERS = 16;
const MAX_HEX_DIGITS = 16;

const CR = 0x0d;
const LF = 0x0a;
const SIG_EXT = ';chunk-signature=';
const SIG_EXT_BYTES = Buffer.from(SIG_EXT, 'latin1');
const TRAILER_SIG_NAME = 'x-amz-trailer-signature';

const ST_HEADER = 0;
const ST_DATA = 1;
const ST_DATA_CR = 2;
const ST_DATA_LF = 3;
const ST_TRAILER = 4;
const ST_FINAL_CR = 5;
const ST_FINAL_LF = 6;
const ST_DONE = 7;
const ST_FAILED = 8;

function malformed(why: string): AuthError {
  return new AuthError('InvalidRequest', 'Malformed aws-chunked body: ' + why);
}

/** Decoder settings for an authenticated request, or undefined when its body is not aws-chunked. */
export function chunkedModeFor(auth: AuthResult): { signing?: ChunkSigning; expectTrailer: boolean } | undefined {
  const signing: ChunkSigning = { seedSignature: auth.seedSignature, signingKey: auth.signingKey, scope: auth.scope, amzDate: auth.amzDate };
  switch (auth.payloadMode) {
    case 'streaming-signed':
      return { signing, expectTrailer: false };
    case 'streaming-signed-trailer':
      return { signing, expectTrailer: true };
    case 'streaming-unsigned-trailer':
      return { expectTrailer: true };
    default:
      return undefined;
  }
}

export class AwsChunkedDecoder {
  private readonly onData: (bytes: Uint8Array) => void;
  private readonly signing: ChunkSigning | undefined;
  private readonly expectTrailer: boolean;
  private readonly maxChunkSizeBytes: number;
  private readonly maxTrailerBytes: number;
  private readonly expectedDecodedLength: number | undefined;

  private state = ST_HEADER;
  private failure: AuthError | undefined;
  /** Framing bytes of the current header or trailer line (the only bytes kept across pushes). */
  private readonly line = new Uint8Array(Math.max(MAX_CHUNK_HEADER_BYTES, MAX_TRAILER_LINE_BYTES));
  private lineLen = 0;
  private remaining = 0;
  private decoded = 0;
  private hash: Hash | undefined;
  private chunkSignature = '';
  private prevSignature: string;
  private trailerBytes = 0;
  private trailerCount = 0;
  private trailerSignatureSeen = false;
  private readonly trailers: Record<string, string> = Object.create(null) as Record<string, string>;

  constructor(opts: AwsChunkedDecoderOptions) {
    this.onData = opts.onData;
    this.signing = opts.signing;
    this.expectTrailer = opts.expectTrailer;
    this.maxChunkSizeBytes = opts.maxChunkSizeBytes ?? DEFAULT_MAX_CHUNK_SIZE_BYTES;
    this.maxTrailerBytes = opts.maxTrailerBytes ?? DEFAULT_MAX_TRAILER_BYTES;
    this.expectedDecodedLength = opts.expectedDecodedLength;
    this.prevSignature = opts.signing?.seedSignature ?? '';
    if (!(this.maxChunkSizeBytes >= 1) || !(this.maxTrailerBytes >= 0)) throw new RangeError('AwsChunkedDecoder: bad limits');
  }

  get decodedBytes(): number {
    return this.decoded;
  }

  /** Feed the next piece of the body. Throws AuthError on malformed framing or a bad signature. */
  push(buf: Uint8Array): void {
    if (this.state === ST_FAILED) throw this.failure!;
    try {
      this.run(buf);
    } catch (e) {
      this.state = ST_FAILED;
      this.failure = e instanceof AuthError ? e : new AuthError('InvalidRequest', 'aws-chunked body rejected: ' + String(e));
      throw e;
    }
  }

  /** The body ended. Throws IncompleteBody unless the final chunk (and trailer section) arrived. */
  end(): AwsChunkedResult {
    if (this.state === ST_FAILED) throw this.failure!;
    // AWS SDK v3 in STREAMING-UNSIGNED-PAYLOAD-TRAILER mode with no checksum to send ends with "0\r\n" only.
    if (this.state === ST_TRAILER && this.signing === undefined && this.trailerCount === 0 && this.lineLen === 0) this.state = ST_DONE;
    if (this.state !== ST_DONE) {
      this.state = ST_FAILED;
      this.failure = new AuthError('IncompleteBody', 'The request body ended before the final aws-chunked chunk.');
      throw this.failure;
    }
    if (this.expectedDecodedLength !== undefined && this.decoded !== this.expectedDecodedLength) {
      this.state = ST_FAILED;
      this.failure = new AuthError('IncompleteBody', 'You did not provide the number of bytes specified by the x-amz-decoded-content-length header.');
      throw this.failure;
    }
    return { trailers: { ...this.trailers }, decodedBytes: this.decoded };
  }

  private run(buf: Uint8Array): void {
    const n = buf.length;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case ST_HEADER: {
          // Header lines are short; scan byte by byte up to LF, bounded by MAX_CHUNK_HEADER_BYTES.
          while (i < n) {
            const b = buf[i++]!;
            if (this.lineLen >= MAX_CHUNK_HEADER_BYTES) throw malformed('chunk header line too long');
            this.line[this.lineLen++] = b;
            if (b === LF) {
              this.parseChunkHeader();
              this.lineLen = 0;
              break;
            }
          }
          break;
        }
        case ST_DATA: {
          const take = Math.min(this.remaining, n - i);
          const view = buf.subarray(i, i + take);
          i += take;
          this.remaining -= take;
          this.decoded += take;
          if (this.expectedDecodedLength !== undefined && this.decoded > this.expectedDecodedLength) {
            throw new AuthError('InvalidRequest', 'The body is longer than x-amz-decoded-content-length.');
          }
          if (this.hash !== undefined) this.hash.update(view);
          this.onData(view);
          if (this.remaining === 0) this.state = ST_DATA_CR;
          break;
        }
        case ST_DATA_CR:
          if (buf[i++] !== CR) throw malformed('chunk data not followed by CRLF');
          this.state = ST_DATA_LF;
          break;
        case ST_DATA_LF:
          if (buf[i++] !== LF) throw malformed('chunk data not followed by CRLF');
          if (this.signing !== undefined) {
            this.verifyChunk(this.hash!.digest('hex'));
            this.hash = undefined;
          }
          this.state = ST_HEADER;
          break;
        case ST_TRAILER: {
          while (i < n) {
            const b = buf[i++]!;
            if (this.lineLen >= MAX_TRAILER_LINE_BYTES) throw malformed('trailer line too long');
            if (++this.trailerBytes > this.maxTrailerBytes) throw malformed('trailer section too long');
            this.line[this.lineLen++] = b;
            if (b === LF) {
              this.handleTrailerLine();
              this.lineLen = 0;
              break;
            }
          }
          break;
        }
        case ST_FINAL_CR:
          if (buf[i++] !== CR) throw malformed('final chunk not followed by CRLF');
          this.state = ST_FINAL_LF;
          break;
        case ST_FINAL_LF:
          if (buf[i++] !== LF) throw malformed('final chunk not followed by CRLF');
          this.state = ST_DONE;
          break;
        case ST_DONE:
          throw malformed('data after the final chunk');
        default:
          throw this.failure ?? malformed('decoder failed');
      }
    }
  }

  /** line[0..lineLen) is "<hex>[;chunk-signature=<64 hex>]\r\n". */
  private parseChunkHeader(): void {
    const line = this.line;
    const len = this.lineLen - 2;
    if (len < 1 || line[len] !== CR) throw malformed('chunk header must end with CRLF');
    let size = 0;
    let j = 0;
    for (; j < len; j++) {
      const v = hexDigit(line[j]!);
      if (v < 0) break;
      if (j >= MAX_HEX_DIGITS) throw malformed('chunk size too long');
      size = size * 16 + v;
      if (size > this.maxChunkSizeBytes) throw new AuthError('InvalidRequest', `aws-chunked chunk larger than ${this.maxChunkSizeBytes} bytes`);
    }
    if (j === 0) throw malformed('chunk size is not hexadecimal');
    if (this.signing !== undefined) {
      if (len - j !== SIG_EXT.length + 64) throw malformed('expected ";chunk-signature=<64 hex>" after the chunk size');
      for (let k = 0; k < SIG_EXT.length; k++) if (line[j + k] !== SIG_EXT_BYTES[k]) throw malformed('expected ";chunk-signature="');
      const sig = Buffer.from(line.buffer, line.byteOffset + j + SIG_EXT.length, 64).toString('latin1');
      if (!isLowerHex64(sig)) throw malformed('chunk-signature must be 64 lower-case hex characters');
      this.chunkSignature = sig;
    } else if (j !== len) {
      throw malformed('unexpected chunk extension in an unsigned stream');
    }
    if (size > 0) {
      this.remaining = size;
      if (this.signing !== undefined) this.hash = createHash('sha256');
      this.state = ST_DATA;
      return;
    }
    // The zero-length chunk ends the payload.
    if (this.signing !== undefined) this.verifyChunk(EMPTY_SHA256_HEX);
    this.state = this.expectTrailer ? ST_TRAILER : ST_FINAL_CR;
  }

  private verifyChunk(dataSha256Hex: string): void {
    const s = this.signing!;
    const expected = hmacHex(s.signingKey, chunkStringToSign(s.amzDate, s.scope, this.prevSignature, dataSha256Hex));
    if (!constantTimeEqual(expected, this.chunkSignature)) {
      throw new AuthError('SignatureDoesNotMatch', 'The chunk signature we calculated does not match the signature you provided.');
    }
    this.prevSignature = this.chunkSignature;
  }

  /** line[0..lineLen) is "name:value\r\n" or the closing "\r\n". */
  private handleTrailerLine(): void {
    const line = this.line;
    const len = this.lineLen - 2;
    if (len < 0 || line[len] !== CR) throw malformed('trailer line must end with CRLF');
    if (len === 0) {
      if (this.signing !== undefined && !this.trailerSignatureSeen) {
        throw new AuthError('SignatureDoesNotMatch', 'The trailer section has no x-amz-trailer-signature.');
      }
      this.state = ST_DONE;
      return;
    }
    if (this.trailerSignatureSeen) throw malformed('x-amz-trailer-signature must be the last trailer');
    let colon = -1;
    for (let k = 0; k < len; k++) {
      const c = line[k]!;
      if (c === 0x3a) {
        colon = k;
        break;
      }
      // Header-name token characters only (no spaces, no controls).
      if (c <= 0x20 || c >= 0x7f || c === 0x28 || c === 0x29 || c === 0x2c || c === 0x2f || c === 0x3b || c === 0x3d || c === 0x22) {
        throw malformed('invalid trailer name');
      }
    }
    if (colon <= 0) throw malformed('trailer line must be "name:value"');
    for (let k = colon + 1; k < len; k++) {
      const c = line[k]!;
      if ((c < 0x20 && c !== 0x09) || c >= 0x7f) throw malformed('invalid trailer value');
    }
    const name = Buffer.from(line.buffer, line.byteOffset, colon).toString('latin1').toLowerCase();
    const value = Buffer.from(line.buffer, line.byteOffset + colon + 1, len - colon - 1).toString('latin1').trim();
    if (name === TRAILER_SIG_NAME) {
      if (this.signing === undefined) throw malformed('x-amz-trailer-signature in an unsigned stream');
      if (!isLowerHex64(value)) throw malformed('x-amz-trailer-signature must be 64 lower-case hex characters');
      const s = this.signing;
      const expected = hmacHex(s.signingKey, trailerStringToSign(s.amzDate, s.scope, this.prevSignature, this.trailers));
      if (!constantTimeEqual(expected, value)) {
        throw new AuthError('SignatureDoesNotMatch', 'The trailer signature we calculated does not match the signature you provided.');
      }
      this.trailerSignatureSeen = true;
      return;
    }
    if (this.trailers[name] !== undefined) throw malformed(`duplicate trailer ${name.slice(0, 64)}`);
    if (++this.trailerCount > MAX_TRAILERS) throw malformed('too many trailers');
    this.trailers[name] = value;
  }
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
