// The admin commands as an operator runs them: real processes, exit codes, refusal while a node holds the data.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/store/index.js';
import { patternBytes, putObject, testConfig } from '../helpers/engine.js';
import { cleanDirs, flipShard, newDir } from './helpers.js';

afterEach(cleanDirs);

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const MAIN = path.join(root, 'dist/src/admin/main.js');

function admin(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('strata admin', () => {
  it('scrub, fsck, status, compact and replace-drive on a stopped node; refuses while a node holds it', async () => {
    const dir = await newDir();
    const flags = ['--data', dir, '--block-size-bytes', String(64 * 1024), '--segment-size-bytes', String(256 * 1024)];
    const config = testConfig(dir, { segmentSizeBytes: 256 * 1024 });
    const e = await openEngine(config);
    try {
      await e.createBucket('b', 'o');
      for (let i = 0; i < 20; i++) {
        const meta = await putObject(e, 'b', `k${i}`, patternBytes(50_000 + i * 3000, i));
        if (i % 5 === 0) flipShard(dir, meta, 0, i % 6);
      }
      for (let i = 0; i < 20; i += 2) await e.deleteObject('b', `k${i}`);
    } finally {
      await e.close();
    }
    let r = admin(['status', ...flags]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/6\/6 healthy/);
    expect(r.out).toMatch(/10 objects/);

    r = admin(['scrub', '--no-repair', ...flags]);
    expect(r.code).toBe(1); // bad shards found, not repaired
    expect(r.out).toMatch(/bad shards found\s+\d+/);
    r = admin(['scrub', '--json', ...flags]);
    expect(r.code, r.err).toBe(0);
    const rep = JSON.parse(r.out) as { repairedShards: number; unrecoverableBlocks: number; badShards: number };
    expect(rep.unrecoverableBlocks).toBe(0);
    expect(rep.repairedShards).toBe(rep.badShards);

    r = admin(['fsck', ...flags]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/orphaned shard records [1-9]/);

    r = admin(['compact', '--garbage-ratio', '0.2', ...flags]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/segment\(s\) rewritten/);

    fs.rmSync(path.join(dir, 'drive-2'), { recursive: true });
    r = admin(['status', ...flags]);
    expect(r.out).toMatch(/missing/);
    r = admin(['replace-drive', '2', ...flags]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/drive 2 rebuilt: [1-9]\d* shards/);
    r = admin(['replace-drive', '2', ...flags]);
    expect(r.code).toBe(2); // not empty any more
    r = admin(['scrub', '--no-repair', ...flags]);
    expect(r.code, r.out).toBe(0);

    // A process holding the index (a running node): offline commands refuse.
    const child = spawn(process.execPath, [path.join(here, 'fixtures/durability-child.mjs'), root, JSON.stringify(config), 'compact', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => (String(d).includes('READY') ? resolve() : undefined));
        child.once('exit', (c) => reject(new Error(`child exited ${c}`)));
      });
      r = admin(['scrub', ...flags]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/has this data open/);
      r = admin(['status', ...flags]);
      expect(r.out).toMatch(/running \(pid/);
    } finally {
      child.kill('SIGKILL');
    }
    r = admin(['bogus']);
    expect(r.code).toBe(2);
  }, 120_000);
});
