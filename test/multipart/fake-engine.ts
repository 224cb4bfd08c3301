// In-memory Engine for the multipart service's unit tests: real digests, fake shard locations, a
// "durable" state that survives crash() (a new engine over the same records, in-flight work lost),
// and fault injection on the next commit / aux operation. Liveness: liveBlocks() counts the blocks
// referenced by objects, noncurrent versions and aux layouts, so garbage (replaced/aborted parts) is
// observable. Versioning is the least the service needs: Enabled commits keep the previous version as
// noncurrent (no delete markers are ever made by these tests).
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import {
  StoreError,
  type BucketMeta,
  type ByteRange,
  type ChecksumAlgorithm,
  type CommitRequest,
  type Engine,
  type EngineConfig,
  type EngineStats,
  type Layout,
  type ListOptions,
  type ListVersionsOptions,
  type ObjectMeta,
  type VersionEntry,
  type VersioningMode,
  type ObjectWriter,
  type WriterOptions,
  type WrittenData,
} from '../../src/store/api.js';
import { refCrc64nvmeBase64 } from '../helpers/crc64nvme-ref.js';

const BLOCK = 64 * 1024;

interface Durable {
  blocks: Map<number, Buffer>;
  nextOffset: number;
  objects: Map<string, ObjectMeta>;
  aux: Map<string, Map<string, { value: unknown; layout?: Layout }>>;
  buckets: Map<string, BucketMeta>;
  seq: number;
  /** "bucket/key" → noncurrent versions, newest first. */
  versions: Map<string, ObjectMeta[]>;
}

function checksum(alg: ChecksumAlgorithm, data: Buffer): string {
  const crc = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b.toString('base64');
  };
  switch (alg) {
    case 'CRC32':
      return crc(zlibCrc32(data));
    case 'CRC32C':
      return crc(crc32c(data));
    case 'SHA1':
      return createHash('sha1').update(data).digest('base64');
    case 'SHA256':
      return createHash('sha256').update(data).digest('base64');
    case 'CRC64NVME':
      return refCrc64nvmeBase64(data);
  }
}

export type FaultPoint = 'commitObject' | 'putAux' | 'deleteAux';

export class FakeEngine implements Engine {
  readonly config: EngineConfig = {
    drives: ['/fake'],
    indexDir: '/fake',
    erasure: { k: 1, m: 0 },
    blockSizeBytes: BLOCK,
    segmentSizeBytes: 1 << 30,
    commitWindowMs: 0,
    commitMaxBatch: 1,
    inFlightBudgetBytes: 1 << 30,
    workerThreads: 1,
    workerMaxQueue: 1,
  };
  /** Calls remaining before the fault fires: 0 = the next call throws (and is not applied). */
  faults = new Map<FaultPoint, number>();
  /** Calls remaining before one is lost: it resolves but is not applied (not durable when the crash comes). */
  losses = new Map<FaultPoint, number>();
  /** After a fault fires, every later durable operation also fails (a crashed process does nothing more). */
  private dead = false;
  readonly calls: FaultPoint[] = [];

  constructor(readonly durable: Durable = { blocks: new Map(), nextOffset: 0, objects: new Map(), aux: new Map(), buckets: new Map(), seq: 0, versions: new Map() }) {}

  /** A new engine over what was durable; the old one must not be used again. */
  crash(): FakeEngine {
    this.dead = true;
    return new FakeEngine(this.durable);
  }

  /** true = apply the operation; false = lose it silently. */
  private gate(point: FaultPoint): boolean {
    if (this.dead) throw new StoreError('Internal', 'engine crashed');
    this.calls.push(point);
    const l = this.losses.get(point);
    if (l !== undefined) {
      if (l === 0) {
        this.losses.delete(point);
        return false;
      }
      this.losses.set(point, l - 1);
    }
    const n = this.faults.get(point);
    if (n === undefined) return true;
    if (n === 0) {
      this.faults.delete(point);
      this.dead = true;
      throw new StoreError('Internal', `injected fault at ${point}`);
    }
    this.faults.set(point, n - 1);
    return true;
  }

