// xxHash64 for the main thread and for workers. xxhash-wasm needs an async instantiation, so every
// entry point (openEngine, a worker module, recovery) awaits initXxhash() once before using xxh64().
import xxhash from 'xxhash-wasm';

type Hasher = Awaited<ReturnType<typeof xxhash>>;
let hasher: Hasher | undefined;

export async function initXxhash(): Promise<void> {
  if (hasher === undefined) hasher = await xxhash();
}

/** xxHash64 of `data` (may be a view over a SharedArrayBuffer; xxhash-wasm copies it into wasm memory). */
export function xxh64(data: Uint8Array, seed: bigint = 0n): bigint {
  if (hasher === undefined) throw new Error('initXxhash() was not awaited');
  return hasher.h64Raw(data, seed);
}

export function xxh64Hex(data: Uint8Array, seed: bigint = 0n): string {
  return xxh64(data, seed).toString(16).padStart(16, '0');
}
