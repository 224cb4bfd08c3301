// One process per drive set, one listener per port: a second node on the same drives must refuse to
// open (two appenders would corrupt the segments), and the lock must vanish with a kill -9'd holder.
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openEngine, StoreError } from '../../src/store/index.js';
import { lockDirectories } from '../../src/store/node-lock.js';
import { startServer } from '../../src/http/server.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observe/log.js';
import { startTestServer } from '../helpers/server.js';
import { tempDir, testConfig } from '../helpers/engine.js';

const dirs: string[] = [];

/** A child process that takes the lock on `dir` and holds it until killed. */
async function lockInChild(dir: string): Promise<ChildProcess> {
  const lockModule = new URL('../../dist/src/store/node-lock.js', import.meta.url).href;
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `const { lockDirectories } = await import(${JSON.stringify(lockModule)}); await lockDirectories([${JSON.stringify(dir)}]); console.log('locked'); setInterval(() => {}, 1000);`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => (d.toString().includes('locked') ? resolve() : undefined));
    child.once('exit', (code) => reject(new Error(`lock child exited early (${code})`)));
  });
  return child;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
});

describe('drive-set lock', () => {
  it('refuses a second engine on the same drives until the first one closes', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const first = await openEngine(testConfig(dir));
    try {
      const err = await openEngine(testConfig(dir)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('Unavailable');
      expect((err as Error).message).toMatch(new RegExp(`in use by another Strata process \\(pid ${process.pid}\\)`));
    } finally {
      await first.close();
    }
    const again = await openEngine(testConfig(dir));
    await again.close();
  });

  it('is all or nothing: a busy index dir leaves no drive locked', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const config = testConfig(dir);
    const indexOnly = await lockDirectories([config.indexDir]);
    await expect(lockDirectories([...config.drives, config.indexDir])).rejects.toThrow(/in use by another Strata process/);
    // Every drive is free again: only the index lock is held.
    const drives = await lockDirectories(config.drives);
    await drives.release();
    await indexOnly.release();
  });

  it('is released by the kernel when the holder is killed with SIGKILL', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const child = await lockInChild(dir);
    try {
      await expect(lockDirectories([dir])).rejects.toThrow(new RegExp(`pid ${child.pid}`));
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    const lock = await lockDirectories([dir]);
    await lock.release();
  });

  it('a node restarted the instant its predecessor was SIGKILLed gets the lock (no wait for the reaper)', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const child = await lockInChild(dir);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    const lock = await lockDirectories([dir]);
    await lock.release();
    await exited;
  });
});

describe('listen port', () => {
  it('is exclusive: a second server on the same port fails instead of sharing it', async () => {
    const t = await startTestServer();
    const dir = await tempDir('strata-port-');
    dirs.push(dir);
    const config = loadConfig({ data: dir, address: '127.0.0.1', port: String(t.port), 'worker-threads': '1', 'log-level': 'silent' }, {});
    const engine = await openEngine(config.engine);
    try {
      await expect(startServer({ engine, config, log: createLogger('silent') })).rejects.toThrow(/cannot listen/);
    } finally {
      await engine.close();
      await t.stop();
    }
  });
});
