// `strata admin drill`: a fault drill against a throwaway node. Starts `node bin/strata.js server` on
// temporary drives, puts a mixed load through it (object sizes from 0 bytes to several blocks) and
// three versions of each key of a smaller versioned bucket, then injects, one after another:
//   1. kill -9 under load (PUTs and GETs in flight), restart;
//   2. random byte flips all over one drive's segments; degraded reads, then a repairing scrub;
//   3. one drive wiped; replacement rebuild, then proof: two *other* drives taken away, all must read;
//   4. a compaction interrupted by kill -9 (after overwrites, deletes and versions deleted for good
//      made garbage), restart, then the compaction finished and fsck'd;
// and after each one GETs every acknowledged object — and every acknowledged version by its id — and
// compares it byte for byte (MD5 of what was sent); a version deleted for good must stay 404. Prints a table; exit 1 if any acknowledged object was lost or corrupt.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { signRequest } from '../auth/sign-request.js';
import { canonicalQueryFromPairs } from '../auth/sigv4.js';
import { freeLoopbackPort, repoRoot } from '../bench/peers.js';
import type { EngineConfig } from '../store/api.js';
import { openEngine } from '../store/engine.js';
import { Durability } from '../store/durability.js';
import { fsck } from '../store/fsck.js';

export interface DrillOptions {
  /** Objects put before the faults start. */
  objects: number;
  maxObjectBytes: number;
  concurrency: number;
  seed: number;
  /** Bytes flipped on the rotting drive. */
  flips: number;
  segmentSizeBytes: number;
  blockSizeBytes: number;
  keep: boolean;
  log: (message: string) => void;
}

export const DEFAULT_DRILL: DrillOptions = {
  objects: 300,
  maxObjectBytes: 768 * 1024,
  concurrency: 8,
  seed: 1,
  flips: 200,
  segmentSizeBytes: 2 * 1024 * 1024,
  blockSizeBytes: 256 * 1024,
  keep: false,
  log: () => undefined,
};

export interface DrillRow {
  fault: string;
  objectsChecked: number;
  lost: number;
  corrupt: number;
  repaired: number;
  timeMs: number;
  note: string;
}

/** Longest wait for the node to answer /health/ready. */
const NODE_START_TIMEOUT_MS = 30_000;
const NODE_STOP_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 30_000;

