// The LMDB index runs with noSync and relies on a durable `clean=false` mark to detect that it was open
// when the machine went down (then it is rebuilt, not trusted). The mark must reach the disk before any
// other transaction of the session — recovery's included: a later noSync transaction may reuse pages of
// the last synced (clean) snapshot, so an OS crash could otherwise leave `clean=true` on a torn tree.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { IndexDb } from '../../src/store/index-db.js';
import { openEngine } from '../../src/store/index.js';
import { putObject, tempDir, testConfig } from '../helpers/engine.js';

const realFsyncSync = fs.fsyncSync;
const realTxn = IndexDb.prototype.txn;
const realMarkOpen = IndexDb.prototype.markOpen;

describe('index open mark', () => {
  afterEach(() => {
    (fs as { fsyncSync: unknown }).fsyncSync = realFsyncSync;
    IndexDb.prototype.txn = realTxn;
    IndexDb.prototype.markOpen = realMarkOpen;
  });

  it('clean=false is fsynced before any other index transaction of the session', async () => {
    const dir = await tempDir('strata-idx-');
    const cfg = testConfig(dir);
    const e1 = await openEngine(cfg);
    await e1.createBucket('b', 'o');
    await putObject(e1, 'b', 'k', Buffer.alloc(1000, 7));
    await e1.close();

    const events: string[] = [];
    let inMarkOpen = false;
    (fs as { fsyncSync: unknown }).fsyncSync = (fd: number) => {
      events.push(inMarkOpen ? 'fsync(markOpen)' : 'fsync');
      realFsyncSync(fd);
    };
    IndexDb.prototype.txn = function <T>(this: IndexDb, fn: () => T): T {
      events.push(inMarkOpen ? 'txn(markOpen)' : 'txn');
      return realTxn.call(this, fn) as T;
    };
    IndexDb.prototype.markOpen = function (this: IndexDb, d?: string): void {
      inMarkOpen = true;
      try {
        realMarkOpen.call(this, d);
      } finally {
        inMarkOpen = false;
      }
    };
    const e2 = await openEngine(cfg);
    try {
      expect(events.slice(0, 2)).toEqual(['txn(markOpen)', 'fsync(markOpen)']);
      expect(events.filter((x) => x === 'txn').length).toBeGreaterThan(0); // recovery's transactions came after
      expect(e2.headObject('b', 'k')?.sizeBytes).toBe(1000);
    } finally {
      await e2.close();
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  });
});