  async createBucket(name: string, owner: string): Promise<BucketMeta> {
    if (this.durable.buckets.has(name)) throw new StoreError('BucketExists', name);
    const b = { name, createdMs: Date.now(), owner, settings: {} };
    this.durable.buckets.set(name, b);
    return b;
  }
  async deleteBucket(name: string): Promise<void> {
    this.durable.buckets.delete(name);
  }
  getBucket(name: string): BucketMeta | undefined {
    return this.durable.buckets.get(name);
  }
  listBuckets(): BucketMeta[] {
    return [...this.durable.buckets.values()];
  }
  async updateBucketSettings(name: string): Promise<BucketMeta> {
    return this.durable.buckets.get(name)!;
  }

  createWriter(options: WriterOptions): ObjectWriter {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let aborted = false;
    const d = this.durable;
    return {
      write(chunk: Uint8Array): boolean {
        chunks.push(Buffer.from(chunk));
        bytes += chunk.byteLength;
        return true;
      },
      onDrain(cb: () => void): void {
        queueMicrotask(cb);
      },
      async finish(): Promise<WrittenData> {
        if (aborted) throw new StoreError('Aborted', 'aborted');
        const all = Buffer.concat(chunks);
        const blocks = [];
        for (let off = 0; off < all.length; off += BLOCK) {
          const piece = all.subarray(off, off + BLOCK);
          const at = d.nextOffset++;
          d.blocks.set(at, Buffer.from(piece));
          blocks.push({ dataBytes: piece.length, shardBytes: piece.length, shards: [{ drive: 0, segment: 0, offset: at, xxh64: '0'.repeat(16) }] });
        }
        const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
        for (const a of options.checksums ?? []) checksums[a] = checksum(a, all);
        return {
          sizeBytes: all.length,
          md5Hex: createHash('md5').update(all).digest('hex'),
          checksums,
          layout: { extents: [{ sizeBytes: all.length, blockSizeBytes: BLOCK, k: 1, m: 0, blocks }] },
        };
      },
      abort(): void {
        aborted = true;
      },
      get bytesWritten() {
        return bytes;
      },
    };
  }

  async commitObject(r: CommitRequest): Promise<ObjectMeta> {
    const apply = this.gate('commitObject');
    const k = `${r.bucket}/${r.key}`;
    const cur = this.durable.objects.get(k);
    if (r.condition?.ifAbsent && cur) throw new StoreError('PreconditionFailed', 'exists');
    if (r.condition?.ifEtag !== undefined && cur?.etag !== r.condition.ifEtag) throw new StoreError('PreconditionFailed', 'etag');
    const seq = ++this.durable.seq;
    const meta: ObjectMeta = {
      bucket: r.bucket,
      key: r.key,
      sizeBytes: r.sizeBytes,
      etag: r.etag,
      lastModifiedMs: Date.now(),
      seq,
      versionId: r.versioning === 'Enabled' ? seq.toString(16).padStart(16, '0') : 'null',
      system: r.system,
      user: r.user,
      checksums: r.checksums,
      ...(r.checksumType ? { checksumType: r.checksumType } : {}),
      ...(r.parts ? { parts: r.parts } : {}),
      layout: structuredClone(r.layout),
    };
    if (apply) {
      if (cur && r.versioning !== undefined && cur.versionId !== meta.versionId) this.durable.versions.set(k, [cur, ...(this.durable.versions.get(k) ?? [])]);
      this.durable.objects.set(k, meta);
    }
    return meta;
  }
  headObject(bucket: string, key: string): ObjectMeta | undefined {
    return this.durable.objects.get(`${bucket}/${key}`);
  }
  headVersion(bucket: string, key: string, versionId?: string): ObjectMeta | undefined {
    const k = `${bucket}/${key}`;
    const all = [...(this.durable.objects.has(k) ? [this.durable.objects.get(k)!] : []), ...(this.durable.versions.get(k) ?? [])];
    return versionId === undefined ? all[0] : all.find((m) => m.versionId === versionId);
  }
  listVersions(bucket: string, o: ListVersionsOptions): VersionEntry[] {
    const keys = new Set([...this.durable.objects.values(), ...[...this.durable.versions.values()].flat()].filter((m) => m.bucket === bucket).map((m) => m.key));
    const out: VersionEntry[] = [];
    for (const key of [...keys].sort()) {
      if (!key.startsWith(o.prefix ?? '') || (o.keyMarker !== undefined && key < o.keyMarker)) continue;
      const k = `${bucket}/${key}`;
      let entries = [...(this.durable.objects.has(k) ? [this.durable.objects.get(k)!] : []), ...(this.durable.versions.get(k) ?? [])].map((meta, i) => ({ meta, isLatest: i === 0 }));
      if (key === o.keyMarker) {
        const at = o.versionIdMarker === undefined ? -1 : entries.findIndex((e) => e.meta.versionId === o.versionIdMarker);
        entries = at < 0 ? [] : entries.slice(at + 1);
      }
      out.push(...entries);
    }
    return out.slice(0, o.limit);
  }
  async putDeleteMarker(_bucket: string, _key: string, _mode: VersioningMode): Promise<ObjectMeta> {
    throw new StoreError('Internal', 'delete markers are not modelled by the fake engine');
  }
  async deleteVersion(bucket: string, key: string, versionId: string): Promise<ObjectMeta | undefined> {
    const k = `${bucket}/${key}`;
    const cur = this.durable.objects.get(k);
    const rest = this.durable.versions.get(k) ?? [];
    if (cur?.versionId === versionId) {
      if (rest.length > 0) this.durable.objects.set(k, rest[0]!);
      else this.durable.objects.delete(k);
      this.durable.versions.set(k, rest.slice(1));
      return cur;
    }
    const at = rest.findIndex((m) => m.versionId === versionId);
    if (at < 0) return undefined;
    const [gone] = rest.splice(at, 1);
    return gone;
  }
  async *readObject(meta: ObjectMeta, range?: ByteRange): AsyncIterable<Uint8Array> {
    const start = range?.start ?? 0;
    const end = range?.end ?? meta.sizeBytes - 1;
    let pos = 0;
    for (const e of meta.layout.extents) {
      for (const b of e.blocks) {
        const data = this.durable.blocks.get(b.shards[0]!.offset)!;
        const from = Math.max(start, pos);
        const to = Math.min(end + 1, pos + b.dataBytes);
        if (from < to) yield data.subarray(from - pos, to - pos);
        pos += b.dataBytes;
      }
    }
  }
  async deleteObject(bucket: string, key: string): Promise<boolean> {
    return this.durable.objects.delete(`${bucket}/${key}`);
  }
  listObjects(bucket: string, o: ListOptions): ObjectMeta[] {
    return [...this.durable.objects.values()]
      .filter((m) => m.bucket === bucket && m.key.startsWith(o.prefix ?? '') && (o.after === undefined || m.key > o.after))
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .slice(0, o.limit);
  }

