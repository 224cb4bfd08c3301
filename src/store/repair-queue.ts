// Bounded, deduplicated queue of shards that failed verification or were missing on read. The scrub
// and repair worker (issue #5) drains it; until then it is observable through engine.repairQueue.

export interface RepairItem {
  drive: number;
  segment: number;
  offset: number;
  /** Shard position within its block (0..k+m-1). */
  shardIndex: number;
  bucket?: string;
  key?: string;
  /** The version read (a noncurrent one is healed where it is, not through the current object). */
  versionId?: string;
  reason: string;
  firstSeenMs: number;
}

/** Entries kept at most; past it new reports are counted in `dropped` (the scrubber will find them again). */
export const REPAIR_QUEUE_MAX_ENTRIES = 10_000;

export class RepairQueue {
  private readonly items = new Map<string, RepairItem>();
  dropped = 0;

  constructor(readonly maxEntries: number = REPAIR_QUEUE_MAX_ENTRIES) {}

  /** Returns true if the item is new to the queue. */
  report(item: Omit<RepairItem, 'firstSeenMs'>): boolean {
    const id = `${item.drive}:${item.segment}:${item.offset}`;
    if (this.items.has(id)) return false;
    if (this.items.size >= this.maxEntries) {
      this.dropped++;
      return false;
    }
    this.items.set(id, { ...item, firstSeenMs: Date.now() });
    return true;
  }

  get size(): number {
    return this.items.size;
  }

  peek(): RepairItem[] {
    return [...this.items.values()];
  }

  /** Removes and returns up to `max` items, oldest first. */
  take(max: number): RepairItem[] {
    const out: RepairItem[] = [];
    for (const [id, item] of this.items) {
      if (out.length >= max) break;
      out.push(item);
      this.items.delete(id);
    }
    return out;
  }
}
