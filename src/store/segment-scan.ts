// Asynchronous, rate-limited walk over the records of one segment file, verifying every header and
// payload hash — the same rules as recovery's scan (resynchronise on the next 8-aligned valid header
// after a bad region), but off the open path: the main thread awaits reads and hashes at most
// SCAN_CHUNK_BYTES between turns. Used by the scrubber, fsck and compaction.
import { promises as fsp } from 'node:fs';
import { RECORD_ALIGN_BYTES, RECORD_HEADER_BYTES, RecordType, decodeRecord, readHeader, recordBytes } from './record.js';
import type { ByteThrottle } from './durability-pool.js';

/** Bytes read per step; a larger record grows the buffer for that record only. */
export const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;

export type ScanEvent =
  | {
      kind: 'record';
      offset: number;
      type: RecordType;
      totalBytes: number;
      /** xxHash64 of the payload (verified), 16 hex digits. */
      xxh64: string;
      /** Valid until the next event only. */
      payload: Uint8Array;
    }
  | { kind: 'bad'; offset: number; bytes: number };

export interface ScanOptions {
  /** Stop at this offset (default: file size at open). */
  endBytes?: number;
  throttle?: ByteThrottle;
  stop?: { stopped: boolean };
}

export async function* scanSegmentFile(file: string, seed: bigint, options: ScanOptions = {}): AsyncGenerator<ScanEvent> {
  const fh = await fsp.open(file, 'r');
  try {
    const fileBytes = Math.min((await fh.stat()).size, options.endBytes ?? Number.MAX_SAFE_INTEGER);
    let buf = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
    let bufStart = 0;
    let bufLen = 0;
    const view = async (pos: number, len: number): Promise<Buffer | undefined> => {
      if (pos + len > fileBytes) return undefined;
      if (pos >= bufStart && pos + len <= bufStart + bufLen) return buf.subarray(pos - bufStart, pos - bufStart + len);
      if (len > buf.length) buf = Buffer.allocUnsafe(len);
      const want = Math.min(buf.length, fileBytes - pos);
      await options.throttle?.take(want, options.stop);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await fh.read(buf, got, want - got, pos + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      bufStart = pos;
      bufLen = got;
      return pos + len <= bufStart + bufLen ? buf.subarray(0, len) : undefined;
    };
    let pos = 0;
    let badStart = -1;
    while (pos + RECORD_HEADER_BYTES <= fileBytes) {
      if (options.stop?.stopped) return;
      const hb = await view(pos, RECORD_HEADER_BYTES);
      const h = hb ? readHeader(hb, 0, seed) : undefined;
      const rb = h && pos + RECORD_HEADER_BYTES + h.payloadBytes <= fileBytes ? await view(pos, RECORD_HEADER_BYTES + h.payloadBytes) : undefined;
      const dec = rb ? decodeRecord(rb, 0, seed) : undefined;
      if (!h || !dec || !dec.ok) {
        if (badStart < 0) badStart = pos;
        pos += RECORD_ALIGN_BYTES;
        continue;
      }
      if (badStart >= 0) {
        yield { kind: 'bad', offset: badStart, bytes: pos - badStart };
        badStart = -1;
      }
      yield { kind: 'record', offset: pos, type: h.type, totalBytes: recordBytes(h.payloadBytes), xxh64: h.payloadXxh64.toString(16).padStart(16, '0'), payload: dec.payload };
      pos += recordBytes(h.payloadBytes);
    }
    if (badStart >= 0) yield { kind: 'bad', offset: badStart, bytes: fileBytes - badStart };
    else if (pos < fileBytes) yield { kind: 'bad', offset: pos, bytes: fileBytes - pos };
  } finally {
    await fh.close();
  }
}
