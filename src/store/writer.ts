// ObjectWriter: copies incoming chunks once into pooled shared blocks, has the workers encode and hash
// each block (in order: the object's digest state travels from one block's task to the next), and
// appends the k+m shards of every block straight from the shared block to the segments.
import { createHash } from 'node:crypto';
import type { BlockLocation, ChecksumAlgorithm, Layout, ObjectWriter, ShardLocation, WriterOptions, WrittenData } from './api.js';
import { StoreError } from './api.js';
import { type Block, type BlockPool, STAGE_SHARD_MAX_BYTES, copyIntoShared, shardBytesFor } from './block-pool.js';

import { CRC64NVME_EMPTY_BASE64 } from './crc64nvme.js';
import { RECORD_HEADER_BYTES } from './record.js';
import { slabAlloc } from './slab.js';
import type { DriveSegments } from './segment.js';
import type { EncodeItem, EncodeResult, FinalDigests, HashState } from '../workers/tasks.js';

const NO_CHECKSUMS: readonly ChecksumAlgorithm[] = [];

/** Sealed blocks a writer may have in encoding/appending before write() asks the caller to pause. */
export const MAX_PENDING_BLOCKS_PER_WRITER = 4;

export interface WriterContext {
  blockPool: BlockPool;
  encode: (item: EncodeItem, bytes: number) => Promise<EncodeResult>;
  /** Drive segment appenders by drive index; null = drive offline. */
  drives: (DriveSegments | null)[];
  k: number;
  m: number;
  seedHex: string;
  /**
   * Told the layout finish() returns and a promise for its shard writes, which may still be in flight:
   * the commit record then shares their writev, and group commit awaits them before fsyncing.
   */
  onLayout?: (layout: Layout, written: Promise<void>) => void;
}

function toStoreError(err: unknown): StoreError {
  return err instanceof StoreError ? err : new StoreError('Internal', String(err), { cause: err });
}

export function emptyDigests(checksums: readonly ChecksumAlgorithm[], sha256Hex: boolean): FinalDigests {
  const out: FinalDigests = { md5Hex: createHash('md5').digest('hex'), checksums: {} };
  for (const a of checksums) {
    if (a === 'CRC32' || a === 'CRC32C') out.checksums[a] = 'AAAAAA==';
    else if (a === 'CRC64NVME') out.checksums[a] = CRC64NVME_EMPTY_BASE64;
    else out.checksums[a] = createHash(a === 'SHA1' ? 'sha1' : 'sha256').digest('base64');
  }
  if (sha256Hex) out.sha256Hex = createHash('sha256').digest('hex');
  return out;
}

export class Writer implements ObjectWriter {
  bytesWritten = 0;
  private current: Block | undefined;
  private fill = 0;
  private readonly blocks: (BlockLocation | undefined)[] = [];
  private maxBlockBytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly appends: Promise<void>[] = [];
  private state: HashState | undefined;
  private digests: FinalDigests | undefined;
  private pendingBlocks = 0;
  private error: unknown;
  private done = false;
  private aborted = false;
  private drainCallbacks: (() => void)[] = [];
  private readonly checksums: readonly ChecksumAlgorithm[];
  private readonly firstClass: number;

  constructor(
    private readonly ctx: WriterContext,
    private readonly options: WriterOptions,
    /** Drive of each shard position; null = offline at write time (shard recorded as null). */
    private readonly shardDrives: (number | null)[],
  ) {
    const cs = options.checksums;
    this.checksums = cs === undefined || cs.length === 0 ? NO_CHECKSUMS : cs.length === 1 ? cs : [...new Set(cs)];
    this.firstClass = ctx.blockPool.classFor(options.expectedSizeBytes);
  }

