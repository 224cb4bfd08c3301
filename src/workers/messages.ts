// Wire format of the block tasks: a batch of EncodeItems / ReadItems travels as one ArrayBuffer of numbers
// plus a short array of the batch's distinct SharedArrayBuffers, and comes back as one ArrayBuffer of
// shard hashes and digest bytes. Structured clone costs per object and per string: a ReadItem as an
// object graph cost ~4.5 µs of main thread to post (8 items 38 µs), a Float64Array of the same
// information ~3 µs whatever the count. Hashes travel as 8 big-endian bytes, which Buffer converts
// to and from the layouts' 16 hex digits in ~0.15 µs (cheaper than parseInt or BigInt, see
// native-bench/worker-messages.ts). Hash states and bad-shard reasons stay objects, sent only when
// present (multi-block objects; failed reads).
//
// Both ends check the layout: item counts, field ranges and the exact byte length consumed.
import type { ChecksumAlgorithm } from '../store/api.js';
import { RECORD_HEADER_BYTES } from '../store/record.js';
import type { EncodeGeometry, EncodeItem, EncodeResult, FinalDigests, HashState, ReadItem, ReadResult } from './tasks.js';

export const XXH64_BYTES = 8;
const MD5_BYTES = 16;
const SHA1_BYTES = 20;
const SHA256_BYTES = 32;
const CRC_BYTES = 4;
const CRC64_BYTES = 8;
/** Largest k+m a packed item may declare (masks are 32-bit numbers). */
export const MAX_SHARDS = 30;

export enum EncodeFlag {
  First = 1,
  Last = 2,
  Sha256Hex = 4,
  Crc32 = 8,
  Crc32c = 16,
  Sha1 = 32,
  Sha256 = 64,
  HasState = 128,
  /** Flags travel as a Float64 field, so bits past 8 are fine. */
  Crc64nvme = 256,
}

const CHECKSUM_FLAGS: Record<ChecksumAlgorithm, number> = {
  CRC32: EncodeFlag.Crc32,
  CRC32C: EncodeFlag.Crc32c,
  SHA1: EncodeFlag.Sha1,
  SHA256: EncodeFlag.Sha256,
  CRC64NVME: EncodeFlag.Crc64nvme,
};

/** Per encode item: sab index, dataBytes, shardBytes, k, m, parityOffset, headerOffset, flags, stageOffset (-1: none). */
const ENCODE_FIELDS = 9;
/** Per read item: sab index, base, k, m, shardBytes, needMask, presentMask, then fd+offset per shard. */
const READ_FIELDS = 7;

export interface EncodeTask {
  sabs: SharedArrayBuffer[];
  /** Node seed, 16 hex digits, once per batch. */
  seed: string;
  /** Float64: item count, then ENCODE_FIELDS per item. */
  nums: ArrayBuffer;
  /** By item; only when some item carries a hash state. */
  states?: (HashState | null)[];
}

export interface EncodeReply {
  /** Per item: k+m xxh64 (8 bytes BE each), then on the last block md5, sha1?, sha256?, crc32?, crc32c?, crc64nvme?. */
  bytes: ArrayBuffer;
  /** By item; only when some item returned a hash state (not its last block). */
  states?: (HashState | null)[];
}

export interface ReadTask {
  sabs: SharedArrayBuffer[];
  seed: string;
  /**
   * One buffer (each cloned ArrayBuffer is a fixed cost of its own): Float64 item count, Float64 count of
   * numbers N, then READ_FIELDS + 2*(k+m) per item; after the N numbers, 8 bytes BE per shard position
   * of every item (zeros where the shard is null).
   */
  data: ArrayBuffer;
}

/** undefined when every item is ok and no shard was bad (the common case: nothing to clone). */
export type ReadReply = { ok: Uint8Array; bad: { item: number; index: number; reason: string }[] } | undefined;

/** Worker-side view of one encode item: what the task needs, with the options as flags. */
export interface EncodeJob extends EncodeGeometry {
  seed: bigint;
  flags: number;
  state?: HashState;
}

