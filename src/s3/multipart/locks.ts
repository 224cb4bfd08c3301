// Per-upload readers/writer lock. UploadPart's record put is a reader (parts of one upload land in
// parallel); Complete and Abort are writers: they see a stable set of parts and no part record can
// land after the upload is gone. Held only around record updates, never while a body streams.

interface LockState {
  readers: number;
  writer: boolean;
  waiting: { exclusive: boolean; wake: () => void }[];
}

export class UploadLocks {
  private readonly states = new Map<string, LockState>();

  async shared<T>(id: string, fn: () => Promise<T>): Promise<T> {
    await this.acquire(id, false);
    try {
      return await fn();
    } finally {
      this.release(id, false);
    }
  }

  async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    await this.acquire(id, true);
    try {
      return await fn();
    } finally {
      this.release(id, true);
    }
  }

  /** Number of ids with a holder or waiter (for tests and stats: must return to 0). */
  get size(): number {
    return this.states.size;
  }

  private acquire(id: string, exclusive: boolean): Promise<void> {
    let s = this.states.get(id);
    if (s === undefined) {
      s = { readers: 0, writer: false, waiting: [] };
      this.states.set(id, s);
    }
    // FIFO: once anyone waits, newcomers queue too, so a writer is not starved by a stream of readers.
    if (s.waiting.length === 0 && !s.writer && (exclusive ? s.readers === 0 : true)) {
      if (exclusive) s.writer = true;
      else s.readers++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => s.waiting.push({ exclusive, wake: resolve }));
  }

  private release(id: string, exclusive: boolean): void {
    const s = this.states.get(id);
    if (s === undefined) throw new Error(`lock ${id} released but not held`);
    if (exclusive) s.writer = false;
    else s.readers--;
    while (s.waiting.length > 0) {
      const next = s.waiting[0]!;
      if (next.exclusive) {
        if (s.readers > 0 || s.writer) break;
        s.waiting.shift();
        s.writer = true;
        next.wake();
        break;
      }
      if (s.writer) break;
      s.waiting.shift();
      s.readers++;
      next.wake();
    }
    if (!s.writer && s.readers === 0 && s.waiting.length === 0) this.states.delete(id);
  }
}
