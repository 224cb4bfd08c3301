// Per-operation counters, latency histograms and the per-second timeline of one measured phase.
// Memory is bounded: two fixed-size histograms per operation and one slot per second of the phase (capped).

import { Histogram, type HistogramSnapshot } from './histogram.js';

/** The timeline keeps at most this many seconds (a run is bounded well below it). */
export const MAX_TIMELINE_SECONDS = 24 * 3600;

export interface Percentiles {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface OpSummary {
  ops: number;
  errors: number;
  errorsByCode: Record<string, number>;
  bytes: number;
  opsPerSec: number;
  bytesPerSec: number;
  mibPerSec: number;
  /** Successful requests only, milliseconds. */
  latencyMs: Percentiles;
  /** GET only: time to response headers, milliseconds. */
  ttfbMs?: Percentiles;
  /** Log-spaced latency bins for charts: [lowMs, highMs, count]. */
  histogramMs: [number, number, number][];
  /** The full histogram (µs), mergeable across runs. */
  hdrUs: HistogramSnapshot;
}

export interface TimelineSeries {
  ops: number[];
  bytes: number[];
  errors: number[];
}

class OpStats {
  latencyUs = new Histogram();
  ttfbUs: Histogram | undefined;
  ops = 0;
  bytes = 0;
  errors = 0;
  errorsByCode = new Map<string, number>();
  timeline: TimelineSeries = { ops: [], bytes: [], errors: [] };
}

export class Recorder {
  private readonly byOp = new Map<string, OpStats>();
  /** performance.now() at the start of the phase. */
  readonly startMs: number;

  constructor(startMs = performance.now()) {
    this.startMs = startMs;
  }

  private stats(op: string): OpStats {
    let s = this.byOp.get(op);
    if (!s) {
      s = new OpStats();
      this.byOp.set(op, s);
    }
    return s;
  }

  private slot(endMs: number): number {
    return Math.min(MAX_TIMELINE_SECONDS - 1, Math.max(0, Math.floor((endMs - this.startMs) / 1000)));
  }

  ok(op: string, latencyMs: number, bytes: number, endMs: number, ttfbMs?: number): void {
    const s = this.stats(op);
    s.ops++;
    s.bytes += bytes;
    s.latencyUs.record(latencyMs * 1000);
    if (ttfbMs !== undefined) (s.ttfbUs ??= new Histogram()).record(ttfbMs * 1000);
    const i = this.slot(endMs);
    bump(s.timeline.ops, i, 1);
    bump(s.timeline.bytes, i, bytes);
  }

  error(op: string, code: string, endMs: number): void {
    const s = this.stats(op);
    s.errors++;
    s.errorsByCode.set(code, (s.errorsByCode.get(code) ?? 0) + 1);
    bump(s.timeline.errors, this.slot(endMs), 1);
  }

  /** Running totals per op (for the live progress line). */
  totals(): Map<string, { ops: number; bytes: number; errors: number }> {
    const out = new Map<string, { ops: number; bytes: number; errors: number }>();
    for (const [op, s] of this.byOp) out.set(op, { ops: s.ops, bytes: s.bytes, errors: s.errors });
    return out;
  }

  ops(): string[] {
    return [...this.byOp.keys()];
  }

  summarize(elapsedMs: number): { ops: Record<string, OpSummary>; timeline: Record<string, TimelineSeries>; seconds: number } {
    const secs = Math.max(elapsedMs, 1) / 1000;
    const ops: Record<string, OpSummary> = {};
    const timeline: Record<string, TimelineSeries> = {};
    let seconds = Math.ceil(elapsedMs / 1000);
    for (const [op, s] of this.byOp) {
      ops[op] = {
        ops: s.ops,
        errors: s.errors,
        errorsByCode: Object.fromEntries([...s.errorsByCode.entries()].sort((a, b) => b[1] - a[1])),
        bytes: s.bytes,
        opsPerSec: s.ops / secs,
        bytesPerSec: s.bytes / secs,
        mibPerSec: s.bytes / secs / 1024 ** 2,
        latencyMs: percentilesMs(s.latencyUs),
        ttfbMs: s.ttfbUs ? percentilesMs(s.ttfbUs) : undefined,
        histogramMs: s.latencyUs.logBins(4).map(([lo, hi, c]) => [lo / 1000, hi / 1000, c]),
        hdrUs: s.latencyUs.snapshot(),
      };
      seconds = Math.max(seconds, s.timeline.ops.length, s.timeline.errors.length);
      timeline[op] = s.timeline;
    }
    for (const t of Object.values(timeline)) for (const arr of [t.ops, t.bytes, t.errors]) while (arr.length < seconds) arr.push(0);
    for (const t of Object.values(timeline)) for (const arr of [t.ops, t.bytes, t.errors]) for (let i = 0; i < arr.length; i++) arr[i] ??= 0;
    return { ops, timeline, seconds };
  }
}

function bump(arr: number[], i: number, v: number): void {
  while (arr.length <= i) arr.push(0);
  arr[i]! += v;
}

export function percentilesMs(h: Histogram): Percentiles {
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    min: ms(h.count ? h.min : 0),
    mean: ms(h.mean()),
    p50: ms(h.percentile(50)),
    p90: ms(h.percentile(90)),
    p99: ms(h.percentile(99)),
    p999: ms(h.percentile(99.9)),
    max: ms(h.max),
  };
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
