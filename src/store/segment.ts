// Append-only segment files, one active per drive. Offsets are reserved synchronously (so a shard's
// location is known the moment it is queued) and the queued buffers of one segment go out as a single
// positional writev per tick: many small shards cost one syscall, and the main thread never waits on
// disk (callback fs only). Durability is not this module's job: group-commit.ts fdatasyncs.
import fs from 'node:fs';
import path from 'node:path';
import { StoreError } from './api.js';
import { fsyncDir } from './drives.js';

export const SEGMENT_FILE_PREFIX = 'seg-';
export const SEGMENT_FILE_SUFFIX = '.log';
/** Linux IOV_MAX: buffers per writev. */
const MAX_IOVECS_PER_WRITE = 1024;
/** Stop adding to one writev past this many bytes, so one slow huge write doesn't delay small ones. */
const MAX_BYTES_PER_WRITE = 16 * 1024 * 1024;

export function segmentFileName(segment: number): string {
  return `${SEGMENT_FILE_PREFIX}${String(segment).padStart(8, '0')}${SEGMENT_FILE_SUFFIX}`;
}

export function parseSegmentFileName(name: string): number | undefined {
  const m = /^seg-(\d{8,})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export async function listSegments(dir: string): Promise<number[]> {
  const names = await fs.promises.readdir(dir);
  return names
    .map(parseSegmentFileName)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
}

/**
 * Appends queued in one event-loop turn share one batch, one promise and one writev: a 4 KiB PUT
 * appends 6 shard records and 6 commit records, and a promise per append was a visible part of the
 * main thread's allocation (and GC) per small PUT.
 */
interface AppendBatch {
  iov: Uint8Array[];
  bytes: number;
  written: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

function newBatch(): AppendBatch {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const written = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A batch's failure is reported through every caller's await; never leave it unhandled.
  written.catch(() => undefined);
  return { iov: [], bytes: 0, written, resolve, reject };
}

export class Segment {
  /** Writes completed so far (a generation counter: bumped when a write completes). */
  private writtenGen = 0;
  /** Every write completed up to this generation is on stable storage (an fsync that covered it finished). */
  private durableGen = 0;
  /** fsyncs in flight, each with the generation it covers (the writes completed before it started). */
  private syncs: { gen: number; done: Promise<void> }[] = [];
  /** Next free offset (reserved, maybe not yet written). */
  reservedBytes: number;
  private queue: AppendBatch[] = [];
  private writing = false;
  private scheduled = false;

  constructor(
    readonly drive: number,
    readonly number: number,
    readonly fd: number,
    startBytes: number,
  ) {
    this.reservedBytes = startBytes;
  }

  /** Reserves space and queues the write; returns the record's offset and a promise for the write. */
  append(buffers: Uint8Array[], bytes: number): { offset: number; written: Promise<void> } {
    if (bytes <= 0 || bytes % 8 !== 0) throw new Error(`append of ${bytes} bytes: records are 8-aligned and non-empty`);
    let sum = 0;
    for (const b of buffers) sum += b.length;
    if (sum !== bytes) throw new Error(`append: buffers hold ${sum} bytes, record is ${bytes}`);
    const offset = this.reservedBytes;
    this.reservedBytes += bytes;
    let batch = this.queue[this.queue.length - 1];
    if (batch === undefined || batch.iov.length + buffers.length > MAX_IOVECS_PER_WRITE || batch.bytes + bytes > MAX_BYTES_PER_WRITE) {
      batch = newBatch();
      this.queue.push(batch);
    }
    for (const b of buffers) batch.iov.push(b);
    batch.bytes += bytes;
    this.schedule();
    return { offset, written: batch.written };
  }

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a microtask: lets every writer of this tick join the same writev.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.writing || this.queue.length === 0) return;
    const batch = this.queue.shift()!;
    // Queue order = reservation order: this batch ends where the still-queued ones begin.
    let queued = 0;
    for (const q of this.queue) queued += q.bytes;
    const position = this.reservedBytes - queued - batch.bytes;
    this.writing = true;
    writeFully(this.fd, batch.iov, batch.bytes, position, (err) => {
      this.writing = false;
      if (err) {
        batch.reject(new StoreError('Internal', `drive ${this.drive + 1} segment ${this.number}: write failed: ${err.message}`, { cause: err }));
      } else {
        this.writtenGen++;
        batch.resolve();
      }
      if (this.queue.length > 0) this.flush();
    });
  }

  /** A completed write is not yet known durable (no finished fsync covers it). */
  get dirty(): boolean {
    return this.writtenGen > this.durableGen;
  }

  /**
   * Resolves once every write that completed before the call is on stable storage: at once if a finished
   * fsync already covers them, with an fsync in flight that started after them, or with a new fdatasync.
   * Several callers may sync one segment concurrently (group commit, compaction): a plain "dirty" flag
   * cleared when an fsync starts let a commit skip its fsync while another caller's fsync was still running,
   * and acknowledge shards that were not yet durable.
   */
  sync(): Promise<void> {
    const gen = this.writtenGen;
    if (this.durableGen >= gen) return Promise.resolve();
    const covering = this.syncs.find((s) => s.gen >= gen);
    if (covering) return covering.done;
    const entry = { gen, done: Promise.resolve() };
    this.syncs.push(entry);
    entry.done = new Promise<void>((resolve, reject) =>
      fs.fdatasync(this.fd, (err) => {
        this.syncs = this.syncs.filter((s) => s !== entry);
        if (err) return reject(err);
        if (gen > this.durableGen) this.durableGen = gen;
        resolve();
      }),
    );
    return entry.done;
  }

  /** Same as sync() (kept for callers outside group commit). */
  fdatasync(): Promise<void> {
    return this.sync();
  }
}

