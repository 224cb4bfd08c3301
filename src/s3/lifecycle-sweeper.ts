// The background half of bucket lifecycle: a sweeper that deletes expired objects and aborts stale
// multipart uploads, as the rules stored by PutBucketLifecycleConfiguration ask (lifecycle.ts decides
// what matches and when it expires; this module only walks and acts). Never in the request path.
//
// One pass: every bucket with a configuration, in name order — first its uploads (an in-memory index,
// cheap to walk), then its objects, one engine listing page at a time, yielding to the event loop
// between pages. A pass is bounded twice (config): entries looked at, and deletions + aborts; when a
// bound stops it, a cursor remembers where, and the next pass resumes there. The next pass starts
// `intervalMs` after the previous one ended (a slow pass never overlaps the next).
//
// Safety: an object is judged expired from one listing (its seq); the delete is conditional on that
// seq (engine.deleteObject's expectSeq, decided in commit order), so a version written or re-tagged
// after the judgement is never deleted — it is judged again on a later pass. Versioned buckets are
// walked version by version (listVersions) with the same rule: putDeleteMarker / deleteVersion with
// expectSeq.

import type { BucketMeta, Engine, ObjectMeta, VersioningMode } from '../store/api.js';
import { StoreError } from '../store/api.js';
import { S3Error } from './errors.js';
import { bucketVersioning } from './versioning.js';
import { isLocked } from './object-lock.js';
import type { ListUploadsOptions, ListUploadsResult } from './multipart/service.js';
import {
  type LifecycleConfig,
  BUCKET_LIFECYCLE_SETTING,
  abortRules,
  commonPrefix,
  expirationRules,
  expiryAfterDays,
  lifecycleFromSettings,
  noncurrentExpiry,
  objectExpiry,
  removesExpiredMarker,
  versionRules,
} from './lifecycle.js';

/** Entries read per listing page (objects or uploads); also the most held in memory at once. */
export const LIFECYCLE_PAGE_ENTRIES = 1000;
/** Conditional deletes in flight at once: enough to share group commits, few enough not to crowd clients out. */
export const LIFECYCLE_DELETE_CONCURRENCY = 16;

/** What the sweeper needs of the multipart service (MultipartService satisfies it). */
export interface LifecycleUploads {
  listUploads(bucket: string, options: ListUploadsOptions): ListUploadsResult;
  abort(bucket: string, key: string, uploadId: string): Promise<void>;
}

/** A pino logger satisfies this; the S3 layer does not import the observe layer. */
export interface LifecycleLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LifecycleCounters {
  expiredObjects(n: number): void;
  abortedUploads(n: number): void;
}

export interface LifecycleSweeperOptions {
  /** Pause between the end of one pass and the start of the next (and before the first). */
  intervalMs: number;
  /** Deletions plus aborts per pass. */
  maxDeletionsPerPass: number;
  /** Objects plus uploads looked at per pass. */
  maxScannedPerPass: number;
  /** The clock rules are judged by. Tests inject one to jump days ahead; the server uses Date.now. */
  now?: () => number;
  log?: LifecycleLog;
  counters?: LifecycleCounters;
  /** Tests only: runs after a page of objects was judged, before its deletions are issued. */
  beforeDelete?: (bucket: string, keys: readonly string[]) => Promise<void> | void;
}

export interface LifecyclePassReport {
  buckets: number;
  scannedObjects: number;
  scannedUploads: number;
  expiredObjects: number;
  /** Judged expired, then changed (overwritten, re-tagged) before the delete: kept. */
  skippedChanged: number;
  abortedUploads: number;
  failed: number;
  /** false when a bound, a failure or close() stopped the pass; the next one resumes at the cursor. */
  complete: boolean;
  ms: number;
}

interface Cursor {
  bucket: string;
  phase: 'uploads' | 'objects' | 'versions';
  /** objects: last key looked at. */
  after?: string;
  /** versions: the last version looked at and what the walk knew of its key. */
  walk?: VersionWalk;
  /** uploads: ListMultipartUploads markers. */
  keyMarker?: string;
  uploadIdMarker?: string;
}

