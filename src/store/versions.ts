// Object versions: ids, ordering, and how a versioned commit or a version delete changes the index.
//
// The index keeps two views of a key (ARCHITECTURE-store.md, "Versioning"):
//   objects  [bucket, key]               the current version, unless the latest version is a delete marker
//   versions [bucket, key, top - order]  every other version and every delete marker, newest first
// plus nullVersions [bucket, key] → order of the noncurrent version whose id is "null", if any (a key
// has at most one "null" version: writes while versioning is off or suspended replace it).
//
// A version's order is the sequence number of the commit that created it (meta.versionSeq; objects
// written before versioning was enabled have none and sort by their seq). Invariant: when objects holds
// a key, it is the key's newest version. Both the live commit path and replay (recovery, fsck) apply
// records through the functions below, so a rebuild ends where the running node was.
import { type Layout, NULL_VERSION_ID, type ObjectMeta } from './api.js';

/** Keys sort newest first: versions are stored under VERSION_ORDER_TOP - order. */
export const VERSION_ORDER_TOP = Number.MAX_SAFE_INTEGER;
const VERSION_ID_HEX_DIGITS = 16;
const VERSION_ID_PATTERN = /^[0-9a-f]{16}$/;

/** The id of the version created by commit `seq`: 16 lower-case hex digits (opaque to clients). */
export function versionIdOf(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq <= 0) throw new Error(`versionIdOf: bad seq ${seq}`);
  return seq.toString(16).padStart(VERSION_ID_HEX_DIGITS, '0');
}

/** True for ids versionIdOf() makes and for "null". */
export function isVersionId(id: string): boolean {
  return id === NULL_VERSION_ID || VERSION_ID_PATTERN.test(id);
}

