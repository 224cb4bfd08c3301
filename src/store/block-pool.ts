// Pooled SharedArrayBuffer blocks for the write path, with a byte budget. A block holds the data
// region (k shards, contiguous, which is what the RS codec wants), the parity region (m shards) and
// the k+m record headers the worker fills in, so shards go from the block straight to disk.
//
// Size classes keep a 4 KiB PUT from pinning a full 1.5 MiB block: a writer that declares its size
// gets the smallest class that holds it.
import { RECORD_HEADER_BYTES, alignUp } from './record.js';

/** Data capacities of the small classes; the largest class is always blockSizeBytes. */
const SMALL_CLASS_BYTES = [8 * 1024, 64 * 1024, 256 * 1024];
/** Free blocks kept per class for reuse, at most, besides the budget limit. */
const MAX_FREE_BLOCKS_PER_CLASS = 256;

/**
 * Shards up to this size leave the shared block as one staged copy in an ordinary Buffer before the
 * writev. Node's writev costs ~2.4 µs per iovec that views a SharedArrayBuffer versus ~0.5 µs for an
 * ordinary buffer (measured: 2 SAB views 6.6 µs, 2 plain views 1.8 µs); a 4 KiB PUT writes 6 records,
 * so staging (a 6 KiB memcpy) saves ~25 µs of main thread per small PUT and frees the block before the
 * writes complete. Large shards are written zero-copy from the shared block.
 */
export const STAGE_SHARD_MAX_BYTES = 16 * 1024;

export interface BlockGeometry {
  capacityBytes: number;
  shardCapacityBytes: number;
  parityOffset: number;
  headerOffset: number;
  /**
   * Classes whose shards are always staged have a region where the worker lays the k+m finished records
   * out back to back (header, payload): the engine then copies them out with one memcpy instead of two
   * per shard. -1: no such region (shards of this class may be too large to stage).
   */
  stageOffset: number;
  totalBytes: number;
}

export function blockGeometry(capacityBytes: number, k: number, m: number): BlockGeometry {
  const shardCapacityBytes = alignUp(Math.ceil(capacityBytes / k), 8);
  const parityOffset = shardCapacityBytes * k;
  const headerOffset = parityOffset + shardCapacityBytes * m;
  const headersEnd = headerOffset + RECORD_HEADER_BYTES * (k + m);
  const staged = shardCapacityBytes <= STAGE_SHARD_MAX_BYTES;
  const stageOffset = staged ? headersEnd : -1;
  const totalBytes = staged ? headersEnd + (RECORD_HEADER_BYTES + shardCapacityBytes) * (k + m) : headersEnd;
  return { capacityBytes, shardCapacityBytes, parityOffset, headerOffset, stageOffset, totalBytes };
}

/** Shard size for a block holding dataBytes: a multiple of 8 (codec requirement), never 0. */
export function shardBytesFor(dataBytes: number, k: number): number {
  return Math.max(8, alignUp(Math.ceil(dataBytes / k), 8));
}

/**
 * Copies `src` into `dst` (a Buffer over a SharedArrayBuffer) at `at` with a plain memcpy.
 *
 * `Uint8Array.prototype.set` (and `Buffer#copy`, which uses it) into or out of a SharedArrayBuffer goes
 * through V8's relaxed_memmove, which copies word by word only when source and destination are equally
 * aligned mod 8 and byte by byte otherwise. Request body chunks arrive with arbitrary lengths, so the
 * fill position of a block is usually misaligned to the chunk: measured 1 MiB into a shared block
 * 330–370 µs misaligned (≈3 GB/s, a third of the main thread of a 1 MiB PUT) vs 25–30 µs with this
 * (`Buffer#fill` with a buffer value is one memcpy in C++ that ignores sharedness; native-bench/copy.ts).
 */
export function copyIntoShared(dst: Buffer, src: Uint8Array, at: number): void {
  if (src.length > 0) dst.fill(src, at, at + src.length);
}

export interface Block {
  readonly sab: SharedArrayBuffer;
  /** A Buffer (not just a Uint8Array) so that copyIntoShared can use Buffer#fill. */
  readonly bytes: Buffer;
  readonly geometry: BlockGeometry;
  readonly classIndex: number;
}

