// Group commit: commits share one fdatasync per touched segment file and one LMDB transaction.
// Leader/follower batching: when no flush is running, the window closes at the end of the current
// event-loop turn (or after commitWindowMs, if set, to wait for company); commits that arrive while a
// flush runs wait for it and then all go in the next one. So a lone writer pays no added delay and a
// busy node batches as much as its fsync time lets it (a fixed 2 ms window cost ~20% of small-PUT
// throughput at 16 clients). Windows are flushed strictly one after another, which makes index order
// equal sequence order; the index writes of a window are committed by lmdb-js's write thread, and the
// next window writes and fsyncs meanwhile, applying only once that commit is done (its reads must see
// it). A commit is acknowledged when its window's index commit is. Segment.sync() decides whether a file needs an
// fsync (write/durable generations), so a concurrent fsync by someone else (compaction) can't make a
// window skip the fsync its data needs.
import { StoreError } from './api.js';
import type { Segment } from './segment.js';

const DEBUG_COMMIT = process.env.STRATA_DEBUG_COMMIT === '1';

export interface LogAppend {
  segment: Segment;
  /** End offset of the record: the segment's checkpoint may advance to it once applied. */
  end: number;
  written: Promise<void>;
}

export interface CommitEntry {
  seq: number;
  appends: LogAppend[];
  /** Segments holding data the record points at (shards): they must be durable too. */
  dependsOn: Iterable<Segment>;
  /**
   * Shard writes of the layout that may still be in flight (a writer's finish() resolves once its shards
   * are queued, so they share a writev with the record): awaited before any fsync of the window.
   */
  dataWritten?: Promise<void>;
  /** Index mutation, run inside the window's transaction in sequence order. */
  apply: () => void;
  /** The mutation reads ranges of the index (version tables): its window must use a synchronous transaction. */
  needsSyncIndex?: boolean;
  /** Called whatever the outcome, after apply or failure (clears pending views). */
  settle: (ok: boolean) => void;
}

interface Waiting {
  entry: CommitEntry;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitHooks {
  /**
   * Runs fn in one index transaction of `commits` commits; a promise when the transaction commits after
   * fn returns (writes queued to lmdb-js's write thread). Commits are acknowledged only once it has
   * settled.
   */
  txn: (fn: () => void, commits: number, needsSync: boolean) => void | Promise<void>;
  /** Inside the transaction: advance checkpoints and the last applied sequence number. */
  checkpoint: (ends: Map<Segment, number>, lastSeq: number) => void;
}

export class GroupCommit {
  private window: Waiting[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private ready: Waiting[][] = [];
  private running = false;
  private idleWaiters: (() => void)[] = [];
  pendingCount = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxBatch: number,
    private readonly hooks: GroupCommitHooks,
  ) {}

  submit(entry: CommitEntry): Promise<void> {
    this.pendingCount++;
    return new Promise<void>((resolve, reject) => {
      this.window.push({ entry, resolve, reject });
      if (this.window.length >= this.maxBatch) this.closeWindow();
      // While a flush runs, the window waits for it: run() takes it as soon as the flush returns.
      else if (!this.running && this.timer === undefined) {
        this.timer = this.windowMs > 0 ? setTimeout(() => this.closeWindow(), this.windowMs) : setImmediate(() => this.closeWindow());
      }
    });
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    if (this.windowMs > 0) clearTimeout(this.timer as NodeJS.Timeout);
    else clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  private closeWindow(): void {
    this.clearTimer();
    if (this.window.length === 0) return;
    this.ready.push(this.window);
    this.window = [];
    void this.run();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        // Commits that arrived while the previous flush ran go together: one fsync covers them all.
        if (this.window.length > 0) {
          this.clearTimer();
          this.ready.push(this.window);
          this.window = [];
        }
        if (this.ready.length === 0) break;
        const batch = this.ready.flat();
        this.ready = [];
        await this.flush(batch);
      }
    } finally {
      this.running = false;
      if (this.window.length === 0 && this.ready.length === 0) void this.indexCommitted.then(() => this.wakeIdleWaiters());
    }
  }

  private wakeIdleWaiters(): void {
    // A flush may have started since the last index commit was queued: then its own end wakes them.
    if (this.running || this.window.length > 0 || this.ready.length > 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  /**
   * The last flush's index commit (never rejects). The next flush writes and fsyncs while it is in
   * flight — only its apply waits for it, because the apply reads the index (old versions, counters).
   */
  private indexCommitted: Promise<void> = Promise.resolve();

  private async flush(batch: Waiting[]): Promise<void> {
    batch.sort((a, b) => a.entry.seq - b.entry.seq);
    const t0 = performance.now();
    let committed: Promise<void>;
    try {
      // Appends of one tick share a promise per segment: collect each once.
      const writes = new Set<Promise<void>>();
      for (const w of batch) {
        for (const a of w.entry.appends) writes.add(a.written);
        if (w.entry.dataWritten) writes.add(w.entry.dataWritten);
      }
      await Promise.all(writes);
      const toSync = new Set<Segment>();
      for (const w of batch) {
        for (const a of w.entry.appends) toSync.add(a.segment);
        for (const s of w.entry.dependsOn) toSync.add(s);
      }
      const tw = performance.now();
      // Every write these records depend on has completed (appends awaited above, shards before finish()
      // resolved): sync() returns once all of them are durable, fsyncing only files that need it.
      const dirty = [...toSync].filter((s) => s.dirty);
      await Promise.all([...toSync].map((s) => s.sync()));
      const tf = performance.now();
      await this.indexCommitted;
      const tp = performance.now();
      const ends = new Map<Segment, number>();
      for (const w of batch) for (const a of w.entry.appends) ends.set(a.segment, Math.max(ends.get(a.segment) ?? 0, a.end));
      const txn = this.hooks.txn(() => {
        for (const w of batch) w.entry.apply();
        this.hooks.checkpoint(ends, batch[batch.length - 1]!.entry.seq);
      }, batch.length, batch.some((w) => w.entry.needsSyncIndex === true));
      committed = txn ?? Promise.resolve();
      if (DEBUG_COMMIT) {
        const ta = performance.now();
        void committed.finally(() =>
          console.error(
            `flush n=${batch.length} writes=${(tw - t0).toFixed(2)}ms fsync(${dirty.length})=${(tf - tw).toFixed(2)}ms prev-index=${(tp - tf).toFixed(2)}ms apply=${(ta - tp).toFixed(2)}ms index=${(performance.now() - ta).toFixed(2)}ms`,
          ),
        );
      }
    } catch (err) {
      committed = Promise.reject(err);
    }
    // Commits are acknowledged once their index writes are committed (settle clears the pending views,
    // so from then on readers must find them in the index).
    this.indexCommitted = committed
      .then(
        () => this.settle(batch, undefined),
        (err) => this.settle(batch, err instanceof StoreError ? err : new StoreError('Internal', `commit failed: ${(err as Error).message}`, { cause: err })),
      )
      // Keeps "never rejects": a settle hook that threw must not fail the next window.
      .catch(() => undefined);
  }

  private settle(batch: Waiting[], failure: unknown): void {
    for (const w of batch) {
      this.pendingCount--;
      w.entry.settle(failure === undefined);
      if (failure === undefined) w.resolve();
      else w.reject(failure);
    }
  }

  /** Resolves when every submitted commit has been flushed (close() uses it). */
  drain(): Promise<void> {
    this.closeWindow();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      if (!this.running && this.ready.length === 0 && this.window.length === 0) void this.indexCommitted.then(() => this.wakeIdleWaiters());
    });
  }
}