function writeFully(fd: number, iov: Uint8Array[], bytes: number, position: number, cb: (err: Error | null) => void): void {
  fs.writev(fd, iov as NodeJS.ArrayBufferView[], position, (err, written) => {
    if (err) return cb(err);
    if (written === bytes) return cb(null);
    // Short write (rare on regular files): continue with what is left.
    let skip = written;
    const rest: Uint8Array[] = [];
    for (const b of iov) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    writeFully(fd, rest, bytes - written, position + written, cb);
  });
}

/**
 * The segments of one drive: the active one being appended to, a pre-created spare so rolling never
 * waits for open()+fsync(dir) on the hot path, and read-only descriptors for older segments.
 */
export class DriveSegments {
  active!: Segment;
  private spare: Promise<Segment> | undefined;
  private spareReady: Segment | undefined;
  private readonly fds = new Map<number, Promise<number>>();
  /** Descriptors already opened, for the synchronous fast path of reads. */
  private readonly openFds = new Map<number, number>();
  private readonly segments = new Map<number, Segment>();
  private closed = false;

  constructor(
    readonly drive: number,
    readonly dir: string,
    private nextNumber: number,
    private readonly segmentSizeBytes: number,
  ) {}

  async start(): Promise<void> {
    this.active = await this.create();
    this.prepareSpare();
  }

  private async create(): Promise<Segment> {
    const n = this.nextNumber++;
    const file = path.join(this.dir, segmentFileName(n));
    const fd = await new Promise<number>((resolve, reject) =>
      fs.open(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644, (err, fd) => (err ? reject(err) : resolve(fd))),
    );
    // The new directory entry must be durable before any commit relies on a record in this file.
    await fsyncDir(this.dir);
    const seg = new Segment(this.drive, n, fd, 0);
    this.segments.set(n, seg);
    this.fds.set(n, Promise.resolve(fd));
    this.openFds.set(n, fd);
    return seg;
  }

  private prepareSpare(): void {
    if (this.closed) return;
    const p = this.create();
    this.spare = p;
    p.then(
      (s) => {
        if (this.spare === p) this.spareReady = s;
      },
      () => {
        if (this.spare === p) this.spare = undefined;
      },
    );
  }

  /** Appends one record (given as buffers) to the active segment, rolling first if it is full. */
  append(buffers: Uint8Array[], bytes: number): { segment: Segment; offset: number; written: Promise<void> } {
    if (this.active.reservedBytes > 0 && this.active.reservedBytes + bytes > this.segmentSizeBytes && this.spareReady !== undefined) {
      // Roll. If the spare isn't ready yet the active segment overshoots a little: the size is a soft limit.
      this.active = this.spareReady;
      this.spareReady = undefined;
      this.prepareSpare();
    }
    const seg = this.active;
    const { offset, written } = seg.append(buffers, bytes);
    return { segment: seg, offset, written };
  }

  segment(n: number): Segment | undefined {
    return this.segments.get(n);
  }

  /** Descriptor for reading segment n, or -1 when its file is gone (lost drive, deleted file). */
  fd(n: number): Promise<number> | number {
    const known = this.openFds.get(n);
    if (known !== undefined) return known;
    let p = this.fds.get(n);
    if (p === undefined) {
      p = new Promise<number>((resolve) =>
        fs.open(path.join(this.dir, segmentFileName(n)), 'r', (err, fd) => {
          const v = err ? -1 : fd;
          this.openFds.set(n, v);
          resolve(v);
        }),
      );
      this.fds.set(n, p);
    }
    return p;
  }

  /**
   * Compaction removed segment n: drops it from the caches and returns its read descriptor (if one was
   * open) for the caller to close once readers that may still hold it are done.
   */
  forget(n: number): Promise<number> | undefined {
    if (this.active?.number === n) throw new Error(`segment ${n} is the active segment`);
    const p = this.fds.get(n);
    this.fds.delete(n);
    this.openFds.delete(n);
    this.segments.delete(n);
    return p;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.spare) await this.spare.catch(() => undefined);
    const fds = await Promise.all(this.fds.values());
    this.fds.clear();
    this.openFds.clear();
    await Promise.all(fds.filter((fd) => fd >= 0).map((fd) => new Promise<void>((r) => fs.close(fd, () => r()))));
    // An unused spare would be an empty file; harmless, but remove it to keep the drive tidy.
    if (this.spareReady && this.spareReady.reservedBytes === 0) {
      await fs.promises.unlink(path.join(this.dir, segmentFileName(this.spareReady.number))).catch(() => undefined);
    }
  }
}
