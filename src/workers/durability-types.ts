// Messages between the durability operations (scrub, repair, compaction, fsck) and their worker module.
// Like the block tasks, payload bytes never travel in a message: both sides see one SharedArrayBuffer.
import type { ReadShard } from './tasks.js';

/**
 * One block to check (and optionally rebuild). The region in `sab` is k+m shard slots of shardBytes
 * (data first, slot i at i*shardBytes) followed by k+m record headers of 32 bytes: exactly the block
 * geometry encode() uses with parityOffset = k*shardBytes, headerOffset = (k+m)*shardBytes, so a
 * rebuilt shard goes from the region to a segment as [header, slot] without a copy.
 */
export interface CheckItem {
  sab: SharedArrayBuffer;
  k: number;
  m: number;
  shardBytes: number;
  /** Object bytes in the block (encode needs it to zero the last shard's padding). */
  dataBytes: number;
  seed: string;
  /** k+m entries; null = no shard recorded, fd -1 = its segment is unavailable. */
  shards: (ReadShard | null)[];
  /** Rebuild bad or missing shards (when at least k verify) and recompute every shard's hash. */
  repair: boolean;
}

export interface CheckResult {
  /** Positions that are missing or failed verification. */
  bad: { index: number; reason: string }[];
  /** Shards that verified. */
  good: number;
  /** repair: the region now holds all k+m shards and their headers; xxHash64 of each, 16 hex digits. */
  rebuiltXxh64?: string[];
}

export function checkRegionBytes(k: number, m: number, shardBytes: number): number {
  return (k + m) * (shardBytes + 32);
}
