// Read path: a byte range touches only the blocks it overlaps, and of each block only the data shards
// it overlaps. A worker reads, verifies (xxHash64 of every shard) and, when a shard is missing or bad,
// reconstructs from parity — so the main thread neither hashes nor waits on disk. Small blocks from many
// readers share one task (batcher.ts). The consumer pulls; at most one block is prefetched.
//
// Shards are read into pooled shared blocks and the requested bytes are copied out into an ordinary
// Buffer that the consumer owns. Handing out views of fresh SharedArrayBuffers instead grew RSS by
// ~750 MiB while streaming 1 GiB (their backing stores are reclaimed too lazily); the copy costs the main
// thread ~0.1 ms per MiB and keeps memory strictly bounded.
import type { Block } from './block-pool.js';
import type { BlockLocation, ByteRange, ObjectMeta } from './api.js';
import { StoreError } from './api.js';
import type { ReadItem, ReadResult, ReadShard } from '../workers/tasks.js';

export interface ReaderContext {
  read: (item: ReadItem, bytes: number) => Promise<ReadResult>;
  /** Read descriptor for a segment; -1 if unavailable (offline drive, missing file). */
  fd: (drive: number, segment: number) => Promise<number> | number;
  seedHex: string;
  reportBad: (loc: { drive: number; segment: number; offset: number; shardIndex: number }, reason: string, meta: ObjectMeta) => void;
  /** Read slots within the in-flight budget: a promise when the read has to wait for room. */
  acquire: (bytes: number) => Block | Promise<Block>;
  release: (block: Block) => void;
}

interface BlockSpan {
  block: BlockLocation;
  k: number;
  m: number;
  /** Object offset of the block's first byte. */
  start: number;
}

function* blocksOf(meta: ObjectMeta): Generator<BlockSpan> {
  let start = 0;
  for (const ext of meta.layout.extents) {
    for (const block of ext.blocks) {
      yield { block, k: ext.k, m: ext.m, start };
      start += block.dataBytes;
    }
  }
}

export function checkRange(meta: ObjectMeta, range: ByteRange | undefined): ByteRange | undefined {
  if (range === undefined) return meta.sizeBytes === 0 ? undefined : { start: 0, end: meta.sizeBytes - 1 };
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end >= meta.sizeBytes) {
    throw new StoreError('InvalidArgument', `range ${start}-${end} outside object of ${meta.sizeBytes} bytes`);
  }
  return range;
}

interface ReadBlockResult {
  data: Uint8Array;
  /** Returns the pooled slots (borrow mode); undefined when `data` is a copy. */
  release?: () => void;
}

async function readBlock(ctx: ReaderContext, meta: ObjectMeta, span: BlockSpan, from: number, to: number, borrow: boolean): Promise<ReadBlockResult> {
  const { block, k, m } = span;
  const sb = block.shardBytes;
  let needMask = 0;
  for (let i = Math.floor(from / sb); i <= Math.floor(to / sb); i++) needMask |= 1 << i;
  // Descriptors are nearly always cached: stay synchronous then (a GET of a small object is ~20 µs of
  // main thread in total, six awaits would be a visible share of it).
  let shards: (ReadShard | null)[] = [];
  let pending = false;
  for (const s of block.shards) {
    if (s === null) {
      shards.push(null);
      continue;
    }
    const fd = ctx.fd(s.drive, s.segment);
    if (typeof fd !== 'number') pending = true;
    shards.push({ fd: fd as number, offset: s.offset, xxh64: s.xxh64 });
  }
  if (pending) {
    shards = await Promise.all(
      block.shards.map(async (s) => (s === null ? null : { fd: await ctx.fd(s.drive, s.segment), offset: s.offset, xxh64: s.xxh64 })),
    );
  }
  const acquired = ctx.acquire(sb * (k + m));
  const slots = acquired instanceof Promise ? await acquired : acquired;
  let res: ReadResult;
  let keep = false;
  let result: ReadBlockResult | undefined;
  try {
    res = await ctx.read({ sab: slots.sab, base: 0, k, m, shardBytes: sb, seed: ctx.seedHex, shards, needMask }, to - from + 1);
    if (res.ok) {
      const view = new Uint8Array(slots.sab, from, to - from + 1);
      if (borrow) {
        keep = true;
        result = { data: view, release: () => ctx.release(slots) };
      } else {
        const out = Buffer.allocUnsafe(to - from + 1);
        out.set(view);
        result = { data: out };
      }
    }
  } finally {
    if (!keep) ctx.release(slots);
  }
  for (const b of res.bad) {
    const loc = block.shards[b.index];
    if (loc) ctx.reportBad({ drive: loc.drive, segment: loc.segment, offset: loc.offset, shardIndex: b.index }, b.reason, meta);
  }
  if (!res.ok || result === undefined) {
    throw new StoreError('DataLoss', `${meta.bucket}/${meta.key}: block at ${span.start} has fewer than ${k} intact shards (${res.bad.map((b) => `#${b.index} ${b.reason}`).join(', ')})`);
  }
  return result;
}

export async function* readObjectStream(ctx: ReaderContext, meta: ObjectMeta, range: ByteRange | undefined, borrow = false): AsyncGenerator<Uint8Array> {
  const r = checkRange(meta, range);
  if (r === undefined) return;
  const spans: BlockSpan[] = [];
  for (const s of blocksOf(meta)) {
    const end = s.start + s.block.dataBytes - 1;
    if (end < r.start) continue;
    if (s.start > r.end) break;
    spans.push(s);
  }
  const start = (i: number): Promise<ReadBlockResult> => {
    const s = spans[i]!;
    const from = Math.max(r.start, s.start) - s.start;
    const to = Math.min(r.end, s.start + s.block.dataBytes - 1) - s.start;
    const p = readBlock(ctx, meta, s, from, to, borrow);
    p.catch(() => undefined); // observed below; avoid an unhandled rejection if the consumer stops early
    return p;
  };
  // One block in hand, the next one being read: a slow consumer holds at most two blocks' worth.
  let next = spans.length > 0 ? start(0) : undefined;
  let held: ReadBlockResult | undefined;
  try {
    for (let i = 0; i < spans.length; i++) {
      held = await next!;
      next = i + 1 < spans.length ? start(i + 1) : undefined;
      yield held.data;
      held.release?.();
      held = undefined;
    }
  } finally {
    held?.release?.();
    // A consumer that stops early leaves a prefetched block: return its slots once the read settles.
    next?.then((b) => b.release?.(), () => undefined);
  }
}
