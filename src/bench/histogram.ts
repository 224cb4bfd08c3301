// HDR-style log-bucketed histogram of non-negative integers (the harness records microseconds).
//
// Values below 2^SUB_BITS are counted exactly; above, every power-of-two range [2^m, 2^(m+1)) is cut into
// 2^SUB_BITS equal sub-buckets, so a bucket is never wider than 1/2^SUB_BITS of its lower bound:
// with SUB_BITS = 7 a reported percentile is within 0.79 % of the true sample. Memory is fixed at construction
// (≈ 30 KiB for values up to 2^36 µs ≈ 19 h) however many samples are recorded — no per-sample storage.
// Percentiles follow HdrHistogram: the value at rank ceil(p/100 · n), reported as the highest value equivalent
// to its bucket, clamped to the exact recorded min and max.

export const SUB_BITS = 7;
const SUB_COUNT = 1 << SUB_BITS;
const TWO_32 = 2 ** 32;

export interface HistogramSnapshot {
  subBits: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  /** Sparse [bucketIndex, count] pairs, ascending. */
  buckets: [number, number][];
}

function floorLog2(v: number): number {
  if (v < TWO_32) return 31 - Math.clz32(v);
  return 32 + 31 - Math.clz32(Math.floor(v / TWO_32));
}

/** Index of the bucket holding integer v ≥ 0. */
export function bucketIndexOf(v: number): number {
  if (v < SUB_COUNT) return v;
  const shift = floorLog2(v) - SUB_BITS;
  const sub = Math.floor(v / 2 ** shift); // in [SUB_COUNT, 2 * SUB_COUNT)
  return SUB_COUNT * (shift + 1) + (sub - SUB_COUNT);
}

/** Inclusive [low, high] range of integer values a bucket holds. */
export function bucketRange(index: number): [number, number] {
  if (index < SUB_COUNT) return [index, index];
  const shift = Math.floor(index / SUB_COUNT) - 1;
  const sub = (index % SUB_COUNT) + SUB_COUNT;
  const unit = 2 ** shift;
  return [sub * unit, (sub + 1) * unit - 1];
}

export class Histogram {
  /** Values above this are counted in the top bucket (their exact max is still kept). */
  readonly highestTrackable: number;
  private readonly counts: Float64Array;
  count = 0;
  min = Infinity;
  max = 0;
  sum = 0;

  constructor(highestTrackable = 2 ** 36 - 1) {
    if (!(highestTrackable >= SUB_COUNT) || !Number.isSafeInteger(highestTrackable)) {
      throw new Error(`histogram: highestTrackable must be a safe integer ≥ ${SUB_COUNT}`);
    }
    this.highestTrackable = highestTrackable;
    this.counts = new Float64Array(bucketIndexOf(highestTrackable) + 1);
  }

  get bucketCount(): number {
    return this.counts.length;
  }

  record(value: number, times = 1): void {
    if (!(value >= 0)) throw new Error(`histogram: cannot record ${value}`);
    const v = Math.round(value);
    const idx = bucketIndexOf(Math.min(v, this.highestTrackable));
    this.counts[idx]! += times;
    this.count += times;
    this.sum += v * times;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(other: Histogram): void {
    if (other.counts.length > this.counts.length) throw new Error('histogram: merging a wider histogram');
    for (let i = 0; i < other.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.count > 0) {
      if (other.min < this.min) this.min = other.min;
      if (other.max > this.max) this.max = other.max;
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.min = Infinity;
    this.max = 0;
    this.sum = 0;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** p in [0, 100]. 0 when empty. */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw new Error(`histogram: percentile ${p} is outside [0, 100]`);
    if (this.count === 0) return 0;
    if (p === 100) return this.max;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const high = bucketRange(i)[1];
        return Math.max(this.min, Math.min(this.max, high));
      }
    }
    return this.max;
  }

  /** Non-empty buckets as [low, high, count], ascending. */
  *entries(): Generator<[number, number, number]> {
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!;
      if (c > 0) {
        const [low, high] = bucketRange(i);
        yield [low, high, c];
      }
    }
  }

  snapshot(): HistogramSnapshot {
    const buckets: [number, number][] = [];
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { subBits: SUB_BITS, count: this.count, min: this.count ? this.min : 0, max: this.max, sum: this.sum, buckets };
  }

  static fromSnapshot(s: HistogramSnapshot, highestTrackable?: number): Histogram {
    if (s.subBits !== SUB_BITS) throw new Error(`histogram: snapshot has ${s.subBits} sub-bucket bits, expected ${SUB_BITS}`);
    const h = new Histogram(highestTrackable);
    for (const [i, c] of s.buckets) {
      if (i < 0 || i >= h.counts.length) throw new Error(`histogram: snapshot bucket ${i} out of range`);
      h.counts[i]! += c;
    }
    h.count = s.count;
    h.min = s.count ? s.min : Infinity;
    h.max = s.max;
    h.sum = s.sum;
    return h;
  }

  /**
   * Coarse bins for charts: `perOctave` bins per power of two, as [lowInclusive, highExclusive, count].
   * Bins are log-spaced so a latency chart with a log x axis shows the distribution's shape.
   */
  logBins(perOctave = 4): [number, number, number][] {
    const bins = new Map<number, number>();
    for (const [low, high, c] of this.entries()) {
      const mid = Math.max(1, (low + high) / 2);
      const b = Math.floor(Math.log2(mid) * perOctave);
      bins.set(b, (bins.get(b) ?? 0) + c);
    }
    return [...bins.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([b, c]) => [2 ** (b / perOctave), 2 ** ((b + 1) / perOctave), c]);
  }
}
