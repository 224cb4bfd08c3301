// Drive health: a periodic probe of every drive (marker readable and ours, a small durable write, free
// space) marks a failing drive offline — EIO, directory gone, read-only, full — and brings a drive back
// when it passes again. The engine already routes around an offline drive: reads reconstruct from
// parity, writers record its shards as missing (null) while at least k+1 drives are healthy and fail
// fast with StoreError('Unavailable') below that. An empty directory in place of a failed drive is a
// replacement: it is formatted and every shard that belongs there is rebuilt (Durability.rebuildDrive).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { StrataEngine } from './engine.js';
import { FORMAT_MARKER_FILE, FORMAT_VERSION, type FormatMarker, writeFileDurable } from './drives.js';
import { DriveSegments, listSegments } from './segment.js';

const PROBE_FILE = '.strata-probe';
/** A drive with less free space than this is treated as full (offline for writes and reads alike). */
export const DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024;
/** How long one probe may take before it counts as a strike against the drive. */
export const PROBE_TIMEOUT_MS = 10_000;
/** Consecutive probe timeouts before a slow (hung?) drive goes offline; hard errors count at once. */
export const PROBE_TIMEOUT_STRIKES = 3;

export type DriveStateName = 'online' | 'offline' | 'rebuilding';

export interface RebuildProgress {
  startedMs: number;
  finishedMs?: number;
  entriesTotal: number;
  entriesScanned: number;
  shardsRebuilt: number;
  unrecoverableBlocks: number;
  deferredShards: number;
  done: boolean;
}

export interface DriveHealth {
  index: number;
  path: string;
  state: DriveStateName;
  /** Why the drive is offline (last probe failure), if it is. */
  reason?: string;
  sinceMs: number;
  rebuild?: RebuildProgress;
}

/**
 * The engine may cache its list of online drives: drop that cache whenever health changes here.
 * Prefers an engine hook (`driveHealthChanged()`), else clears the private `onlineCache` field.
 */
export function healthChanged(engine: StrataEngine): void {
  const e = engine as unknown as { driveHealthChanged?: () => void; onlineCache?: unknown };
  if (typeof e.driveHealthChanged === 'function') e.driveHealthChanged();
  else if ('onlineCache' in e) e.onlineCache = undefined;
}

const TIMEOUT_PREFIX = 'probe timed out';

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

export class DriveMonitor {
  readonly health: DriveHealth[];
  /** Consecutive probe timeouts per drive: an overloaded disk answers slowly, a dead one not at all. */
  private readonly strikes: number[];

  constructor(
    private readonly engine: StrataEngine,
    private readonly log: (message: string) => void,
    private readonly minFreeBytes = DEFAULT_MIN_FREE_BYTES,
  ) {
    const now = Date.now();
    this.health = engine.internals.driveSet.drives.map((d) => ({
      index: d.index,
      path: d.path,
      state: d.online ? 'online' : 'offline',
      ...(d.online ? {} : { reason: 'offline at open' }),
      sinceMs: now,
    }));
    this.strikes = this.health.map(() => 0);
  }

  /** Failure reason, or undefined when the drive looks healthy. */
  async probe(index: number): Promise<string | undefined> {
    const { driveSet } = this.engine.internals;
    const dir = driveSet.drives[index]!.path;
    try {
      return await withTimeout(this.probeOnce(dir, index, driveSet.nodeId), PROBE_TIMEOUT_MS, TIMEOUT_PREFIX);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return e.code && !e.message.startsWith(e.code) ? `${e.code}: ${e.message}` : e.message;
    }
  }

