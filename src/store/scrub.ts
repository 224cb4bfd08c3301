// The scrubber: one pass walks (1) every sealed segment of every online drive, verifying every record's
// header and payload hash, and (2) every live layout (objects, then aux records such as multipart
// parts), verifying every shard — data and parity — against the xxHash64 recorded in the layout. Bad or
// missing shards of live entries are rebuilt (repair.ts). Both walks draw from one byte budget
// (scrubRateBytesPerSec), so a background pass costs a bounded, predictable share of the disks.
//
// Why two walks: the segment walk finds rot anywhere (including metadata records, whose copies on other
// drives keep the index rebuildable) with sequential I/O; only the layout walk knows which shards are
// live and can rebuild them. Memory stays bounded: the layout walk pages through the index.
import path from 'node:path';
import type { StrataEngine } from './engine.js';
import type { ByteThrottle } from './durability-pool.js';
import { type Finding, MAX_FINDINGS, type Repairer, entryName, type LiveEntry } from './repair.js';
import { peekLogSeq } from './log-records.js';
import { RecordType } from './record.js';
import { VERSION_ORDER_TOP } from './versions.js';
import { scanSegmentFile } from './segment-scan.js';
import { listSegments, segmentFileName } from './segment.js';

/** Index entries read per page of the layout walk. */
export const SCRUB_PAGE_ENTRIES = 256;
/** Entries verified at once (each is one worker task of up to CHECK_MAX_BLOCKS_PER_TASK blocks). */
export const SCRUB_CONCURRENCY = 4;
/** Commit records whose copies one pass counts, at most (past it the replication check is skipped). */
export const SCRUB_MAX_TRACKED_RECORDS = 1_000_000; // ~50 MiB of Map at most

export interface ScrubReport {
  startedMs: number;
  finishedMs: number;
  durationMs: number;
  /** False when the pass was stopped before the end. */
  complete: boolean;
  repair: boolean;
  segmentsScanned: number;
  segmentBytesScanned: number;
  recordsChecked: number;
  /** Byte ranges of segments holding no valid record (rot, or a torn write). */
  badRegions: number;
  badRegionBytes: number;
  objectsChecked: number;
  auxChecked: number;
  blocksChecked: number;
  /** Shard bytes read and verified by the layout walk (headers included). */
  bytesChecked: number;
  badShards: number;
  repairedShards: number;
  unrecoverableBlocks: number;
  deferredShards: number;
  /** Entries that changed under the repair (overwritten, deleted): their successors are checked separately. */
  changedEntries: number;
  /** Live entries whose commit record survives on fewer than m+1 drives; re-logged when repairing. */
  underReplicatedRecords: number;
  reloggedRecords: number;
  unrecoverableEntries: string[];
  findings: Finding[];
  regions: { drive: number; segment: number; offset: number; bytes: number }[];
}

export function emptyScrubReport(repair: boolean): ScrubReport {
  const now = Date.now();
  return {
    startedMs: now,
    finishedMs: 0,
    durationMs: 0,
    complete: false,
    repair,
    segmentsScanned: 0,
    segmentBytesScanned: 0,
    recordsChecked: 0,
    badRegions: 0,
    badRegionBytes: 0,
    objectsChecked: 0,
    auxChecked: 0,
    blocksChecked: 0,
    bytesChecked: 0,
    badShards: 0,
    repairedShards: 0,
    unrecoverableBlocks: 0,
    deferredShards: 0,
    changedEntries: 0,
    underReplicatedRecords: 0,
    reloggedRecords: 0,
    unrecoverableEntries: [],
    findings: [],
    regions: [],
  };
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}