  private ns(namespace: string) {
    let m = this.durable.aux.get(namespace);
    if (!m) {
      m = new Map();
      this.durable.aux.set(namespace, m);
    }
    return m;
  }
  async putAux(namespace: string, id: string, value: unknown, layout?: Layout): Promise<void> {
    if (!this.gate('putAux')) return;
    this.ns(namespace).set(id, { value: structuredClone(value), ...(layout ? { layout: structuredClone(layout) } : {}) });
  }
  getAux<T>(namespace: string, id: string): T | undefined {
    const r = this.ns(namespace).get(id);
    return r === undefined ? undefined : (structuredClone(r.value) as T);
  }
  async deleteAux(namespace: string, id: string): Promise<void> {
    if (!this.gate('deleteAux')) return;
    this.ns(namespace).delete(id);
  }
  listAux<T>(namespace: string, o: ListOptions): { id: string; value: T }[] {
    return [...this.ns(namespace).entries()]
      .filter(([id]) => id.startsWith(o.prefix ?? '') && (o.after === undefined || id > o.after))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .slice(0, o.limit)
      .map(([id, r]) => ({ id, value: structuredClone(r.value) as T }));
  }

  /** Block offsets referenced by an object or an aux record: everything else is garbage. */
  liveBlocks(): Set<number> {
    const live = new Set<number>();
    const add = (l: Layout | undefined) => l?.extents.forEach((e) => e.blocks.forEach((b) => live.add(b.shards[0]!.offset)));
    for (const o of this.durable.objects.values()) add(o.layout);
    for (const vs of this.durable.versions.values()) for (const v of vs) add(v.layout);
    for (const m of this.durable.aux.values()) for (const r of m.values()) add(r.layout);
    return live;
  }

  auxCount(namespace: string): number {
    return this.ns(namespace).size;
  }

  stats(): EngineStats {
    return { inFlightBytes: 0, workerQueueDepth: 0, pendingCommits: 0, readsWaiting: 0, drives: [] };
  }
  async close(): Promise<void> {}
}

export async function writeBytes(engine: Engine, data: Uint8Array, options: WriterOptions): Promise<WrittenData> {
  const w = engine.createWriter(options);
  w.write(data);
  return w.finish();
}