/** Final digests as bytes (the engine formats them as hex/base64). */
export interface RawDigests {
  md5: Uint8Array;
  sha1?: Uint8Array;
  sha256?: Uint8Array;
  crc32?: number;
  crc32c?: number;
  /** 8 bytes, big-endian. */
  crc64nvme?: Uint8Array;
}

export interface EncodedBlock {
  /** xxHash64 of each of the k+m shards. */
  hashes: bigint[];
  state?: HashState;
  digests?: RawDigests;
}

export interface ReadShardJob {
  fd: number;
  offset: number;
  xxh64: bigint;
}

export interface ReadJob {
  sab: SharedArrayBuffer;
  base: number;
  k: number;
  m: number;
  shardBytes: number;
  seed: bigint;
  shards: (ReadShardJob | null)[];
  needMask: number;
}

/** What the worker found for one read item: the same shape the engine sees. */
export type ReadOutcome = ReadResult;

function assert(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(`worker message: ${what}`);
}

function checkShape(k: number, m: number, shardBytes: number): void {
  assert(Number.isInteger(k) && Number.isInteger(m) && k >= 1 && m >= 0 && k + m <= MAX_SHARDS, `bad k=${k} m=${m}`);
  assert(Number.isInteger(shardBytes) && shardBytes > 0, `bad shardBytes ${shardBytes}`);
}

function seedBigint(seed: string): bigint {
  assert(/^[0-9a-f]{16}$/i.test(seed), 'seed must be 16 hex digits');
  return BigInt(`0x${seed}`);
}

/** Index of `sab` in the batch's distinct buffers (pooled blocks repeat, durability regions too). */
function sabIndex(sabs: SharedArrayBuffer[], index: Map<SharedArrayBuffer, number>, sab: SharedArrayBuffer): number {
  let i = index.get(sab);
  if (i === undefined) {
    i = sabs.length;
    sabs.push(sab);
    index.set(sab, i);
  }
  return i;
}

function encodeFlags(item: EncodeItem): number {
  let f = (item.first ? EncodeFlag.First : 0) | (item.last ? EncodeFlag.Last : 0) | (item.sha256Hex ? EncodeFlag.Sha256Hex : 0);
  for (const a of item.checksums) f |= CHECKSUM_FLAGS[a];
  if (item.state) f |= EncodeFlag.HasState;
  return f;
}

/** Reply bytes of one encode item: hashes, then the final digests its flags ask for. */
export function encodeReplyBytes(k: number, m: number, flags: number): number {
  let n = XXH64_BYTES * (k + m);
  if (flags & EncodeFlag.Last) {
    n += MD5_BYTES;
    if (flags & EncodeFlag.Sha1) n += SHA1_BYTES;
    if (flags & (EncodeFlag.Sha256 | EncodeFlag.Sha256Hex)) n += SHA256_BYTES;
    if (flags & EncodeFlag.Crc32) n += CRC_BYTES;
    if (flags & EncodeFlag.Crc32c) n += CRC_BYTES;
    if (flags & EncodeFlag.Crc64nvme) n += CRC64_BYTES;
  }
  return n;
}

// ---- encode: engine side ----

export function packEncode(items: readonly EncodeItem[]): EncodeTask {
  assert(items.length > 0, 'empty encode batch');
  const seed = items[0]!.seed;
  const nums = new Float64Array(1 + ENCODE_FIELDS * items.length);
  const sabs: SharedArrayBuffer[] = [];
  const index = new Map<SharedArrayBuffer, number>();
  let states: (HashState | null)[] | undefined;
  nums[0] = items.length;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    assert(it.seed === seed, 'one seed per batch');
    checkShape(it.k, it.m, it.shardBytes);
    const o = 1 + i * ENCODE_FIELDS;
    nums[o] = sabIndex(sabs, index, it.sab);
    nums[o + 1] = it.dataBytes;
    nums[o + 2] = it.shardBytes;
    nums[o + 3] = it.k;
    nums[o + 4] = it.m;
    nums[o + 5] = it.parityOffset;
    nums[o + 6] = it.headerOffset;
    nums[o + 7] = encodeFlags(it);
    nums[o + 8] = it.stageOffset ?? -1;
    if (it.state) {
      states ??= new Array<HashState | null>(items.length).fill(null);
      states[i] = it.state;
    }
  }
  return { sabs, seed, nums: nums.buffer, ...(states ? { states } : {}) };
}