/** Pages through every live entry with a layout: current objects, noncurrent versions, then aux records. */
export async function* liveEntries(engine: StrataEngine, stop?: { stopped: boolean }): AsyncGenerator<LiveEntry> {
  const { db } = engine.internals;
  let after: [string, string] | undefined;
  for (;;) {
    if (stop?.stopped) return;
    const page = [...db.objects.getRange({ ...(after ? { start: after } : {}), limit: SCRUB_PAGE_ENTRIES + 1 })];
    let n = 0;
    for (const { key, value } of page) {
      if (after && key[0] === after[0] && key[1] === after[1]) continue;
      n++;
      after = key;
      yield { target: { kind: 'object', bucket: key[0], key: key[1] }, seq: value.seq, layout: value.layout };
    }
    if (n === 0) break;
  }
  let versionAfter: [string, string, number] | undefined;
  for (;;) {
    if (stop?.stopped) return;
    const page = [...db.versions.getRange({ ...(versionAfter ? { start: versionAfter } : {}), limit: SCRUB_PAGE_ENTRIES + 1 })];
    let n = 0;
    for (const { key, value } of page) {
      if (versionAfter && key[0] === versionAfter[0] && key[1] === versionAfter[1] && key[2] === versionAfter[2]) continue;
      n++;
      versionAfter = key;
      if (!value.deleteMarker && value.layout.extents.length > 0) {
        yield { target: { kind: 'version', bucket: key[0], key: key[1], order: VERSION_ORDER_TOP - key[2] }, seq: value.seq, layout: value.layout };
      }
    }
    if (n === 0) break;
  }
  let auxAfter: [string, string] | undefined;
  for (;;) {
    if (stop?.stopped) return;
    const page = [...db.aux.getRange({ ...(auxAfter ? { start: auxAfter } : {}), limit: SCRUB_PAGE_ENTRIES + 1 })];
    let n = 0;
    for (const { key, value } of page) {
      if (auxAfter && key[0] === auxAfter[0] && key[1] === auxAfter[1]) continue;
      n++;
      auxAfter = key;
      if (value.layout) yield { target: { kind: 'aux', ns: key[0], id: key[1] }, seq: value.seq, layout: value.layout };
    }
    if (n === 0) break;
  }
}

export class Scrubber {
  /** The pass under way (its counters move as it runs), if any. */
  current: ScrubReport | undefined;