  private async probeOnce(dir: string, index: number, nodeId: string): Promise<string | undefined> {
    const marker = JSON.parse(await fsp.readFile(path.join(dir, FORMAT_MARKER_FILE), 'utf8')) as FormatMarker;
    if (marker.nodeId !== nodeId || marker.driveIndex !== index) return `format marker belongs to node ${marker.nodeId} drive ${marker.driveIndex + 1}`;
    const st = await fsp.statfs(dir);
    const free = st.bavail * st.bsize;
    if (free < this.minFreeBytes) return `full: ${free} bytes free (< ${this.minFreeBytes})`;
    const file = path.join(dir, PROBE_FILE);
    const fh = await fsp.open(file, 'w');
    try {
      await fh.write(Buffer.from(`${Date.now()}\n`));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await fsp.unlink(file);
    return undefined;
  }

  markOffline(index: number, reason: string): void {
    const d = this.engine.internals.driveSet.drives[index]!;
    const h = this.health[index]!;
    if (d.online) this.log(`drive ${index + 1} (${d.path}) offline: ${reason}`);
    d.online = false;
    healthChanged(this.engine);
    h.state = 'offline';
    h.reason = reason;
    h.sinceMs = Date.now();
  }

  /** Opens fresh segments on a drive that is (again) usable and puts it back online. */
  async attach(index: number): Promise<void> {
    const { driveSet, db, segments } = this.engine.internals;
    const d = driveSet.drives[index]!;
    // Close the old appender first: its close() unlinks its unused spare by path, which must not hit a
    // file of the new one.
    const old = segments[index];
    segments[index] = null;
    healthChanged(this.engine);
    if (old) await old.close().catch(() => undefined);
    const onDisk = await listSegments(d.path);
    // Never reuse a segment number: layouts may still point at lost files of lower numbers.
    const next = Math.max(db.maxSegmentPerDrive(driveSet.drives.length)[index] ?? 0, onDisk[onDisk.length - 1] ?? 0, (old?.active?.number ?? 0) + 1) + 1;
    const segs = new DriveSegments(index, d.path, next, this.engine.config.segmentSizeBytes);
    await segs.start();
    segments[index] = segs;
    d.online = true;
    healthChanged(this.engine);
    const h = this.health[index]!;
    h.state = 'online';
    delete h.reason;
    h.sinceMs = Date.now();
  }

  /** Formats an empty directory as drive `index` of this node (a replacement). */
  async format(index: number): Promise<void> {
    const { driveSet } = this.engine.internals;
    const dir = driveSet.drives[index]!.path;
    const names = await fsp.readdir(dir);
    if (names.length > 0) throw new Error(`drive ${index + 1} (${dir}) is not empty: refusing to format`);
    const { k, m } = this.engine.config.erasure;
    const marker: FormatMarker = { format: 'strata-drive', formatVersion: FORMAT_VERSION, nodeId: driveSet.nodeId, driveIndex: index, driveCount: driveSet.drives.length, k, m };
    await writeFileDurable(path.join(dir, FORMAT_MARKER_FILE), JSON.stringify(marker, null, 2));
    driveSet.drives[index]!.replaced = true;
    this.log(`drive ${index + 1} (${dir}): empty directory formatted as a replacement`);
  }

  /**
   * One round: probes online drives (failing ones go offline), looks at offline ones (a directory that
   * passes again comes back; an empty one is formatted). Returns drives that came back as replacements.
   */
  async checkAll(): Promise<{ offline: number[]; attached: number[]; replaced: number[] }> {
    const out = { offline: [] as number[], attached: [] as number[], replaced: [] as number[] };
    const { driveSet } = this.engine.internals;
    for (const d of driveSet.drives) {
      if (d.online) {
        const reason = await this.probe(d.index);
        if (reason === undefined) this.strikes[d.index] = 0;
        else if (reason.startsWith(TIMEOUT_PREFIX) && ++this.strikes[d.index]! < PROBE_TIMEOUT_STRIKES) {
          this.log(`drive ${d.index + 1}: probe slow (${reason}), strike ${this.strikes[d.index]} of ${PROBE_TIMEOUT_STRIKES}`);
        } else {
          this.strikes[d.index] = 0;
          this.markOffline(d.index, reason);
          out.offline.push(d.index);
        }
        continue;
      }
      let names: string[];
      try {
        names = await fsp.readdir(d.path);
      } catch {
        continue; // still gone
      }
      let replaced = false;
      if (names.length === 0) {
        try {
          await this.format(d.index);
          replaced = true;
        } catch (err) {
          this.markOffline(d.index, `format failed: ${(err as Error).message}`);
          continue;
        }
      } else if (!names.includes(FORMAT_MARKER_FILE)) {
        this.markOffline(d.index, `directory is not empty and has no ${FORMAT_MARKER_FILE}: not ours, left alone`);
        continue;
      }
      const reason = await this.probe(d.index);
      if (reason !== undefined) {
        this.health[d.index]!.reason = reason;
        continue;
      }
      try {
        await this.attach(d.index);
      } catch (err) {
        this.markOffline(d.index, `attach failed: ${(err as Error).message}`);
        continue;
      }
      this.log(`drive ${d.index + 1} (${d.path}) back online${replaced ? ' as a replacement: rebuilding its shards' : ''}`);
      out.attached.push(d.index);
      if (replaced) out.replaced.push(d.index);
    }
    return out;
  }
}
