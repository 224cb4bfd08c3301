// Bump allocator for small, short-lived write buffers (staged shard records, commit records).
// Buffer.allocUnsafe only pools requests under 4 KiB and Buffer.alloc never pools; a 4 KiB PUT needs a
// 6.3 KiB staging buffer and a ~1 KiB record, each a fresh ArrayBuffer otherwise. Slices keep their slab
// alive until the writes holding them complete and the slices are dropped; then GC frees the slab.

/** Slab size; requests above SLAB_MAX_REQUEST_BYTES get their own buffer. */
export const SLAB_BYTES = 1024 * 1024;
export const SLAB_MAX_REQUEST_BYTES = 64 * 1024;

let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let used = 0;

/** Uninitialised, 8-byte aligned buffer of `bytes`: the caller must write every byte it hands to disk. */
export function slabAlloc(bytes: number): Buffer {
  if (bytes > SLAB_MAX_REQUEST_BYTES) return Buffer.allocUnsafe(bytes);
  const size = (bytes + 7) & ~7;
  if (used + size > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    used = 0;
  }
  const out = slab.subarray(used, used + bytes);
  used += size;
  return out;
}
