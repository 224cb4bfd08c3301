// One benchmark run against one target: create a bucket, pre-populate what the operation needs, warm up,
// measure for a bounded time and count, clean up. Everything the run does is bounded: the measured phase by
// --duration (or a hard cap when only --ops is given) and --max-ops, preparation by the object count and the
// same time cap, cleanup by the keys the run created plus a bounded number of listing pages.

import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BodyPool, type Body } from './bodies.js';
import { measureServerCpu, type ServerCpu } from './server-cpu.js';
import { LightS3Client, S3Error, escapeXml, networkErrorCode, s3ErrorCode, UNSIGNED_PAYLOAD, EMPTY_SHA256_HEX, type Credentials } from './client.js';
import { MixSelector, type MixEntry, type MixOp } from './mix.js';
import { createRng, type Rng } from './random.js';
import { Recorder, type OpSummary, type TimelineSeries } from './stats.js';
import { type SizeDistribution, describeSizeDistribution, formatBytes } from './units.js';
import { createHash, randomBytes } from 'node:crypto';

export const WORKLOAD_OPS = ['put', 'get', 'head', 'delete', 'list', 'multipart', 'mixed'] as const;
export type WorkloadOp = (typeof WORKLOAD_OPS)[number];

export interface Target {
  /** Label in reports ("strata", "s3rver", …). */
  name: string;
  endpoint: string;
  /** Absent = anonymous requests. */
  credentials?: Credentials;
  region: string;
  pathStyle: boolean;
  /** A local server process (a peer the harness started, or --server-pid): its CPU is measured too. */
  serverPid?: number;
}

export interface Workload {
  op: WorkloadOp;
  size: SizeDistribution;
  concurrency: number;
  /** Measured phase length; the run ends at whichever of durationMs / ops comes first. */
  durationMs?: number;
  ops?: number;
  warmupMs: number;
  /** Hard caps, always in force. */
  maxDurationMs: number;
  maxOps: number;
  /** Objects pre-populated for get/head/list/mixed (delete: --ops or this many). */
  objects: number;
  mix: MixEntry[];
  partSizeBytes: number;
  parts: number;
  listMaxKeys: number;
  /** Existing bucket to use; otherwise a fresh one is created and removed. */
  bucket?: string;
  prefix: string;
  keep: boolean;
  payloadHash: 'unsigned' | 'sha256';
  seed: number;
  distinctBodies: number;
  requestTimeoutMs: number;
}

export interface ClientUsage {
  wallMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** (user + system) / wall: 100 = one core busy. The generator's JavaScript runs on one thread. */
  cpuPctOfOneCore: number;
  cores: number;
  cpuPctOfMachine: number;
  /** Share of wall time the event loop was busy (0..1): near 1 means requests waited for the client. */
  eventLoopUtilization: number;
  eventLoopDelayP99Ms: number;
  /** True when the client's one JS thread was nearly saturated, so the numbers may measure the client. */
  likelyClientBound: boolean;
}

export interface BenchResult {
  schema: 'strata-bench-run/1';
  startedAt: string;
  machine: { cpus: number; cpuModel: string; totalMemBytes: number; node: string; platform: string; loadAverage: number[] };
  /** The command line that produced this result (secrets redacted), when run from the CLI. */
  command?: string;
  target: { name: string; endpoint: string; region: string; pathStyle: boolean; signed: boolean };
  workload: {
    op: WorkloadOp;
    size: string;
    concurrency: number;
    durationMs?: number;
    ops?: number;
    warmupMs: number;
    objects: number;
    mix?: Record<string, number>;
    parts?: number;
    partSizeBytes?: number;
    payloadHash: string;
    seed: number;
    bucket: string;
    prefix: string;
  };
  elapsedMs: number;
  stoppedBy: 'duration' | 'ops' | 'max-duration' | 'max-ops' | 'out-of-objects' | 'aborted';
  total: { ops: number; errors: number; bytes: number; opsPerSec: number; mibPerSec: number };
  ops: Record<string, OpSummary>;
  timeline: { seconds: number; perOp: Record<string, TimelineSeries> };
  client: ClientUsage;
  /** CPU of the server process over the measured phase, when it is local and its pid is known. */
  server?: ServerCpu;
  prepare: { objects: number; elapsedMs: number };
  cleanup: { deleted: number; errors: number; elapsedMs: number; bucketDeleted: boolean; skipped: boolean };
  notes: string[];
}

