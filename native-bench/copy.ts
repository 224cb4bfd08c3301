// Copying a request body chunk into a shared (SharedArrayBuffer) write block: Uint8Array#set goes through
// V8's relaxed_memmove, word by word only when source and destination are equally aligned mod 8 and byte
// by byte otherwise; Buffer#fill with a buffer value (copyIntoShared) is one memcpy in C++.
// Run: node dist/native-bench/copy.js
import { copyIntoShared } from '../src/store/block-pool.js';
import { MiB, isMain } from './common.js';

export interface CopyRow {
  name: string;
  usPerMiB: number;
}

function time(f: () => void, rounds: number): number {
  for (let i = 0; i < 50; i++) f();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) f();
  return Number(process.hrtime.bigint() - t0) / rounds / 1000;
}

export function runCopyBench(rounds = 500): CopyRow[] {
  const dst = Buffer.from(new SharedArrayBuffer(2 * MiB));
  // Source offset 2048: keeps source and destination from aliasing mod 4 KiB, which would distort memcpy.
  const srcBuf = new Uint8Array(2 * MiB).fill(3);
  const rows: CopyRow[] = [];
  for (const [label, at] of [
    ['aligned', 0],
    ['misaligned +3', 3],
  ] as const) {
    const src = srcBuf.subarray(2048, 2048 + MiB - 8);
    rows.push({ name: `Uint8Array#set into SAB, ${label}`, usPerMiB: time(() => dst.set(src, at), rounds) });
    rows.push({ name: `copyIntoShared (Buffer#fill), ${label}`, usPerMiB: time(() => copyIntoShared(dst, src, at), rounds) });
  }
  return rows;
}

if (isMain(import.meta.url)) {
  for (const r of runCopyBench()) console.log(`${r.name.padEnd(44)} ${r.usPerMiB.toFixed(1)} µs/MiB`);
}
