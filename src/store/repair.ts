// Checking and rebuilding the blocks of one live entry (an object, or an aux record with a layout such
// as a multipart part). Shared by the scrubber, heal-on-read, fsck --repair and drive replacement.
//
// A rebuilt shard is appended as a new shard record on a healthy drive (its home drive when that one is
// online, else a drive holding no other shard of the block), the appends are awaited, and the entry is
// re-pointed with engine.relocate(): one conditional commit record per entry, durable (group commit
// fsyncs the new shards' segments too) and applied only if the entry is still the version that was
// checked — a concurrent overwrite or delete wins and the rebuilt shards are just garbage.
import type { BlockLocation, Layout, ShardLocation } from './api.js';
import type { RelocateTarget, StrataEngine } from './engine.js';
import type { ByteThrottle, DurabilityPool } from './durability-pool.js';
import { RECORD_HEADER_BYTES } from './record.js';
import type { RepairItem } from './repair-queue.js';
import { versionOrder } from './versions.js';
import { type CheckItem, type CheckResult, checkRegionBytes } from '../workers/durability-types.js';

/** Blocks per worker task, and region bytes per task, at most. */
export const CHECK_MAX_BLOCKS_PER_TASK = 32;
export const CHECK_MAX_TASK_BYTES = 8 * 1024 * 1024;
/** Findings kept per report (the counters keep counting past it). */
export const MAX_FINDINGS = 200;
/** Rebuilt shard bytes appended but not yet written, at most, before a repair waits for the disk. */
export const REPAIR_MAX_PENDING_WRITE_BYTES = 32 * 1024 * 1024;
/** Attempts at repairing an entry that keeps changing underneath. */
export const REPAIR_MAX_ATTEMPTS = 3;

export interface LiveEntry {
  target: RelocateTarget;
  seq: number;
  layout: Layout;
}

export interface Finding {
  entry: string;
  block: number;
  shard: number;
  drive: number | null;
  segment: number | null;
  offset: number | null;
  reason: string;
  outcome: 'repaired' | 'unrecoverable' | 'deferred' | 'changed' | 'found';
}

export interface EntryOutcome {
  blocksChecked: number;
  bytesChecked: number;
  badShards: number;
  repairedShards: number;
  /** Blocks with fewer than k verifying shards. */
  unrecoverableBlocks: number;
  /** Bad shards left alone: no healthy independent drive to put them on (yet). */
  deferredShards: number;
  /** The entry changed while we worked: nothing applied (its successor will be checked on its own). */
  changed: boolean;
  findings: Finding[];
}

export function entryName(t: RelocateTarget): string {
  if (t.kind === 'object') return `${t.bucket}/${t.key}`;
  if (t.kind === 'version') return `${t.bucket}/${t.key} (version order ${t.order})`;
  return `aux:${t.ns}/${t.id}`;
}

interface FlatBlock {
  block: BlockLocation;
  k: number;
  m: number;
  ext: number;
  index: number;
  flat: number;
}

function flatBlocks(layout: Layout): FlatBlock[] {
  const out: FlatBlock[] = [];
  layout.extents.forEach((e, ext) => e.blocks.forEach((block, index) => out.push({ block, k: e.k, m: e.m, ext, index, flat: out.length })));
  return out;
}

