// kill -9 at random points during compaction and during repair (a child process, with writes going on):
// after every kill the store reopens, every acknowledged object reads back byte-identical, no partial
// object is visible, and every few cycles a rebuild of the index from the segments agrees.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine, rebuildIndex, type EngineConfig, type ObjectMeta, type StrataEngine } from '../../src/store/index.js';
import { Durability } from '../../src/store/durability.js';
import { md5, patternBytes, putObject, readAll, testConfig } from '../helpers/engine.js';
import { cleanDirs, flipShard, newDir } from './helpers.js';

afterEach(cleanDirs);

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const COMPACTION_KILLS = 14;
const REPAIR_KILLS = 8;

/** Deterministic xorshift, so a failing seed replays. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function runChild(config: EngineConfig, mode: 'compact' | 'repair', cycle: number, kill: { atStep?: number; atRepair?: number; afterMs: number }): Promise<{ acks: Map<string, string>; steps: string[]; done: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'fixtures/durability-child.mjs'), root, JSON.stringify(config), mode, String(cycle)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, UV_THREADPOOL_SIZE: '8' },
    });
    const acks = new Map<string, string>();
    const steps: string[] = [];
    let done = false;
    let buf = '';
    let stderr = '';
    let armed = false;
    const arm = (): void => {
      if (armed) return;
      armed = true;
      setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'READY' && kill.atStep === undefined && kill.atRepair === undefined) arm();
        else if (line.startsWith('STEP ')) {
          steps.push(line.slice(5));
          if (kill.atStep !== undefined && steps.filter((x) => x !== 'repair').length >= kill.atStep) arm();
        } else if (line.startsWith('ACK ')) {
          const [, key, digest] = line.split(' ');
          acks.set(key!, digest!);
        } else if (line.startsWith('LOG repair: ')) {
          steps.push('repair');
          if (kill.atRepair !== undefined && steps.filter((x) => x === 'repair').length >= kill.atRepair) arm();
        } else if (line === 'DONE') {
          done = true;
          arm();
        }
      }
    });
    child.stderr.on('data', (d) => (stderr += String(d)));
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} ${signal}: ${stderr}`));
      else resolve({ acks, steps, done });
    });
  });
}

async function verify(e: StrataEngine, want: Map<string, string>, cycle: number): Promise<void> {
  for (const [id, digest] of want) {
    const [bucket, key] = id.split('/') as [string, string];
    const meta = e.headObject(bucket, key);
    expect(meta, `cycle ${cycle}: ${id} lost`).toBeDefined();
    expect(md5(await readAll(e, meta!)), `cycle ${cycle}: ${id} corrupt`).toBe(digest);
  }
  // Unacknowledged child writes may exist, but only complete.
  for (const m of e.listObjects('b', { limit: 100_000, prefix: 'c' })) {
    if (want.has(`b/${m.key}`)) continue;
    const [c, n] = m.key.slice(1).split('-').map(Number) as [number, number];
    const data = patternBytes(5000 + ((n * 7919) % 40000), c * 1000 + n);
    expect(md5(await readAll(e, m)), `cycle ${cycle}: unacked ${m.key} partial`).toBe(md5(data));
  }
}

async function churn(e: StrataEngine, want: Map<string, string>, metas: Map<string, ObjectMeta>, r: () => number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const key = `k${Math.floor(r() * 30)}`;
    if (r() < 0.15 && metas.has(key)) {
      await e.deleteObject('b', key);
      want.delete(`b/${key}`);
      metas.delete(key);
      continue;
    }
    const d = patternBytes(6_000 + Math.floor(r() * 50_000), Math.floor(r() * 1e9));
    metas.set(key, await putObject(e, 'b', key, d));
    want.set(`b/${key}`, md5(d));
  }
}

describe('kill -9 during durability operations', () => {
  it(`loses nothing across ${COMPACTION_KILLS} kills during compaction and ${REPAIR_KILLS} during repair`, async () => {
    const dir = await newDir('strata-dcrash-');
    const config = testConfig(dir, { segmentSizeBytes: 192 * 1024, workerThreads: 1, commitWindowMs: 1 });
    const want = new Map<string, string>();
    const metas = new Map<string, ObjectMeta>();
    const r = rng(Number(process.env.STRATA_DCRASH_SEED ?? 20261123));
    let e = await openEngine(config);
    try {
      await e.createBucket('b', 'o');
      await churn(e, want, metas, r, 120);
    } finally {
      await e.close();
    }
    const stepsSeen = new Set<string>();
    let killed = 0;
    for (let cycle = 1; cycle <= COMPACTION_KILLS + REPAIR_KILLS; cycle++) {
      const mode = cycle <= COMPACTION_KILLS ? 'compact' : 'repair';
      if (mode === 'repair') {
        // Rot: one shard in a few random blocks (never more than m per block).
        e = await openEngine(config);
        try {
          const all = e.listObjects('b', { limit: 100_000 });
          const picked = new Set<number>();
          while (picked.size < Math.min(6, all.length)) picked.add(Math.floor(r() * all.length));
          for (const i of picked) {
            const m = all[i]!;
            const blocks = m.layout.extents[0]!.blocks.length;
            flipShard(dir, m, Math.floor(r() * blocks), Math.floor(r() * 6), 1 + Math.floor(r() * 100));
          }
        } finally {
          await e.close();
        }
      }
      const kill = mode === 'compact' ? { atStep: 1 + Math.floor(r() * 12), afterMs: Math.floor(r() * 6) } : { atRepair: 1 + Math.floor(r() * 5), afterMs: Math.floor(r() * 5) };
      const tc = Date.now();
      const res = await runChild(config, mode, cycle, kill);
      if (process.env.STRATA_TEST_VERBOSE) console.log(`cycle ${cycle} ${mode} kill ${JSON.stringify(kill)}: ${Date.now() - tc} ms, steps ${res.steps.join(",")}, acks ${res.acks.size}, done ${res.done}`);
      killed++;
      for (const s of res.steps) stepsSeen.add(s);
      for (const [key, digest] of res.acks) want.set(`b/${key}`, digest);
      e = await openEngine(config);
      try {
        await verify(e, want, cycle);
        // More garbage for the next compaction, from the parent.
        if (mode === 'compact') await churn(e, want, metas, r, 25);
        else {
          // Finish what the killed repair left (so the next cycle's rot never exceeds m per block).
          const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0 });
          try {
            expect((await dur.scrub({ repair: true, rateBytesPerSec: Infinity })).unrecoverableBlocks).toBe(0);
          } finally {
            await dur.close();
          }
        }
      } finally {
        await e.close();
      }
      if (cycle % 5 === 0) {
        await rebuildIndex(config);
        e = await openEngine(config);
        try {
          await verify(e, want, cycle);
        } finally {
          await e.close();
        }
      }
    }
    expect(killed).toBe(COMPACTION_KILLS + REPAIR_KILLS);
    // The kills landed inside compaction, at several of its steps.
    expect(stepsSeen.size).toBeGreaterThanOrEqual(5);
    expect(stepsSeen.has('repair')).toBe(true); // some repair kills landed after repairs had begun
    // Finally: a full repairing scrub leaves nothing bad and nothing unrecoverable.
    e = await openEngine(config);
    const dur = new Durability(e, { scrubEnabled: false, driveCheckIntervalMs: 0, compactionIntervalMs: 0 });
    try {
      const s1 = await dur.scrub({ repair: true, rateBytesPerSec: Infinity });
      expect(s1.unrecoverableBlocks).toBe(0);
      expect((await dur.scrub({ repair: false, rateBytesPerSec: Infinity })).badShards).toBe(0);
      await verify(e, want, 999);
    } finally {
      await dur.close();
      await e.close();
    }
  }, 240_000);
});
