// Request bodies, generated once before the run and reused: the generator must not spend its CPU making
// random bytes (crypto.randomFillSync runs near 1 GB/s per core — more than a 1 MiB PUT costs the server).
//
// One random arena of (largest size + distinct × 4 KiB) bytes; each distinct body is a view at its own offset,
// so bodies differ in content but the memory is bounded by the largest object, not by the number of sizes.
// With a size distribution, `distinct` sizes are sampled from it up front and each request picks one of them
// uniformly, which reproduces the distribution without allocating per request. With --payload-hash sha256,
// each distinct body is hashed once here, never per request.

import { createHash, randomFillSync } from 'node:crypto';
import type { Rng } from './random.js';
import { type SizeDistribution, maxSizeOf, sampleSize } from './units.js';

/** Largest body the harness holds in memory for one request; larger objects belong in multipart. */
export const MAX_BODY_BYTES = 1024 ** 3;
/** Upper bound on distinct bodies (and hashes) kept. */
export const MAX_DISTINCT_BODIES = 1024;
const OFFSET_STEP_BYTES = 4096;

export interface Body {
  data: Buffer;
  /** Hex SHA-256 when hashing was requested, else undefined (the request is sent UNSIGNED-PAYLOAD). */
  sha256?: string;
}

export class BodyPool {
  readonly bodies: Body[];
  readonly arenaBytes: number;

  constructor(dist: SizeDistribution, distinct: number, rng: Rng, hash: boolean) {
    const maxBytes = maxSizeOf(dist);
    if (maxBytes > MAX_BODY_BYTES) throw new Error(`object size ${maxBytes} B is over the ${MAX_BODY_BYTES} B per-request limit; use the multipart operation`);
    const n = dist.kind === 'fixed' ? Math.min(distinct, 4) : Math.min(Math.max(1, distinct), MAX_DISTINCT_BODIES);
    this.arenaBytes = maxBytes + n * OFFSET_STEP_BYTES;
    const arena = Buffer.allocUnsafe(this.arenaBytes);
    randomFillSync(arena);
    this.bodies = [];
    for (let i = 0; i < n; i++) {
      const size = sampleSize(dist, rng);
      const data = arena.subarray(i * OFFSET_STEP_BYTES, i * OFFSET_STEP_BYTES + size);
      this.bodies.push({ data, sha256: hash ? createHash('sha256').update(data).digest('hex') : undefined });
    }
  }

  pick(rng: Rng): Body {
    return this.bodies.length === 1 ? this.bodies[0]! : this.bodies[Math.floor(rng() * this.bodies.length)]!;
  }
}
