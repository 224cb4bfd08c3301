// Durability operations of a running node (issue #5): the background scrubber, heal-on-read (drains the
// engine's repair queue), drive health (offline / back / replaced) with replacement rebuild, and
// compaction. One handle per engine; the server starts it after openEngine and closes it before
// engine.close(). scrubStats() is the shape metrics and /health/ready read.
import type { StrataEngine } from './engine.js';
import { ByteThrottle, DurabilityPool } from './durability-pool.js';
import { DEFAULT_MIN_FREE_BYTES, DriveMonitor, type DriveHealth } from './drive-health.js';
import { type CompactionOptions, Compactor, type SegmentCompaction } from './compaction.js';
import { Repairer, type LiveEntry } from './repair.js';
import { type ScrubReport, Scrubber, liveEntries } from './scrub.js';

export interface DurabilityOptions {
  /** Byte budget of the background scrub (segment and shard reads together). Default 32 MiB/s. */
  scrubRateBytesPerSec?: number;
  /** Pause between the end of one background pass and the start of the next. Default 6 h. */
  scrubIntervalMs?: number;
  /** Delay before the first background pass after start. Default 60 s. */
  scrubStartDelayMs?: number;
  /** false: no background scrub (heal-on-read, drive health and compaction still run). */
  scrubEnabled?: boolean;
  /** How often the repair queue is drained. Default 500 ms. */
  healIntervalMs?: number;
  /** Queue items repaired per round, at most. Default 64. */
  healBatchItems?: number;
  /** Budget of replacement rebuilds. Default unlimited. */
  rebuildRateBytesPerSec?: number;
  /** Drive probe period. Default 2 s; 0 disables the monitor. */
  driveCheckIntervalMs?: number;
  minFreeBytes?: number;
  /** Compaction: garbage share that triggers a rewrite (default 0.3), budget (default 16 MiB/s), period (default 60 s; 0 = off). */
  compactionGarbageRatio?: number;
  compactionRateBytesPerSec?: number;
  compactionIntervalMs?: number;
  /** Segments younger than this are not compacted. Default 60 s. */
  compactionMinAgeMs?: number;
  compactionDeleteGraceMs?: number;
  compactionFdCloseGraceMs?: number;
  /** Durability worker threads. Default 1. */
  workerThreads?: number;
  log?: (message: string) => void;
}

export interface ScrubStats {
  rateBytesPerSec: number;
  running: boolean;
  passesCompleted: number;
  /** Counters of the pass under way. */
  current?: ScrubReport;
  last?: Omit<ScrubReport, 'findings' | 'regions'>;
  totals: { bytesChecked: number; objectsChecked: number; badRegions: number; badShards: number; repairedShards: number; unrecoverableBlocks: number; deferredShards: number };
  heal: { queued: number; dropped: number; rounds: number; repairedShards: number; unrecoverableBlocks: number; deferredShards: number };
  drives: DriveHealth[];
  compaction: { rounds: number; segmentsCompacted: number; bytesReclaimed: number; shardsMoved: number; last?: SegmentCompaction[] };
}

/** An open writer that never finishes or aborts stops pinning compaction after this long. */
const MAX_TRACKED_WRITER_AGE_MS = 3600_000;
/** After finish(), the S3 layer still has to commit: keep the writer counted this long. */
const WRITER_COMMIT_GRACE_MS = 60_000;