  write(chunk: Uint8Array): boolean {
    if (this.aborted) throw new StoreError('Aborted', 'write after abort');
    if (this.done) throw new StoreError('InvalidArgument', 'write after finish');
    let off = 0;
    while (off < chunk.length) {
      if (this.current === undefined) {
        // Only the first block uses the declared-size class; if the caller sends more, continue in full blocks.
        this.current = this.ctx.blockPool.acquire(this.blocks.length === 0 ? this.firstClass : this.ctx.blockPool.largestClass);
        this.fill = 0;
      }
      const cap = this.current.geometry.capacityBytes;
      if (this.fill === cap) {
        // Sealed lazily, once more data proves it is not the last block (the last one finalises digests).
        this.seal(false);
        continue;
      }
      const n = Math.min(cap - this.fill, chunk.length - off);
      copyIntoShared(this.current.bytes, off === 0 && n === chunk.length ? chunk : chunk.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
    }
    this.bytesWritten += chunk.length;
    return !this.mustPause();
  }

  /**
   * Over budget, a writer waits only while it has sealed blocks in flight: they complete on their own and
   * release, so it always makes progress. Waiting with nothing in flight would wait on other writers'
   * half-filled blocks, which wait the same way: when the writers' current blocks alone exceed the budget
   * every writer stalled until the HTTP layer's SlowDown. So each writer holds at most its current block
   * plus one sealed block beyond the budget.
   */
  private mustPause(): boolean {
    return (this.ctx.blockPool.overBudget && this.pendingBlocks > 0) || this.pendingBlocks >= MAX_PENDING_BLOCKS_PER_WRITER;
  }

  onDrain(callback: () => void): void {
    if (!this.mustPause()) {
      setImmediate(callback);
      return;
    }
    this.drainCallbacks.push(callback);
    if (this.ctx.blockPool.overBudget) this.ctx.blockPool.onDrain(() => this.maybeDrain());
  }

  private maybeDrain(): void {
    if (this.drainCallbacks.length === 0) return;
    if (this.mustPause()) {
      if (this.ctx.blockPool.overBudget) this.ctx.blockPool.onDrain(() => this.maybeDrain());
      return;
    }
    const cbs = this.drainCallbacks;
    this.drainCallbacks = [];
    for (const cb of cbs) cb();
  }

  private seal(last: boolean): void {
    const block = this.current!;
    const dataBytes = this.fill;
    this.current = undefined;
    this.fill = 0;
    const index = this.blocks.length;
    this.blocks.push(undefined);
    this.maxBlockBytes = Math.max(this.maxBlockBytes, block.geometry.capacityBytes);
    this.pendingBlocks++;
    const { k, m } = this.ctx;
    const shardBytes = shardBytesFor(dataBytes, k);
    const first = index === 0;
    // A small class's stage region fits any shard of its blocks; the largest class stages only when a
    // short block's shards are small (then the engine copies header and payload itself).
    const workerStaged = block.geometry.stageOffset >= 0 && shardBytes <= STAGE_SHARD_MAX_BYTES;
    let appended: Promise<void> = Promise.resolve();
    let released = false;
    this.chain = this.chain.then(async () => {
      if (this.aborted) throw new StoreError('Aborted', 'writer aborted');
      const item: EncodeItem = {
        sab: block.sab,
        dataBytes,
        shardBytes,
        k,
        m,
        parityOffset: block.geometry.parityOffset,
        headerOffset: block.geometry.headerOffset,
        seed: this.ctx.seedHex,
        first,
        last,
        checksums: this.checksums,
        sha256Hex: this.options.sha256Hex === true,
      };
      if (this.state) item.state = this.state;
      if (workerStaged) item.stageOffset = block.geometry.stageOffset;
      const res = await this.ctx.encode(item, dataBytes);
      this.state = res.state;
      if (last) this.digests = res.digests;
      appended = this.appendShards(block, index, dataBytes, shardBytes, res.shardXxh64, workerStaged);
      if (shardBytes <= STAGE_SHARD_MAX_BYTES) {
        // Shards were copied out: the block can serve the next writer right away.
        this.ctx.blockPool.release(block);
        released = true;
      }
    });
    const settled = this.chain
      .then(() => appended)
      .then(
        () => undefined,
        (err) => {
          this.error ??= err;
        },
      )
      .finally(() => {
        if (!released) this.ctx.blockPool.release(block);
        this.pendingBlocks--;
        this.maybeDrain();
      });
    this.appends.push(settled);
  }

  private appendShards(block: Block, index: number, dataBytes: number, shardBytes: number, hashes: string[], workerStaged: boolean): Promise<void> {
    const { k, m } = this.ctx;
    const g = block.geometry;
    const shards: (ShardLocation | null)[] = [];
    const writes: Promise<void>[] = [];
    const recordBytes = RECORD_HEADER_BYTES + shardBytes;
    const stage = shardBytes <= STAGE_SHARD_MAX_BYTES ? slabAlloc(recordBytes * (k + m)) : undefined;
    // The worker laid the finished records out back to back: out of the shared block in one memcpy.
    if (stage && workerStaged) stage.fill(new Uint8Array(block.sab, g.stageOffset, recordBytes * (k + m)));
    for (let i = 0; i < k + m; i++) {
      const d = this.shardDrives[i];
      const drive = d === null || d === undefined ? null : this.ctx.drives[d];
      if (d === null || d === undefined || !drive) {
        shards.push(null);
        continue;
      }
      let iov: Uint8Array[];
      if (stage && workerStaged) iov = [stage.subarray(i * recordBytes, (i + 1) * recordBytes)];
      else {
        const payloadOff = i < k ? i * shardBytes : g.parityOffset + (i - k) * shardBytes;
        const header = new Uint8Array(block.sab, g.headerOffset + i * RECORD_HEADER_BYTES, RECORD_HEADER_BYTES);
        const payload = new Uint8Array(block.sab, payloadOff, shardBytes);
        if (stage) {
          const rec = stage.subarray(i * recordBytes, (i + 1) * recordBytes);
          // Out of the shared block with a plain memcpy (see copyIntoShared).
          rec.fill(header, 0, RECORD_HEADER_BYTES);
          rec.fill(payload, RECORD_HEADER_BYTES, recordBytes);
          iov = [rec];
        } else iov = [header, payload];
      }
      const { segment, offset, written } = drive.append(iov, recordBytes);
      shards.push({ drive: d, segment: segment.number, offset, xxh64: hashes[i]! });
      writes.push(written);
    }
    this.blocks[index] = { dataBytes, shardBytes, shards };
    return Promise.all(writes).then(() => undefined);
  }

  async finish(): Promise<WrittenData> {
    if (this.aborted) throw new StoreError('Aborted', 'writer aborted');
    if (this.done) throw new StoreError('InvalidArgument', 'finish called twice');
    this.done = true;
    if (this.current !== undefined && this.fill > 0) this.seal(true);
    else if (this.current !== undefined) {
      // Only possible when nothing was ever written into it.
      this.ctx.blockPool.release(this.current);
      this.current = undefined;
    }
    // Every block encoded and its shards queued (offsets known); the writes themselves may still be in
    // flight — they are the commit's to await (onLayout), so its record can join their writev.
    try {
      await this.chain;
    } catch (err) {
      this.error ??= err;
    }
    if (this.aborted) throw new StoreError('Aborted', 'writer aborted');
    if (this.error !== undefined) throw toStoreError(this.error);
    const digests = this.bytesWritten === 0 ? emptyDigests(this.checksums, this.options.sha256Hex === true) : this.digests!;
    const blocks = this.blocks as BlockLocation[];
    const data: WrittenData = {
      sizeBytes: this.bytesWritten,
      md5Hex: digests.md5Hex,
      checksums: digests.checksums,
      layout: {
        extents:
          this.bytesWritten === 0
            ? []
            : [{ sizeBytes: this.bytesWritten, blockSizeBytes: this.maxBlockBytes, k: this.ctx.k, m: this.ctx.m, blocks }],
      },
    };
    if (digests.sha256Hex !== undefined) data.sha256Hex = digests.sha256Hex;
    const written = Promise.all(this.appends).then(() => {
      if (this.error !== undefined) throw toStoreError(this.error);
    });
    // Observed by the commit; a layout never committed (bad digest, client gone) must not go unhandled.
    written.catch(() => undefined);
    this.ctx.onLayout?.(data.layout, written);
    return data;
  }

  abort(_reason?: string): void {
    if (this.aborted) return;
    this.aborted = true;
    if (this.current !== undefined) {
      this.ctx.blockPool.release(this.current);
      this.current = undefined;
    }
    const cbs = this.drainCallbacks;
    this.drainCallbacks = [];
    for (const cb of cbs) setImmediate(cb);
  }
}