function crcB64(b: Buffer, at: number): string {
  return b.toString('base64', at, at + CRC_BYTES);
}

export function unpackEncodeReply(items: readonly EncodeItem[], reply: EncodeReply): EncodeResult[] {
  const b = Buffer.from(reply.bytes);
  assert(reply.states === undefined || reply.states.length === items.length, 'states length');
  const out: EncodeResult[] = new Array(items.length);
  let at = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const n = it.k + it.m;
    const flags = encodeFlags(it);
    assert(at + encodeReplyBytes(it.k, it.m, flags) <= b.length, 'encode reply too short');
    const shardXxh64: string[] = new Array(n);
    for (let s = 0; s < n; s++, at += XXH64_BYTES) shardXxh64[s] = b.toString('hex', at, at + XXH64_BYTES);
    const r: EncodeResult = { shardXxh64 };
    const state = reply.states?.[i];
    if (state) r.state = state;
    if (flags & EncodeFlag.Last) {
      const checksums: FinalDigests['checksums'] = {};
      const digests: FinalDigests = { md5Hex: b.toString('hex', at, at + MD5_BYTES), checksums };
      at += MD5_BYTES;
      if (flags & EncodeFlag.Sha1) {
        checksums.SHA1 = b.toString('base64', at, at + SHA1_BYTES);
        at += SHA1_BYTES;
      }
      if (flags & (EncodeFlag.Sha256 | EncodeFlag.Sha256Hex)) {
        if (flags & EncodeFlag.Sha256) checksums.SHA256 = b.toString('base64', at, at + SHA256_BYTES);
        if (flags & EncodeFlag.Sha256Hex) digests.sha256Hex = b.toString('hex', at, at + SHA256_BYTES);
        at += SHA256_BYTES;
      }
      if (flags & EncodeFlag.Crc32) {
        checksums.CRC32 = crcB64(b, at);
        at += CRC_BYTES;
      }
      if (flags & EncodeFlag.Crc32c) {
        checksums.CRC32C = crcB64(b, at);
        at += CRC_BYTES;
      }
      if (flags & EncodeFlag.Crc64nvme) {
        checksums.CRC64NVME = b.toString('base64', at, at + CRC64_BYTES);
        at += CRC64_BYTES;
      }
      r.digests = digests;
    }
    out[i] = r;
  }
  assert(at === b.length, `encode reply has ${b.length - at} unread bytes`);
  return out;
}

// ---- encode: worker side ----

export function unpackEncode(task: EncodeTask): EncodeJob[] {
  const nums = new Float64Array(task.nums);
  const count = nums[0]!;
  assert(Number.isInteger(count) && count > 0 && nums.length === 1 + ENCODE_FIELDS * count, 'encode task length');
  assert(task.states === undefined || task.states.length === count, 'states length');
  const seed = seedBigint(task.seed);
  const jobs: EncodeJob[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const o = 1 + i * ENCODE_FIELDS;
    const sab = task.sabs[nums[o]!];
    assert(sab !== undefined, 'sab index');
    const k = nums[o + 3]!;
    const m = nums[o + 4]!;
    const shardBytes = nums[o + 2]!;
    checkShape(k, m, shardBytes);
    const flags = nums[o + 7]!;
    const job: EncodeJob = { sab, dataBytes: nums[o + 1]!, shardBytes, k, m, parityOffset: nums[o + 5]!, headerOffset: nums[o + 6]!, seed, flags };
    const stageOffset = nums[o + 8]!;
    if (stageOffset !== -1) {
      assert(Number.isInteger(stageOffset) && stageOffset >= 0 && stageOffset + (k + m) * (RECORD_HEADER_BYTES + shardBytes) <= sab.byteLength, 'stage region out of range');
      job.stageOffset = stageOffset;
    }
    if (flags & EncodeFlag.HasState) {
      const st = task.states?.[i];
      assert(st != null, 'flagged state missing');
      job.state = st;
    }
    jobs[i] = job;
  }
  return jobs;
}

