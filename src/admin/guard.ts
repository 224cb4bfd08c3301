// Offline admin commands (scrub, fsck, replace-drive) open the engine themselves, which runs recovery
// (it truncates torn segment tails): doing that under a running node would cut the node's in-flight
// appends. The engine holds no lock file, so we look for what a running node does hold: an LMDB reader
// slot in the index's lock table, with a live pid. Two admin commands exclude each other with a pid file.
import fs, { promises as fsp } from 'node:fs';
import { IndexDb } from '../store/index-db.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pids of other live processes holding the LMDB index open (a running node). */
export async function otherIndexUsers(indexDir: string): Promise<number[]> {
  if (!fs.existsSync(indexDir)) return [];
  const db = IndexDb.open(indexDir);
  try {
    db.meta.get('lastSeq');
    const list = String(db.env.readerList?.() ?? '');
    const pids = new Set<number>();
    for (const line of list.split('\n')) {
      const m = /^\s*(\d+)\s+[0-9a-f]+\s+/.exec(line);
      if (m) pids.add(Number(m[1]));
    }
    pids.delete(process.pid);
    return [...pids].filter(alive);
  } finally {
    await db.close();
  }
}

export interface AdminLock {
  release(): Promise<void>;
}

/** Exclusive admin lock next to the index (`<indexDir>.admin.lock`), stale when its pid is gone. */
export async function acquireAdminLock(indexDir: string): Promise<AdminLock> {
  const file = `${indexDir.replace(/\/+$/, '')}.admin.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await fsp.open(file, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return { release: () => fsp.rm(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await fsp.readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) throw new Error(`another admin command (pid ${pid}) holds ${file}`);
      await fsp.rm(file, { force: true });
    }
  }
  throw new Error(`could not take ${file}`);
}