type Stop = 'budget' | 'failed' | 'closed' | undefined;

/** Where a walk over listVersions() is: the last version looked at, and what is known of its key. */
interface VersionWalk {
  key: string;
  versionId: string;
  /** lastModified of the version looked at: when the next (older) one of the key became noncurrent. */
  lastModifiedMs: number;
  /** Noncurrent versions of the key seen so far (newer than the next one). */
  noncurrentSeen: number;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class LifecycleSweeper {
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<LifecyclePassReport> | undefined;
  private closed = false;
  private cursor: Cursor | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly uploads: LifecycleUploads | undefined,
    private readonly options: LifecycleSweeperOptions,
  ) {
    if (!(options.maxDeletionsPerPass >= 1) || !(options.maxScannedPerPass >= 1)) throw new Error('lifecycle sweeper: pass bounds must be ≥ 1');
    this.now = options.now ?? Date.now;
  }

  /** True while the periodic schedule is armed. */
  get scheduled(): boolean {
    return this.timer !== undefined;
  }

  /** Arms the periodic passes (intervalMs 0: none). */
  start(): void {
    if (this.closed || this.timer !== undefined || this.options.intervalMs <= 0) return;
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.runOnce()
        .catch((err: unknown) => this.options.log?.warn({ err }, 'lifecycle pass failed'))
        .finally(() => {
          if (!this.closed) this.schedule();
        });
    }, this.options.intervalMs);
    // Background work never keeps the process alive on its own.
    this.timer.unref();
  }

  /** Runs one pass now, or joins the one under way. */
  runOnce(): Promise<LifecyclePassReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the schedule and waits for the pass under way, which stops at its next page. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<LifecyclePassReport> {
    const started = Date.now();
    const nowMs = this.now();
    const report: LifecyclePassReport = {
      buckets: 0, scannedObjects: 0, scannedUploads: 0, expiredObjects: 0, skippedChanged: 0, abortedUploads: 0, failed: 0, complete: false, ms: 0,
    };
    let stop: Stop;
    const resume = this.cursor;
    this.cursor = undefined;
    const buckets = this.engine
      .listBuckets()
      .filter((b) => b.settings[BUCKET_LIFECYCLE_SETTING] !== undefined)
      .map((b) => b.name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of buckets) {
      if (resume !== undefined && name < resume.bucket) continue;
      const b = this.engine.getBucket(name);
      if (!b) continue; // deleted since the listing
      let cfg: LifecycleConfig | undefined;
      try {
        cfg = lifecycleFromSettings(b.settings);
      } catch (err) {
        // A stored configuration we cannot trust deletes nothing.
        report.failed++;
        this.options.log?.warn({ err, bucket: name }, 'lifecycle: unreadable configuration, bucket skipped');
        continue;
      }
      if (!cfg) continue;
      report.buckets++;
      const at = resume?.bucket === name ? resume : undefined;
      if (at === undefined || at.phase === 'uploads') stop = await this.sweepUploads(name, cfg, nowMs, report, at);
      if (stop === undefined) {
        const mode = bucketVersioning(b);
        stop = mode === undefined
          ? await this.sweepObjects(name, cfg, nowMs, report, at?.phase === 'objects' ? at : undefined)
          : await this.sweepVersions(b, mode, cfg, nowMs, report, at?.phase === 'versions' ? at : undefined);
      }
      if (stop !== undefined) break;
    }
    report.complete = stop === undefined;
    report.ms = Date.now() - started;
    const next = this.cursor as Cursor | undefined; // set by stopAt() during the awaits above
    this.options.log?.info({ lifecycle: report, ...(next ? { resumeAt: next.bucket } : {}) }, 'lifecycle pass');
    return report;
  }

  /**
   * A versioned bucket: one walk over listVersions() (key order, newest first), each action conditional
   * on the version judged (expectSeq), so one changed since is kept:
   * - current versions past Expiration (Days / Date) get a delete marker (putDeleteMarker in the
   *   bucket's mode: Suspended replaces a "null" current version, as S3 does);
   * - noncurrent versions past NoncurrentVersionExpiration (NoncurrentDays counted from the successor's
   *   lastModified, NewerNoncurrentVersions kept) are removed (deleteVersion);
   * - delete markers that are their key's only version are removed under ExpiredObjectDeleteMarker.
   * Bounded as sweepObjects (pages, budgets, a cursor carrying what the walk knew of the current key).
   */
  private async sweepVersions(b: BucketMeta, mode: VersioningMode, cfg: LifecycleConfig, nowMs: number, report: LifecyclePassReport, at: Cursor | undefined): Promise<Stop> {
    const bucket = b.name;
    const expire: LifecycleConfig = { rules: expirationRules(cfg) };
    const judge: LifecycleConfig = { rules: versionRules(cfg) };
    if (expire.rules.length === 0 && judge.rules.length === 0) return undefined;
    const prefix = commonPrefix([...expire.rules, ...judge.rules].map((r) => r.filter.prefix));
    let walk = at?.walk;
    const stopAt = (why: Exclude<Stop, undefined>, w: VersionWalk | undefined): Stop => this.stopAt({ bucket, phase: 'versions', ...(w !== undefined ? { walk: w } : {}) }, why);
    for (;;) {
      if (this.closed) return stopAt('closed', walk);
      const left = this.budgetLeft(report);
      if (left.scan <= 0 || left.act <= 0) return stopAt('budget', walk);
      const limit = Math.min(LIFECYCLE_PAGE_ENTRIES, left.scan);
      const page = this.engine.listVersions(bucket, { prefix, limit, ...(walk !== undefined ? { keyMarker: walk.key, versionIdMarker: walk.versionId } : {}) });
      report.scannedObjects += page.length;
      const pageStart = walk;
      /** Each with the walk's state just before it (to resume right after it when the budget ends mid-page). */
      const doomed: { meta: ObjectMeta; how: 'version' | 'marker'; walkBefore: VersionWalk | undefined }[] = [];
      for (const { meta, isLatest } of page) {
        const sameKey = walk !== undefined && walk.key === meta.key;
        if (isLatest && meta.deleteMarker) {
          if (removesExpiredMarker(judge, meta.key) && this.onlyVersion(bucket, meta.key)) doomed.push({ meta, how: 'version', walkBefore: walk });
        } else if (isLatest) {
          const e = objectExpiry(expire, meta);
          if (e !== undefined && e.expiryMs <= nowMs) doomed.push({ meta, how: 'marker', walkBefore: walk });
        } else if (sameKey) {
          // Its successor was the entry before it (same key, newer): noncurrent since that one's lastModified.
          const expiry = noncurrentExpiry(judge, meta, walk!.lastModifiedMs, walk!.noncurrentSeen);
          // Never a locked version (Object Lock): the delete below is conditional on this seq, and a
          // retention or hold change is a new commit, so what is judged unlocked here is what goes.
          if (expiry !== undefined && expiry <= nowMs && !isLocked(meta, nowMs)) doomed.push({ meta, how: 'version', walkBefore: walk });
        }
        // (A noncurrent version whose successor this walk did not see is judged on a later pass.)
        walk = { key: meta.key, versionId: meta.versionId, lastModifiedMs: meta.lastModifiedMs, noncurrentSeen: sameKey && !isLatest ? walk!.noncurrentSeen + 1 : 0 };
      }
      let truncatedByBudget = false;
      let picked = doomed;
      if (doomed.length > left.act) {
        picked = doomed.slice(0, left.act);
        // Resume at the last one issued (exclusive), with what the walk knew there.
        const last = picked[picked.length - 1]!.meta;
        const before = picked[picked.length - 1]!.walkBefore;
        walk = { key: last.key, versionId: last.versionId, lastModifiedMs: last.lastModifiedMs, noncurrentSeen: before !== undefined && before.key === last.key ? before.noncurrentSeen + 1 : 0 };
        truncatedByBudget = true;
      }
      if (picked.length > 0) {
        await this.options.beforeDelete?.(bucket, picked.map((d) => d.meta.key));
        const failed = await this.actAll(bucket, mode, picked, report);
        if (failed || this.closed) return stopAt(failed ? 'failed' : 'closed', pageStart);
      }
      if (truncatedByBudget) return stopAt('budget', walk);
      if (page.length < limit) return undefined;
      await yieldToLoop();
    }
  }

  /** True when the key has exactly one version (looked up: the walk may not have seen the next one yet). */
  private onlyVersion(bucket: string, key: string): boolean {
    const two = this.engine.listVersions(bucket, { prefix: key, limit: 2 });
    return two.length === 1 || (two.length === 2 && two[1]!.meta.key !== key);
  }

  private budgetLeft(report: LifecyclePassReport): { scan: number; act: number } {
    return {
      scan: this.options.maxScannedPerPass - report.scannedObjects - report.scannedUploads,
      act: this.options.maxDeletionsPerPass - report.expiredObjects - report.abortedUploads,
    };
  }

  private async sweepUploads(bucket: string, cfg: LifecycleConfig, nowMs: number, report: LifecyclePassReport, at: Cursor | undefined): Promise<Stop> {
    const rules = abortRules(cfg);
    if (rules.length === 0 || this.uploads === undefined) return undefined;
    const prefix = commonPrefix(rules.map((r) => r.prefix));
    let keyMarker = at?.keyMarker;
    let uploadIdMarker = at?.uploadIdMarker;
    for (;;) {
      if (this.closed) return this.stopAt({ bucket, phase: 'uploads', keyMarker, uploadIdMarker }, 'closed');
      const left = this.budgetLeft(report);
      if (left.scan <= 0 || left.act <= 0) return this.stopAt({ bucket, phase: 'uploads', keyMarker, uploadIdMarker }, 'budget');
      const page = this.uploads.listUploads(bucket, {
        prefix,
        maxUploads: Math.min(LIFECYCLE_PAGE_ENTRIES, left.scan),
        ...(keyMarker !== undefined ? { keyMarker } : {}),
        ...(uploadIdMarker !== undefined ? { uploadIdMarker } : {}),
      });
      report.scannedUploads += page.uploads.length;
      let acted = 0;
      for (const u of page.uploads) {
        // The shortest DaysAfterInitiation among the rules whose prefix the key has.
        let days: number | undefined;
        for (const r of rules) if (u.key.startsWith(r.prefix) && (days === undefined || r.days < days)) days = r.days;
        if (days === undefined || nowMs < expiryAfterDays(u.initiatedMs, days)) continue;
        // Aborts already done are gone from the listing: resuming at the page start repeats nothing.
        if (this.closed) return this.stopAt({ bucket, phase: 'uploads', keyMarker, uploadIdMarker }, 'closed');
        if (acted >= left.act) return this.stopAt({ bucket, phase: 'uploads', keyMarker, uploadIdMarker }, 'budget');
        try {
          await this.uploads.abort(bucket, u.key, u.uploadId);
          report.abortedUploads++;
          this.options.counters?.abortedUploads(1);
          acted++;
        } catch (err) {
          // Completed or aborted since the listing: nothing left to do.
          if (err instanceof S3Error && err.code === 'NoSuchUpload') continue;
          report.failed++;
          this.options.log?.warn({ err, bucket, key: u.key, uploadId: u.uploadId }, 'lifecycle: abort failed');
          return this.stopAt({ bucket, phase: 'uploads', keyMarker, uploadIdMarker }, 'failed');
        }
      }
      if (!page.isTruncated) return undefined;
      keyMarker = page.nextKeyMarker;
      uploadIdMarker = page.nextUploadIdMarker;
      await yieldToLoop();
    }
  }

  private async sweepObjects(bucket: string, cfg: LifecycleConfig, nowMs: number, report: LifecyclePassReport, at: Cursor | undefined): Promise<Stop> {
    const rules = expirationRules(cfg);
    if (rules.length === 0) return undefined;
    // Only the enabled expiration rules judge objects; their common prefix bounds the key range listed.
    const judge: LifecycleConfig = { rules };
    const prefix = commonPrefix(rules.map((r) => r.filter.prefix));
    let after = at?.after;
    for (;;) {
      if (this.closed) return this.stopAt({ bucket, phase: 'objects', ...(after !== undefined ? { after } : {}) }, 'closed');
      const left = this.budgetLeft(report);
      if (left.scan <= 0 || left.act <= 0) return this.stopAt({ bucket, phase: 'objects', ...(after !== undefined ? { after } : {}) }, 'budget');
      const limit = Math.min(LIFECYCLE_PAGE_ENTRIES, left.scan);
      const page = this.engine.listObjects(bucket, { prefix, limit, ...(after !== undefined ? { after } : {}) });
      report.scannedObjects += page.length;
      let expired: ObjectMeta[] = [];
      for (const o of page) {
        const e = objectExpiry(judge, o);
        // A locked object is never expired. Object Lock buckets are versioned (sweepVersions), so this is
        // the second line of defence; it holds because the delete is conditional on the seq judged here
        // and a retention or hold change is a new commit (a new seq).
        if (e !== undefined && e.expiryMs <= nowMs && !isLocked(o, nowMs)) expired.push(o);
      }
      const pageStart = after;
      let next = page.length > 0 ? page[page.length - 1]!.key : after;
      let truncatedByBudget = false;
      if (expired.length > left.act) {
        // Out of deletions mid-page: resume right after the last one issued.
        expired = expired.slice(0, left.act);
        next = expired[expired.length - 1]!.key;
        truncatedByBudget = true;
      }
      if (expired.length > 0) {
        await this.options.beforeDelete?.(bucket, expired.map((o) => o.key));
        const failed = await this.actAll(bucket, undefined, expired.map((meta) => ({ meta, how: 'object' as const })), report);
        // Retry the whole page next pass: the conditional deletes make a repeat harmless.
        if (failed || this.closed) return this.stopAt({ bucket, phase: 'objects', ...(pageStart !== undefined ? { after: pageStart } : {}) }, failed ? 'failed' : 'closed');
      }
      after = next;
      if (truncatedByBudget) return this.stopAt({ bucket, phase: 'objects', ...(after !== undefined ? { after } : {}) }, 'budget');
      if (page.length < limit) return undefined;
      await yieldToLoop();
    }
  }

  /**
   * Conditional actions, LIFECYCLE_DELETE_CONCURRENCY at a time, each decided by the engine against the
   * version judged (expectSeq = its seq): delete the current object (never-versioned buckets), remove
   * that version, or hide the current version under a delete marker. True when one failed for a reason
   * other than a change.
   */
  private async actAll(bucket: string, mode: VersioningMode | undefined, objects: readonly { meta: ObjectMeta; how: 'object' | 'version' | 'marker' }[], report: LifecyclePassReport): Promise<boolean> {
    let next = 0;
    let failed = false;
    const lane = async (): Promise<void> => {
      // close() waits for the page under way: stop issuing deletes rather than finish it.
      while (next < objects.length && !failed && !this.closed) {
        const { meta: o, how } = objects[next++]!;
        try {
          let deleted: boolean;
          if (how === 'version') deleted = (await this.engine.deleteVersion(bucket, o.key, o.versionId, o.seq)) !== undefined;
          else if (how === 'marker') deleted = (await this.engine.putDeleteMarker(bucket, o.key, mode!, o.seq)) !== undefined;
          else deleted = await this.engine.deleteObject(bucket, o.key, o.seq);
          if (deleted) {
            report.expiredObjects++;
            this.options.counters?.expiredObjects(1);
          }
        } catch (err) {
          if ((err instanceof StoreError || (err as Error)?.name === 'StoreError') && (err as StoreError).code === 'PreconditionFailed') {
            report.skippedChanged++;
            continue;
          }
          failed = true;
          report.failed++;
          this.options.log?.warn({ err, bucket, key: o.key }, 'lifecycle: delete failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(LIFECYCLE_DELETE_CONCURRENCY, objects.length) }, lane));
    return failed;
  }

  private stopAt(cursor: Cursor, why: Exclude<Stop, undefined>): Stop {
    this.cursor = cursor;
    return why;
  }
}