/** A tiny async mutex: repairs, rebuilds and compaction re-point entries one at a time. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn);
    this.tail = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }
}

export class Durability {
  readonly pool: DurabilityPool;
  readonly repairer: Repairer;
  readonly scrubber: Scrubber;
  readonly drives: DriveMonitor;
  readonly throttle: ByteThrottle;
  readonly compactor: Compactor;
  readonly compactionThrottle: ByteThrottle;
  readonly mutex = new Mutex();
  private readonly openWriters = new Map<number, number>();
  private writerIds = 0;
  private readonly compaction: ScrubStats['compaction'] = { rounds: 0, segmentsCompacted: 0, bytesReclaimed: 0, shardsMoved: 0 };
  private readonly stop = { stopped: false };
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly tasks = new Set<Promise<unknown>>();
  private scrubbing: Promise<ScrubReport> | undefined;
  private passes = 0;
  private last: ScrubReport | undefined;
  private readonly totals: ScrubStats['totals'] = { bytesChecked: 0, objectsChecked: 0, badRegions: 0, badShards: 0, repairedShards: 0, unrecoverableBlocks: 0, deferredShards: 0 };
  private readonly heal: Omit<ScrubStats['heal'], 'queued' | 'dropped'> = { rounds: 0, repairedShards: 0, unrecoverableBlocks: 0, deferredShards: 0 };
  private readonly rebuilds = new Map<number, Promise<void>>();
  private readonly log: (message: string) => void;
  private closing: Promise<void> | undefined;

  constructor(
    readonly engine: StrataEngine,
    readonly options: DurabilityOptions = {},
  ) {
    this.log = options.log ?? (() => undefined);
    this.pool = new DurabilityPool(options.workerThreads ?? 1);
    this.repairer = new Repairer(engine, this.pool, this.log);
    this.scrubber = new Scrubber(engine, this.repairer, this.log);
    this.drives = new DriveMonitor(engine, this.log, options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES);
    this.throttle = new ByteThrottle(options.scrubRateBytesPerSec ?? 32 * 1024 * 1024);
    this.compactor = new Compactor(engine, this.repairer, this.log);
    this.compactionThrottle = new ByteThrottle(options.compactionRateBytesPerSec ?? 16 * 1024 * 1024);
    this.trackWriters();
  }

  /**
   * Compaction must not take the shards of a write still in progress for garbage, and the engine does
   * not say which segments open writers use: every writer is timed from createWriter() until a grace
   * period after finish()/abort(), and segments written since the oldest one are left alone.
   * (Stopgap: the engine could expose this itself.)
   */
  private trackWriters(): void {
    const engine = this.engine as StrataEngine & { createWriter: StrataEngine['createWriter'] };
    const own = Object.prototype.hasOwnProperty.call(engine, 'createWriter') ? engine.createWriter : undefined;
    const original = engine.createWriter.bind(engine);
    this.untrackWriters = () => {
      if (engine.createWriter !== wrapped) return; // someone wrapped it after us: leave the chain alone
      if (own) engine.createWriter = own;
      else delete (engine as { createWriter?: unknown }).createWriter;
    };
    const wrapped: StrataEngine['createWriter'] = (options) => {
      const w = original(options);
      const id = ++this.writerIds;
      this.openWriters.set(id, Date.now());
      const release = (): void => void setTimeout(() => this.openWriters.delete(id), WRITER_COMMIT_GRACE_MS).unref();
      const finish = w.finish.bind(w);
      const abort = w.abort.bind(w);
      w.finish = () =>
        finish()
          .catch((err: unknown) => {
            this.onWriteError(err);
            throw err;
          })
          .finally(release);
      w.abort = (reason?: string) => {
        release();
        abort(reason);
      };
      return w;
    };
    engine.createWriter = wrapped;
  }

  private untrackWriters: () => void = () => undefined;

  /**
   * A failed shard append names its drive ("drive N segment S: write failed"): that drive goes offline
   * at once, so the next writes record its shards as missing instead of failing too. The probe loop
   * brings it back (fresh segments) when it passes again, and the re-attach heal fills in the gaps.
   */
  private onWriteError(err: unknown): void {
    const m = /drive (\d+) segment \d+: write failed: (.*)$/.exec((err as Error)?.message ?? '');
    if (!m) return;
    const index = Number(m[1]) - 1;
    const d = this.engine.internals.driveSet.drives[index];
    if (d?.online) this.drives.markOffline(index, `write failed: ${m[2]}`);
  }

  /** Start time of the oldest writer that may still commit (Infinity when none). */
  oldestOpenWriterMs(): number {
    const now = Date.now();
    let oldest = Infinity;
    for (const [id, t] of this.openWriters) {
      if (now - t > MAX_TRACKED_WRITER_AGE_MS) this.openWriters.delete(id);
      else if (t < oldest) oldest = t;
    }
    return oldest;
  }

  /** One compaction round now. */
  async compact(overrides: Partial<CompactionOptions> = {}): Promise<SegmentCompaction[]> {
    const o = this.options;
    const res = await this.compactor.runOnce({
      garbageRatio: o.compactionGarbageRatio ?? 0.3,
      minAgeMs: o.compactionMinAgeMs ?? 60_000,
      deleteGraceMs: o.compactionDeleteGraceMs ?? 5_000,
      fdCloseGraceMs: o.compactionFdCloseGraceMs ?? 30_000,
      throttle: this.compactionThrottle,
      stop: this.stop,
      exclusive: (fn) => this.mutex.run(fn),
      notAfterMs: () => this.oldestOpenWriterMs() - 1000,
      ...overrides,
    });
    this.compaction.rounds++;
    for (const r of res) {
      if (r.outcome !== 'compacted') continue;
      this.compaction.segmentsCompacted++;
      this.compaction.bytesReclaimed += r.fileBytes - r.liveBytes;
      this.compaction.shardsMoved += r.shardsMoved;
    }
    if (res.length) this.compaction.last = res;
    return res;
  }

  /** Starts the background loops. */
  start(): this {
    const healMs = this.options.healIntervalMs ?? 500;
    this.loop(healMs, () => this.healOnce());
    const driveMs = this.options.driveCheckIntervalMs ?? 2000;
    if (driveMs > 0) this.loop(driveMs, () => this.checkDrives());
    if (this.options.scrubEnabled !== false) {
      this.loop(this.options.scrubIntervalMs ?? 6 * 3600_000, () => this.scrub({ repair: true }).then(() => undefined), this.options.scrubStartDelayMs ?? 60_000);
    }
    const compactMs = this.options.compactionIntervalMs ?? 60_000;
    if (compactMs > 0) this.loop(compactMs, () => this.compact().then(() => undefined));
    // A drive formatted as a replacement at open has nothing on it yet.
    for (const d of this.engine.internals.driveSet.drives) if (d.online && d.replaced) this.rebuildDrive(d.index);
    return this;
  }

  private loop(intervalMs: number, fn: () => Promise<void>, firstDelayMs = intervalMs): void {
    const tick = (): void => {
      if (this.stop.stopped) return;
      const p = fn()
        .catch((err) => this.log(`durability: ${(err as Error).message}`))
        .finally(() => {
          this.tasks.delete(p);
          if (!this.stop.stopped) schedule(intervalMs);
        });
      this.tasks.add(p);
    };
    const schedule = (ms: number): void => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        tick();
      }, ms);
      t.unref();
      this.timers.add(t);
    };
    schedule(firstDelayMs);
  }

  /** Runs one scrub pass now (or joins the one under way). */
  scrub(options: { repair: boolean; rateBytesPerSec?: number; segments?: boolean }): Promise<ScrubReport> {
    if (this.scrubbing) return this.scrubbing;
    const throttle = options.rateBytesPerSec === undefined ? this.throttle : new ByteThrottle(options.rateBytesPerSec);
    const p = this.scrubber
      .runPass({ repair: options.repair, throttle, stop: this.stop, exclusive: (fn) => this.mutex.run(fn), ...(options.segments === false ? { segments: false } : {}) })
      .then((r) => {
        this.last = r;
        if (r.complete) this.passes++;
        this.totals.bytesChecked += r.bytesChecked;
        this.totals.objectsChecked += r.objectsChecked;
        this.totals.badRegions += r.badRegions;
        this.totals.badShards += r.badShards;
        this.totals.repairedShards += r.repairedShards;
        this.totals.unrecoverableBlocks += r.unrecoverableBlocks;
        this.totals.deferredShards += r.deferredShards;
        return r;
      })
      .finally(() => {
        this.scrubbing = undefined;
      });
    this.scrubbing = p;
    return p;
  }

  /** Heal on read: repairs what reads reported. */
  async healOnce(): Promise<void> {
    const q = this.engine.repairQueue;
    if (q.size === 0) return;
    const items = q.take(this.options.healBatchItems ?? 64);
    const r = await this.mutex.run(() => this.repairer.healItems(items));
    this.heal.rounds++;
    this.heal.repairedShards += r.repaired;
    this.heal.unrecoverableBlocks += r.unrecoverable;
    this.heal.deferredShards += r.deferred;
  }

  async checkDrives(): Promise<void> {
    const r = await this.drives.checkAll();
    // A replacement is empty: rebuild at full speed. A drive that came back missed the writes of its
    // outage (recorded as null shards) and may have rotted: heal it at the scrub budget.
    for (const d of r.attached) void this.rebuildDrive(d, r.replaced.includes(d) ? undefined : this.throttle);
  }

  /**
   * Rebuilds every shard that belongs on drive `index` (after a replacement): every block with a shard
   * recorded there, or recorded missing at that position, is checked and repaired; chooseDrive puts the
   * rebuilt shards back on their home drive. The node keeps serving; progress is in scrubStats().drives.
   */
  rebuildDrive(index: number, throttleOverride?: ByteThrottle): Promise<void> {
    const running = this.rebuilds.get(index);
    if (running) return running;
    const h = this.drives.health[index]!;
    const { db, driveSet } = this.engine.internals;
    const D = driveSet.drives.length;
    let total = 0;
    try {
      total = db.objects.getCount() + db.versions.getCount() + db.aux.getCount();
    } catch {
      total = 0;
    }
    const progress = { startedMs: Date.now(), entriesTotal: total, entriesScanned: 0, shardsRebuilt: 0, unrecoverableBlocks: 0, deferredShards: 0, done: false };
    h.rebuild = progress;
    h.state = 'rebuilding';
    const throttle = throttleOverride ?? new ByteThrottle(this.options.rebuildRateBytesPerSec ?? Infinity);
    const belongs = (entry: LiveEntry): Set<number> => {
      const only = new Set<number>();
      let flat = 0;
      for (const e of entry.layout.extents) {
        for (const b of e.blocks) {
          const j = b.shards.findIndex((s) => s !== null);
          const rot = j >= 0 ? (((b.shards[j]!.drive - j) % D) + D) % D : 0;
          if (b.shards.some((s, i) => (s ? s.drive === index : (rot + i) % D === index))) only.add(flat);
          flat++;
        }
      }
      return only;
    };
    this.log(`rebuild: drive ${index + 1}: started (${total} index entries to look at)`);
    const p = (async () => {
      for await (const entry of liveEntries(this.engine, this.stop)) {
        progress.entriesScanned++;
        if (belongs(entry).size === 0) continue;
        const o = await this.mutex.run(() => this.repairer.repairLatest(entry, belongs, { throttle, stop: this.stop }));
        progress.shardsRebuilt += o.repairedShards;
        progress.unrecoverableBlocks += o.unrecoverableBlocks;
        progress.deferredShards += o.deferredShards;
      }
      progress.done = !this.stop.stopped;
      (progress as { finishedMs?: number }).finishedMs = Date.now();
      if (h.state === 'rebuilding') h.state = 'online';
      if (progress.done) driveSet.drives[index]!.replaced = false;
      this.log(`rebuild: drive ${index + 1}: ${progress.done ? 'done' : 'stopped'}: ${progress.shardsRebuilt} shards rebuilt, ${progress.unrecoverableBlocks} unrecoverable blocks, ${progress.deferredShards} deferred`);
    })()
      .catch((err) => this.log(`rebuild: drive ${index + 1}: failed: ${(err as Error).message}`))
      .finally(() => {
        this.rebuilds.delete(index);
        this.tasks.delete(p);
      });
    this.rebuilds.set(index, p);
    this.tasks.add(p);
    return p;
  }

  scrubStats(): ScrubStats {
    const q = this.engine.repairQueue;
    const out: ScrubStats = {
      rateBytesPerSec: this.throttle.rate,
      running: this.scrubbing !== undefined,
      passesCompleted: this.passes,
      totals: { ...this.totals },
      heal: { queued: q.size, dropped: q.dropped, ...this.heal },
      drives: this.drives.health.map((h) => ({ ...h, ...(h.rebuild ? { rebuild: { ...h.rebuild } } : {}) })),
      compaction: { ...this.compaction },
    };
    if (this.scrubber.current) out.current = { ...this.scrubber.current, findings: [], regions: [] };
    if (this.last) {
      const { findings: _f, regions: _r, ...rest } = this.last;
      out.last = rest;
    }
    return out;
  }

  /** Stops the loops, lets the running step finish, stops the workers (engine.close() calls it). Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    if (this.engine.durability === this) this.engine.durability = undefined;
    this.untrackWriters();
    this.stop.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.tasks, ...(this.scrubbing ? [this.scrubbing] : [])]);
    await this.pool.destroy();
  }
}

/** Starts the background durability operations of a serving node and attaches them to the engine (engine.scrubStats(), engine.close()). */
export function startDurability(engine: StrataEngine, options: DurabilityOptions = {}): Durability {
  if (engine.durability) throw new Error('durability operations already started on this engine');
  const d = new Durability(engine, options).start();
  engine.durability = d;
  return d;
}
