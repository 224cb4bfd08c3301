import { describe, expect, it } from 'vitest';
import { Histogram, SUB_BITS, bucketIndexOf, bucketRange } from '../../src/bench/histogram.js';
import { createRng } from '../../src/bench/random.js';

/** Exact percentile with the same rank definition: the value at rank ceil(p/100 · n). */
function exact(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

describe('bucket layout', () => {
  it('is exact below 2·2^SUB_BITS and contiguous everywhere', () => {
    for (let v = 0; v < 2 << SUB_BITS; v++) expect(bucketRange(bucketIndexOf(v))).toEqual([v, v]);
    let expectLow = 0;
    for (let i = 0; i < bucketIndexOf(2 ** 36 - 1); i++) {
      const [lo, hi] = bucketRange(i);
      expect(lo).toBe(expectLow);
      expect(hi).toBeGreaterThanOrEqual(lo);
      expectLow = hi + 1;
    }
  });
  it('maps every value into its own bucket with bounded relative width', () => {
    const rng = createRng(3);
    for (let i = 0; i < 20_000; i++) {
      const v = Math.floor(2 ** (rng() * 36));
      const [lo, hi] = bucketRange(bucketIndexOf(v));
      expect(v).toBeGreaterThanOrEqual(lo);
      expect(v).toBeLessThanOrEqual(hi);
      // exact (width-1) buckets, or at most 1/2^SUB_BITS of the bucket's lower bound wide
      if (hi > lo) expect((hi - lo + 1) / lo).toBeLessThanOrEqual(1 / 2 ** SUB_BITS);
    }
    // around 2^32, where the index maths switches from clz32 to the split path
    for (const v of [2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 33 + 12345]) {
      const [lo, hi] = bucketRange(bucketIndexOf(v));
      expect(v >= lo && v <= hi).toBe(true);
    }
  });
});

describe('Histogram percentiles', () => {
  it('is exact for small integers', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(90)).toBe(90);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(100)).toBe(100);
    expect(h.percentile(0)).toBe(1);
    expect(h.mean()).toBe(50.5);
    expect(h.count).toBe(100);
  });
  it('is within 1/2^SUB_BITS of the exact percentile on a skewed sample, and ordered', () => {
    const rng = createRng(11);
    const h = new Histogram();
    const values: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      // log-normal-ish latencies in µs: median ~2 ms, long tail
      const v = Math.round(Math.exp(7.6 + 1.2 * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())));
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 99, 99.9, 99.99]) {
      const want = exact(values, p);
      const got = h.percentile(p);
      expect(got).toBeGreaterThanOrEqual(want);
      expect((got - want) / want).toBeLessThanOrEqual(1 / 2 ** SUB_BITS);
    }
    expect(h.percentile(100)).toBe(values[values.length - 1]);
    expect(h.min).toBe(values[0]);
    const ps = [50, 90, 99, 99.9, 100].map((p) => h.percentile(p));
    for (let i = 1; i < ps.length; i++) expect(ps[i]!).toBeGreaterThanOrEqual(ps[i - 1]!);
  });
  it('never reports beyond the recorded min and max', () => {
    const h = new Histogram();
    h.record(1_000_003);
    expect(h.percentile(50)).toBe(1_000_003);
    expect(h.percentile(99.9)).toBe(1_000_003);
  });
  it('is empty-safe and rejects bad input', () => {
    const h = new Histogram();
    expect(h.percentile(99)).toBe(0);
    expect(h.mean()).toBe(0);
    expect(() => h.record(-1)).toThrow();
    expect(() => h.record(NaN)).toThrow();
    expect(() => h.percentile(101)).toThrow();
  });
  it('clamps values above the trackable range into the top bucket but keeps the exact max', () => {
    const h = new Histogram(1000);
    h.record(5);
    h.record(10 ** 9);
    expect(h.max).toBe(10 ** 9);
    expect(h.percentile(100)).toBe(10 ** 9);
    expect(h.count).toBe(2);
  });
  it('has fixed memory regardless of sample count', () => {
    const h = new Histogram();
    const buckets = h.bucketCount;
    for (let i = 0; i < 200_000; i++) h.record(i * 37);
    expect(h.bucketCount).toBe(buckets);
    expect(buckets).toBeLessThan(5000);
  });
  it('merges and round-trips through a snapshot', () => {
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    const rng = createRng(5);
    for (let i = 0; i < 10_000; i++) {
      const v = Math.floor(rng() * 1e6);
      (i % 2 ? a : b).record(v);
      all.record(v);
    }
    a.merge(b);
    for (const p of [50, 90, 99, 99.9]) expect(a.percentile(p)).toBe(all.percentile(p));
    expect(a.count).toBe(all.count);
    expect(a.min).toBe(all.min);
    expect(a.max).toBe(all.max);
    const back = Histogram.fromSnapshot(JSON.parse(JSON.stringify(a.snapshot())));
    for (const p of [50, 99, 100]) expect(back.percentile(p)).toBe(a.percentile(p));
  });
  it('log bins cover every sample', () => {
    const h = new Histogram();
    for (let v = 0; v < 10_000; v += 7) h.record(v);
    const bins = h.logBins(4);
    expect(bins.reduce((s, b) => s + b[2], 0)).toBe(h.count);
    for (let i = 1; i < bins.length; i++) expect(bins[i]![0]).toBeGreaterThan(bins[i - 1]![0]);
  });
});