function rng(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/** The bytes of version `v` of an object: deterministic, so an unacknowledged one can be checked too. */
function objectBytes(size: number, v: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = (v * 2246822519 + 1) >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  for (let i = size - (size % 4); i < size; i++) out[i] = (i + v) & 0xff;
  return out;
}

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The unversioned bucket of the workload, and the versioned one whose every version is checked. */
const DRILL_BUCKET = 'drill';
const DRILL_VERSIONED_BUCKET = 'drillv';

class DrillNode {
  child: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly dataDir: string,
    readonly port: number,
    readonly creds: { accessKeyId: string; secretAccessKey: string },
    readonly flags: string[],
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const bin = path.join(repoRoot(), 'bin', 'strata.js');
    const child = spawn(process.execPath, [bin, 'server', '--data', this.dataDir, '--port', String(this.port), '--address', '127.0.0.1', ...this.flags], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, STRATA_ACCESS_KEY: this.creds.accessKeyId, STRATA_SECRET_KEY: this.creds.secretAccessKey, STRATA_LOG_LEVEL: 'warn' },
    });
    this.child = child;
    const keep = (b: Buffer): void => {
      this.output = (this.output + b.toString('utf8')).slice(-8000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let exited: string | undefined;
    child.once('exit', (code, sig) => (exited = `exited with ${code ?? sig}`));
    const deadline = Date.now() + NODE_START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`node ${exited} before it was ready:\n${this.output}`);
      try {
        const r = await fetch(`${this.endpoint}/health/ready`, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`node not ready within ${NODE_START_TIMEOUT_MS} ms:\n${this.output}`);
  }

  private async waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
      }, timeoutMs);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async kill9(): Promise<void> {
    const c = this.child;
    if (!c) return;
    c.kill('SIGKILL');
    await this.waitExit(c, NODE_STOP_TIMEOUT_MS);
    this.child = undefined;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c) return;
    c.kill('SIGTERM');
    await this.waitExit(c, NODE_STOP_TIMEOUT_MS);
    this.child = undefined;
  }

  async request(
    method: string,
    key: string | undefined,
    body?: Buffer,
    options: { bucket?: string; query?: [string, string][] } = {},
  ): Promise<{ status: number; body: Buffer; versionId: string | undefined }> {
    const bucket = options.bucket ?? DRILL_BUCKET;
    const p = key === undefined ? `/${bucket}` : `/${bucket}/${encodeURIComponent(key)}`;
    const payload = body ?? Buffer.alloc(0);
    const headers = signRequest({
      method,
      host: `127.0.0.1:${this.port}`,
      path: p,
      payloadHash: sha256(payload),
      accessKeyId: this.creds.accessKeyId,
      secretAccessKey: this.creds.secretAccessKey,
      region: 'us-east-1',
      ...(options.query ? { query: options.query } : {}),
      ...(body ? { headers: { 'content-length': String(body.length) } } : {}),
    });
    const qs = options.query ? `?${canonicalQueryFromPairs(options.query)}` : '';
    const res = await fetch(`${this.endpoint}${p}${qs}`, {
      method,
      headers: body ? { ...headers, 'content-length': String(body.length) } : headers,
      ...(body ? { body } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()), versionId: res.headers.get('x-amz-version-id') ?? undefined };
  }
}

interface Version {
  size: number;
  v: number;
  md5: string;
}

