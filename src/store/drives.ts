// Drive directories and their format markers. The marker pins a directory to one node, one position
// in the drive list and one erasure scheme, so a foreign, mismatched or reordered drive set is refused
// at open instead of silently mixing data. An empty directory next to formatted drives is a replaced
// drive: it gets a fresh marker and the node serves degraded until repair rebuilds its shards.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { EngineConfig } from './api.js';
import { StoreError } from './api.js';

export const FORMAT_MARKER_FILE = 'strata-format.json';
export const FORMAT_VERSION = 1;

export interface FormatMarker {
  format: 'strata-drive';
  formatVersion: number;
  /** 16 hex digits; doubles as the seed of every record header hash. */
  nodeId: string;
  driveIndex: number;
  driveCount: number;
  k: number;
  m: number;
}

export interface DriveState {
  index: number;
  path: string;
  /** Health flag: false = offline (missing directory, I/O error). Writes put null shards for it. */
  online: boolean;
  /** The directory was empty at open while other drives were formatted: its old shards are gone. */
  replaced: boolean;
}

export interface DriveSet {
  nodeId: string;
  seed: bigint;
  drives: DriveState[];
}

async function readMarker(dir: string): Promise<FormatMarker | undefined> {
  try {
    return JSON.parse(await fsp.readFile(path.join(dir, FORMAT_MARKER_FILE), 'utf8')) as FormatMarker;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StoreError('Internal', `drive ${dir}: unreadable format marker: ${(err as Error).message}`, { cause: err });
  }
}

async function dirState(dir: string): Promise<'missing' | 'empty' | 'used'> {
  try {
    const names = await fsp.readdir(dir);
    return names.length === 0 ? 'empty' : 'used';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}

/** Durable small-file write: temp file, fsync, rename, fsync the directory. */
export async function writeFileDurable(file: string, data: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
  await fsyncDir(path.dirname(file));
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function validateErasure(config: EngineConfig): void {
  const { k, m } = config.erasure;
  const d = config.drives.length;
  if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 0) throw new StoreError('InvalidArgument', `bad erasure scheme ${k}+${m}`);
  if (k + m > d) throw new StoreError('InvalidArgument', `erasure ${k}+${m} needs at least ${k + m} drives, have ${d}`);
  // @ronomon/reed-solomon limits (C asserts abort the process, so check here).
  if (k > 24 || m > 6) throw new StoreError('InvalidArgument', `erasure ${k}+${m} exceeds the codec limits (k<=24, m<=6)`);
}

/**
 * Opens the drive set: validates every existing marker against the config and against each other,
 * formats a brand-new set, and formats replaced (empty) drives of an existing set.
 */
export async function openDrives(config: EngineConfig, options: { create: boolean } = { create: true }): Promise<DriveSet> {
  validateErasure(config);
  const { k, m } = config.erasure;
  const driveCount = config.drives.length;
  const states = await Promise.all(config.drives.map((d) => dirState(d)));
  const markers = await Promise.all(config.drives.map((d, i) => (states[i] === 'missing' ? undefined : readMarker(d))));

  let nodeId: string | undefined;
  for (let i = 0; i < driveCount; i++) {
    const mk = markers[i];
    const dir = config.drives[i]!;
    if (mk === undefined) {
      if (states[i] === 'used') throw new StoreError('Internal', `drive ${dir} is not empty but has no ${FORMAT_MARKER_FILE}: refusing to use a foreign directory`);
      continue;
    }
    if (mk.format !== 'strata-drive' || mk.formatVersion !== FORMAT_VERSION) throw new StoreError('Internal', `drive ${dir}: unknown format ${mk.format} v${mk.formatVersion}`);
    if (nodeId === undefined) nodeId = mk.nodeId;
    else if (mk.nodeId !== nodeId) throw new StoreError('Internal', `drive ${dir} belongs to node ${mk.nodeId}, other drives to node ${nodeId}: foreign drive set`);
    if (mk.driveIndex !== i) throw new StoreError('Internal', `drive ${dir} was formatted as drive ${mk.driveIndex + 1} but is configured as drive ${i + 1}: drives reordered`);
    if (mk.driveCount !== driveCount) throw new StoreError('Internal', `drive ${dir} was formatted for ${mk.driveCount} drives, config has ${driveCount}`);
    if (mk.k !== k || mk.m !== m) throw new StoreError('Internal', `drive ${dir} was formatted for erasure ${mk.k}+${mk.m}, config says ${k}+${m}`);
  }

  const fresh = nodeId === undefined;
  if (fresh && !options.create) throw new StoreError('Internal', 'no formatted drive found');
  if (fresh) nodeId = randomBytes(8).toString('hex');
  const drives: DriveState[] = [];
  for (let i = 0; i < driveCount; i++) {
    const dir = config.drives[i]!;
    let online = markers[i] !== undefined;
    let replaced = false;
    if (markers[i] === undefined) {
      // A missing directory on an existing node is an offline drive (it may come back); on a fresh node
      // we create it. An empty directory is formatted: new, or a replacement.
      if (states[i] === 'missing' && !fresh) {
        online = false;
      } else {
        await fsp.mkdir(dir, { recursive: true });
        const marker: FormatMarker = { format: 'strata-drive', formatVersion: FORMAT_VERSION, nodeId: nodeId!, driveIndex: i, driveCount, k, m };
        await writeFileDurable(path.join(dir, FORMAT_MARKER_FILE), JSON.stringify(marker, null, 2));
        online = true;
        replaced = !fresh;
      }
    }
    drives.push({ index: i, path: dir, online, replaced });
  }
  const onlineCount = drives.filter((d) => d.online).length;
  if (onlineCount < k) throw new StoreError('Unavailable', `only ${onlineCount} of ${driveCount} drives online, need at least k=${k}`);
  return { nodeId: nodeId!, seed: BigInt(`0x${nodeId}`), drives };
}
