import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/bench/random.js';
import {
  describeSizeDistribution,
  formatBytes,
  parseDuration,
  parseSize,
  parseSizeDistribution,
  sampleSize,
} from '../../src/bench/units.js';

describe('parseSize', () => {
  it('reads binary and decimal units', () => {
    expect(parseSize('4KiB')).toBe(4096);
    expect(parseSize('4kib')).toBe(4096);
    expect(parseSize('1MiB')).toBe(1048576);
    expect(parseSize('1.5MiB')).toBe(1572864);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('1KB')).toBe(1000);
    expect(parseSize('2MB')).toBe(2_000_000);
    expect(parseSize('16M')).toBe(16 * 1024 ** 2);
    expect(parseSize('512')).toBe(512);
    expect(parseSize('512B')).toBe(512);
    expect(parseSize('0')).toBe(0);
  });
  it('rejects garbage', () => {
    for (const bad of ['', 'abc', '-1KiB', '4 XB', '1..2', 'KiB', '1e3']) expect(() => parseSize(bad)).toThrow();
  });
  it('formats', () => {
    expect(formatBytes(4096)).toBe('4 KiB');
    expect(formatBytes(1572864)).toBe('1.50 MiB');
    expect(formatBytes(100)).toBe('100 B');
  });
});

describe('parseDuration', () => {
  it('reads units and bare seconds', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('5')).toBe(5000);
  });
  it('rejects garbage', () => {
    for (const bad of ['', 's', '10x', '10s junk', '-1s']) expect(() => parseDuration(bad)).toThrow();
  });
});

describe('size distributions', () => {
  it('parses fixed, uniform and log', () => {
    expect(parseSizeDistribution('4KiB')).toEqual({ kind: 'fixed', bytes: 4096 });
    expect(parseSizeDistribution('1KiB..16MiB')).toEqual({ kind: 'uniform', minBytes: 1024, maxBytes: 16 * 1024 ** 2 });
    expect(parseSizeDistribution('1KiB..16MiB:log')).toEqual({ kind: 'log', minBytes: 1024, maxBytes: 16 * 1024 ** 2 });
    expect(parseSizeDistribution('1KiB..2KiB:uniform')).toEqual({ kind: 'uniform', minBytes: 1024, maxBytes: 2048 });
    expect(describeSizeDistribution(parseSizeDistribution('1KiB..16MiB:log'))).toBe('1 KiB..16 MiB (log-uniform)');
  });
  it('rejects inverted and unknown shapes', () => {
    expect(() => parseSizeDistribution('2KiB..1KiB')).toThrow(/minimum/);
    expect(() => parseSizeDistribution('1KiB..2KiB:zipf')).toThrow();
    expect(() => parseSizeDistribution('0..2KiB:log')).toThrow(/log/);
  });
  it('samples stay within bounds', () => {
    const rng = createRng(1);
    for (const spec of ['4KiB', '1KiB..16MiB', '1KiB..16MiB:log', '7..7', '1..2:log']) {
      const d = parseSizeDistribution(spec);
      for (let i = 0; i < 5000; i++) {
        const s = sampleSize(d, rng);
        expect(Number.isInteger(s)).toBe(true);
        const lo = d.kind === 'fixed' ? d.bytes : d.minBytes;
        const hi = d.kind === 'fixed' ? d.bytes : d.maxBytes;
        expect(s).toBeGreaterThanOrEqual(lo);
        expect(s).toBeLessThanOrEqual(hi);
      }
    }
  });
  it('log-uniform puts the same share in every octave; uniform puts most mass in the top octave', () => {
    const rng = createRng(42);
    const log = parseSizeDistribution('1KiB..1MiB:log'); // 10 octaves
    const uni = parseSizeDistribution('1KiB..1MiB');
    const n = 50_000;
    const octaves = new Array(10).fill(0);
    let uniTop = 0;
    for (let i = 0; i < n; i++) {
      octaves[Math.min(9, Math.floor(Math.log2(sampleSize(log, rng) / 1024)))]++;
      if (sampleSize(uni, rng) >= 512 * 1024) uniTop++;
    }
    for (const c of octaves) expect(Math.abs(c / n - 0.1)).toBeLessThan(0.015);
    expect(uniTop / n).toBeGreaterThan(0.48);
    expect(uniTop / n).toBeLessThan(0.52);
  });
  it('the seeded RNG replays', () => {
    const a = createRng(7);
    const b = createRng(7);
    for (let i = 0; i < 100; i++) expect(a()).toBe(b());
    const c = createRng(8);
    expect(Array.from({ length: 5 }, c)).not.toEqual(Array.from({ length: 5 }, createRng(7)));
  });
});