export async function runDrill(options: Partial<DrillOptions> = {}): Promise<{ rows: DrillRow[]; ok: boolean; dataDir: string }> {
  const o = { ...DEFAULT_DRILL, ...options };
  const log = o.log;
  const r = rng(o.seed);
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-drill-'));
  const dataDir = path.join(tmp, 'data');
  const flags = ['--segment-size-bytes', String(o.segmentSizeBytes), '--block-size-bytes', String(o.blockSizeBytes)];
  const engineConfig: EngineConfig = loadConfig({ data: dataDir, 'segment-size-bytes': String(o.segmentSizeBytes), 'block-size-bytes': String(o.blockSizeBytes) }, {}).engine;
  const node = new DrillNode(dataDir, await freeLoopbackPort(), { accessKeyId: `drill${randomBytes(4).toString('hex')}`, secretAccessKey: randomBytes(20).toString('hex') }, flags);
  const acked = new Map<string, Version>();
  /** Versions sent but not acknowledged: may be present, but only whole. */
  const inDoubt = new Map<string, Version[]>();
  const rows: DrillRow[] = [];
  /** Acknowledged versions of the versioned bucket, by `${key} ${versionId}`; 'gone' once deleted for good. */
  const versionsAcked = new Map<string, Version | 'gone'>();
  let version = 0;
  const sizeOf = (): number => {
    const x = r();
    if (x < 0.05) return 0;
    if (x < 0.6) return 1 + Math.floor(r() * 16 * 1024);
    return Math.floor(r() * o.maxObjectBytes);
  };

  const put = async (key: string): Promise<void> => {
    const v: Version = { size: sizeOf(), v: ++version, md5: '' };
    const data = objectBytes(v.size, v.v);
    v.md5 = md5(data);
    const doubt = inDoubt.get(key) ?? [];
    doubt.push(v);
    inDoubt.set(key, doubt);
    const res = await node.request('PUT', key, data);
    if (res.status !== 200) throw new Error(`PUT ${key}: HTTP ${res.status} ${res.body.toString('utf8').slice(0, 300)}`);
    acked.set(key, v);
    inDoubt.set(key, doubt.filter((d) => d.v > v.v));
  };

  /** A new version in the versioned bucket: every acknowledged one must read back by its id. */
  const putVersion = async (key: string): Promise<void> => {
    const v: Version = { size: sizeOf(), v: ++version, md5: '' };
    const data = objectBytes(v.size, v.v);
    v.md5 = md5(data);
    const res = await node.request('PUT', key, data, { bucket: DRILL_VERSIONED_BUCKET });
    if (res.status !== 200 || res.versionId === undefined) throw new Error(`PUT ${DRILL_VERSIONED_BUCKET}/${key}: HTTP ${res.status} ${res.body.toString('utf8').slice(0, 300)}`);
    versionsAcked.set(`${key} ${res.versionId}`, v);
  };

  const pool = async <T>(items: T[], fn: (t: T) => Promise<void>, stop?: { stopped: boolean }): Promise<void> => {
    let i = 0;
    const worker = async (): Promise<void> => {
      while (i < items.length && !stop?.stopped) await fn(items[i++]!);
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
  };

  const verify = async (fault: string, t0: number, repaired: number, note: string): Promise<DrillRow> => {
    let lost = 0;
    let corrupt = 0;
    const keys = [...acked.keys()];
    await pool(keys, async (key) => {
      const want = acked.get(key)!;
      let res: { status: number; body: Buffer };
      try {
        res = await node.request('GET', key);
      } catch (err) {
        lost++;
        log(`${fault}: GET ${key}: ${(err as Error).message}`);
        return;
      }
      if (res.status !== 200) {
        lost++;
        log(`${fault}: GET ${key}: HTTP ${res.status}`);
        return;
      }
      const got = md5(res.body);
      if (got === want.md5) return;
      // A later version that was sent but not acknowledged may have landed — whole, never partial.
      if ((inDoubt.get(key) ?? []).some((d) => d.v > want.v && d.md5 === got)) return;
      corrupt++;
      log(`${fault}: GET ${key}: ${res.body.length} bytes, md5 ${got}, want ${want.md5} (${want.size} bytes)`);
    });
    const versionIds = [...versionsAcked.keys()];
    await pool(versionIds, async (id) => {
      const want = versionsAcked.get(id)!;
      const [key, versionId] = id.split(' ') as [string, string];
      let res: { status: number; body: Buffer };
      try {
        res = await node.request('GET', key, undefined, { bucket: DRILL_VERSIONED_BUCKET, query: [['versionId', versionId]] });
      } catch (err) {
        lost++;
        log(`${fault}: GET ${DRILL_VERSIONED_BUCKET}/${key}?versionId=${versionId}: ${(err as Error).message}`);
        return;
      }
      if (want === 'gone') {
        if (res.status !== 404) {
          corrupt++;
          log(`${fault}: version ${id} was deleted for good, GET answers HTTP ${res.status}`);
        }
        return;
      }
      if (res.status !== 200) {
        lost++;
        log(`${fault}: GET ${DRILL_VERSIONED_BUCKET}/${key}?versionId=${versionId}: HTTP ${res.status}`);
      } else if (md5(res.body) !== want.md5) {
        corrupt++;
        log(`${fault}: version ${id}: md5 ${md5(res.body)}, want ${want.md5}`);
      }
    });
    const row = { fault, objectsChecked: keys.length + versionIds.length, lost, corrupt, repaired, timeMs: Date.now() - t0, note };
    rows.push(row);
    log(`${fault}: checked ${keys.length}, lost ${lost}, corrupt ${corrupt}, repaired ${repaired} ${note}`);
    return row;
  };

  const offline = async <T>(fn: (dur: Durability, e: Awaited<ReturnType<typeof openEngine>>) => Promise<T>): Promise<T> => {
    const e = await openEngine(engineConfig, { log: (m) => log(`engine: ${m}`) });
    const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0, compactionMinAgeMs: 0, compactionDeleteGraceMs: 0, compactionFdCloseGraceMs: 0, workerThreads: 2 });
    try {
      return await fn(dur, e);
    } finally {
      await dur.close();
      await e.close();
    }
  };

  try {
    // ---- baseline ----
    let t0 = Date.now();
    await node.start();
    const mk = await node.request('PUT', undefined);
    if (mk.status !== 200) throw new Error(`CreateBucket: HTTP ${mk.status} ${mk.body.toString('utf8').slice(0, 300)}`);
    await pool(
      Array.from({ length: o.objects }, (_, i) => `obj-${i}`),
      (k) => put(k),
    );
    // A versioned bucket: a quarter as many keys, three versions each, all of them checked by id.
    const mkv = await node.request('PUT', undefined, undefined, { bucket: DRILL_VERSIONED_BUCKET });
    if (mkv.status !== 200) throw new Error(`CreateBucket ${DRILL_VERSIONED_BUCKET}: HTTP ${mkv.status}`);
    const enable = Buffer.from('<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>');
    const ver = await node.request('PUT', undefined, enable, { bucket: DRILL_VERSIONED_BUCKET, query: [['versioning', '']] });
    if (ver.status !== 200) throw new Error(`PutBucketVersioning: HTTP ${ver.status} ${ver.body.toString('utf8').slice(0, 300)}`);
    const versionedKeys = Array.from({ length: Math.max(4, Math.floor(o.objects / 4)) }, (_, i) => `vobj-${i}`);
    for (let round = 0; round < 3; round++) await pool(versionedKeys, (k) => putVersion(k));
    await verify('none (baseline)', t0, 0, `${o.objects} objects put; ${versionsAcked.size} versions of ${versionedKeys.length} keys in a versioned bucket`);

    // ---- 1. kill -9 under load ----
    t0 = Date.now();
    const stop = { stopped: false };
    const fresh = Array.from({ length: Math.max(8, Math.floor(o.objects / 2)) }, (_, i) => `load-${i}`);
    const existing = [...acked.keys()];
    const load = Promise.allSettled([
      pool(fresh, (k) => put(k).catch(() => undefined), stop),
      pool(existing.slice(0, 64), async (k) => void (await node.request('GET', k).catch(() => undefined)), stop),
    ]);
    await new Promise((res) => setTimeout(res, 150 + Math.floor(r() * 500)));
    await node.kill9();
    stop.stopped = true;
    await load;
    const ackedDuringLoad = fresh.filter((k) => acked.has(k)).length;
    await node.start();
    await verify('kill -9 under load', t0, 0, `${ackedDuringLoad} of ${fresh.length} PUTs acknowledged before the kill`);

    // ---- 2. random byte flips on one drive ----
    t0 = Date.now();
    await node.stop();
    const rotDrive = engineConfig.drives[1]!;
    const segFiles = (await fsp.readdir(rotDrive)).filter((n) => n.startsWith('seg-')).map((n) => path.join(rotDrive, n));
    const sizes = await Promise.all(segFiles.map(async (f) => (await fsp.stat(f)).size));
    const total = sizes.reduce((a, b) => a + b, 0);
    let flipped = 0;
    for (let i = 0; i < o.flips && total > 0; i++) {
      let at = Math.floor(r() * total);
      let f = 0;
      while (at >= sizes[f]!) at -= sizes[f++]!;
      const fd = fs.openSync(segFiles[f]!, 'r+');
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, at);
      b[0] = b[0]! ^ (1 << Math.floor(r() * 8));
      fs.writeSync(fd, b, 0, 1, at);
      fs.closeSync(fd);
      flipped++;
    }
    await node.start();
    const degraded = await verify('byte flips on drive 2 (degraded reads)', t0, 0, `${flipped} bits flipped in ${segFiles.length} segment files`);
    await node.stop();
    t0 = Date.now();
    const scrub = await offline((dur) => dur.scrub({ repair: true, rateBytesPerSec: Infinity }));
    await node.start();
    await verify('byte flips on drive 2 (after scrub)', t0, scrub.repairedShards, `scrub: ${scrub.badShards} bad shards, ${scrub.badRegions} bad regions, ${scrub.unrecoverableBlocks} unrecoverable`);
    void degraded;

    // ---- 3. one drive wiped ----
    t0 = Date.now();
    await node.stop();
    const wiped = engineConfig.drives[3]!;
    await fsp.rm(wiped, { recursive: true, force: true });
    await fsp.mkdir(wiped);
    const rebuild = await offline(async (dur, e) => {
      if (!e.internals.driveSet.drives[3]!.replaced) throw new Error('wiped drive was not detected as a replacement');
      await dur.rebuildDrive(3);
      return dur.drives.health[3]!.rebuild!;
    });
    await node.start();
    await verify('drive 4 wiped (rebuilt)', t0, rebuild.shardsRebuilt, `${rebuild.unrecoverableBlocks} unrecoverable, ${rebuild.deferredShards} deferred`);
    // Proof: drives 5 and 6 away — every block now needs the rebuilt drive.
    t0 = Date.now();
    await node.stop();
    const away = [engineConfig.drives[4]!, engineConfig.drives[5]!];
    for (const d of away) await fsp.rename(d, `${d}.away`);
    try {
      await node.start();
      await verify('drives 5+6 away (rebuilt drive 4 in use)', t0, 0, 'reads need the rebuilt shards');
      await node.stop();
    } finally {
      await node.stop();
      for (const d of away) await fsp.rename(`${d}.away`, d);
    }

    // ---- 4. compaction interrupted by kill -9 ----
    t0 = Date.now();
    await node.start();
    const keys = [...acked.keys()];
    const victims = keys.filter(() => r() < 0.5);
    await pool(victims, async (k) => {
      if (r() < 0.3) {
        const res = await node.request('DELETE', k);
        if (res.status !== 204 && res.status !== 200) throw new Error(`DELETE ${k}: HTTP ${res.status}`);
        acked.delete(k);
        inDoubt.delete(k);
      } else await put(k);
    });
    // Versioned bucket: versions deleted for good (garbage compaction must drop) and new ones.
    const versionIdsNow = [...versionsAcked.entries()].filter(([, v]) => v !== 'gone').map(([id]) => id);
    await pool(
      versionIdsNow.filter(() => r() < 0.4),
      async (id) => {
        const [key, versionId] = id.split(' ') as [string, string];
        const res = await node.request('DELETE', key, undefined, { bucket: DRILL_VERSIONED_BUCKET, query: [['versionId', versionId]] });
        if (res.status !== 204) throw new Error(`DELETE ${DRILL_VERSIONED_BUCKET}/${key}?versionId=${versionId}: HTTP ${res.status}`);
        versionsAcked.set(id, 'gone');
      },
    );
    await pool(versionedKeys.filter(() => r() < 0.5), (k) => putVersion(k));
    await node.stop();
    const killed = await new Promise<{ killedAfterMs: number; lines: number }>((resolve, reject) => {
      const main = path.join(repoRoot(), 'dist', 'src', 'admin', 'main.js');
      const args = [main, 'compact', '--data', dataDir, ...flags, '--garbage-ratio', '0.2'];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const start = Date.now();
      let lines = 0;
      let armed = false;
      const arm = (ms: number): void => {
        if (armed) return;
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), ms);
      };
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => {
        lines += d.split('\n').filter((l) => l.startsWith('compaction:')).length;
        if (lines > 0) arm(Math.floor(r() * 30));
      });
      arm(3000 + Math.floor(r() * 2000)); // at the latest
      child.once('exit', (code, sig) => (sig === 'SIGKILL' || code === 0 ? resolve({ killedAfterMs: Date.now() - start, lines }) : reject(new Error(`admin compact exited ${code ?? sig}`))));
    });
    await node.start();
    await verify('compaction killed by kill -9', t0, 0, `killed after ${killed.killedAfterMs} ms, ${killed.lines} segment(s) finished`);
    t0 = Date.now();
    await node.stop();
    const finish = await offline(async (dur, e) => {
      let compacted = 0;
      for (let round = 0; round < 1000; round++) {
        const res = await dur.compact();
        const n = res.filter((x) => x.outcome === 'compacted').length;
        compacted += n;
        if (n === 0) break;
      }
      const f = await fsck(e, { repair: false });
      return { compacted, problems: f.danglingRefs + f.notBacked.length + f.missingFromIndex.length + f.stale.length + f.unreadable.length };
    });
    await node.start();
    await verify('compaction finished after the kill', t0, finish.compacted, `fsck: ${finish.problems} problems`);
    if (finish.problems > 0) rows[rows.length - 1]!.corrupt += finish.problems;
    await node.stop();
  } finally {
    await node.kill9().catch(() => undefined);
    if (!o.keep) await fsp.rm(tmp, { recursive: true, force: true });
  }
  const ok = rows.every((x) => x.lost === 0 && x.corrupt === 0);
  return { rows, ok, dataDir };
}