export class BlockPool {
  readonly classes: BlockGeometry[];
  private readonly free: Block[][];
  private inUse = 0;
  /** SharedArrayBuffers created (not reused): each one costs an allocation, a registration in every worker that sees it, and GC. */
  allocations = 0;
  private readonly drainWaiters = new Set<() => void>();
  /** Reads waiting for room, served first come first served, one block at a time while under budget. */
  private readonly readWaiters: { bytes: number; resolve: (b: Block) => void }[] = [];

  constructor(
    readonly k: number,
    readonly m: number,
    readonly blockSizeBytes: number,
    readonly budgetBytes: number,
  ) {
    const caps = [...SMALL_CLASS_BYTES.filter((c) => c < blockSizeBytes), blockSizeBytes];
    this.classes = caps.map((c) => blockGeometry(c, k, m));
    this.free = this.classes.map(() => []);
  }

  classFor(expectedSizeBytes: number | undefined): number {
    if (expectedSizeBytes === undefined || expectedSizeBytes < 0) return this.classes.length - 1;
    const i = this.classes.findIndex((g) => g.capacityBytes >= expectedSizeBytes);
    return i < 0 ? this.classes.length - 1 : i;
  }

  get largestClass(): number {
    return this.classes.length - 1;
  }

  get inUseBytes(): number {
    return this.inUse;
  }

  get overBudget(): boolean {
    return this.inUse >= this.budgetBytes;
  }

  /** Always succeeds: the caller's chunk must be accepted. Over budget, writers report false from write(). */
  acquire(classIndex: number): Block {
    const g = this.classes[classIndex]!;
    this.inUse += g.totalBytes;
    const reused = this.free[classIndex]!.pop();
    if (reused) return reused;
    this.allocations++;
    const sab = new SharedArrayBuffer(g.totalBytes);
    return { sab, bytes: Buffer.from(sab), geometry: g, classIndex };
  }

  release(block: Block): void {
    this.inUse -= block.geometry.totalBytes;
    if (this.inUse < 0) throw new Error('block pool accounting went negative');
    const list = block.classIndex >= 0 ? this.free[block.classIndex]! : undefined;
    if (list && list.length < MAX_FREE_BLOCKS_PER_CLASS && list.length * block.geometry.totalBytes + this.inUse < this.budgetBytes) list.push(block);
    while (!this.overBudget && this.readWaiters.length > 0) {
      const w = this.readWaiters.shift()!;
      w.resolve(this.acquireBytes(w.bytes));
    }
    if (!this.overBudget && this.drainWaiters.size > 0) {
      const waiters = [...this.drainWaiters];
      this.drainWaiters.clear();
      for (const w of waiters) w();
    }
  }

  /** Called once when the pool is back under budget (immediately-soon if it already is). */
  onDrain(cb: () => void): void {
    if (!this.overBudget) setImmediate(cb);
    else this.drainWaiters.add(cb);
  }

  /** Reads waiting for room in the budget (a gauge for operators). */
  get waitingReads(): number {
    return this.readWaiters.length;
  }

  /**
   * Read slots within the budget: at once while there is room, otherwise when released blocks make room
   * (FIFO). Reads must wait where writes merely pause: thousands of slow GETs of large objects would
   * otherwise hold two blocks each outside any bound. A reader waiting here holds no block of its own
   * except the one its consumer is still sending, which the consumer returns as the socket drains, so
   * waits end as clients make progress (or the idle timeout ends them).
   */
  acquireForRead(bytes: number): Block | Promise<Block> {
    if (!this.overBudget && this.readWaiters.length === 0) return this.acquireBytes(bytes);
    return new Promise<Block>((resolve) => this.readWaiters.push({ bytes, resolve }));
  }

  /**
   * A pooled block whose shared buffer holds at least `bytes` (read path: k+m shard slots), or an
   * unpooled one-off when a layout was written with bigger blocks than this pool's largest class.
   */
  acquireBytes(bytes: number): Block {
    const i = this.classes.findIndex((g) => g.totalBytes >= bytes);
    if (i >= 0) return this.acquire(i);
    const g = { capacityBytes: bytes, shardCapacityBytes: bytes, parityOffset: bytes, headerOffset: bytes, stageOffset: -1, totalBytes: bytes };
    this.inUse += bytes;
    const sab = new SharedArrayBuffer(bytes);
    return { sab, bytes: Buffer.from(sab), geometry: g, classIndex: -1 };
  }
}
