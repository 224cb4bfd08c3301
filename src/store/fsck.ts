// fsck: index ↔ segments, both ways. Run with the node stopped (the admin CLI checks).
//
// Segments → index: every segment of every online drive is walked, every record's header and payload
// hash verified. The metadata records are replayed in sequence order under the rules of a rebuild
// (last commit wins, a commit applies only if each block has ≥ k verifying shards): that is the index the segments vouch for. It is compared with LMDB:
// entries missing from the index, stale ones, and index entries no segment backs (a rebuild would lose
// them).
// Index → segments: every shard reference of every live layout must land on a valid shard record with
// the recorded hash (else: dangling); a block with fewer than k good shards is unreadable. Valid shard
// records nobody references are orphans (garbage: aborted writes, overwritten objects) for compaction.
//
// --repair: index entries are re-pointed at what the segments vouch for; entries only the index knows
// are re-logged (readable) or dropped (unreadable); dangling shards are rebuilt from the others.
// Memory: the valid shard records of all segments are held (16-ish bytes each) — an admin tool's price.
import path from 'node:path';
import type { BucketMeta, Layout, ObjectMeta } from './api.js';
import type { StrataEngine } from './engine.js';
import type { AuxEntry } from './index-db.js';
import { type AuxPutBody, type LogBody, type ObjectCommitBody, type ObjectDeleteBody, type AuxDeleteBody, type BucketBody, type BucketDeleteBody, applyRecord, decodeLogBody } from './log-records.js';
import { RecordType, recordBytes } from './record.js';
import type { Repairer } from './repair.js';
import { scanSegmentFile } from './segment-scan.js';
import { listSegments, segmentFileName } from './segment.js';
import { MemoryVersionTables, VERSION_ORDER_TOP, applyVersionDelete, applyVersionedCommit, versionOrder } from './versions.js';

/** Details kept per list in the report; counters keep counting past it. */
export const FSCK_MAX_DETAILS = 100;

export interface FsckReport {
  segmentsScanned: number;
  segmentBytes: number;
  recordsChecked: number;
  badRegions: number;
  badRegionBytes: number;
  regions: { drive: number; segment: number; offset: number; bytes: number }[];
  shardRecords: number;
  metadataRecords: number;
  objects: number;
  auxWithLayout: number;
  shardRefs: number;
  danglingRefs: number;
  dangling: { entry: string; block: number; shard: number; drive: number; segment: number; offset: number; reason: string }[];
  /** Entries with a block of fewer than k good shards. */
  unreadable: string[];
  orphanShardRecords: number;
  orphanShardBytes: number;
  /** In the segments' view, missing from the index. */
  missingFromIndex: string[];
  /** In the index, but no valid record in the segments backs it (a rebuild would lose or change it). */
  notBacked: string[];
  /** Both have it, at different versions. */
  stale: { entry: string; indexSeq: number; segmentSeq: number }[];
  bucketsMissingFromIndex: string[];
  bucketsNotBacked: string[];
  /** Number of problems (orphans and bad regions holding only dead records are not problems). */
  problems: number;
  repaired?: { indexFixed: number; relogged: number; shardsRebuilt: number; dropped: number };
}

interface ShardRec {
  xxh64: string;
  totalBytes: number;
  referenced: boolean;
}

function emptyReport(): FsckReport {
  return {
    segmentsScanned: 0,
    segmentBytes: 0,
    recordsChecked: 0,
    badRegions: 0,
    badRegionBytes: 0,
    regions: [],
    shardRecords: 0,
    metadataRecords: 0,
    objects: 0,
    auxWithLayout: 0,
    shardRefs: 0,
    danglingRefs: 0,
    dangling: [],
    unreadable: [],
    orphanShardRecords: 0,
    orphanShardBytes: 0,
    missingFromIndex: [],
    notBacked: [],
    stale: [],
    bucketsMissingFromIndex: [],
    bucketsNotBacked: [],
    problems: 0,
  };
}

function push<T>(list: T[], item: T): void {
  if (list.length < FSCK_MAX_DETAILS) list.push(item);
}

