import { describe, expect, it } from 'vitest';
import { DEFAULT_MIX, MixSelector, parseMix } from '../../src/bench/mix.js';
import { createRng } from '../../src/bench/random.js';

describe('mix', () => {
  it("default is warp's 45/30/15/10", () => {
    const m = parseMix(DEFAULT_MIX);
    expect(Object.fromEntries(m.map((e) => [e.op, e.share]))).toEqual({ get: 0.45, put: 0.3, delete: 0.15, head: 0.1 });
  });
  it('normalises relative weights and accepts stat/del aliases', () => {
    const m = parseMix('get=1,stat=1,del=2');
    expect(Object.fromEntries(m.map((e) => [e.op, e.share]))).toEqual({ get: 0.25, delete: 0.5, head: 0.25 });
    expect(parseMix('put=0,get=3').map((e) => e.op)).toEqual(['get']);
  });
  it('rejects unknown ops and empty mixes', () => {
    expect(() => parseMix('copy=10')).toThrow(/unknown operation/);
    expect(() => parseMix('get')).toThrow();
    expect(() => parseMix('get=0')).toThrow(/no positive weight/);
  });
  it('selects in proportion to the shares', () => {
    const sel = new MixSelector(parseMix(DEFAULT_MIX));
    const rng = createRng(99);
    const n = 100_000;
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const op = sel.pick(rng);
      counts[op] = (counts[op] ?? 0) + 1;
    }
    expect(counts['get']! / n).toBeCloseTo(0.45, 2);
    expect(counts['put']! / n).toBeCloseTo(0.3, 2);
    expect(counts['delete']! / n).toBeCloseTo(0.15, 2);
    expect(counts['head']! / n).toBeCloseTo(0.1, 2);
  });
  it('maps every draw, including the top of [0, 1), to an op', () => {
    const sel = new MixSelector(parseMix('get=1,put=2'));
    expect(sel.pick(() => 0)).toBe('get');
    expect(sel.pick(() => 0.9999999999)).toBe('put');
  });
});