export class Repairer {
  constructor(
    private readonly engine: StrataEngine,
    private readonly pool: DurabilityPool,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  private driveUsable(d: number): boolean {
    const { driveSet, segments } = this.engine.internals;
    return driveSet.drives[d]?.online === true && segments[d] != null;
  }

  /** Where shard `i` of a block should be rebuilt, or undefined when no independent healthy drive exists. */
  chooseDrive(shards: readonly (ShardLocation | null)[], i: number): number | undefined {
    const D = this.engine.config.drives.length;
    const taken = new Set<number>();
    shards.forEach((s, j) => {
      if (s && j !== i) taken.add(s.drive);
    });
    let home = shards[i]?.drive;
    if (home === undefined) {
      // Shard i was never written (drive offline at write time): placement rotates by position.
      const j = shards.findIndex((s) => s !== null);
      if (j >= 0) home = (((shards[j]!.drive - j) % D) + D + i) % D;
    }
    if (home !== undefined && !taken.has(home) && this.driveUsable(home)) return home;
    for (let step = 1; step <= D; step++) {
      const d = ((home ?? 0) + step) % D;
      if (!taken.has(d) && this.driveUsable(d)) return d;
    }
    return undefined;
  }

  private async fdOf(loc: ShardLocation | null): Promise<{ fd: number; offset: number; xxh64: string } | null> {
    if (!loc) return null;
    const segs = this.engine.internals.segments[loc.drive];
    const fd = segs && this.driveUsable(loc.drive) ? await segs.fd(loc.segment) : -1;
    return { fd, offset: loc.offset, xxh64: loc.xxh64 };
  }

  /**
   * Checks every block of `entry` (or only `onlyBlocks`, flat indices) and, with `repair`, rebuilds bad
   * or missing shards and re-points the entry. Never writes a shard whose rebuilt hash disagrees with
   * the layout.
   */
  async checkEntry(
    entry: LiveEntry,
    options: { repair: boolean; onlyBlocks?: ReadonlySet<number>; throttle?: ByteThrottle; stop?: { stopped: boolean } },
  ): Promise<EntryOutcome> {
    const name = entryName(entry.target);
    const out: EntryOutcome = { blocksChecked: 0, bytesChecked: 0, badShards: 0, repairedShards: 0, unrecoverableBlocks: 0, deferredShards: 0, changed: false, findings: [] };
    const blocks = flatBlocks(entry.layout).filter((b) => !options.onlyBlocks || options.onlyBlocks.has(b.flat));
    const replaced = new Map<number, (ShardLocation | null)[]>();
    const writes: Promise<void>[] = [];
    let pendingShards = 0;
    let writeBytes = 0;
    const note = (f: Finding): void => {
      if (out.findings.length < MAX_FINDINGS) out.findings.push(f);
    };
    for (let i = 0; i < blocks.length; ) {
      if (options.stop?.stopped) break;
      const batch: FlatBlock[] = [];
      let bytes = 0;
      while (i < blocks.length && batch.length < CHECK_MAX_BLOCKS_PER_TASK) {
        const b = blocks[i]!;
        const rb = checkRegionBytes(b.k, b.m, b.block.shardBytes);
        if (batch.length > 0 && bytes + rb > CHECK_MAX_TASK_BYTES) break;
        batch.push(b);
        bytes += rb;
        i++;
      }
      const items: CheckItem[] = [];
      let readBytes = 0;
      for (const b of batch) {
        const sb = b.block.shardBytes;
        readBytes += (RECORD_HEADER_BYTES + sb) * (b.k + b.m);
        items.push({
          sab: new SharedArrayBuffer(checkRegionBytes(b.k, b.m, sb)),
          k: b.k,
          m: b.m,
          shardBytes: sb,
          dataBytes: b.block.dataBytes,
          seed: this.engine.internals.seedHex,
          shards: await Promise.all(b.block.shards.map((s) => this.fdOf(s))),
          repair: options.repair,
        });
      }
      await options.throttle?.take(readBytes, options.stop);
      const results: CheckResult[] = await this.pool.check(items);
      out.blocksChecked += batch.length;
      out.bytesChecked += readBytes;
      for (let j = 0; j < batch.length; j++) {
        const b = batch[j]!;
        const r = results[j]!;
        if (r.bad.length === 0) continue;
        out.badShards += r.bad.length;
        const where = (idx: number): Pick<Finding, 'drive' | 'segment' | 'offset'> => {
          const s = b.block.shards[idx];
          return { drive: s?.drive ?? null, segment: s?.segment ?? null, offset: s?.offset ?? null };
        };
        if (r.good < b.k) {
          out.unrecoverableBlocks++;
          for (const x of r.bad) note({ entry: name, block: b.flat, shard: x.index, ...where(x.index), reason: x.reason, outcome: 'unrecoverable' });
          this.log(`scrub: ${name} block ${b.flat}: only ${r.good} of ${b.k + b.m} shards verify (need ${b.k}): unrecoverable`);
          continue;
        }
        if (!options.repair || !r.rebuiltXxh64) {
          for (const x of r.bad) note({ entry: name, block: b.flat, shard: x.index, ...where(x.index), reason: x.reason, outcome: 'found' });
          continue;
        }
        const rebuilt = r.rebuiltXxh64;
        // Assert at the disk boundary: the re-encoded block must reproduce every hash the layout recorded.
        const mismatch = b.block.shards.findIndex((s, idx) => s !== null && s.xxh64 !== rebuilt[idx]);
        if (mismatch >= 0) {
          out.unrecoverableBlocks++;
          for (const x of r.bad) note({ entry: name, block: b.flat, shard: x.index, ...where(x.index), reason: `${x.reason}; rebuild disagrees with shard ${mismatch}'s recorded hash`, outcome: 'unrecoverable' });
          this.log(`scrub: ${name} block ${b.flat}: reconstruction does not reproduce the recorded hash of shard ${mismatch}: not written`);
          continue;
        }
        const shards = [...b.block.shards];
        const sb = b.block.shardBytes;
        const hdrBase = (b.k + b.m) * sb;
        for (const x of r.bad) {
          const d = this.chooseDrive(shards, x.index);
          const segs = d === undefined ? null : this.engine.internals.segments[d];
          if (d === undefined || !segs) {
            out.deferredShards++;
            note({ entry: name, block: b.flat, shard: x.index, ...where(x.index), reason: x.reason, outcome: 'deferred' });
            continue;
          }
          const sab = items[j]!.sab;
          const header = new Uint8Array(sab, hdrBase + x.index * RECORD_HEADER_BYTES, RECORD_HEADER_BYTES);
          const payload = new Uint8Array(sab, x.index * sb, sb);
          const { segment, offset, written } = segs.append([header, payload], RECORD_HEADER_BYTES + sb);
          writes.push(written);
          pendingShards++;
          writeBytes += RECORD_HEADER_BYTES + sb;
          shards[x.index] = { drive: d, segment: segment.number, offset, xxh64: rebuilt[x.index]! };
          note({ entry: name, block: b.flat, shard: x.index, ...where(x.index), reason: x.reason, outcome: 'repaired' });
        }
        if (shards.some((s, idx) => s !== b.block.shards[idx])) replaced.set(b.flat, shards);
      }
      // Rebuilt shards wait in their shared regions until written: bound what is in flight.
      if (writeBytes >= REPAIR_MAX_PENDING_WRITE_BYTES) {
        await Promise.all(writes);
        writeBytes = 0;
      }
    }
    if (replaced.size === 0) return out;
    await Promise.all(writes);
    let flat = 0;
    const layout: Layout = {
      extents: entry.layout.extents.map((e) => ({
        ...e,
        blocks: e.blocks.map((block) => {
          const s = replaced.get(flat++);
          return s ? { ...block, shards: s } : block;
        }),
      })),
    };
    const ok = await this.engine.relocate(entry.target, entry.seq, layout);
    const rebuiltShards = out.findings.filter((f) => f.outcome === 'repaired').length;
    if (ok) {
      out.repairedShards = pendingShards;
      this.log(`repair: ${name}: ${pendingShards} shard(s) rebuilt and re-pointed`);
    } else {
      out.changed = true;
      for (const f of out.findings) if (f.outcome === 'repaired') f.outcome = 'changed';
      this.log(`repair: ${name} changed while being repaired: ${rebuiltShards} rebuilt shard(s) left as garbage`);
    }
    return out;
  }

  /** The entry as the index has it now; undefined when it is gone (or has no layout). */
  current(target: RelocateTarget): LiveEntry | undefined {
    if (target.kind === 'object') {
      const meta = this.engine.headObject(target.bucket, target.key);
      return meta ? { target, seq: meta.seq, layout: meta.layout } : undefined;
    }
    if (target.kind === 'version') {
      const meta = this.engine.internals.db.getVersion(target.bucket, target.key, target.order);
      return meta && !meta.deleteMarker ? { target, seq: meta.seq, layout: meta.layout } : undefined;
    }
    const a = this.engine.internals.db.aux.get([target.ns, target.id]);
    return a?.layout ? { target, seq: a.seq, layout: a.layout } : undefined;
  }

  /**
   * checkEntry with repair, retried on the entry's newest version when it changed underneath (another
   * repair, a rebuild, compaction): `only` picks the blocks of each version to look at.
   */
  async repairLatest(
    entry: LiveEntry,
    only: ((e: LiveEntry) => ReadonlySet<number> | undefined) | undefined,
    options: { throttle?: ByteThrottle; stop?: { stopped: boolean } } = {},
  ): Promise<EntryOutcome> {
    let cur: LiveEntry | undefined = entry;
    let o: EntryOutcome | undefined;
    for (let attempt = 0; attempt < REPAIR_MAX_ATTEMPTS && cur; attempt++) {
      const blocks = only?.(cur);
      if (blocks && blocks.size === 0) break;
      o = await this.checkEntry(cur, { repair: true, ...(blocks ? { onlyBlocks: blocks } : {}), ...options });
      if (!o.changed) return o;
      cur = this.current(entry.target);
    }
    return o ?? { blocksChecked: 0, bytesChecked: 0, badShards: 0, repairedShards: 0, unrecoverableBlocks: 0, deferredShards: 0, changed: true, findings: [] };
  }

  /** Heal on read: repairs the blocks behind queued reports. Returns shards repaired. */
  async healItems(items: RepairItem[], throttle?: ByteThrottle): Promise<{ repaired: number; unrecoverable: number; deferred: number; gone: number }> {
    const res = { repaired: 0, unrecoverable: 0, deferred: 0, gone: 0 };
    const byObject = new Map<string, RepairItem[]>();
    for (const it of items) {
      // A shard on an offline drive can only go back there (or to a spare drive) later: the drive's
      // return or replacement rebuilds it; re-reading every block now would only cost I/O.
      if (!this.driveUsable(it.drive) && this.engine.config.drives.length === this.engine.config.erasure.k + this.engine.config.erasure.m) {
        res.deferred++;
        continue;
      }
      if (it.bucket === undefined || it.key === undefined) {
        res.gone++;
        continue;
      }
      const id = `${it.bucket}\u0000${it.key}\u0000${it.versionId ?? ''}`;
      const list = byObject.get(id);
      if (list) list.push(it);
      else byObject.set(id, [it]);
    }
    for (const list of byObject.values()) {
      const { bucket, key, versionId } = list[0]! as Required<Pick<RepairItem, 'bucket' | 'key'>> & Pick<RepairItem, 'versionId'>;
      const current = this.engine.headObject(bucket, key);
      // A read of a noncurrent version reports shards of that version: heal it where it now is.
      const meta = versionId === undefined || current?.versionId === versionId ? current : this.engine.headVersion(bucket, key, versionId);
      const target: RelocateTarget = meta === current || !meta ? { kind: 'object', bucket, key } : { kind: 'version', bucket, key, order: versionOrder(meta) };
      if (!meta || meta.deleteMarker) {
        res.gone += list.length;
        continue;
      }
      const want = new Set(list.map((it) => `${it.drive}:${it.segment}:${it.offset}`));
      const only = new Set<number>();
      for (const fb of flatBlocks(meta.layout)) {
        if (fb.block.shards.some((s) => s && want.has(`${s.drive}:${s.segment}:${s.offset}`))) only.add(fb.flat);
      }
      if (only.size === 0) {
        res.gone += list.length; // already re-pointed (repaired or overwritten)
        continue;
      }
      const o = await this.checkEntry({ target, seq: meta.seq, layout: meta.layout }, { repair: true, onlyBlocks: only, ...(throttle ? { throttle } : {}) });
      res.repaired += o.repairedShards;
      res.unrecoverable += o.unrecoverableBlocks;
      res.deferred += o.deferredShards;
    }
    return res;
  }
}
