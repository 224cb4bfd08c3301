// Shared helpers for the native benchmarks: timing loops with a fixed duration, medians, and main-thread
// event-loop utilisation (perf_hooks) around a run.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

export const BENCH_SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
export const MiB = 1024 * 1024;

export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * CPU time of the main thread only, in ms (Linux /proc; utime+stime in 10 ms ticks). Unlike ELU it does
 * not count time the thread was runnable but preempted, so it stays meaningful on a shared machine.
 */
export function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

export interface LoadResult {
  ops: number;
  bytes: number;
  seconds: number;
  opsPerSec: number;
  mbPerSec: number;
  /** Main-thread event-loop utilisation over the run, 0..1. */
  elu: number;
  /** Main-thread CPU per operation, µs (see mainThreadCpuMs). */
  mainCpuUsPerOp: number;
}

/** Runs `concurrency` loops of `op` for `seconds`, returns throughput and main-thread ELU. */
export async function closedLoop(concurrency: number, seconds: number, bytesPerOp: number, op: (worker: number, i: number) => Promise<void>): Promise<LoadResult> {
  const deadline = performance.now() + seconds * 1000;
  let ops = 0;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = mainThreadCpuMs();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await op(w, i);
        ops++;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const mainCpuUsPerOp = ((mainThreadCpuMs() - cpu0) * 1000) / Math.max(1, ops);
  return { ops, bytes: ops * bytesPerOp, seconds: secs, opsPerSec: ops / secs, mbPerSec: (ops * bytesPerOp) / secs / 1e6, elu, mainCpuUsPerOp };
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