export function renderDrill(rows: DrillRow[]): string {
  const head = ['fault', 'objects checked', 'lost', 'corrupt', 'repaired', 'time'];
  const body = rows.map((x) => [x.fault, String(x.objectsChecked), String(x.lost), String(x.corrupt), String(x.repaired), `${(x.timeMs / 1000).toFixed(1)} s`]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  const out = [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)];
  for (const x of rows) if (x.note) out.push(`  ${x.fault}: ${x.note}`);
  return out.join('\n');
}

const DRILL_HELP = `Usage: strata admin drill [--objects N] [--max-object-bytes B] [--flips N] [--seed N] [--keep] [--json]

Starts a throwaway node (node bin/strata.js server) on temporary drives, puts a mixed load through it
(and versions into a versioned bucket), then injects kill -9 under load, random byte flips on one drive, a wiped drive, and a compaction
interrupted by kill -9 — verifying every acknowledged object and version byte for byte after each. Prints a table;
exits 1 if anything acknowledged was lost or corrupt. Needs a built tree (npm run build).

  --objects N            Objects before the faults (default ${DEFAULT_DRILL.objects})
  --max-object-bytes B   Largest object (default ${DEFAULT_DRILL.maxObjectBytes})
  --flips N              Bits flipped on the rotting drive (default ${DEFAULT_DRILL.flips})
  --seed N               Random seed (default ${DEFAULT_DRILL.seed}); a failing seed replays
  --keep                 Keep the temporary data directory
  --json                 Print the rows as JSON
  --verbose              Log every step to stderr`;

export async function runDrillCli(argv: string[]): Promise<number> {
  const opts: Partial<DrillOptions> = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    if (a === '--help') {
      process.stdout.write(DRILL_HELP + '\n');
      return 0;
    } else if (a === '--objects') opts.objects = num();
    else if (a === '--max-object-bytes') opts.maxObjectBytes = num();
    else if (a === '--flips') opts.flips = num();
    else if (a === '--seed') opts.seed = num();
    else if (a === '--keep') opts.keep = true;
    else if (a === '--json') json = true;
    else if (a === '--verbose') opts.log = (m) => void process.stderr.write(`drill: ${m}\n`);
    else {
      process.stderr.write(`strata admin drill: unknown argument '${a}'\n${DRILL_HELP}\n`);
      return 2;
    }
  }
  const { rows, ok, dataDir } = await runDrill(opts);
  process.stdout.write((json ? JSON.stringify({ ok, rows }, null, 2) : renderDrill(rows) + `\n${ok ? 'PASS: nothing acknowledged was lost' : 'FAIL: acknowledged data lost or corrupt'}`) + '\n');
  if (opts.keep) process.stdout.write(`data kept in ${dataDir}\n`);
  return ok ? 0 : 1;
}
