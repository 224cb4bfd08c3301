// The worker pool of the durability operations: separate from the engine's so background scrubbing
// never takes queue slots from client requests (the engine's bounded queue turns full into 503), small
// (one thread by default), and bounded like everything else.
import { Piscina } from 'piscina';
import { StoreError } from './api.js';
import type { CheckItem, CheckResult } from '../workers/durability-types.js';
import { workerFile } from '../workers/paths.js';

/** Tasks waiting for a durability worker, at most. */
export const DURABILITY_MAX_QUEUE = 64;

export class DurabilityPool {
  private readonly piscina: Piscina;

  constructor(readonly threads = 1) {
    this.piscina = new Piscina({
      filename: workerFile('durability-task'),
      minThreads: 1,
      maxThreads: threads,
      maxQueue: DURABILITY_MAX_QUEUE,
      idleTimeout: 30_000,
    });
  }

  async check(items: CheckItem[]): Promise<CheckResult[]> {
    if (this.piscina.queueSize >= DURABILITY_MAX_QUEUE) throw new StoreError('Busy', 'durability worker queue full');
    try {
      return (await this.piscina.run(items, { name: 'check' })) as CheckResult[];
    } catch (err) {
      throw new StoreError('Internal', `durability task failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
  }

  async destroy(): Promise<void> {
    await this.piscina.destroy();
  }
}

/** Token bucket over bytes: `take()` waits until the budget allows. Burst = one second of budget. */
export class ByteThrottle {
  private tokens: number;
  private last = performance.now();

  constructor(private rateBytesPerSec: number) {
    this.tokens = Number.isFinite(rateBytesPerSec) ? rateBytesPerSec : 0;
  }

  setRate(rateBytesPerSec: number): void {
    this.rateBytesPerSec = rateBytesPerSec;
  }

  get rate(): number {
    return this.rateBytesPerSec;
  }

  async take(bytes: number, signal?: { stopped: boolean }): Promise<void> {
    if (!Number.isFinite(this.rateBytesPerSec) || this.rateBytesPerSec <= 0) return;
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.rateBytesPerSec, this.tokens + ((now - this.last) / 1000) * this.rateBytesPerSec);
      this.last = now;
      // A request bigger than the whole burst is let through once the bucket is full, or it would wait forever.
      if (this.tokens >= bytes || this.tokens >= this.rateBytesPerSec) {
        this.tokens -= bytes;
        return;
      }
      if (signal?.stopped) return;
      const waitMs = Math.min(250, Math.ceil(((Math.min(bytes, this.rateBytesPerSec) - this.tokens) / this.rateBytesPerSec) * 1000));
      await new Promise((r) => setTimeout(r, Math.max(1, waitMs)));
    }
  }
}