export interface RunHooks {
  /** Called once a second during warmup and measurement with a one-line status. */
  onProgress?: (line: string) => void;
  /** Informational messages (phases, cleanup). */
  onInfo?: (line: string) => void;
  signal?: AbortSignal;
}

interface LiveObject {
  key: string;
  size: number;
  readers: number;
}

/** The objects a run may read or delete. A delete takes only an object nobody is reading, so GETs never race it. */
class ObjectSet {
  private readonly items: LiveObject[] = [];
  /** Keys ever created and not known to be deleted — what cleanup removes. */
  get size(): number {
    return this.items.length;
  }
  add(key: string, size: number): void {
    this.items.push({ key, size, readers: 0 });
  }
  pickForRead(rng: Rng): LiveObject | undefined {
    if (this.items.length === 0) return undefined;
    const o = this.items[Math.floor(rng() * this.items.length)]!;
    o.readers++;
    return o;
  }
  release(o: LiveObject): void {
    o.readers--;
  }
  takeForDelete(rng: Rng): LiveObject | undefined {
    for (let attempt = 0; attempt < 8 && this.items.length > 0; attempt++) {
      const i = Math.floor(rng() * this.items.length);
      const o = this.items[i]!;
      if (o.readers > 0) continue;
      this.items[i] = this.items[this.items.length - 1]!;
      this.items.pop();
      return o;
    }
    return undefined;
  }
  drain(): LiveObject[] {
    return this.items.splice(0, this.items.length);
  }
}

interface Phase {
  recorder: Recorder;
  deadlineMs: number;
  opsLimit: number;
  issued: number;
  stop: 'duration' | 'ops' | 'max-duration' | 'out-of-objects' | 'aborted' | undefined;
}

