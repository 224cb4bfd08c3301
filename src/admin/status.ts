// `strata admin status`: a read-only look at a data directory — safe while the node runs (LMDB allows
// concurrent readers; nothing is written). Drives: marker, segments, bytes, free space, writability.
// Index: entries, last sequence number, live/garbage bytes per segment (compaction candidates).
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { EngineConfig } from '../store/api.js';
import { FORMAT_MARKER_FILE, type FormatMarker } from '../store/drives.js';
import { IndexDb } from '../store/index-db.js';
import { listSegments, segmentFileName } from '../store/segment.js';
import { otherIndexUsers } from './guard.js';

export interface DriveStatus {
  index: number;
  path: string;
  state: 'online' | 'missing' | 'empty (replacement pending)' | 'foreign' | 'unreadable' | 'read-only';
  detail?: string;
  nodeId?: string;
  segments: number;
  segmentBytes: number;
  freeBytes?: number;
}

export interface NodeStatus {
  nodeRunningPids: number[];
  nodeId?: string;
  drives: DriveStatus[];
  index?: {
    buckets: number;
    objects: number;
    /** Noncurrent versions and delete markers of versioned buckets. */
    noncurrentVersions: number;
    aux: number;
    lastSeq: number;
    liveBytes: number;
    garbageBytes: number;
    /** Segments whose garbage share (by file size) is highest. */
    topGarbage: { drive: number; segment: number; fileBytes: number; liveBytes: number; garbageRatio: number }[];
  };
  healthyDrives: number;
  /** Writes need at least k+1 healthy drives (or all placed ones), reads at least k. */
  writable: boolean;
  readable: boolean;
}

async function driveStatus(dir: string, index: number): Promise<DriveStatus> {
  const out: DriveStatus = { index, path: dir, state: 'online', segments: 0, segmentBytes: 0 };
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (err) {
    out.state = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
    out.detail = (err as Error).message;
    return out;
  }
  if (names.length === 0) {
    out.state = 'empty (replacement pending)';
    return out;
  }
  try {
    const mk = JSON.parse(await fsp.readFile(path.join(dir, FORMAT_MARKER_FILE), 'utf8')) as FormatMarker;
    out.nodeId = mk.nodeId;
    if (mk.driveIndex !== index) {
      out.state = 'foreign';
      out.detail = `formatted as drive ${mk.driveIndex + 1}`;
    }
  } catch (err) {
    out.state = 'foreign';
    out.detail = `no readable ${FORMAT_MARKER_FILE}: ${(err as Error).message}`;
    return out;
  }
  for (const n of await listSegments(dir)) {
    out.segments++;
    out.segmentBytes += (await fsp.stat(path.join(dir, segmentFileName(n))).catch(() => ({ size: 0 }))).size;
  }
  try {
    const st = await fsp.statfs(dir);
    out.freeBytes = st.bavail * st.bsize;
  } catch {
    // statfs unsupported: leave it out
  }
  try {
    await fsp.access(dir, fs.constants.W_OK);
  } catch {
    if (out.state === 'online') out.state = 'read-only';
  }
  return out;
}

export async function nodeStatus(config: EngineConfig): Promise<NodeStatus> {
  const drives = await Promise.all(config.drives.map((d, i) => driveStatus(d, i)));
  const ids = new Set(drives.map((d) => d.nodeId).filter((x): x is string => x !== undefined));
  const nodeId = ids.size === 1 ? [...ids][0] : undefined;
  if (ids.size > 1) for (const d of drives) if (d.state === 'online') d.detail = `drives disagree on node id (${[...ids].join(', ')})`;
  const healthy = drives.filter((d) => d.state === 'online').length;
  const { k } = config.erasure;
  const status: NodeStatus = {
    nodeRunningPids: await otherIndexUsers(config.indexDir).catch(() => []),
    ...(nodeId ? { nodeId } : {}),
    drives,
    healthyDrives: healthy,
    writable: healthy >= Math.min(config.drives.length, k + 1),
    readable: healthy >= k,
  };
  if (fs.existsSync(config.indexDir)) {
    const db = IndexDb.open(config.indexDir);
    try {
      let live = 0;
      let garbage = 0;
      const segs: NonNullable<NodeStatus['index']>['topGarbage'] = [];
      for (const { key, value } of db.segments.getRange({})) {
        live += value.liveBytes;
        garbage += value.garbageBytes;
        const file = path.join(config.drives[key[0]] ?? '', segmentFileName(key[1]));
        const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
        if (size > 0) segs.push({ drive: key[0], segment: key[1], fileBytes: size, liveBytes: value.liveBytes, garbageRatio: Math.max(0, 1 - value.liveBytes / size) });
      }
      segs.sort((a, b) => b.garbageRatio - a.garbageRatio);
      status.index = {
        buckets: db.buckets.getCount(),
        objects: db.objects.getCount(),
        noncurrentVersions: db.versions.getCount(),
        aux: db.aux.getCount(),
        lastSeq: db.lastSeq,
        liveBytes: live,
        garbageBytes: garbage,
        topGarbage: segs.slice(0, 10),
      };
    } finally {
      await db.close();
    }
  }
  return status;
}

export function renderStatus(s: NodeStatus): string {
  const lines: string[] = [];
  lines.push(`node ${s.nodeId ?? '(unknown)'}: ${s.nodeRunningPids.length ? `running (pid ${s.nodeRunningPids.join(', ')})` : 'not running'}`);
  lines.push(`drives: ${s.healthyDrives}/${s.drives.length} healthy — ${s.readable ? 'readable' : 'NOT READABLE'}, ${s.writable ? 'writable' : 'NOT WRITABLE'}`);
  lines.push('  #  state                         segments      bytes        free  path');
  for (const d of s.drives) {
    lines.push(
      `  ${String(d.index + 1).padStart(1)}  ${d.state.padEnd(28)} ${String(d.segments).padStart(9)} ${fmtBytes(d.segmentBytes).padStart(10)} ${(d.freeBytes === undefined ? '-' : fmtBytes(d.freeBytes)).padStart(11)}  ${d.path}${d.detail ? `  (${d.detail})` : ''}`,
    );
  }
  if (s.index) {
    const i = s.index;
    lines.push(`index: ${i.buckets} buckets, ${i.objects} objects, ${i.noncurrentVersions} noncurrent versions and delete markers, ${i.aux} aux records, last seq ${i.lastSeq}; shard bytes live ${fmtBytes(i.liveBytes)}, garbage ${fmtBytes(i.garbageBytes)}`);
    const cands = i.topGarbage.filter((g) => g.garbageRatio > 0);
    if (cands.length) {
      lines.push('  most garbage: ' + cands.slice(0, 5).map((g) => `drive ${g.drive + 1} seg ${g.segment} ${(g.garbageRatio * 100).toFixed(0)}% of ${fmtBytes(g.fileBytes)}`).join('; '));
    }
  } else lines.push('index: none');
  return lines.join('\n');
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}