function putU32BE(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

export function packEncodeReply(jobs: readonly EncodeJob[], blocks: readonly EncodedBlock[]): EncodeReply {
  assert(jobs.length === blocks.length, 'one block per job');
  let total = 0;
  for (const j of jobs) total += encodeReplyBytes(j.k, j.m, j.flags);
  const bytes = new ArrayBuffer(total);
  const u8 = new Uint8Array(bytes);
  const view = new DataView(bytes);
  let states: (HashState | null)[] | undefined;
  let at = 0;
  for (let i = 0; i < jobs.length; i++) {
    const j = jobs[i]!;
    const blk = blocks[i]!;
    assert(blk.hashes.length === j.k + j.m, 'one hash per shard');
    for (const h of blk.hashes) {
      view.setBigUint64(at, h, false);
      at += XXH64_BYTES;
    }
    if (blk.state) {
      states ??= new Array<HashState | null>(jobs.length).fill(null);
      states[i] = blk.state;
    }
    if (j.flags & EncodeFlag.Last) {
      const d = blk.digests;
      assert(d !== undefined && d.md5.length === MD5_BYTES, 'last block needs its digests');
      u8.set(d.md5, at);
      at += MD5_BYTES;
      if (j.flags & EncodeFlag.Sha1) {
        assert(d.sha1?.length === SHA1_BYTES, 'sha1 digest');
        u8.set(d.sha1, at);
        at += SHA1_BYTES;
      }
      if (j.flags & (EncodeFlag.Sha256 | EncodeFlag.Sha256Hex)) {
        assert(d.sha256?.length === SHA256_BYTES, 'sha256 digest');
        u8.set(d.sha256, at);
        at += SHA256_BYTES;
      }
      if (j.flags & EncodeFlag.Crc32) {
        assert(d.crc32 !== undefined, 'crc32');
        putU32BE(u8, at, d.crc32);
        at += CRC_BYTES;
      }
      if (j.flags & EncodeFlag.Crc32c) {
        assert(d.crc32c !== undefined, 'crc32c');
        putU32BE(u8, at, d.crc32c);
        at += CRC_BYTES;
      }
      if (j.flags & EncodeFlag.Crc64nvme) {
        assert(d.crc64nvme?.length === CRC64_BYTES, 'crc64nvme digest');
        u8.set(d.crc64nvme, at);
        at += CRC64_BYTES;
      }
    }
  }
  assert(at === total, 'encode reply length');
  return states ? { bytes, states } : { bytes };
}

// ---- read: engine side ----

export function packRead(items: readonly ReadItem[]): ReadTask {
  assert(items.length > 0, 'empty read batch');
  const seed = items[0]!.seed;
  let numCount = 2;
  let shardCount = 0;
  for (const it of items) {
    checkShape(it.k, it.m, it.shardBytes);
    assert(it.shards.length === it.k + it.m, 'one shard entry per position');
    assert(it.seed === seed, 'one seed per batch');
    numCount += READ_FIELDS + 2 * it.shards.length;
    shardCount += it.shards.length;
  }
  const data = new ArrayBuffer(numCount * 8 + shardCount * XXH64_BYTES);
  const nums = new Float64Array(data, 0, numCount);
  const hashes = Buffer.from(data, numCount * 8);
  const sabs: SharedArrayBuffer[] = [];
  const index = new Map<SharedArrayBuffer, number>();
  nums[0] = items.length;
  nums[1] = numCount;
  let o = 2;
  let h = 0;
  for (const it of items) {
    nums[o] = sabIndex(sabs, index, it.sab);
    nums[o + 1] = it.base;
    nums[o + 2] = it.k;
    nums[o + 3] = it.m;
    nums[o + 4] = it.shardBytes;
    nums[o + 5] = it.needMask;
    let present = 0;
    o += READ_FIELDS;
    for (let s = 0; s < it.shards.length; s++, o += 2, h += XXH64_BYTES) {
      const sh = it.shards[s];
      if (!sh) {
        nums[o] = -1;
        continue;
      }
      present |= 1 << s;
      nums[o] = sh.fd;
      nums[o + 1] = sh.offset;
      // A malformed layout hash must not turn into a partial write that happens to verify.
      assert(sh.xxh64.length === 16 && hashes.write(sh.xxh64, h, 'hex') === XXH64_BYTES, `bad xxh64 "${sh.xxh64}"`);
    }
    nums[o - 2 * it.shards.length - 1] = present;
  }
  return { sabs, seed, data };
}

export function unpackReadReply(count: number, reply: ReadReply): ReadResult[] {
  const out: ReadResult[] = new Array(count);
  if (reply === undefined) {
    for (let i = 0; i < count; i++) out[i] = { bad: [], ok: true };
    return out;
  }
  assert(reply.ok.length === count, 'read reply length');
  for (let i = 0; i < count; i++) out[i] = { bad: [], ok: reply.ok[i] === 1 };
  for (const b of reply.bad) {
    assert(Number.isInteger(b.item) && b.item >= 0 && b.item < count, 'bad-shard item index');
    out[b.item]!.bad.push({ index: b.index, reason: b.reason });
  }
  return out;
}

// ---- read: worker side ----

export function unpackRead(task: ReadTask): ReadJob[] {
  const head = new Float64Array(task.data, 0, 2);
  const count = head[0]!;
  const numCount = head[1]!;
  assert(Number.isInteger(count) && count > 0 && Number.isInteger(numCount) && numCount * 8 <= task.data.byteLength, 'read task header');
  const nums = new Float64Array(task.data, 0, numCount);
  const hashes = new DataView(task.data, numCount * 8);
  const seed = seedBigint(task.seed);
  const jobs: ReadJob[] = new Array(count);
  let o = 2;
  let h = 0;
  for (let i = 0; i < count; i++) {
    assert(o + READ_FIELDS <= nums.length, 'read task too short');
    const sab = task.sabs[nums[o]!];
    assert(sab !== undefined, 'sab index');
    const k = nums[o + 2]!;
    const m = nums[o + 3]!;
    const shardBytes = nums[o + 4]!;
    checkShape(k, m, shardBytes);
    const present = nums[o + 6]!;
    const job: ReadJob = { sab, base: nums[o + 1]!, k, m, shardBytes, seed, shards: new Array(k + m), needMask: nums[o + 5]! };
    o += READ_FIELDS;
    assert(o + 2 * (k + m) <= nums.length && h + XXH64_BYTES * (k + m) <= hashes.byteLength, 'read task too short');
    for (let s = 0; s < k + m; s++, o += 2, h += XXH64_BYTES) {
      job.shards[s] = present & (1 << s) ? { fd: nums[o]!, offset: nums[o + 1]!, xxh64: hashes.getBigUint64(h, false) } : null;
    }
    jobs[i] = job;
  }
  assert(o === nums.length && h === hashes.byteLength, 'read task length');
  return jobs;
}

export function packReadReply(outcomes: readonly ReadOutcome[]): ReadReply {
  let clean = true;
  for (const r of outcomes) if (!r.ok || r.bad.length > 0) clean = false;
  if (clean) return undefined;
  const ok = new Uint8Array(outcomes.length);
  const bad: { item: number; index: number; reason: string }[] = [];
  outcomes.forEach((r, item) => {
    ok[item] = r.ok ? 1 : 0;
    for (const b of r.bad) bad.push({ item, index: b.index, reason: b.reason });
  });
  return { ok, bad };
}
