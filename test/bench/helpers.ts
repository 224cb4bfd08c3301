// Shared assertions for the integration tests (not a test file itself).
import { expect } from 'vitest';
import type { BenchResult } from '../../src/bench/runner.js';

export function checkResult(r: BenchResult, ops: string[]): void {
  expect(r.schema).toBe('strata-bench-run/1');
  expect(r.total.errors).toBe(0);
  expect(r.total.ops).toBeGreaterThan(0);
  for (const op of ops) {
    const s = r.ops[op];
    expect(s, `op ${op} present`).toBeDefined();
    expect(s!.ops).toBeGreaterThan(0);
    expect(s!.errors).toBe(0);
    expect(s!.opsPerSec).toBeGreaterThan(0);
    const l = s!.latencyMs;
    expect(l.p50).toBeGreaterThan(0);
    expect(l.p50).toBeLessThanOrEqual(l.p90);
    expect(l.p90).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.p999);
    expect(l.p999).toBeLessThanOrEqual(l.max);
  }
  expect(r.client.wallMs).toBeGreaterThan(0);
  expect(r.client.cpuPctOfOneCore).toBeGreaterThan(0);
  expect(r.timeline.seconds).toBeGreaterThan(0);
}
