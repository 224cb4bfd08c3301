// One process per drive set. Two engines appending to the same segments, or replaying recovery under
// each other, corrupt the store — so openEngine() takes a lock on every drive directory and the index
// directory before it reads anything.
//
// The lock is a Linux abstract-namespace Unix socket named after the directory's real path: binding it
// is exclusive (EADDRINUSE), and the kernel releases it the instant the holder dies, kill -9 included.
// A lock file would need stale-pid heuristics after every crash, and a crash is exactly when an
// operator restarts the node. Limitation: abstract sockets are per network namespace, so two
// containers with separate network namespaces sharing one volume do not see each other's lock.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { StoreError } from './api.js';

/**
 * How long a busy lock is retried before giving up. A node restarted the instant its predecessor was
 * SIGKILLed (a supervisor, a crash drill) can find the socket still bound for the few milliseconds the
 * kernel takes to tear the dead process down; a second node that is really running still fails.
 */
export const LOCK_BUSY_RETRY_MS = 3_000;
const LOCK_RETRY_INTERVAL_MS = 50;

export interface NodeLock {
  release(): Promise<void>;
}

function socketName(realDir: string): string {
  return `\0strata-lock-${createHash('sha256').update(realDir).digest('hex').slice(0, 40)}`;
}

function bindExclusive(name: string): Promise<net.Server | 'busy'> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.end(`${process.pid}\n`));
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve('busy') : reject(err)));
    server.listen({ path: name, exclusive: true }, () => {
      server.unref();
      resolve(server);
    });
  });
}

/** Pid of the process holding the lock, when it answers quickly (for the error message only). */
function holderPid(name: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect({ path: name });
    const done = (v: string) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(500, () => done('unknown'));
    socket.on('data', (d) => (text += d.toString()));
    socket.on('end', () => done(/^\d+/.exec(text.trim())?.[0] ?? 'unknown'));
    socket.on('error', () => done('unknown'));
  });
}

/** Locks every directory (drives, index) or none: throws StoreError('Unavailable') naming the holder. */
export async function lockDirectories(dirs: readonly string[]): Promise<NodeLock> {
  if (process.platform !== 'linux') throw new StoreError('Unavailable', 'the drive-set lock needs Linux (abstract Unix sockets)');
  const held: net.Server[] = [];
  const release = async (): Promise<void> => {
    await Promise.all(held.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  };
  try {
    for (const dir of [...new Set(dirs)]) {
      // Never created here: a missing drive directory means an offline drive to the engine. It is locked
      // by its absolute path, so a node that creates it later still holds it.
      const name = socketName(await fsp.realpath(dir).catch(() => path.resolve(dir)));
      let got = await bindExclusive(name);
      for (const until = Date.now() + LOCK_BUSY_RETRY_MS; got === 'busy' && Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, LOCK_RETRY_INTERVAL_MS));
        got = await bindExclusive(name);
      }
      if (got === 'busy') {
        const pid = await holderPid(name);
        throw new StoreError('Unavailable', `${dir} is in use by another Strata process (pid ${pid}): one node per drive set`);
      }
      held.push(got);
    }
  } catch (err) {
    await release();
    throw err;
  }
  return { release };
}
