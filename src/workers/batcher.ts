// Collects small work items from many requests for one event-loop turn and ships them as one Piscina
// task: a round trip costs ~40 µs, a 4 KiB block's actual work ~10 µs, so one task per object would cap
// small PUTs/GETs near 25k/s across the whole node. Large items go out alone immediately.

export interface BatchLimits {
  /** Items per task. */
  maxItems: number;
  /** Payload bytes per task: past this the batch is sent without waiting for the tick to end. */
  maxBytes: number;
}

interface Pending<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class Batcher<I, R> {
  private pending: Pending<I, R>[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(
    private readonly limits: BatchLimits,
    private readonly run: (items: I[]) => Promise<R[]>,
  ) {}

  submit(item: I, bytes: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (bytes >= this.limits.maxBytes) {
        this.dispatch([{ item, resolve, reject }]);
        return;
      }
      this.pending.push({ item, resolve, reject });
      this.bytes += bytes;
      if (this.pending.length >= this.limits.maxItems || this.bytes >= this.limits.maxBytes) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.bytes = 0;
    this.dispatch(batch);
  }

  private dispatch(batch: Pending<I, R>[]): void {
    this.run(batch.map((p) => p.item)).then(
      (results) => {
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
      },
      (err) => {
        for (const p of batch) p.reject(err);
      },
    );
  }
}