/** Distinct value per run so a run's keys and bucket never collide with another's. */
export function newRunId(): string {
  const d = new Date();
  const stamp = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export async function runBench(target: Target, w: Workload, hooks: RunHooks = {}): Promise<BenchResult> {
  validateWorkload(w);
  const info = hooks.onInfo ?? (() => {});
  const rng = createRng(w.seed);
  const runId = newRunId();
  const bucket = w.bucket ?? `strata-bench-${runId}`;
  const prefix = `${w.prefix.replace(/\/+$/, '')}/${runId}/`;
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const notes: string[] = [];
  if (machine.loadAverage[0]! > machine.cpus) {
    notes.push(`load average ${machine.loadAverage[0]} on ${machine.cpus} cores when the run started: other work was running, expect noise`);
  }
  const client = new LightS3Client({
    endpoint: target.endpoint,
    credentials: target.credentials,
    region: target.region,
    pathStyle: target.pathStyle,
    connections: w.concurrency + 2,
    requestTimeoutMs: w.requestTimeoutMs,
  });
  const hashBodies = w.payloadHash === 'sha256';
  const bodies = new BodyPool(w.op === 'multipart' ? { kind: 'fixed', bytes: w.partSizeBytes } : w.size, w.distinctBodies, rng, hashBodies);
  const live = new ObjectSet();
  let keySeq = 0;
  const nextKey = () => `${prefix}obj-${(++keySeq).toString().padStart(8, '0')}`;
  const mix = new MixSelector(w.op === 'mixed' ? w.mix : [{ op: 'get', share: 1 }]);
  const createdBucket = { value: false };
  let prepare = { objects: 0, elapsedMs: 0 };
  let cleanup = { deleted: 0, errors: 0, elapsedMs: 0, bucketDeleted: false, skipped: w.keep };

  let result: BenchResult | undefined;
  const hashOf = (b: Body) => (hashBodies ? b.sha256! : UNSIGNED_PAYLOAD);

  // --- one operation: never throws; records success or the S3 error code ---
  async function execute(op: WorkloadOp | MixOp, phase: Phase): Promise<void> {
    const rec = phase.recorder;
    let t0 = performance.now();
    try {
      switch (op) {
        case 'put': {
          const body = bodies.pick(rng);
          const key = nextKey();
          t0 = performance.now();
          const r = await client.send({ method: 'PUT', bucket, key, body: body.data, payloadHash: hashOf(body) });
          const t1 = performance.now();
          if (ok(r.status)) {
            live.add(key, body.data.length);
            rec.ok('put', t1 - t0, body.data.length, t1);
          } else rec.error('put', s3ErrorCode(r.status, r.text), t1);
          return;
        }
        case 'get':
        case 'head': {
          const o = live.pickForRead(rng);
          if (!o) {
            // Pure get/head: the prepared set is gone. Mixed: nothing readable yet — write instead, which also
            // keeps this loop from spinning without I/O.
            if (w.op !== 'mixed') phase.stop ??= 'out-of-objects';
            else await execute('put', phase);
            return;
          }
          try {
            t0 = performance.now();
            const r = await client.send({ method: op === 'get' ? 'GET' : 'HEAD', bucket, key: o.key });
            const t1 = performance.now();
            if (ok(r.status)) rec.ok(op, t1 - t0, r.bytes, t1, op === 'get' ? r.ttfbMs : undefined);
            else rec.error(op, s3ErrorCode(r.status, r.text), t1);
          } finally {
            live.release(o);
          }
          return;
        }
        case 'delete': {
          const o = live.takeForDelete(rng);
          if (!o) {
            if (w.op === 'delete') phase.stop ??= 'out-of-objects';
            else await execute('put', phase); // mixed: nothing deletable right now, keep the request rate
            return;
          }
          t0 = performance.now();
          const r = await client.send({ method: 'DELETE', bucket, key: o.key });
          const t1 = performance.now();
          if (ok(r.status)) rec.ok('delete', t1 - t0, 0, t1);
          else {
            live.add(o.key, o.size);
            rec.error('delete', s3ErrorCode(r.status, r.text), t1);
          }
          return;
        }
        case 'list': {
          t0 = performance.now();
          const r = await client.send({
            method: 'GET',
            bucket,
            query: [
              ['list-type', '2'],
              ['prefix', prefix],
              ['max-keys', String(w.listMaxKeys)],
            ],
          });
          const t1 = performance.now();
          if (ok(r.status)) rec.ok('list', t1 - t0, r.bytes, t1);
          else rec.error('list', s3ErrorCode(r.status, r.text), t1);
          return;
        }
        case 'multipart': {
          const key = nextKey();
          t0 = performance.now();
          const total = await multipartUpload(key);
          const t1 = performance.now();
          live.add(key, total);
          rec.ok('multipart', t1 - t0, total, t1);
          return;
        }
        case 'mixed':
          return execute(mix.pick(rng), phase);
      }
    } catch (err) {
      const code = err instanceof S3Error ? err.code : networkErrorCode(err);
      rec.error(op === 'mixed' ? 'mixed' : op, code, performance.now());
    }
  }

  async function multipartUpload(key: string): Promise<number> {
    const created = await client.must({ method: 'POST', bucket, key, query: [['uploads', '']], keepBody: true });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text ?? '')?.[1];
    if (!uploadId) throw new S3Error('MalformedInitiateResponse', created.status, 'CreateMultipartUpload returned no UploadId');
    try {
      const etags: string[] = [];
      let total = 0;
      for (let part = 1; part <= w.parts; part++) {
        const body = bodies.pick(rng);
        const r = await client.must({
          method: 'PUT',
          bucket,
          key,
          query: [
            ['partNumber', String(part)],
            ['uploadId', uploadId],
          ],
          body: body.data,
          payloadHash: hashOf(body),
        });
        const etag = r.headers['etag'];
        etags.push(Array.isArray(etag) ? etag[0]! : (etag ?? ''));
        total += body.data.length;
      }
      const xml = Buffer.from(
        '<CompleteMultipartUpload>' +
          etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(e)}</ETag></Part>`).join('') +
          '</CompleteMultipartUpload>',
      );
      const done = await client.must({
        method: 'POST',
        bucket,
        key,
        query: [['uploadId', uploadId]],
        body: xml,
        payloadHash: hashBodies ? createHash('sha256').update(xml).digest('hex') : UNSIGNED_PAYLOAD,
        headers: { 'content-type': 'application/xml' },
        keepBody: true,
      });
      // CompleteMultipartUpload may answer 200 with an <Error> body.
      if (done.text && /<Error>/.test(done.text)) throw new S3Error(s3ErrorCode(500, done.text), 200, 'CompleteMultipartUpload failed');
      return total;
    } catch (err) {
      await client.send({ method: 'DELETE', bucket, key, query: [['uploadId', uploadId]] }).catch(() => {});
      throw err;
    }
  }

  async function runPhase(phase: Phase, label: string, opFor: () => WorkloadOp | MixOp): Promise<number> {
    const start = performance.now();
    const last = new Map<string, { ops: number; bytes: number; errors: number }>();
    let lastT = start;
    const timer = hooks.onProgress
      ? setInterval(() => {
          const now = performance.now();
          const dt = (now - lastT) / 1000;
          lastT = now;
          // Total first (it must survive truncation to the terminal width), then each operation.
          const parts: string[] = [];
          let ops = 0;
          let bytes = 0;
          let errors = 0;
          for (const [op, t] of phase.recorder.totals()) {
            const p = last.get(op) ?? { ops: 0, bytes: 0, errors: 0 };
            const dOps = (t.ops - p.ops) / dt;
            const dMiB = (t.bytes - p.bytes) / dt / 1024 ** 2;
            ops += dOps;
            bytes += dMiB;
            errors += t.errors;
            parts.push(`${op} ${dOps.toFixed(0)}/s${dMiB > 0 ? ` ${dMiB.toFixed(1)} MiB/s` : ''}${t.errors ? ` err ${t.errors}` : ''}`);
            last.set(op, { ...t });
          }
          const head = `[${label} ${((now - start) / 1000).toFixed(0)}s] ${ops.toFixed(0)} ops/s ${bytes.toFixed(1)} MiB/s errors ${errors}`;
          hooks.onProgress!(parts.length > 1 ? `${head} | ${parts.join(' | ')}` : parts.length ? head : `${head} (waiting for first responses)`);
        }, 1000)
      : undefined;
    timer?.unref();
    const worker = async () => {
      for (;;) {
        if (hooks.signal?.aborted) {
          phase.stop ??= 'aborted';
          return;
        }
        if (phase.stop) return;
        if (performance.now() >= phase.deadlineMs) return;
        if (phase.issued >= phase.opsLimit) return;
        phase.issued++;
        await execute(opFor(), phase);
      }
    };
    try {
      await Promise.all(Array.from({ length: w.concurrency }, worker));
    } finally {
      if (timer) clearInterval(timer);
    }
    return performance.now() - start;
  }

  try {
    // --- bucket ---
    const made = await client.createBucket(bucket);
    createdBucket.value = made === 'created' && w.bucket === undefined;
    info(`bucket ${bucket} (${made}), prefix ${prefix}`);

    // --- prepare ---
    const needsObjects = w.op === 'get' || w.op === 'head' || w.op === 'list' || w.op === 'mixed' || w.op === 'delete';
    if (needsObjects) {
      const count = w.op === 'delete' ? Math.min(w.ops ?? w.objects, w.maxOps) : w.objects;
      info(`preparing ${count} objects of ${describeSizeDistribution(w.size)}`);
      const prep: Phase = { recorder: new Recorder(), deadlineMs: performance.now() + w.maxDurationMs, opsLimit: count, issued: 0, stop: undefined };
      const ms = await runPhase(prep, 'prepare', () => 'put');
      const t = prep.recorder.totals().get('put');
      prepare = { objects: t?.ops ?? 0, elapsedMs: ms };
      if (!t || t.errors > 0 || t.ops < count) {
        const s = prep.recorder.summarize(ms).ops['put'];
        throw new Error(
          `preparation failed: ${t?.ops ?? 0}/${count} objects written` + (s && s.errors ? `, errors ${JSON.stringify(s.errorsByCode)}` : '') + (prep.stop ? ` (${prep.stop})` : ''),
        );
      }
    }

    const opFor = (): WorkloadOp => w.op;

    // --- warmup (results discarded). A delete run skips it: it would consume the objects it measures. ---
    if (w.warmupMs > 0 && w.op !== 'delete') {
      info(`warming up for ${w.warmupMs} ms`);
      const warm: Phase = { recorder: new Recorder(), deadlineMs: performance.now() + w.warmupMs, opsLimit: w.maxOps, issued: 0, stop: undefined };
      await runPhase(warm, 'warmup', opFor);
    } else if (w.warmupMs > 0) notes.push('warmup skipped for delete: it would consume the prepared objects');

    // --- measure ---
    const durationMs = Math.min(w.durationMs ?? w.maxDurationMs, w.maxDurationMs);
    const opsLimit = Math.min(w.ops ?? w.maxOps, w.maxOps);
    const recorder = new Recorder();
    const phase: Phase = { recorder, deadlineMs: recorder.startMs + durationMs, opsLimit, issued: 0, stop: undefined };
    const cpu0 = process.cpuUsage();
    const serverCpu = measureServerCpu(target.serverPid);
    const elu0 = performance.eventLoopUtilization();
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    info(`measuring ${w.op} for ${w.durationMs !== undefined ? `${durationMs} ms` : `${opsLimit} ops (at most ${durationMs} ms)`}, concurrency ${w.concurrency}`);
    const elapsedMs = await runPhase(phase, 'run', opFor);
    delay.disable();
    const cpu = process.cpuUsage(cpu0);
    const server = serverCpu(elapsedMs);
    const elu = performance.eventLoopUtilization(elu0);
    const stoppedBy: BenchResult['stoppedBy'] =
      phase.stop ??
      (phase.issued >= opsLimit ? (w.ops !== undefined && w.ops <= w.maxOps ? 'ops' : 'max-ops') : w.durationMs !== undefined && w.durationMs <= w.maxDurationMs ? 'duration' : 'max-duration');

    const cores = os.availableParallelism();
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const cpuPctOfOneCore = (cpuMs / elapsedMs) * 100;
    const usage: ClientUsage = {
      wallMs: elapsedMs,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      cpuPctOfOneCore,
      cores,
      cpuPctOfMachine: cpuPctOfOneCore / cores,
      eventLoopUtilization: elu.utilization,
      eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
      // Sub-second phases are dominated by JIT and start-up work: too short to judge.
      likelyClientBound: elapsedMs >= 1000 && (elu.utilization > 0.9 || cpuPctOfOneCore > 90),
    };
    if (usage.likelyClientBound) {
      notes.push(
        `the generator's event loop was busy ${(elu.utilization * 100).toFixed(0)}% of the time (CPU ${cpuPctOfOneCore.toFixed(0)}% of one core): ` +
          'the client may be the limit — lower the concurrency, or run the generator on another machine',
      );
    }

    if (server && elapsedMs >= 1000 && server.cpuPctOfMachine + usage.cpuPctOfMachine > 90) {
      notes.push(
        `server (${server.cpuPctOfMachine.toFixed(0)}%) and client (${usage.cpuPctOfMachine.toFixed(0)}%) together used the machine's ${server.cores} cores: ` +
          'the numbers are CPU-bound on this machine, not limited by the disk',
      );
    }

    const sum = recorder.summarize(elapsedMs);
    const all = Object.values(sum.ops);
    const totalOps = all.reduce((a, s) => a + s.ops, 0);
    const totalBytes = all.reduce((a, s) => a + s.bytes, 0);
    result = {
      schema: 'strata-bench-run/1',
      startedAt,
      machine,
      target: { name: target.name, endpoint: target.endpoint, region: target.region, pathStyle: target.pathStyle, signed: target.credentials !== undefined },
      workload: {
        op: w.op,
        size: describeSizeDistribution(w.size),
        concurrency: w.concurrency,
        durationMs: w.durationMs,
        ops: w.ops,
        warmupMs: w.warmupMs,
        objects: w.objects,
        mix: w.op === 'mixed' ? Object.fromEntries(w.mix.map((e) => [e.op, e.share])) : undefined,
        parts: w.op === 'multipart' ? w.parts : undefined,
        partSizeBytes: w.op === 'multipart' ? w.partSizeBytes : undefined,
        payloadHash: w.payloadHash === 'sha256' ? 'sha256 (precomputed per distinct body)' : UNSIGNED_PAYLOAD,
        seed: w.seed,
        bucket,
        prefix,
      },
      elapsedMs,
      stoppedBy,
      total: {
        ops: totalOps,
        errors: all.reduce((a, s) => a + s.errors, 0),
        bytes: totalBytes,
        opsPerSec: totalOps / (elapsedMs / 1000),
        mibPerSec: totalBytes / (elapsedMs / 1000) / 1024 ** 2,
      },
      ops: sum.ops,
      timeline: { seconds: sum.seconds, perOp: sum.timeline },
      client: usage,
      ...(server ? { server } : {}),
      prepare,
      cleanup,
      notes,
    };
    if (stoppedBy === 'out-of-objects') notes.push(`stopped early: the ${w.op} phase ran out of prepared objects (${prepare.objects})`);
    return result;
  } finally {
    if (!w.keep) {
      const t0 = performance.now();
      cleanup = await cleanUp(client, bucket, prefix, live.drain().map((o) => o.key), createdBucket.value, w.concurrency, w.maxDurationMs, info);
      cleanup.elapsedMs = performance.now() - t0;
    } else info(`--keep: leaving bucket ${bucket} prefix ${prefix}`);
    await client.close().catch(() => client.destroy());
    // The result was built before cleanup ran; the caller holds the same object, so fill in its cleanup record.
    if (result) result.cleanup = cleanup;
  }
}

