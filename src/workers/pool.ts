// The Piscina pool behind the engine, with a bounded queue: when it is full, submitting fails fast with
// StoreError('Busy') (→ 503 SlowDown) instead of queueing without limit.
import { Piscina } from 'piscina';
import { StoreError } from '../store/api.js';
import type { EncodeItem, EncodeResult, ReadItem, ReadResult } from './tasks.js';
import { type EncodeReply, type ReadReply, packEncode, packRead, unpackEncodeReply, unpackReadReply } from './messages.js';
import { workerFile } from './paths.js';

export class WorkerPool {
  private readonly piscina: Piscina;
  /** Tasks and items submitted (items / tasks = achieved batching). */
  tasks = 0;
  items = 0;
  /** Main-thread milliseconds spent packing batches and inside piscina.run() (serialising and posting tasks). */
  submitMs = 0;

  constructor(
    readonly threads: number,
    readonly maxQueue: number,
  ) {
    this.piscina = new Piscina({
      filename: workerFile('block-task'),
      minThreads: threads,
      maxThreads: threads,
      maxQueue,
      // Tasks are async (RS runs on libuv's pool); let a worker overlap two of them.
      concurrentTasksPerWorker: 2,
      // Piscina's default 'sync' atomics park an idle worker in Atomics.wait, which blocks its event loop
      // and with it the RS callback of a second in-flight task. Messages only, then.
      idleTimeout: 60_000,
      atomics: process.env.STRATA_PISCINA_ATOMICS === 'sync' ? 'sync' : 'disabled',
    });
  }

  get queueDepth(): number {
    return this.piscina.queueSize;
  }

  /** `pack` and `unpack` run on the main thread around the post: a malformed batch fails like a failed task. */
  private run<W, T>(name: string, pack: () => unknown, unpack: (reply: W) => T): Promise<T> {
    if (this.piscina.queueSize >= this.maxQueue) {
      return Promise.reject(new StoreError('Busy', `worker queue full (${this.maxQueue} tasks waiting)`));
    }
    const t0 = performance.now();
    let p: Promise<T>;
    try {
      p = (this.piscina.run(pack(), { name }) as Promise<W>).then(unpack);
    } catch (err) {
      p = Promise.reject(err);
    }
    this.submitMs += performance.now() - t0;
    return p.catch((err: unknown) => {
      if (err instanceof StoreError) throw err;
      const msg = (err as Error)?.message ?? String(err);
      if (/queue is at limit/i.test(msg)) throw new StoreError('Busy', 'worker queue full', { cause: err });
      throw new StoreError('Internal', `worker task ${name} failed: ${msg}`, { cause: err });
    });
  }

  encode(items: EncodeItem[]): Promise<EncodeResult[]> {
    this.tasks++;
    this.items += items.length;
    return this.run('encode', () => packEncode(items), (reply: EncodeReply) => unpackEncodeReply(items, reply));
  }

  read(items: ReadItem[]): Promise<ReadResult[]> {
    this.tasks++;
    this.items += items.length;
    return this.run('read', () => packRead(items), (reply: ReadReply) => unpackReadReply(items.length, reply));
  }

  async destroy(): Promise<void> {
    await this.piscina.destroy();
  }
}
