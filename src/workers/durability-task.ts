// Piscina task module of the durability operations. Verification is a read plus xxHash64 of every
// shard (data and parity: reads only ever look at parity when a data shard is bad, so only a scrub
// finds a rotten parity shard). Reconstruction is the engine's own code, not a second RS path: read()
// rebuilds the data shards from any k good ones, then encode() recomputes parity, headers and hashes
// exactly as the write path did — the caller checks the hashes against the layout before trusting it.
import { encodeBlocks, hex16, readBlocks, readVerifiedShard } from './block-task.js';
import type { CheckItem, CheckResult } from './durability-types.js';
import { EncodeFlag, type ReadShardJob } from './messages.js';

function verifyShard(item: CheckItem, shards: (ReadShardJob | null)[], index: number, seed: bigint): string | undefined {
  return readVerifiedShard(shards[index], new Uint8Array(item.sab, index * item.shardBytes, item.shardBytes), seed);
}

async function checkOne(item: CheckItem): Promise<CheckResult> {
  const { k, m, shardBytes } = item;
  const seed = BigInt(`0x${item.seed}`);
  const bad: CheckResult['bad'] = [];
  const locs = item.shards.map((s) => (s ? { fd: s.fd, offset: s.offset, xxh64: BigInt(`0x${s.xxh64}`) } : null));
  for (let i = 0; i < k + m; i++) {
    const reason = verifyShard(item, locs, i, seed);
    if (reason !== undefined) bad.push({ index: i, reason });
  }
  const good = k + m - bad.length;
  if (!item.repair || bad.length === 0 || good < k || m === 0) return { bad, good };
  // Rebuild the data shards from verified ones only (bad positions are withheld), then re-encode.
  const badSet = new Set(bad.map((b) => b.index));
  const shards = locs.map((s, i) => (badSet.has(i) ? null : s));
  const dataMask = (1 << k) - 1;
  const [r] = await readBlocks([{ sab: item.sab, base: 0, k, m, shardBytes, seed, shards, needMask: dataMask }]);
  if (!r || !r.ok) return { bad, good };
  const [e] = await encodeBlocks([
    {
      sab: item.sab,
      dataBytes: item.dataBytes,
      shardBytes,
      k,
      m,
      parityOffset: k * shardBytes,
      headerOffset: (k + m) * shardBytes,
      seed,
      flags: EncodeFlag.First | EncodeFlag.Last,
    },
  ]);
  return { bad, good, rebuiltXxh64: e!.hashes.map(hex16) };
}

export async function check(items: CheckItem[]): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  // One at a time: a task is already a batch, and the disk is the bottleneck.
  for (const it of items) out.push(await checkOne(it));
  return out;
}