async function cleanUp(
  client: LightS3Client,
  bucket: string,
  prefix: string,
  knownKeys: string[],
  deleteBucket: boolean,
  concurrency: number,
  maxMs: number,
  info: (s: string) => void,
): Promise<BenchResult['cleanup']> {
  const out = { deleted: 0, errors: 0, elapsedMs: 0, bucketDeleted: false, skipped: false };
  const deadline = performance.now() + maxMs;
  const deleteAll = async (keys: string[]) => {
    let i = 0;
    const worker = async () => {
      while (i < keys.length && performance.now() < deadline) {
        const key = keys[i++]!;
        try {
          const r = await client.send({ method: 'DELETE', bucket, key });
          if (ok(r.status) || r.status === 404) out.deleted++;
          else out.errors++;
        } catch {
          out.errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, 64)) }, worker));
  };
  if (knownKeys.length) info(`cleaning up ${knownKeys.length} objects`);
  await deleteAll(knownKeys);
  // Sweep what the run may have created without knowing (a PUT that timed out but landed, aborted uploads).
  // Bounded: a fixed number of pages.
  const MAX_SWEEP_PAGES = 100;
  for (let page = 0; page < MAX_SWEEP_PAGES && performance.now() < deadline; page++) {
    let keys: string[];
    try {
      keys = (await client.listPage(bucket, prefix, 1000)).keys;
    } catch {
      break;
    }
    if (keys.length === 0) break;
    const before = out.deleted;
    await deleteAll(keys);
    if (out.deleted === before) break; // nothing deletable: don't spin
  }
  if (deleteBucket) {
    try {
      await client.deleteBucket(bucket);
      out.bucketDeleted = true;
    } catch (err) {
      out.errors++;
      info(`could not delete bucket ${bucket}: ${(err as Error).message}`);
    }
  }
  return out;
}

