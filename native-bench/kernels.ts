// Kernel costs per MiB: Reed-Solomon encode/decode, xxHash64, MD5 (node:crypto and resumable wasm),
// SHA-256, CRC32 (zlib), CRC32C (@node-rs/crc32). Single thread, tinybench.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import { createMD5 } from 'hash-wasm';
import { Bench } from 'tinybench';
import { initXxhash, xxh64 } from '../src/store/hash.js';
import { BENCH_SECONDS, MiB, fmt, isMain } from './common.js';

const require = createRequire(import.meta.url);
interface RS {
  create(k: number, m: number): unknown;
  encode(ctx: unknown, s: number, t: number, b: Buffer, bo: number, bs: number, p: Buffer, po: number, ps: number, cb: (e?: Error) => void): void;
}
const rs = require('@ronomon/reed-solomon') as RS;

export interface KernelRow {
  name: string;
  gbPerSec: number;
  usPerMiB: number;
}

export async function runKernelBench(seconds = BENCH_SECONDS): Promise<KernelRow[]> {
  await initXxhash();
  const data = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
  const k = 4;
  const m = 2;
  const ctx = rs.create(k, m);
  const rsCase = (shardBytes: number, decode: boolean) => {
    const buf = Buffer.alloc(shardBytes * k);
    data.copy(buf, 0, 0, Math.min(buf.length, MiB));
    const parity = Buffer.alloc(shardBytes * m);
    const sources = decode ? 0b111010 : 0b001111; // decode: rebuild data shards 0 and 2 from 1,3 + parity
    const targets = decode ? 0b000101 : 0b110000;
    return () => new Promise<void>((res, rej) => rs.encode(ctx, sources, targets, buf, 0, buf.length, parity, 0, parity.length, (e) => (e ? rej(e) : res())));
  };
  const md5w = await createMD5();
  const cases: { name: string; bytes: number; fn: () => unknown }[] = [
    { name: 'RS 4+2 encode, 64 KiB shards', bytes: 64 * 1024 * k, fn: rsCase(64 * 1024, false) },
    { name: 'RS 4+2 encode, 256 KiB shards', bytes: 256 * 1024 * k, fn: rsCase(256 * 1024, false) },
    { name: 'RS 4+2 decode 2 lost, 256 KiB shards', bytes: 256 * 1024 * k, fn: rsCase(256 * 1024, true) },
    { name: 'RS 4+2 encode, 1 KiB shards (4 KiB object)', bytes: 4 * 1024, fn: rsCase(1024, false) },
    { name: 'xxHash64 (xxhash-wasm)', bytes: MiB, fn: () => xxh64(data) },
    { name: 'MD5 node:crypto', bytes: MiB, fn: () => createHash('md5').update(data).digest() },
    { name: 'MD5 hash-wasm (resumable)', bytes: MiB, fn: () => md5w.init().update(data).digest('binary') },
    { name: 'SHA-256 node:crypto', bytes: MiB, fn: () => createHash('sha256').update(data).digest() },
    { name: 'CRC32 zlib.crc32', bytes: MiB, fn: () => zlib.crc32(data) },
    { name: 'CRC32C @node-rs/crc32', bytes: MiB, fn: () => crc32c(data) },
  ];
  const bench = new Bench({ time: Math.max(200, (seconds * 1000) / cases.length), warmupTime: 100 });
  for (const c of cases) bench.add(c.name, c.fn);
  await bench.run();
  return cases.map((c, i) => {
    const t = bench.tasks[i]!;
    const meanMs = t.result && 'latency' in t.result ? t.result.latency.mean : NaN;
    const gbPerSec = c.bytes / (meanMs / 1000) / 1e9;
    return { name: c.name, gbPerSec, usPerMiB: (meanMs * 1000 * MiB) / c.bytes };
  });
}

export function printKernelRows(rows: KernelRow[]): void {
  console.log('kernel (one thread)                              GB/s   µs per MiB');
  for (const r of rows) console.log(`  ${r.name.padEnd(45)} ${fmt(r.gbPerSec, 2).padStart(6)} ${fmt(r.usPerMiB, 0).padStart(10)}`);
}

if (isMain(import.meta.url)) printKernelRows(await runKernelBench());
