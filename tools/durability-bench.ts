// Durability benchmark: scrub throughput at its default budget and unthrottled, and foreground
// PUT/GET throughput with the node idle vs while a scrub runs. In-process (engine API, no HTTP),
// so the figures isolate the storage engine.
//   npm run build && node dist/tools/durability-bench.js [--objects 256] [--object-bytes 1048576] [--seconds 5]
process.env.UV_THREADPOOL_SIZE ??= '16';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const { defaultEngineConfig, openEngine } = await import('../src/store/index.js');
const { Durability } = await import('../src/store/durability.js');
type Engine = Awaited<ReturnType<typeof openEngine>>;

const args = process.argv.slice(2);
const arg = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const OBJECTS = arg('objects', 256);
const OBJECT_BYTES = arg('object-bytes', 1024 * 1024);
const SECONDS = arg('seconds', 5);
const CONCURRENCY = 8;

const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-dbench-'));
const config = { ...defaultEngineConfig(dir), segmentSizeBytes: 64 * 1024 * 1024 };
const payload = Buffer.alloc(OBJECT_BYTES, 7);
const small = Buffer.alloc(4096, 9);

async function put(e: Engine, key: string, data: Buffer): Promise<void> {
  const w = e.createWriter({ placementKey: `b/${key}`, expectedSizeBytes: data.length });
  if (!w.write(data)) await new Promise<void>((r) => w.onDrain(r));
  const wd = await w.finish();
  await e.commitObject({ bucket: 'b', key, layout: wd.layout, sizeBytes: wd.sizeBytes, etag: wd.md5Hex, system: {}, user: {}, checksums: {} });
}

async function get(e: Engine, key: string): Promise<number> {
  const meta = e.headObject('b', key)!;
  let n = 0;
  for await (const c of e.readObject(meta)) n += c.length;
  return n;
}

async function timed(label: string, fn: (i: number) => Promise<number>): Promise<{ label: string; opsPerSec: number; mibPerSec: number }> {
  const end = performance.now() + SECONDS * 1000;
  let ops = 0;
  let bytes = 0;
  let i = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const n = await fn(i++);
        bytes += n;
        ops++;
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  return { label, opsPerSec: ops / s, mibPerSec: bytes / 1048576 / s };
}

async function foreground(e: Engine, tag: string): Promise<{ label: string; opsPerSec: number; mibPerSec: number }[]> {
  return [
    await timed(`${tag} PUT ${OBJECT_BYTES >> 10} KiB`, async (i) => (await put(e, `fg-${tag}-${i}`, payload), OBJECT_BYTES)),
    await timed(`${tag} GET ${OBJECT_BYTES >> 10} KiB`, (i) => get(e, `o${i % OBJECTS}`)),
    await timed(`${tag} PUT 4 KiB`, async (i) => (await put(e, `fs-${tag}-${i}`, small), 4096)),
  ];
}

const e = await openEngine(config);
const out: string[] = [];
try {
  await e.createBucket('b', 'o');
  for (let i = 0; i < OBJECTS; i++) await put(e, `o${i}`, payload);
  out.push(`dataset: ${OBJECTS} objects x ${OBJECT_BYTES} bytes, 4+2, ${os.availableParallelism()} cores, ${config.drives.length} drive dirs on one filesystem (${dir})`);

  for (const [name, rate] of [
    ['unthrottled', Infinity],
    ['default budget (32 MiB/s)', undefined],
  ] as const) {
    const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0 });
    try {
      const r = await dur.scrub({ repair: true, ...(rate !== undefined ? { rateBytesPerSec: rate } : {}) });
      const mib = (r.bytesChecked + r.segmentBytesScanned) / 1048576;
      out.push(`scrub ${name}: ${mib.toFixed(0)} MiB read (segments ${(r.segmentBytesScanned / 1048576).toFixed(0)} + shards ${(r.bytesChecked / 1048576).toFixed(0)}) in ${(r.durationMs / 1000).toFixed(2)} s = ${(mib / (r.durationMs / 1000)).toFixed(1)} MiB/s; ${r.objectsChecked} objects, ${r.badShards} bad`);
    } finally {
      await dur.close();
    }
  }

  await foreground(e, 'warm-up');
  const idle = await foreground(e, 'idle');
  const results = [...idle];
  for (const [name, rate] of [
    ['scrub@32MiB/s', undefined],
    ['scrub@unthrottled', Infinity],
  ] as const) {
    const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0 });
    let running = true;
    const loop = (async () => {
      while (running) await dur.scrub({ repair: false, ...(rate !== undefined ? { rateBytesPerSec: rate } : {}) });
    })();
    try {
      results.push(...(await foreground(e, name)));
    } finally {
      running = false;
      await dur.close();
      await loop.catch(() => undefined);
    }
  }
  out.push('foreground (in-process engine API, concurrency 8, ' + SECONDS + ' s each):');
  for (const r of results) out.push(`  ${r.label.padEnd(34)} ${r.opsPerSec.toFixed(0).padStart(7)} ops/s ${r.mibPerSec.toFixed(1).padStart(8)} MiB/s`);
} finally {
  await e.close();
  await fsp.rm(dir, { recursive: true, force: true });
}
console.log(out.join('\n'));