function ok(status: number): boolean {
  return status >= 200 && status < 300;
}

export function machineInfo(): BenchResult['machine'] {
  const cpus = os.cpus();
  return {
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemBytes: os.totalmem(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    // 1, 5, 15 min: on a shared machine, a load above the core count means the numbers are noisy.
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function validateWorkload(w: Workload): void {
  const fail = (m: string) => {
    throw new Error(m);
  };
  if (!WORKLOAD_OPS.includes(w.op)) fail(`unknown operation '${w.op}' (use ${WORKLOAD_OPS.join(', ')})`);
  if (!(Number.isInteger(w.concurrency) && w.concurrency >= 1 && w.concurrency <= 4096)) fail('--concurrency must be an integer in 1..4096');
  if (w.durationMs !== undefined && !(w.durationMs > 0)) fail('--duration must be positive');
  if (w.ops !== undefined && !(Number.isInteger(w.ops) && w.ops >= 1)) fail('--ops must be a positive integer');
  if (!(w.maxDurationMs > 0)) fail('--max-duration must be positive');
  if (!(w.maxOps >= 1)) fail('--max-ops must be positive');
  if (!(w.objects >= 1 && w.objects <= 10_000_000)) fail('--objects must be in 1..10000000');
  if (!(w.parts >= 1 && w.parts <= 10_000)) fail('--parts must be in 1..10000');
  if (!(w.listMaxKeys >= 1 && w.listMaxKeys <= 1000)) fail('--list-max-keys must be in 1..1000');
  if (w.op === 'get' || w.op === 'put' || w.op === 'mixed') {
    if (w.size.kind === 'fixed' && w.size.bytes < 0) fail('--size must be ≥ 0');
  }
  if (w.bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(w.bucket)) fail(`invalid bucket name '${w.bucket}'`);
}

/** One-line description of a workload for logs and report titles. */
export function describeWorkload(w: Pick<Workload, 'op' | 'size' | 'concurrency' | 'partSizeBytes' | 'parts'>): string {
  if (w.op === 'multipart') return `multipart ${w.parts}×${formatBytes(w.partSizeBytes)} c=${w.concurrency}`;
  return `${w.op} ${describeSizeDistribution(w.size)} c=${w.concurrency}`;
}

export { EMPTY_SHA256_HEX };
