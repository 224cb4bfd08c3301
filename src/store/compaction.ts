// Compaction: a sealed segment whose garbage share passes `garbageRatio` (default 30%) is rewritten —
// its live records copied to the drive's active segment, the entries re-pointed — and then deleted,
// so the disk space really returns.
//
// Crash safety, step by step (segments are the source of truth; any kill -9 must leave a state from
// which both replay and a full rebuild-from-segments give the right index):
//  1. scan S (every record verified); refuse if S holds a record the index has not applied yet;
//  2. copy every live shard record verbatim (same bytes, same hash) to the active segment of the same
//     drive (placement: shard i stays on its drive). A crash here leaves only garbage copies;
//  3. re-point each entry with engine.relocate(): a NEW commit record with a new sequence number,
//     made durable by group commit together with the copied shards. Old and new records never share a
//     sequence number with different contents: a crash after this step gives a rebuild both the old
//     commit (seq s) and the relocation (seq s' > s) — last commit wins, both layouts are intact;
//  4. copy the live metadata records of S verbatim — identical bytes, so a duplicate sequence number
//     in old and new segment is the same record, whichever copy recovery meets first; tombstones
//     (deletes) are always kept, so no dropped delete can resurrect an object;
//  5. fdatasync everything appended; wait `deleteGraceMs`; check again that no live entry points into
//     S (a racing repair, copy or multipart completion), and only then unlink S and fsync the directory.
//     Its read descriptor is closed after `fdCloseGraceMs` (readers may hold it).
// Unsafe window the engine cannot tell us about: shards of a write still in progress look like garbage.
// Only segments older than `minAgeMs` and than every open writer (tracked by Durability) are touched.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Layout, ShardLocation } from './api.js';
import type { StrataEngine } from './engine.js';
import type { ByteThrottle } from './durability-pool.js';
import { fsyncDir } from './drives.js';
import { type AuxPutBody, type LogBody, type ObjectCommitBody, type BucketBody, decodeLogBody } from './log-records.js';
import { RecordType, decodeRecord } from './record.js';
import { VERSION_ORDER_TOP, versionOrder } from './versions.js';
import type { LiveEntry, Repairer } from './repair.js';
import { liveEntries } from './scrub.js';
import { scanSegmentFile } from './segment-scan.js';
import { type Segment, listSegments, segmentFileName } from './segment.js';

/** Bytes of live records copied before waiting for their writes. */
const COPY_BATCH_BYTES = 8 * 1024 * 1024;
/** Segments compacted per round, at most. */
export const COMPACTION_MAX_SEGMENTS_PER_ROUND = 4;

export interface CompactionOptions {
  /** Garbage share (0..1) of a segment's bytes above which it is rewritten. Default 0.3. */
  garbageRatio?: number;
  /** Segments modified more recently than this are left alone. Default 60 s. */
  minAgeMs?: number;
  /** Wait between re-pointing and deleting (racing zero-copy commits). Default 5 s. */
  deleteGraceMs?: number;
  /** Keep the old read descriptor open this long after deletion. Default 30 s. */
  fdCloseGraceMs?: number;
  throttle?: ByteThrottle;
  stop?: { stopped: boolean };
  exclusive?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Segments whose mtime is at or after this are skipped (oldest open writer). */
  notAfterMs?: () => number;
  /** Test hook: called at each step (the crash tests kill -9 around them). */
  step?: (name: string) => Promise<void> | void;
}

export interface SegmentCompaction {
  drive: number;
  segment: number;
  fileBytes: number;
  liveBytes: number;
  garbageRatio: number;
  outcome: 'compacted' | 'below threshold' | 'busy' | 'still referenced' | 'stopped';
  shardsMoved: number;
  recordsKept: number;
  entriesRepointed: number;
  durationMs: number;
}

interface Ref {
  entry: LiveEntry;
}

type Scanned =
  | { kind: 'shard'; offset: number; totalBytes: number; xxh64: string }
  | { kind: 'meta'; offset: number; totalBytes: number; type: RecordType; body: LogBody }
  | { kind: 'bad'; offset: number; totalBytes: number };

export class Compactor {
  private readonly checked = new Map<string, string>();