const objId = (bucket: string, key: string): string => `${bucket}\u0000${key}`;
const auxId = (ns: string, id: string): string => `${ns}\u0000${id}`;
const show = (id: string): string => id.replace('\u0000', '/');
const showAll = (id: string): string => id.replaceAll('\u0000', '/');

/** Drops an unreadable current version: by version id where the key has versions (deleteObject refuses there). */
async function dropCurrent(engine: StrataEngine, meta: ObjectMeta): Promise<void> {
  try {
    await engine.deleteObject(meta.bucket, meta.key);
  } catch (err) {
    if ((err as { code?: string }).code !== 'InvalidArgument') throw err;
    await engine.deleteVersion(meta.bucket, meta.key, meta.versionId);
  }
}

export async function fsck(engine: StrataEngine, options: { repair: boolean; repairer?: Repairer; log?: (m: string) => void }): Promise<FsckReport> {
  const log = options.log ?? (() => undefined);
  const { driveSet, db } = engine.internals;
  const r = emptyReport();
  const shards = new Map<string, Map<number, ShardRec>>(); // "drive:segment" → offset → record
  const records = new Map<number, { type: RecordType; body: LogBody }>();

  // ---- segments → records ----
  for (const d of driveSet.drives) {
    if (!d.online) continue;
    for (const n of await listSegments(d.path)) {
      const file = path.join(d.path, segmentFileName(n));
      const map = new Map<number, ShardRec>();
      shards.set(`${d.index}:${n}`, map);
      for await (const ev of scanSegmentFile(file, driveSet.seed)) {
        if (ev.kind === 'bad') {
          r.badRegions++;
          r.badRegionBytes += ev.bytes;
          r.segmentBytes += ev.bytes;
          push(r.regions, { drive: d.index, segment: n, offset: ev.offset, bytes: ev.bytes });
          log(`fsck: drive ${d.index + 1} segment ${n}: ${ev.bytes} bad bytes at ${ev.offset}`);
          continue;
        }
        r.recordsChecked++;
        r.segmentBytes += ev.totalBytes;
        if (ev.type === RecordType.Shard) {
          r.shardRecords++;
          map.set(ev.offset, { xxh64: ev.xxh64, totalBytes: ev.totalBytes, referenced: false });
        } else {
          r.metadataRecords++;
          const body = decodeLogBody(ev.type, ev.payload);
          if (Number.isSafeInteger(body.seq) && body.seq > 0 && !records.has(body.seq)) records.set(body.seq, { type: ev.type, body });
        }
      }
      r.segmentsScanned++;
    }
  }

  const shardState = (drive: number, segment: number, offset: number, shardBytes: number, xxh: string): string | undefined => {
    if (!driveSet.drives[drive]?.online) return 'drive offline';
    const map = shards.get(`${drive}:${segment}`);
    if (!map) return 'segment missing';
    const rec = map.get(offset);
    if (!rec) return 'no valid record at offset';
    if (rec.totalBytes !== recordBytes(shardBytes)) return 'record size differs from layout';
    if (rec.xxh64 !== xxh) return 'hash differs from layout';
    return undefined;
  };
  const layoutOk = (layout: Layout | undefined): boolean => {
    if (!layout) return true;
    for (const e of layout.extents)
      for (const b of e.blocks) {
        let good = 0;
        for (const s of b.shards) if (s && shardState(s.drive, s.segment, s.offset, b.shardBytes, s.xxh64) === undefined) good++;
        if (good < e.k) return false;
      }
    return true;
  };

  // ---- replay: what a rebuild from these segments would produce ----
  // Objects and versions follow the index's own rules (versions.ts), replayed on maps.
  const tVersionTables = new MemoryVersionTables();
  const tObjects = tVersionTables.objects;
  const tBuckets = new Map<string, BucketMeta>();
  const tAux = new Map<string, AuxEntry>();
  for (const seq of [...records.keys()].sort((a, b) => a - b)) {
    const { type, body } = records.get(seq)!;
    switch (type) {
      case RecordType.ObjectCommit: {
        const { meta } = body as ObjectCommitBody;
        const id = objId(meta.bucket, meta.key);
        if (!layoutOk(meta.layout)) break;
        if (meta.versionSeq !== undefined) applyVersionedCommit(tVersionTables, meta);
        else tObjects.set(id, meta);
        break;
      }
      case RecordType.ObjectDelete: {
        const { bucket, key, versionId } = body as ObjectDeleteBody;
        if (versionId !== undefined) applyVersionDelete(tVersionTables, bucket, key, versionId);
        else tObjects.delete(objId(bucket, key));
        break;
      }
      case RecordType.BucketCreate:
      case RecordType.BucketSettings:
        tBuckets.set((body as BucketBody).bucketMeta.name, (body as BucketBody).bucketMeta);
        break;
      case RecordType.BucketDelete:
        tBuckets.delete((body as BucketDeleteBody).name);
        break;
      case RecordType.AuxPut: {
        const { ns, id, value, layout } = body as AuxPutBody;
        const k = auxId(ns, id);
        if (!layoutOk(layout)) break;
        tAux.set(k, layout ? { value, layout, seq } : { value, seq });
        break;
      }
      case RecordType.AuxDelete: {
        const { ns, id } = body as AuxDeleteBody;
        tAux.delete(auxId(ns, id));
        break;
      }
      default:
        break;
    }
  }

  // ---- index → segments ----
  const iObjects = new Map<string, ObjectMeta>();
  for (const { key, value } of db.objects.getRange({})) iObjects.set(objId(key[0], key[1]), value);
  const iAux = new Map<string, AuxEntry>();
  for (const { key, value } of db.aux.getRange({})) iAux.set(auxId(key[0], key[1]), value);
  const iBuckets = new Map<string, BucketMeta>();
  for (const { key, value } of db.buckets.getRange({})) iBuckets.set(key, value);
  r.objects = iObjects.size;

  const danglingEntries = new Set<string>();
  const unreadableEntries = new Set<string>();
  const checkRefs = (name: string, layout: Layout | undefined): void => {
    if (!layout) return;
    let flat = 0;
    for (const e of layout.extents)
      for (const b of e.blocks) {
        let good = 0;
        b.shards.forEach((s, i) => {
          if (!s) return;
          r.shardRefs++;
          const why = shardState(s.drive, s.segment, s.offset, b.shardBytes, s.xxh64);
          const rec = shards.get(`${s.drive}:${s.segment}`)?.get(s.offset);
          if (rec) rec.referenced = true;
          if (why === undefined) {
            good++;
            return;
          }
          r.danglingRefs++;
          danglingEntries.add(name);
          push(r.dangling, { entry: show(name), block: flat, shard: i, drive: s.drive, segment: s.segment, offset: s.offset, reason: why });
        });
        if (good < e.k) unreadableEntries.add(name);
        flat++;
      }
  };
  for (const [id, meta] of iObjects) checkRefs(id, meta.layout);
  const verId = (bucket: string, key: string, order: number): string => `${bucket}\u0000${key}\u0000${order}`;
  const tVersions = new Map<string, ObjectMeta>();
  for (const [id, byOrder] of tVersionTables.versions) for (const [order, meta] of byOrder) tVersions.set(`${id}\u0000${order}`, meta);
  const iVersions = new Map<string, ObjectMeta>();
  for (const { key, value } of db.versions.getRange({})) iVersions.set(verId(key[0], key[1], VERSION_ORDER_TOP - key[2]), value);
  for (const [id, meta] of iVersions) if (!meta.deleteMarker) checkRefs(`version:${id}`, meta.layout);
  for (const [id, a] of iAux) {
    if (a.layout) r.auxWithLayout++;
    checkRefs(`aux:${id}`, a.layout);
  }
  for (const name of unreadableEntries) push(r.unreadable, show(name));
  for (const map of shards.values())
    for (const rec of map.values())
      if (!rec.referenced) {
        r.orphanShardRecords++;
        r.orphanShardBytes += rec.totalBytes;
      }

  // ---- compare the two views ----
  const missing: string[] = [];
  const notBacked: string[] = [];
  const stale: string[] = [];
  for (const [id, t] of tObjects) {
    const i = iObjects.get(id);
    if (!i) missing.push(id);
    else if (i.seq !== t.seq) stale.push(id);
  }
  for (const id of iObjects.keys()) if (!tObjects.has(id)) notBacked.push(id);
  const versionsMissing: string[] = [];
  const versionsNotBacked: string[] = [];
  const versionsStale: string[] = [];
  for (const [id, t] of tVersions) {
    const i = iVersions.get(id);
    if (!i) versionsMissing.push(id);
    else if (i.seq !== t.seq) versionsStale.push(id);
  }
  for (const id of iVersions.keys()) if (!tVersions.has(id)) versionsNotBacked.push(id);
  for (const id of versionsMissing) push(r.missingFromIndex, `version:${showAll(id)}`);
  for (const id of versionsNotBacked) push(r.notBacked, `version:${showAll(id)}`);
  for (const id of versionsStale) push(r.stale, { entry: `version:${showAll(id)}`, indexSeq: iVersions.get(id)?.seq ?? 0, segmentSeq: tVersions.get(id)?.seq ?? 0 });
  const auxMissing: string[] = [];
  const auxNotBacked: string[] = [];
  for (const [id, t] of tAux) {
    const i = iAux.get(id);
    if (!i) auxMissing.push(id);
    else if (i.seq !== t.seq) stale.push(`aux:${id}`);
  }
  for (const id of iAux.keys()) if (!tAux.has(id)) auxNotBacked.push(id);
  for (const id of missing) push(r.missingFromIndex, show(id));
  for (const id of auxMissing) push(r.missingFromIndex, `aux:${show(id)}`);
  for (const id of notBacked) push(r.notBacked, show(id));
  for (const id of auxNotBacked) push(r.notBacked, `aux:${show(id)}`);
  for (const id of stale) {
    const isAux = id.startsWith('aux:');
    const key = isAux ? id.slice(4) : id;
    push(r.stale, { entry: show(id), indexSeq: (isAux ? iAux.get(key)?.seq : iObjects.get(key)?.seq) ?? 0, segmentSeq: (isAux ? tAux.get(key)?.seq : tObjects.get(key)?.seq) ?? 0 });
  }
  for (const name of tBuckets.keys()) if (!iBuckets.has(name)) push(r.bucketsMissingFromIndex, name);
  for (const name of iBuckets.keys()) if (!tBuckets.has(name)) push(r.bucketsNotBacked, name);
  // Bad regions alone are not problems: a live shard in one shows up as a dangling reference, a live
  // metadata record in one as an entry not backed (copies live on m+1 drives). The rest is dead rot.
  r.problems =
    r.danglingRefs + unreadableEntries.size + missing.length + auxMissing.length + notBacked.length + auxNotBacked.length + stale.length +
    versionsMissing.length + versionsNotBacked.length + versionsStale.length +
    [...tBuckets.keys()].filter((n) => !iBuckets.has(n)).length + [...iBuckets.keys()].filter((n) => !tBuckets.has(n)).length;

  if (!options.repair) return r;

  // ---- repair ----
  const rep = { indexFixed: 0, relogged: 0, shardsRebuilt: 0, dropped: 0 };
  r.repaired = rep;
  // 1. The index follows what the segments vouch for (newer version in segments, or missing entries).
  db.txn(() => {
    for (const [name, b] of tBuckets) if (!iBuckets.has(name)) (applyRecord(db, RecordType.BucketCreate, { seq: 0, bucketMeta: b }), rep.indexFixed++);
    for (const id of [...missing, ...stale.filter((s) => !s.startsWith('aux:'))]) {
      const t = tObjects.get(id)!;
      const i = iObjects.get(id);
      if (i && i.seq > t.seq) continue; // the index knows a newer version: handled below (re-log or drop)
      applyRecord(db, RecordType.ObjectCommit, { seq: t.seq, meta: t });
      iObjects.set(id, t);
      rep.indexFixed++;
    }
    // Noncurrent versions and markers the segments vouch for (those only the index knows are re-logged below).
    for (const id of [...versionsMissing, ...versionsStale]) {
      const t = tVersions.get(id)!;
      const i = iVersions.get(id);
      if (i && i.seq > t.seq) continue;
      db.putVersion(t);
      rep.indexFixed++;
    }
    for (const id of [...auxMissing, ...stale.filter((s) => s.startsWith('aux:')).map((s) => s.slice(4))]) {
      const t = tAux.get(id)!;
      const i = iAux.get(id);
      if (i && i.seq > t.seq) continue;
      const [ns, aid] = id.split('\u0000') as [string, string];
      applyRecord(db, RecordType.AuxPut, t.layout ? { seq: t.seq, ns, id: aid, value: t.value, layout: t.layout } : { seq: t.seq, ns, id: aid, value: t.value });
      iAux.set(id, t);
      rep.indexFixed++;
    }
  });
  // 2. Entries only the index knows (or knows newer): re-log them if readable, else drop them.
  for (const [id, meta] of iObjects) {
    const t = tObjects.get(id);
    if (t && t.seq === meta.seq) continue;
    if (!unreadableEntries.has(id)) {
      // A commit of the entry exactly as the index has it (tags, version id and order included), decided
      // against the index's own seq: the node is stopped, so nothing else is pending.
      if (await engine.relocate({ kind: 'object', bucket: meta.bucket, key: meta.key }, meta.seq, meta.layout)) rep.relogged++;
    } else {
      if (!iBuckets.has(meta.bucket) && !tBuckets.has(meta.bucket)) db.txn(() => applyRecord(db, RecordType.ObjectDelete, { seq: 0, bucket: meta.bucket, key: meta.key }));
      else await dropCurrent(engine, meta);
      unreadableEntries.delete(id);
      rep.dropped++;
      log(`fsck: dropped ${show(id)}: unreadable and not backed by the segments`);
    }
  }
  for (const [id, meta] of iVersions) {
    const t = tVersions.get(id);
    if ((t && t.seq === meta.seq) || meta.deleteMarker || unreadableEntries.has(`version:${id}`)) continue;
    if (await engine.relocate({ kind: 'version', bucket: meta.bucket, key: meta.key, order: versionOrder(meta) }, meta.seq, meta.layout)) rep.relogged++;
  }
  for (const [id, a] of iAux) {
    const t = tAux.get(id);
    if (t && t.seq === a.seq) continue;
    const [ns, aid] = id.split('\u0000') as [string, string];
    if (!unreadableEntries.has(`aux:${id}`)) {
      await engine.putAux(ns, aid, a.value, a.layout);
      rep.relogged++;
    }
  }
  for (const name of iBuckets.keys()) {
    if (tBuckets.has(name)) continue;
    const b = iBuckets.get(name)!;
    await engine.updateBucketSettings(name, b.settings); // logs the whole bucket record again
    rep.relogged++;
  }
  // 3. Dangling shards of readable entries are rebuilt; unreadable entries are dropped.
  if (options.repairer) {
    for (const [id, meta] of [...db.objects.getRange({})].map((e) => [objId(e.key[0], e.key[1]), e.value] as const)) {
      if (!danglingEntries.has(id)) continue;
      if (unreadableEntries.has(id)) {
        await dropCurrent(engine, meta);
        rep.dropped++;
        log(`fsck: dropped ${show(id)}: a block has fewer than k good shards`);
        continue;
      }
      const o = await options.repairer.checkEntry({ target: { kind: 'object', bucket: meta.bucket, key: meta.key }, seq: meta.seq, layout: meta.layout }, { repair: true });
      rep.shardsRebuilt += o.repairedShards;
    }
    for (const { key, value } of [...db.aux.getRange({})]) {
      const id = `aux:${auxId(key[0], key[1])}`;
      if (!danglingEntries.has(id) || !value.layout) continue;
      if (unreadableEntries.has(id)) {
        await engine.deleteAux(key[0], key[1]);
        rep.dropped++;
        continue;
      }
      const o = await options.repairer.checkEntry({ target: { kind: 'aux', ns: key[0], id: key[1] }, seq: value.seq, layout: value.layout }, { repair: true });
      rep.shardsRebuilt += o.repairedShards;
    }
  }
  log(`fsck: repaired: ${rep.indexFixed} index entries fixed, ${rep.relogged} re-logged, ${rep.shardsRebuilt} shards rebuilt, ${rep.dropped} dropped`);
  return r;
}

