// Shard placement: shard i of every block of an object lives on drive (rotation + i) mod D, where the
// rotation comes from a hash of the placement key. Parity positions therefore spread over all drives
// instead of always loading the last m drives.

/** FNV-1a over the UTF-8 bytes of `s`: stable across processes and versions (it is part of the format). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  // ASCII fast path (most keys): the UTF-8 bytes are the char codes, no buffer needed.
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      ascii = false;
      break;
    }
    h ^= c;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  if (ascii) return h >>> 0;
  h = 0x811c9dc5;
  const bytes = Buffer.from(s, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function placementRotation(placementKey: string, driveCount: number): number {
  if (driveCount < 1) throw new Error('driveCount must be >= 1');
  return fnv1a32(placementKey) % driveCount;
}

/** Drive index for each of the k+m shard positions of an object. Distinct as long as k+m <= driveCount. */
export function placeShards(placementKey: string, driveCount: number, shardCount: number): number[] {
  if (shardCount > driveCount) throw new Error(`k+m=${shardCount} exceeds drive count ${driveCount}`);
  const rotation = placementRotation(placementKey, driveCount);
  const drives: number[] = [];
  for (let i = 0; i < shardCount; i++) drives.push((rotation + i) % driveCount);
  return drives;
}
