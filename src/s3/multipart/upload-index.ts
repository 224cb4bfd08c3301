// In-memory index of open uploads, sorted as ListMultipartUploads returns them: bucket, key
// (UTF-8 byte order), then initiation (upload ids sort by initiation time). Rebuilt from the durable
// upload records at startup; bounded by limits.maxUploadsInFlight.
import { compareUtf8 } from './records.js';
import type { UploadRecord } from './records.js';

export class UploadIndex {
  private readonly byId = new Map<string, UploadRecord>();
  private readonly sorted: UploadRecord[] = [];

  get size(): number {
    return this.byId.size;
  }

  get(uploadId: string): UploadRecord | undefined {
    return this.byId.get(uploadId);
  }

  add(u: UploadRecord): void {
    if (this.byId.has(u.uploadId)) throw new Error(`upload ${u.uploadId} indexed twice`);
    this.byId.set(u.uploadId, u);
    this.sorted.splice(this.lowerBound(u.bucket, u.key, u.uploadId), 0, u);
  }

  remove(uploadId: string): boolean {
    const u = this.byId.get(uploadId);
    if (u === undefined) return false;
    this.byId.delete(uploadId);
    const i = this.lowerBound(u.bucket, u.key, u.uploadId);
    if (this.sorted[i] !== u) throw new Error(`upload index out of order at ${uploadId}`);
    this.sorted.splice(i, 1);
    return true;
  }

  /** First position whose (bucket, key, uploadId) is ≥ the given one. */
  lowerBound(bucket: string, key: string, uploadId: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.sorted[mid]!;
      const c = compareUtf8(m.bucket, bucket) || compareUtf8(m.key, key) || (m.uploadId < uploadId ? -1 : m.uploadId > uploadId ? 1 : 0);
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  at(i: number): UploadRecord | undefined {
    return this.sorted[i];
  }

  get length(): number {
    return this.sorted.length;
  }
}
