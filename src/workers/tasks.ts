// The engine's side of the block tasks: what the writer and reader hand to the pool per block. Payload
// bytes never travel: both sides see the same SharedArrayBuffer. On the wire a batch of these is packed
// into typed arrays (messages.ts); these objects are never structured-cloned.
import type { ChecksumAlgorithm } from '../store/api.js';

/** Running digest state of one object, carried from block to block (hash-wasm save()/load()). */
export interface HashState {
  md5: Uint8Array;
  sha1?: Uint8Array;
  sha256?: Uint8Array;
  crc32?: number;
  crc32c?: number;
  /** hash-wasm CRC64 state (the CRC-64 register does not fit a number). */
  crc64nvme?: Uint8Array;
}

export interface FinalDigests {
  md5Hex: string;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  sha256Hex?: string;
}

/** Where one block's data, parity and record headers sit in its shared buffer. */
export interface EncodeGeometry {
  sab: SharedArrayBuffer;
  dataBytes: number;
  shardBytes: number;
  k: number;
  m: number;
  parityOffset: number;
  headerOffset: number;
  /**
   * Where the worker also lays out the k+m finished shard records (header then payload, back to back), so
   * the engine stages them for the writev with one copy instead of two per shard. Absent: headers only.
   */
  stageOffset?: number;
}

export interface EncodeItem extends EncodeGeometry {
  /** Node seed as 16 hex digits (record header hash seed). */
  seed: string;
  first: boolean;
  last: boolean;
  checksums: readonly ChecksumAlgorithm[];
  sha256Hex: boolean;
  state?: HashState;
}

export interface EncodeResult {
  /** xxHash64 of each of the k+m shards, 16 hex digits. */
  shardXxh64: string[];
  state?: HashState;
  digests?: FinalDigests;
}

export interface ReadShard {
  fd: number;
  /** Record offset (header included). */
  offset: number;
  xxh64: string;
}

export interface ReadItem {
  sab: SharedArrayBuffer;
  /** Start of this item's region in sab: k+m slots of shardBytes, data slots first. */
  base: number;
  k: number;
  m: number;
  shardBytes: number;
  seed: string;
  /** k+m entries; null = never written or its segment is unavailable. */
  shards: (ReadShard | null)[];
  /** Bitmask of data shards the caller needs. */
  needMask: number;
}

export interface ReadResult {
  /** Shard positions that were missing or failed verification. */
  bad: { index: number; reason: string }[];
  /** False when fewer than k good shards existed: nothing in the region may be used. */
  ok: boolean;
}
