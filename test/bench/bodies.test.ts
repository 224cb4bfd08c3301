import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BodyPool, MAX_BODY_BYTES } from '../../src/bench/bodies.js';
import { createRng } from '../../src/bench/random.js';
import { Recorder } from '../../src/bench/stats.js';
import { parseSizeDistribution } from '../../src/bench/units.js';

describe('BodyPool', () => {
  it('pre-generates distinct bodies once, sized from the distribution, in one bounded arena', () => {
    const d = parseSizeDistribution('1KiB..1MiB:log');
    const pool = new BodyPool(d, 32, createRng(1), true);
    expect(pool.bodies).toHaveLength(32);
    expect(pool.arenaBytes).toBeLessThanOrEqual(1024 * 1024 + 32 * 4096);
    const buffers = new Set(pool.bodies.map((b) => b.data.buffer));
    expect(buffers.size).toBe(1); // views into one arena, not copies
    for (const b of pool.bodies) {
      expect(b.data.length).toBeGreaterThanOrEqual(1024);
      expect(b.data.length).toBeLessThanOrEqual(1024 * 1024);
      expect(b.sha256).toBe(createHash('sha256').update(b.data).digest('hex'));
    }
    const rng = createRng(2);
    const seen = new Set<unknown>();
    for (let i = 0; i < 1000; i++) seen.add(pool.pick(rng));
    expect(seen.size).toBe(32);
    for (const b of seen) expect(pool.bodies).toContain(b); // picking never allocates a new body
  });
  it('fixed sizes use a few offsets of one arena and skip hashing unless asked', () => {
    const pool = new BodyPool(parseSizeDistribution('4KiB'), 64, createRng(1), false);
    expect(pool.bodies.length).toBeLessThanOrEqual(4);
    for (const b of pool.bodies) {
      expect(b.data.length).toBe(4096);
      expect(b.sha256).toBeUndefined();
    }
    expect(pool.bodies[0]!.data.equals(pool.bodies[1]!.data)).toBe(false);
  });
  it('refuses bodies over the per-request limit', () => {
    expect(() => new BodyPool({ kind: 'fixed', bytes: MAX_BODY_BYTES + 1 }, 1, createRng(1), false)).toThrow(/multipart/);
  });
});

describe('Recorder', () => {
  it('counts per op, per second, and per error code', () => {
    const r = new Recorder(1000);
    r.ok('put', 2, 4096, 1100);
    r.ok('put', 4, 4096, 2500);
    r.ok('get', 1, 100, 2600, 0.5);
    r.error('get', 'NoSuchKey', 2700);
    r.error('get', 'NoSuchKey', 2800);
    r.error('get', 'SlowDown', 2900);
    const s = r.summarize(2000);
    expect(s.seconds).toBe(2);
    expect(s.ops['put']!.ops).toBe(2);
    expect(s.ops['put']!.opsPerSec).toBe(1);
    expect(s.ops['put']!.bytes).toBe(8192);
    expect(s.ops['get']!.errorsByCode).toEqual({ NoSuchKey: 2, SlowDown: 1 });
    expect(s.ops['get']!.ttfbMs!.p50).toBe(0.5);
    expect(s.ops['put']!.ttfbMs).toBeUndefined();
    expect(s.timeline['put']!.ops).toEqual([1, 1]);
    expect(s.timeline['get']!.ops).toEqual([0, 1]);
    expect(s.timeline['get']!.errors).toEqual([0, 3]);
    expect(Math.abs(s.ops['put']!.latencyMs.p50 - 2) / 2).toBeLessThan(0.008); // top of its HDR bucket
    expect(s.ops['put']!.latencyMs.max).toBe(4);
  });
});