  constructor(
    private readonly engine: StrataEngine,
    private readonly repairer: Repairer,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  private opts(o: CompactionOptions): Required<Pick<CompactionOptions, 'garbageRatio' | 'minAgeMs' | 'deleteGraceMs' | 'fdCloseGraceMs'>> {
    return { garbageRatio: o.garbageRatio ?? 0.3, minAgeMs: o.minAgeMs ?? 60_000, deleteGraceMs: o.deleteGraceMs ?? 5_000, fdCloseGraceMs: o.fdCloseGraceMs ?? 30_000 };
  }

  /** Sealed, old-enough segments whose index accounting says they may be worth a look, most garbage first. */
  async candidates(options: CompactionOptions = {}): Promise<{ drive: number; segment: number; fileBytes: number; hint: number }[]> {
    const { garbageRatio, minAgeMs } = this.opts(options);
    const { driveSet, segments, db } = this.engine.internals;
    const notAfter = Math.min(Date.now() - minAgeMs, options.notAfterMs?.() ?? Infinity);
    const out: { drive: number; segment: number; fileBytes: number; hint: number }[] = [];
    for (const d of driveSet.drives) {
      const segs = segments[d.index];
      if (!d.online || !segs) continue;
      let numbers: number[];
      try {
        numbers = await listSegments(d.path);
      } catch {
        continue;
      }
      for (const n of numbers) {
        if (n >= segs.active.number) continue;
        const st = await fsp.stat(path.join(d.path, segmentFileName(n))).catch(() => undefined);
        if (!st || st.size === 0 || st.mtimeMs >= notAfter) continue;
        const stats = db.segmentStats(d.index, n);
        const live = stats?.liveBytes ?? 0;
        const hint = Math.max(0, 1 - live / st.size);
        const sig = `${st.size}:${live}:${stats?.garbageBytes ?? 0}`;
        if (hint < garbageRatio || this.checked.get(`${d.index}:${n}`) === sig) continue;
        out.push({ drive: d.index, segment: n, fileBytes: st.size, hint });
      }
    }
    return out.sort((a, b) => b.hint - a.hint);
  }

  /** One round: compacts up to COMPACTION_MAX_SEGMENTS_PER_ROUND segments past the threshold. */
  async runOnce(options: CompactionOptions = {}): Promise<SegmentCompaction[]> {
    const out: SegmentCompaction[] = [];
    for (const c of (await this.candidates(options)).slice(0, COMPACTION_MAX_SEGMENTS_PER_ROUND)) {
      if (options.stop?.stopped) break;
      out.push(await this.compactSegment(c.drive, c.segment, options));
    }
    return out;
  }

  /** Live entries with a shard in (drive, segment). One pass over the index. */
  private async references(drive: number, segment: number, stop?: { stopped: boolean }): Promise<Ref[]> {
    const refs: Ref[] = [];
    for await (const entry of liveEntries(this.engine, stop)) {
      if (entry.layout.extents.some((e) => e.blocks.some((b) => b.shards.some((s) => s !== null && s.drive === drive && s.segment === segment)))) refs.push({ entry });
    }
    return refs;
  }

  private keep(type: RecordType, body: LogBody): boolean {
    const { db } = this.engine.internals;
    switch (type) {
      case RecordType.ObjectCommit: {
        const { meta } = body as ObjectCommitBody;
        if (db.objects.get([meta.bucket, meta.key])?.seq === body.seq) return true;
        // A noncurrent version or a delete marker (versions.ts): stored under its order.
        return db.versions.get([meta.bucket, meta.key, VERSION_ORDER_TOP - versionOrder(meta)])?.seq === body.seq;
      }
      case RecordType.AuxPut: {
        const b = body as AuxPutBody;
        return db.aux.get([b.ns, b.id])?.seq === body.seq;
      }
      case RecordType.BucketCreate:
      case RecordType.BucketSettings:
        return db.buckets.get((body as BucketBody).bucketMeta.name) !== undefined;
      default:
        return true; // tombstones: a dropped delete could let an older commit elsewhere resurrect
    }
  }

  async compactSegment(drive: number, segment: number, options: CompactionOptions = {}): Promise<SegmentCompaction> {
    const t0 = Date.now();
    const { garbageRatio, deleteGraceMs, fdCloseGraceMs } = this.opts(options);
    const { driveSet, segments, db } = this.engine.internals;
    const exclusive = options.exclusive ?? (<T>(fn: () => Promise<T>) => fn());
    const step = async (name: string): Promise<void> => {
      await options.step?.(name);
    };
    const dir = driveSet.drives[drive]!.path;
    const file = path.join(dir, segmentFileName(segment));
    const res: SegmentCompaction = { drive, segment, fileBytes: 0, liveBytes: 0, garbageRatio: 0, outcome: 'busy', shardsMoved: 0, recordsKept: 0, entriesRepointed: 0, durationMs: 0 };
    const done = (outcome: SegmentCompaction['outcome']): SegmentCompaction => {
      res.outcome = outcome;
      res.durationMs = Date.now() - t0;
      if (outcome !== 'below threshold') this.log(`compaction: drive ${drive + 1} segment ${segment}: ${outcome} (${res.shardsMoved} shards moved, ${res.recordsKept} records kept, ${res.entriesRepointed} entries re-pointed, ${(res.garbageRatio * 100).toFixed(0)}% garbage of ${res.fileBytes} bytes)`);
      return res;
    };
    const segsNow = segments[drive];
    if (!driveSet.drives[drive]!.online || !segsNow || segment >= segsNow.active.number) return done('busy');
    await step('scan');

    // 1. scan
    const lastSeq = db.lastSeq;
    const scanned: Scanned[] = [];
    for await (const ev of scanSegmentFile(file, driveSet.seed, { ...(options.throttle ? { throttle: options.throttle } : {}), ...(options.stop ? { stop: options.stop } : {}) })) {
      if (ev.kind === 'bad') scanned.push({ kind: 'bad', offset: ev.offset, totalBytes: ev.bytes });
      else if (ev.type === RecordType.Shard) scanned.push({ kind: 'shard', offset: ev.offset, totalBytes: ev.totalBytes, xxh64: ev.xxh64 });
      else {
        const body = decodeLogBody(ev.type, ev.payload);
        if (!(body.seq <= lastSeq)) return done('busy'); // a commit of S not applied yet
        scanned.push({ kind: 'meta', offset: ev.offset, totalBytes: ev.totalBytes, type: ev.type, body });
      }
    }
    if (options.stop?.stopped) return done('stopped');
    res.fileBytes = scanned.reduce((n, r) => Math.max(n, r.offset + r.totalBytes), 0);
    const refs = await this.references(drive, segment, options.stop);
    const liveShardOffsets = new Set<number>();
    const expected = new Map<number, string>();
    for (const { entry } of refs)
      for (const e of entry.layout.extents)
        for (const b of e.blocks)
          for (const s of b.shards)
            if (s && s.drive === drive && s.segment === segment) {
              liveShardOffsets.add(s.offset);
              expected.set(s.offset, s.xxh64);
            }
    // Only a record that is what the layout expects is copied (a misdirected write is a valid record
    // with the wrong content): anything else is rebuilt from the other shards in step 3.
    const valid = new Map(
      scanned.filter((r): r is Extract<Scanned, { kind: 'shard' }> => r.kind === 'shard' && (!expected.has(r.offset) || expected.get(r.offset) === r.xxh64)).map((r) => [r.offset, r] as const),
    );
    let live = 0;
    for (const off of liveShardOffsets) live += valid.get(off)?.totalBytes ?? 0;
    for (const r of scanned) if (r.kind === 'meta' && this.keep(r.type, r.body)) live += r.totalBytes;
    res.liveBytes = live;
    res.garbageRatio = res.fileBytes > 0 ? 1 - live / res.fileBytes : 0;
    if (res.garbageRatio < garbageRatio) {
      const stats = db.segmentStats(drive, segment);
      const st = await fsp.stat(file).catch(() => undefined);
      this.checked.set(`${drive}:${segment}`, `${st?.size ?? 0}:${stats?.liveBytes ?? 0}:${stats?.garbageBytes ?? 0}`);
      return done('below threshold');
    }
    await step('copy-shards');

    // 2. copy live shard records verbatim, re-verified at the disk boundary
    const moved = new Map<number, { segment: number; offset: number }>();
    const appendedTo = new Set<Segment>();
    const fh = await fsp.open(file, 'r');
    try {
      let pending: Promise<void>[] = [];
      let pendingBytes = 0;
      for (const off of [...liveShardOffsets].sort((a, b) => a - b)) {
        const rec = valid.get(off);
        if (!rec) continue; // corrupt in S: rebuilt from the other shards below
        await options.throttle?.take(rec.totalBytes, options.stop);
        const buf = Buffer.allocUnsafe(rec.totalBytes);
        const { bytesRead } = await fh.read(buf, 0, rec.totalBytes, off);
        const dec = bytesRead === rec.totalBytes ? decodeRecord(buf, 0, driveSet.seed) : undefined;
        if (!dec || !dec.ok || dec.type !== RecordType.Shard) continue;
        const segs = segments[drive];
        if (!segs || !driveSet.drives[drive]!.online) return done('busy');
        const a = segs.append([buf], rec.totalBytes);
        appendedTo.add(a.segment);
        moved.set(off, { segment: a.segment.number, offset: a.offset });
        pending.push(a.written);
        pendingBytes += rec.totalBytes;
        if (pendingBytes >= COPY_BATCH_BYTES) {
          await Promise.all(pending);
          pending = [];
          pendingBytes = 0;
        }
      }
      await Promise.all(pending);
    } finally {
      await fh.close();
    }
    res.shardsMoved = moved.size;
    await step('repoint');

    // 3. re-point every entry (retrying on its newest version), rebuilding shards that were bad in S
    const repoint = (layout: Layout): { layout: Layout; unmapped: Set<number> } => {
      const unmapped = new Set<number>();
      let flat = 0;
      const extents = layout.extents.map((e) => ({
        ...e,
        blocks: e.blocks.map((b) => {
          const f = flat++;
          if (!b.shards.some((s) => s && s.drive === drive && s.segment === segment)) return b;
          return {
            ...b,
            shards: b.shards.map((s): ShardLocation | null => {
              if (!s || s.drive !== drive || s.segment !== segment) return s;
              const to = moved.get(s.offset);
              if (!to) {
                unmapped.add(f);
                return s;
              }
              return { drive, segment: to.segment, offset: to.offset, xxh64: s.xxh64 };
            }),
          };
        }),
      }));
      return { layout: { extents }, unmapped };
    };
    for (const { entry } of refs) {
      if (options.stop?.stopped) return done('stopped');
      await exclusive(async () => {
        let cur: LiveEntry | undefined = entry;
        for (let attempt = 0; attempt < 3 && cur; attempt++) {
          const { layout, unmapped } = repoint(cur.layout);
          let ok = true;
          if (layout !== cur.layout && JSON.stringify(layout) !== JSON.stringify(cur.layout)) {
            ok = await this.engine.relocate(cur.target, cur.seq, layout);
            if (ok) res.entriesRepointed++;
          }
          if (ok && unmapped.size > 0) {
            const after = this.repairer.current(cur.target);
            if (after) await this.repairer.repairLatest(after, () => unmapped);
          }
          if (ok) return;
          cur = this.repairer.current(entry.target);
        }
      });
    }
    await step('keep-records');

    // 4. live metadata records, verbatim
    const fh2 = await fsp.open(file, 'r');
    const writes: Promise<void>[] = [];
    try {
      for (const r of scanned) {
        if (r.kind !== 'meta' || !this.keep(r.type, r.body)) continue;
        const buf = Buffer.allocUnsafe(r.totalBytes);
        const { bytesRead } = await fh2.read(buf, 0, r.totalBytes, r.offset);
        const dec = bytesRead === r.totalBytes ? decodeRecord(buf, 0, driveSet.seed) : undefined;
        if (!dec || !dec.ok || dec.type !== r.type) return done('busy');
        const segs = segments[drive];
        if (!segs || !driveSet.drives[drive]!.online) return done('busy');
        const a = segs.append([buf], r.totalBytes);
        appendedTo.add(a.segment);
        writes.push(a.written);
        res.recordsKept++;
      }
    } finally {
      await fh2.close();
    }
    await Promise.all(writes);
    await step('sync');

    // 5. durable, grace, last check, delete
    await Promise.all([...appendedTo].map((s) => s.sync())); // generation-aware: never lets group commit skip an fsync it needs
    if (deleteGraceMs > 0) await new Promise((r) => setTimeout(r, deleteGraceMs));
    if ((await this.references(drive, segment)).length > 0) {
      // e.g. a block that cannot be rebuilt: retried only once the accounting of the segment changes.
      const stats = db.segmentStats(drive, segment);
      const st = await fsp.stat(file).catch(() => undefined);
      this.checked.set(`${drive}:${segment}`, `${st?.size ?? 0}:${stats?.liveBytes ?? 0}:${stats?.garbageBytes ?? 0}`);
      return done('still referenced');
    }
    await step('delete');
    const segs = segments[drive];
    await fsp.unlink(file);
    await fsyncDir(dir);
    db.txn(() => db.segments.removeSync([drive, segment]));
    const fdp = segs?.forget(segment);
    if (fdp) {
      const close = (): void => void Promise.resolve(fdp).then((fd) => (fd >= 0 ? fs.close(fd, () => undefined) : undefined));
      if (fdCloseGraceMs > 0) setTimeout(close, fdCloseGraceMs).unref();
      else close();
    }
    this.checked.delete(`${drive}:${segment}`);
    return done('compacted');
  }
}

