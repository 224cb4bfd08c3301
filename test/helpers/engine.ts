// Test helpers for the storage engine: temp data dirs, small-block configs, put/get helpers.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultEngineConfig, openEngine, type EngineConfig, type ObjectMeta, type StrataEngine } from '../../src/store/index.js';

export async function tempDir(prefix = 'strata-store-'): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

export function testConfig(dir: string, overrides: Partial<EngineConfig> = {}): EngineConfig {
  return {
    ...defaultEngineConfig(dir),
    blockSizeBytes: 64 * 1024,
    segmentSizeBytes: 64 * 1024 * 1024,
    commitWindowMs: 1,
    inFlightBudgetBytes: 64 * 1024 * 1024,
    workerThreads: 2,
    ...overrides,
  };
}

/** Deterministic pseudo-random bytes (xorshift), so failures replay. */
export function patternBytes(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  for (; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

export function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** Writes `data` in chunks of `chunkBytes`, honouring write()/onDrain backpressure. */
export async function putObject(engine: StrataEngine, bucket: string, key: string, data: Uint8Array, chunkBytes = 16 * 1024, condition?: { ifAbsent?: boolean; ifEtag?: string }): Promise<ObjectMeta> {
  const w = engine.createWriter({ placementKey: `${bucket}/${key}`, expectedSizeBytes: data.length, checksums: ['CRC32', 'CRC32C'] });
  for (let off = 0; off < data.length; off += chunkBytes) {
    const ok = w.write(data.subarray(off, Math.min(data.length, off + chunkBytes)));
    if (!ok) await new Promise<void>((r) => w.onDrain(r));
  }
  const written = await w.finish();
  return engine.commitObject({
    bucket,
    key,
    layout: written.layout,
    sizeBytes: written.sizeBytes,
    etag: written.md5Hex,
    system: {},
    user: {},
    checksums: written.checksums,
    ...(condition ? { condition } : {}),
  });
}

export async function readAll(engine: StrataEngine, meta: ObjectMeta, range?: { start: number; end: number }): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of engine.readObject(meta, range)) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

export async function getObject(engine: StrataEngine, bucket: string, key: string): Promise<Buffer | undefined> {
  const meta = engine.headObject(bucket, key);
  return meta ? readAll(engine, meta) : undefined;
}

export async function withEngine<T>(config: EngineConfig, fn: (e: StrataEngine) => Promise<T>): Promise<T> {
  const e = await openEngine(config);
  try {
    return await fn(e);
  } finally {
    await e.close();
  }
}

/** A suite's engine: a fresh temp dir with `buckets` created; close() shuts it and removes the dir. */
export async function openTestEngine(buckets: readonly string[] = [], overrides: Partial<EngineConfig> = {}): Promise<{ dir: string; e: StrataEngine; close(): Promise<void> }> {
  const dir = await tempDir();
  const e = await openEngine(testConfig(dir, overrides));
  for (const b of buckets) await e.createBucket(b, 'o');
  return {
    dir,
    e,
    async close() {
      await e.close();
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
