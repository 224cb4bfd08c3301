// Multipart upload benchmark: starts a Strata node (or uses --endpoint), uploads one object as
// parallel parts through the light SigV4 client (undici + src/auth/sign-request.ts, UNSIGNED-PAYLOAD),
// and reports upload throughput and how long CompleteMultipartUpload takes (zero-copy: it should be
// milliseconds whatever the size). Repeats --runs times and prints the medians.
//
//   npm run build && node dist/tools/bench-multipart.js [--size-bytes 1073741824] [--part-size-bytes 16777216]
//       [--concurrency 8] [--runs 3] [--endpoint http://host:port] [--data <dir>] [--keep]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LightS3Client, UNSIGNED_PAYLOAD } from '../src/bench/client.js';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY } from '../src/config.js';

interface Options {
  sizeBytes: number;
  partSizeBytes: number;
  concurrency: number;
  runs: number;
  endpoint?: string;
  data?: string;
  keep: boolean;
}

const MiB = 1024 * 1024;

function parseArgs(argv: string[]): Options {
  const o: Options = { sizeBytes: 1024 * MiB, partSizeBytes: 16 * MiB, concurrency: 8, runs: 3, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (): number => {
      const n = Number(next());
      if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${a} needs a positive integer`);
      return n;
    };
    if (a === '--size-bytes') o.sizeBytes = int();
    else if (a === '--part-size-bytes') o.partSizeBytes = int();
    else if (a === '--concurrency') o.concurrency = int();
    else if (a === '--runs') o.runs = int();
    else if (a === '--endpoint') o.endpoint = next();
    else if (a === '--data') o.data = next();
    else if (a === '--keep') o.keep = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (Math.ceil(o.sizeBytes / o.partSizeBytes) > 10_000) throw new Error('more than 10,000 parts');
  return o;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function startNode(dataDir: string): Promise<{ child: ChildProcess; endpoint: string }> {
  const port = await freePort();
  const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/strata.js');
  const child = spawn(process.execPath, [bin, 'server', '--data', dataDir, '--port', String(port), '--address', '127.0.0.1', '--log-level', 'warn'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return { child, endpoint: `http://127.0.0.1:${port}` };
}

async function waitReady(client: LightS3Client, bucket: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.createBucket(bucket);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function tag(xml: string, name: string): string {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  if (!m) throw new Error(`no <${name}> in ${xml.slice(0, 200)}`);
  return m[1]!;
}

interface RunResult {
  uploadMs: number;
  completeMs: number;
  totalMs: number;
}

async function oneRun(client: LightS3Client, bucket: string, key: string, o: Options, body: Buffer): Promise<RunResult> {
  const t0 = performance.now();
  const created = await client.must({ method: 'POST', bucket, key, query: [['uploads', '']], keepBody: true });
  const uploadId = tag(created.text ?? '', 'UploadId');
  const partCount = Math.ceil(o.sizeBytes / o.partSizeBytes);
  const etags: string[] = new Array(partCount);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < partCount) {
      const i = next++;
      const size = Math.min(o.partSizeBytes, o.sizeBytes - i * o.partSizeBytes);
      const r = await client.must({
        method: 'PUT',
        bucket,
        key,
        query: [
          ['partNumber', String(i + 1)],
          ['uploadId', uploadId],
        ],
        body: body.subarray(0, size),
        payloadHash: UNSIGNED_PAYLOAD,
      });
      etags[i] = String(r.headers['etag']);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, partCount) }, lane));
  const t1 = performance.now();
  const xml =
    '<CompleteMultipartUpload>' + etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('') + '</CompleteMultipartUpload>';
  const done = await client.must({
    method: 'POST',
    bucket,
    key,
    query: [['uploadId', uploadId]],
    body: Buffer.from(xml),
    payloadHash: UNSIGNED_PAYLOAD,
    keepBody: true,
  });
  const t2 = performance.now();
  if (!/<ETag>/.test(done.text ?? '')) throw new Error(`CompleteMultipartUpload failed: ${done.text}`);
  return { uploadMs: t1 - t0, completeMs: t2 - t1, totalMs: t2 - t0 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;
  let endpoint = o.endpoint;
  if (endpoint === undefined) {
    dataDir = o.data ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-bench-mpu-')));
    const started = await startNode(dataDir);
    child = started.child;
    endpoint = started.endpoint;
  }
  const client = new LightS3Client({
    endpoint,
    credentials: {
      accessKeyId: process.env['STRATA_ACCESS_KEY'] || DEFAULT_ACCESS_KEY_ID,
      secretAccessKey: process.env['STRATA_SECRET_KEY'] || DEFAULT_SECRET_ACCESS_KEY,
    },
    region: 'us-east-1',
    pathStyle: true,
    connections: o.concurrency + 2,
    requestTimeoutMs: 300_000,
  });
  const bucket = 'bench-multipart';
  try {
    await waitReady(client, bucket, 30_000);
    const body = randomBytes(o.partSizeBytes);
    const parts = Math.ceil(o.sizeBytes / o.partSizeBytes);
    console.log(
      `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}; endpoint ${endpoint}`,
    );
    console.log(`object ${o.sizeBytes} bytes as ${parts} parts of ${o.partSizeBytes} bytes, ${o.concurrency} in parallel, UNSIGNED-PAYLOAD`);
    const results: RunResult[] = [];
    for (let run = 1; run <= o.runs; run++) {
      const key = `obj-${run}`;
      const r = await oneRun(client, bucket, key, o, body);
      results.push(r);
      const mbps = o.sizeBytes / 1e6 / (r.uploadMs / 1000);
      console.log(`run ${run}: upload ${r.uploadMs.toFixed(0)} ms = ${mbps.toFixed(1)} MB/s; CompleteMultipartUpload ${r.completeMs.toFixed(1)} ms`);
      await client.send({ method: 'DELETE', bucket, key });
    }
    const mbps = results.map((r) => o.sizeBytes / 1e6 / (r.uploadMs / 1000));
    console.log(
      `median of ${o.runs}: ${median(mbps).toFixed(1)} MB/s upload (${(median(mbps) / 1.048576).toFixed(1)} MiB/s), CompleteMultipartUpload ${median(results.map((r) => r.completeMs)).toFixed(1)} ms`,
    );
  } finally {
    await client.close().catch(() => undefined);
    if (child) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    if (dataDir && !o.keep && o.data === undefined) await fsp.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