  constructor(
    private readonly engine: StrataEngine,
    private readonly repairer: Repairer,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  /**
   * Segments of a drive to walk: every sealed one whole, and the active one up to its applied
   * checkpoint (records before it are complete: a segment's writes land in reservation order).
   */
  private async segmentsToScan(drive: number): Promise<{ n: number; endBytes?: number }[]> {
    const { driveSet, segments, db } = this.engine.internals;
    const d = driveSet.drives[drive]!;
    const segs = segments[drive];
    if (!d.online || !segs) return [];
    const active = segs.active?.number ?? Number.MAX_SAFE_INTEGER;
    try {
      const out: { n: number; endBytes?: number }[] = (await listSegments(d.path)).filter((n) => n < active).map((n) => ({ n }));
      const applied = db.segmentStats(drive, active)?.appliedBytes ?? 0;
      if (applied > 0) out.push({ n: active, endBytes: applied });
      return out;
    } catch (err) {
      this.log(`scrub: drive ${drive + 1}: cannot list segments: ${(err as Error).message}`);
      return [];
    }
  }

  async runPass(options: {
    repair: boolean;
    throttle?: ByteThrottle;
    stop?: { stopped: boolean };
    exclusive?: <T>(fn: () => Promise<T>) => Promise<T>;
    /** false: skip the segment walk (shards of live entries only). */
    segments?: boolean;
  }): Promise<ScrubReport> {
    const r = emptyScrubReport(options.repair);
    this.current = r;
    const stop = options.stop ?? { stopped: false };
    const exclusive = options.exclusive ?? (<T>(fn: () => Promise<T>) => fn());
    const { driveSet, db } = this.engine.internals;
    this.log(`scrub: pass started (repair ${options.repair ? 'on' : 'off'})`);
    // Copies of each commit record (by sequence number) seen by the segment walk: a live entry whose
    // record survives on fewer than m+1 drives is logged again (rot on the other copies).
    const copies = new Map<number, number>();
    let countCopies = options.segments !== false;
    const seqBound = db.lastSeq;
    const { m } = this.engine.config.erasure;
    try {
      for (const d of options.segments === false ? [] : driveSet.drives) {
        for (const { n, endBytes } of await this.segmentsToScan(d.index)) {
          if (stop.stopped) return r;
          const file = path.join(d.path, segmentFileName(n));
          try {
            for await (const ev of scanSegmentFile(file, driveSet.seed, { ...(options.throttle ? { throttle: options.throttle } : {}), stop, ...(endBytes !== undefined ? { endBytes } : {}) })) {
              if (ev.kind === 'record') {
                r.recordsChecked++;
                r.segmentBytesScanned += ev.totalBytes;
                if (countCopies && (ev.type === RecordType.ObjectCommit || ev.type === RecordType.AuxPut)) {
                  const seq = peekLogSeq(ev.type, ev.payload);
                  // A bit per drive: a verbatim copy left on the same drive by a crashed compaction counts once.
                  if (seq !== undefined) copies.set(seq, (copies.get(seq) ?? 0) | (1 << d.index));
                  if (copies.size > SCRUB_MAX_TRACKED_RECORDS) {
                    countCopies = false;
                    copies.clear();
                  }
                }
              } else {
                r.badRegions++;
                r.badRegionBytes += ev.bytes;
                r.segmentBytesScanned += ev.bytes;
                if (r.regions.length < MAX_FINDINGS) r.regions.push({ drive: d.index, segment: n, offset: ev.offset, bytes: ev.bytes });
                this.log(`scrub: drive ${d.index + 1} segment ${n}: ${ev.bytes} bad bytes at offset ${ev.offset}`);
              }
            }
            r.segmentsScanned++;
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code !== 'ENOENT') this.log(`scrub: drive ${d.index + 1} segment ${n}: ${(err as Error).message}`);
          }
        }
      }
      // Verification runs SCRUB_CONCURRENCY entries at a time; a repair re-checks the bad blocks of
      // its entry under the exclusive lock (repairs, rebuilds and compaction re-point one at a time).
      const inFlight = new Set<Promise<void>>();
      const one = async (entry: LiveEntry): Promise<void> => {
        const o = await this.repairer.checkEntry(entry, { repair: false, ...(options.throttle ? { throttle: options.throttle } : {}), stop });
        r.blocksChecked += o.blocksChecked;
        r.bytesChecked += o.bytesChecked;
        let final = o;
        if (options.repair && o.badShards > 0 && o.unrecoverableBlocks === 0) {
          const only = new Set(o.findings.map((f) => f.block));
          const bad = o.findings.length < MAX_FINDINGS ? only : undefined;
          // The first attempt looks at the blocks found bad; a newer version is checked whole.
          final = await exclusive(() => this.repairer.repairLatest(entry, (e) => (e === entry ? bad : undefined), { stop }));
          final = { ...final, badShards: o.badShards, findings: final.findings.length ? final.findings : o.findings };
        }
        // Under-replicated commit record (checked only for entries the segment walk saw committed).
        if (countCopies && !final.changed && final.repairedShards === 0 && final.unrecoverableBlocks === 0 && entry.seq <= seqBound) {
          const want = Math.min(m + 1, driveSet.drives.filter((x) => x.online).length);
          if (popcount(copies.get(entry.seq) ?? 0) < want) {
            r.underReplicatedRecords++;
            if (options.repair && (await exclusive(() => this.engine.relocate(entry.target, entry.seq, entry.layout)))) r.reloggedRecords++;
          }
        }
        r.badShards += final.badShards;
        r.repairedShards += final.repairedShards;
        r.unrecoverableBlocks += final.unrecoverableBlocks;
        r.deferredShards += final.deferredShards;
        if (final.changed) r.changedEntries++;
        if (final.unrecoverableBlocks > 0 && r.unrecoverableEntries.length < MAX_FINDINGS) r.unrecoverableEntries.push(entryName(entry.target));
        for (const f of final.findings) if (r.findings.length < MAX_FINDINGS) r.findings.push(f);
      };
      let failure: unknown;
      for await (const entry of liveEntries(this.engine, stop)) {
        if (stop.stopped || failure !== undefined) break;
        if (entry.target.kind !== 'aux') r.objectsChecked++;
        else r.auxChecked++;
        const p: Promise<void> = one(entry)
          .catch((err) => {
            failure ??= err;
          })
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= SCRUB_CONCURRENCY) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      if (failure !== undefined) throw failure;
      r.complete = !stop.stopped;
      return r;
    } finally {
      r.finishedMs = Date.now();
      r.durationMs = r.finishedMs - r.startedMs;
      this.current = undefined;
      this.log(
        `scrub: pass ${r.complete ? 'finished' : 'stopped'} in ${r.durationMs} ms: ${r.segmentsScanned} segments, ${r.objectsChecked} objects, ` +
          `${r.bytesChecked} shard bytes checked; ${r.badRegions} bad regions, ${r.badShards} bad shards, ${r.repairedShards} repaired, ` +
          `${r.unrecoverableBlocks} unrecoverable blocks, ${r.deferredShards} deferred`,
      );
    }
  }
}