/** The order a non-null id stands for, undefined for "null" or a malformed id. */
export function orderOfVersionId(id: string): number | undefined {
  if (!VERSION_ID_PATTERN.test(id)) return undefined;
  const n = Number.parseInt(id, 16);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Where a version sorts among its key's versions. */
export function versionOrder(meta: ObjectMeta): number {
  return meta.versionSeq ?? meta.seq;
}

/** What the apply functions need from an index: the real one (IndexDb) or fsck's in-memory replay. */
export interface VersionTables {
  getObject(bucket: string, key: string): ObjectMeta | undefined;
  putObject(meta: ObjectMeta, encoded?: Uint8Array): void;
  removeObject(bucket: string, key: string): void;
  getVersion(bucket: string, key: string, order: number): ObjectMeta | undefined;
  /** Stores meta under its own order (versionOrder(meta)). */
  putVersion(meta: ObjectMeta, encoded?: Uint8Array): void;
  removeVersion(bucket: string, key: string, order: number): void;
  /** The newest entry of the versions table for the key (the newest noncurrent version or marker). */
  newestVersion(bucket: string, key: string): ObjectMeta | undefined;
  getNullOrder(bucket: string, key: string): number | undefined;
  setNullOrder(bucket: string, key: string, order: number): void;
  clearNullOrder(bucket: string, key: string): void;
  /** Moves a layout's bytes between live and garbage (a hint for compaction). */
  account(layout: Layout | undefined, kind: 'live' | 'dead'): void;
}

/** Moves the current version of a key into the versions table (it stays live). */
function demote(t: VersionTables, cur: ObjectMeta): void {
  const order = versionOrder(cur);
  // The stored copy carries its order, so later commits of this version (tags, relocation) find it.
  t.putVersion(cur.versionSeq === order ? cur : { ...cur, versionSeq: order });
  if (cur.versionId === NULL_VERSION_ID) t.setNullOrder(cur.bucket, cur.key, order);
}

/** Makes the newest noncurrent version current if it is an object (not a delete marker). */
function promoteNewest(t: VersionTables, bucket: string, key: string): void {
  const top = t.newestVersion(bucket, key);
  if (!top || top.deleteMarker) return;
  t.removeVersion(bucket, key, versionOrder(top));
  if (top.versionId === NULL_VERSION_ID) t.clearNullOrder(bucket, key);
  t.putObject(top);
}

/**
 * An object commit whose meta has a versionSeq (a versioned bucket). versionSeq === seq: the commit
 * creates a version (or a delete marker); versionSeq < seq: a later commit of an existing version
 * (tags, relocation), applied where that version now is — or dropped if it is gone.
 */
export function applyVersionedCommit(t: VersionTables, meta: ObjectMeta, encoded?: Uint8Array): void {
  const { bucket, key } = meta;
  const order = meta.versionSeq!;
  const cur = t.getObject(bucket, key);
  if (order < meta.seq) {
    if (cur && cur.versionId === meta.versionId && versionOrder(cur) === order) {
      t.account(cur.layout, 'dead');
      t.putObject(meta, encoded);
      t.account(meta.layout, 'live');
      return;
    }
    const old = t.getVersion(bucket, key, order);
    if (old && old.versionId === meta.versionId) {
      t.account(old.layout, 'dead');
      t.putVersion(meta, encoded);
      t.account(meta.layout, 'live');
      return;
    }
    // Not found: only in a replay, when compaction dropped the commit that created this version (this
    // record superseded it) — the live path decides such commits against the index after the key is idle.
    // This record is then the version's only trace: it goes where its order puts it.
    const newest = cur ?? t.newestVersion(bucket, key);
    if (newest && versionOrder(newest) > order) {
      t.putVersion(meta, encoded);
      t.account(meta.layout, 'live');
      if (meta.versionId === NULL_VERSION_ID && t.getNullOrder(bucket, key) === undefined) t.setNullOrder(bucket, key, order);
      return;
    }
    // Newer than every version there: it is the latest, as when it was created.
  } else if (order !== meta.seq) throw new Error(`versioned commit ${meta.seq}: versionSeq ${order} is in the future`);
  let replacedCurrent = false;
  if (meta.versionId === NULL_VERSION_ID) {
    // At most one "null" version per key: a new one replaces the old, wherever it is.
    if (cur?.versionId === NULL_VERSION_ID) {
      t.account(cur.layout, 'dead');
      replacedCurrent = true;
    } else {
      const nullOrder = t.getNullOrder(bucket, key);
      if (nullOrder !== undefined) {
        const old = t.getVersion(bucket, key, nullOrder);
        if (old) {
          t.account(old.layout, 'dead');
          t.removeVersion(bucket, key, nullOrder);
        }
        t.clearNullOrder(bucket, key);
      }
    }
  }
  if (cur && !replacedCurrent) demote(t, cur);
  if (meta.deleteMarker) {
    t.putVersion(meta, encoded);
    if (meta.versionId === NULL_VERSION_ID) t.setNullOrder(bucket, key, order);
    if (cur) t.removeObject(bucket, key);
    return;
  }
  t.putObject(meta, encoded);
  t.account(meta.layout, 'live');
}

/** Removes one version for good; when it was the latest, the next newest object version becomes current. */
export function applyVersionDelete(t: VersionTables, bucket: string, key: string, versionId: string): void {
  const cur = t.getObject(bucket, key);
  if (cur && cur.versionId === versionId) {
    t.account(cur.layout, 'dead');
    t.removeObject(bucket, key);
    promoteNewest(t, bucket, key);
    return;
  }
  const order = versionId === NULL_VERSION_ID ? t.getNullOrder(bucket, key) : orderOfVersionId(versionId);
  if (order === undefined) return;
  const old = t.getVersion(bucket, key, order);
  if (!old || old.versionId !== versionId) return;
  t.account(old.layout, 'dead');
  t.removeVersion(bucket, key, order);
  if (versionId === NULL_VERSION_ID) t.clearNullOrder(bucket, key);
  // With no current object the latest was a marker; if that was the one removed, an object may surface.
  if (!cur) promoteNewest(t, bucket, key);
}

/** In-memory VersionTables: fsck's model of what a rebuild from the segments would produce. */
export class MemoryVersionTables implements VersionTables {
  readonly objects = new Map<string, ObjectMeta>();
  /** `${bucket}\0${key}` → versions by order. */
  readonly versions = new Map<string, Map<number, ObjectMeta>>();
  readonly nulls = new Map<string, number>();

  static id(bucket: string, key: string): string {
    return `${bucket}\u0000${key}`;
  }
  getObject(bucket: string, key: string): ObjectMeta | undefined {
    return this.objects.get(MemoryVersionTables.id(bucket, key));
  }
  putObject(meta: ObjectMeta): void {
    this.objects.set(MemoryVersionTables.id(meta.bucket, meta.key), meta);
  }
  removeObject(bucket: string, key: string): void {
    this.objects.delete(MemoryVersionTables.id(bucket, key));
  }
  getVersion(bucket: string, key: string, order: number): ObjectMeta | undefined {
    return this.versions.get(MemoryVersionTables.id(bucket, key))?.get(order);
  }
  putVersion(meta: ObjectMeta): void {
    const id = MemoryVersionTables.id(meta.bucket, meta.key);
    let m = this.versions.get(id);
    if (!m) this.versions.set(id, (m = new Map()));
    m.set(versionOrder(meta), meta);
  }
  removeVersion(bucket: string, key: string, order: number): void {
    const id = MemoryVersionTables.id(bucket, key);
    const m = this.versions.get(id);
    m?.delete(order);
    if (m && m.size === 0) this.versions.delete(id);
  }
  newestVersion(bucket: string, key: string): ObjectMeta | undefined {
    const m = this.versions.get(MemoryVersionTables.id(bucket, key));
    if (!m) return undefined;
    let best: number | undefined;
    for (const o of m.keys()) if (best === undefined || o > best) best = o;
    return best === undefined ? undefined : m.get(best);
  }
  getNullOrder(bucket: string, key: string): number | undefined {
    return this.nulls.get(MemoryVersionTables.id(bucket, key));
  }
  setNullOrder(bucket: string, key: string, order: number): void {
    this.nulls.set(MemoryVersionTables.id(bucket, key), order);
  }
  clearNullOrder(bucket: string, key: string): void {
    this.nulls.delete(MemoryVersionTables.id(bucket, key));
  }
  account(): void {}
}
