// Prometheus metrics (GET /metrics, unauthenticated): request counts and latency by operation and
// status, payload bytes in/out, the engine's queue depth and in-flight bytes, event-loop utilisation.

import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Engine } from '../store/api.js';
import type { ScrubStats } from '../store/durability.js';

export interface Metrics {
  readonly registry: Registry;
  observeRequest(op: string, status: number, seconds: number, bytesIn: number, bytesOut: number): void;
  inFlightRequests: Gauge;
  admissionRejected: Counter;
  /** Objects the lifecycle sweeper deleted / multipart uploads it aborted. */
  lifecycleExpiredObjects: Counter;
  lifecycleAbortedUploads: Counter;
  render(): Promise<string>;
  contentType: string;
}

export function createMetrics(engine: () => Engine | undefined, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'strata_process_' });
  const requests = new Counter({
    name: 'strata_s3_requests_total',
    help: 'S3 requests by operation and HTTP status',
    labelNames: ['op', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'strata_s3_request_duration_seconds',
    help: 'S3 request latency by operation and HTTP status',
    labelNames: ['op', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const bytesIn = new Counter({ name: 'strata_s3_bytes_in_total', help: 'Payload bytes received', labelNames: ['op'] as const, registers: [registry] });
  const bytesOut = new Counter({ name: 'strata_s3_bytes_out_total', help: 'Payload bytes sent', labelNames: ['op'] as const, registers: [registry] });
  const inFlightRequests = new Gauge({ name: 'strata_s3_in_flight_requests', help: 'Requests being served', registers: [registry] });
  const admissionRejected = new Counter({
    name: 'strata_s3_admission_rejected_total',
    help: 'Requests answered 503 SlowDown because admission timed out or the connection cap was reached',
    registers: [registry],
  });
  const lifecycleExpiredObjects = new Counter({
    name: 'strata_lifecycle_expired_objects_total',
    help: 'Objects deleted by the lifecycle sweeper because a bucket rule expired them',
    registers: [registry],
  });
  const lifecycleAbortedUploads = new Counter({
    name: 'strata_lifecycle_aborted_uploads_total',
    help: 'Incomplete multipart uploads aborted by the lifecycle sweeper (AbortIncompleteMultipartUpload rules)',
    registers: [registry],
  });
  // Engine and durability figures are read at scrape time; a failing read leaves the gauge unset.
  const readGauge = <T>(read: () => T | undefined, name: string, help: string, value: (t: T) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        let t: T | undefined;
        try {
          t = read();
        } catch {
          t = undefined;
        }
        if (t !== undefined) this.set(value(t));
      },
    });
  };
  const stats = () => engine()?.stats();
  const durability = () => engine()?.scrubStats?.();
  readGauge(stats, 'strata_engine_in_flight_bytes', 'Bytes held in shared blocks by in-flight writes and reads', (s) => s.inFlightBytes);
  readGauge(stats, 'strata_engine_worker_queue_depth', 'Tasks waiting for a worker thread', (s) => s.workerQueueDepth);
  readGauge(stats, 'strata_engine_pending_commits', 'Commits waiting for the group commit', (s) => s.pendingCommits);
  readGauge(stats, 'strata_engine_reads_waiting', 'Reads waiting for room in the in-flight byte budget', (s) => s.readsWaiting);
  readGauge(stats, 'strata_engine_drives_online', 'Drives online', (s) => s.drives.filter((d) => d.online).length);
  // Durability counters are totals kept by the engine since start.
  const durabilityGauge = (name: string, help: string, read: (d: ScrubStats) => number): void => readGauge(durability, name, help, read);
  durabilityGauge('strata_scrub_passes_completed', 'Full scrub passes completed since start', (d) => d.passesCompleted);
  durabilityGauge('strata_scrub_bytes_checked', 'Bytes verified by the scrubber since start', (d) => d.totals.bytesChecked);
  durabilityGauge('strata_scrub_bad_shards', 'Bad or missing shards the scrubber found since start', (d) => d.totals.badShards);
  durabilityGauge('strata_scrub_repaired_shards', 'Shards the scrubber rebuilt since start', (d) => d.totals.repairedShards);
  durabilityGauge('strata_scrub_unrecoverable_blocks', 'Blocks with more than m bad shards found by the scrubber', (d) => d.totals.unrecoverableBlocks);
  durabilityGauge('strata_heal_repaired_shards', 'Shards rebuilt after degraded reads since start', (d) => d.heal.repairedShards);
  durabilityGauge('strata_heal_queue_depth', 'Bad shards waiting for repair', (d) => d.heal.queued);
  durabilityGauge('strata_compaction_bytes_reclaimed', 'Bytes returned to the drives by compaction since start', (d) => d.compaction.bytesReclaimed);
  durabilityGauge('strata_compaction_segments', 'Segments compacted since start', (d) => d.compaction.segmentsCompacted);
  new Gauge({
    name: 'strata_drive_online',
    help: 'Per drive: 1 online, 0 offline or rebuilding',
    labelNames: ['drive', 'path'] as const,
    registers: [registry],
    collect() {
      let d: ScrubStats | undefined;
      try {
        d = engine()?.scrubStats?.();
      } catch {
        d = undefined;
      }
      for (const drive of d?.drives ?? []) this.set({ drive: String(drive.index), path: drive.path }, drive.state === 'online' ? 1 : 0);
    },
  });
  let lastElu = performance.eventLoopUtilization();
  new Gauge({
    name: 'strata_event_loop_utilization',
    help: 'Main-thread event-loop utilisation since the previous scrape (0..1)',
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, lastElu).utilization);
      lastElu = now;
    },
  });
  return {
    registry,
    inFlightRequests,
    admissionRejected,
    lifecycleExpiredObjects,
    lifecycleAbortedUploads,
    observeRequest(op, status, seconds, bIn, bOut) {
      const s = String(status);
      requests.inc({ op, status: s });
      latency.observe({ op, status: s }, seconds);
      if (bIn > 0) bytesIn.inc({ op }, bIn);
      if (bOut > 0) bytesOut.inc({ op }, bOut);
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
