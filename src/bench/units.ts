// Parsing and formatting of sizes, durations and object-size distributions.
// Pure functions: every flag the harness accepts goes through here, and test/bench/units.test.ts covers it.

import type { Rng } from './random.js';

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
};

/**
 * `4KiB` → 4096, `1MB` → 1_000_000, `1.5MiB` → 1572864, `512` → 512.
 * Binary units (KiB, MiB, GiB, and the bare K/M/G shorthand) are powers of 1024; KB/MB/GB are powers of 1000,
 * as in warp.
 */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) throw new Error(`invalid size '${text}' (examples: 4KiB, 1MiB, 512, 1.5MB)`);
  const unit = SIZE_UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) throw new Error(`invalid size unit in '${text}' (use B, KiB, MiB, GiB, KB, MB, GB)`);
  const bytes = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new Error(`size '${text}' is too large`);
  return bytes;
}

/** 4096 → '4 KiB', 1572864 → '1.5 MiB'. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 || Number.isInteger(v) ? 0 : v < 10 ? 2 : v < 100 ? 1 : 0;
  return `${v.toFixed(digits)} ${units[i]}`;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, '': 1000 };

/** `10s` → 10000, `500ms` → 500, `2m` → 120000, `1m30s` → 90000, `5` → 5000 (bare numbers are seconds). */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== t.length) throw new Error(`invalid duration '${text}' (examples: 10s, 500ms, 2m, 1m30s)`);
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

export type SizeDistribution =
  | { kind: 'fixed'; bytes: number }
  | { kind: 'uniform'; minBytes: number; maxBytes: number }
  | { kind: 'log'; minBytes: number; maxBytes: number };

/**
 * `4KiB` (fixed), `1KiB..16MiB` (uniform between the bounds, inclusive), `1KiB..16MiB:log`
 * (log-uniform: every power of two between the bounds is equally likely, which is what object stores see),
 * `1KiB..16MiB:uniform` (explicit).
 */
export function parseSizeDistribution(text: string): SizeDistribution {
  const t = text.trim();
  const range = /^(.+?)\.\.(.+?)(?::(log|uniform))?$/.exec(t);
  if (!range) return { kind: 'fixed', bytes: parseSize(t) };
  const minBytes = parseSize(range[1]!);
  const maxBytes = parseSize(range[2]!);
  if (minBytes > maxBytes) throw new Error(`size range '${text}': minimum is above maximum`);
  const kind = range[3] === 'log' ? 'log' : 'uniform';
  if (kind === 'log' && minBytes < 1) throw new Error(`size range '${text}': a log distribution needs a minimum of at least 1 byte`);
  return { kind, minBytes, maxBytes };
}

export function maxSizeOf(d: SizeDistribution): number {
  return d.kind === 'fixed' ? d.bytes : d.maxBytes;
}

export function minSizeOf(d: SizeDistribution): number {
  return d.kind === 'fixed' ? d.bytes : d.minBytes;
}

export function describeSizeDistribution(d: SizeDistribution): string {
  if (d.kind === 'fixed') return formatBytes(d.bytes);
  return `${formatBytes(d.minBytes)}..${formatBytes(d.maxBytes)}${d.kind === 'log' ? ' (log-uniform)' : ' (uniform)'}`;
}

/** One sample of the distribution, an integer number of bytes within the bounds. */
export function sampleSize(d: SizeDistribution, rng: Rng): number {
  switch (d.kind) {
    case 'fixed':
      return d.bytes;
    case 'uniform':
      return d.minBytes + Math.floor(rng() * (d.maxBytes - d.minBytes + 1));
    case 'log': {
      const lo = Math.log(d.minBytes);
      const hi = Math.log(d.maxBytes + 1);
      const v = Math.floor(Math.exp(lo + rng() * (hi - lo)));
      return Math.min(d.maxBytes, Math.max(d.minBytes, v));
    }
  }
}
