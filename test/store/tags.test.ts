// engine.updateObjectTags: new metadata over the same layout, decided in commit order against
// concurrent overwrites and deletes, durable across reopen and index rebuild.
import { promises as fsp } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, rebuildIndex, type StrataEngine } from '../../src/store/index.js';
import { decodeObjectMeta, encodeObjectMeta } from '../../src/store/meta-codec.js';
import { getObject, openTestEngine, patternBytes, putObject, tempDir, testConfig } from '../helpers/engine.js';

describe('engine.updateObjectTags', () => {
  let e: StrataEngine;
  let close: () => Promise<void>;
  beforeAll(async () => ({ e, close } = await openTestEngine(['b'])));
  afterAll(() => close());

  it('commits new metadata pointing at the same layout; data, ETag and Last-Modified unchanged', async () => {
    const data = patternBytes(200_000, 3);
    const put = await putObject(e, 'b', 'k', data);
    const tagged = await e.updateObjectTags('b', 'k', { a: '1', b: '' });
    expect(tagged.seq).toBeGreaterThan(put.seq);
    expect(tagged.etag).toBe(put.etag);
    expect(tagged.lastModifiedMs).toBe(put.lastModifiedMs);
    expect(tagged.layout).toEqual(put.layout);
    const head = e.headObject('b', 'k')!;
    expect(head.tags).toEqual({ a: '1', b: '' });
    expect(head.layout).toEqual(put.layout);
    expect((await getObject(e, 'b', 'k'))!.equals(data)).toBe(true);
    const cleared = await e.updateObjectTags('b', 'k', {});
    expect(cleared.tags).toBeUndefined();
    expect(e.headObject('b', 'k')!.tags).toBeUndefined();
  });

  it('NoSuchBucket, NoSuchKey, and expectSeq mismatch is PreconditionFailed', async () => {
    await expect(e.updateObjectTags('nob', 'k', { a: '1' })).rejects.toMatchObject({ code: 'NoSuchBucket' });
    await expect(e.updateObjectTags('b', 'missing', { a: '1' })).rejects.toMatchObject({ code: 'NoSuchKey' });
    const m = await putObject(e, 'b', 'exp', patternBytes(10, 1));
    await expect(e.updateObjectTags('b', 'exp', { a: '1' }, m.seq - 1)).rejects.toMatchObject({ code: 'PreconditionFailed' });
    expect((await e.updateObjectTags('b', 'exp', { a: '1' }, m.seq)).tags).toEqual({ a: '1' });
  });

  it('decided against a commit still in its window: applies to the new version, never resurrects the old one', async () => {
    const old = await putObject(e, 'b', 'race', patternBytes(1000, 1));
    const src = await putObject(e, 'b', 'race-src', patternBytes(3000, 2));
    // an overwrite not yet durable, then a tag update: the update must carry the overwrite's layout
    const overwrite = e.commitObject({ bucket: 'b', key: 'race', layout: src.layout, sizeBytes: src.sizeBytes, etag: src.etag, system: {}, user: {}, checksums: {} });
    const stale = e.updateObjectTags('b', 'race', { t: 'x' }, old.seq);
    const tagging = e.updateObjectTags('b', 'race', { t: 'y' });
    await expect(stale).rejects.toMatchObject({ code: 'PreconditionFailed' });
    const [, tagged] = await Promise.all([overwrite, tagging]);
    expect(tagged.etag).toBe(src.etag);
    const head = e.headObject('b', 'race')!;
    expect(head.etag).toBe(src.etag);
    expect(head.tags).toEqual({ t: 'y' });
    // a delete in its window: tagging is NoSuchKey and the object stays deleted
    const del = e.deleteObject('b', 'race');
    await expect(e.updateObjectTags('b', 'race', { t: 'z' })).rejects.toMatchObject({ code: 'NoSuchKey' });
    await del;
    expect(e.headObject('b', 'race')).toBeUndefined();
  });

  it('tags survive reopen and an index rebuild', async () => {
    const d = await tempDir();
    const cfg = testConfig(d);
    try {
      let x = await openEngine(cfg);
      await x.createBucket('p', 'o');
      await putObject(x, 'p', 'one', patternBytes(5000, 9));
      await x.updateObjectTags('p', 'one', { k: 'v', 'ü': 'ß' });
      await putObject(x, 'p', 'two', patternBytes(10, 9));
      await x.updateObjectTags('p', 'two', { gone: '1' });
      await x.updateObjectTags('p', 'two', undefined);
      await x.close();
      x = await openEngine(cfg);
      expect(x.headObject('p', 'one')!.tags).toEqual({ k: 'v', ü: 'ß' });
      expect(x.headObject('p', 'two')!.tags).toBeUndefined();
      await x.close();
      await rebuildIndex(cfg);
      x = await openEngine(cfg);
      expect(x.recovery.mode).toBe('replay');
      expect(x.headObject('p', 'one')!.tags).toEqual({ k: 'v', ü: 'ß' });
      expect(x.headObject('p', 'two')!.tags).toBeUndefined();
      expect((await getObject(x, 'p', 'one'))!.equals(patternBytes(5000, 9))).toBe(true);
      await x.close();
    } finally {
      await fsp.rm(d, { recursive: true, force: true });
    }
  });

  it('the meta codec carries tags (extra section) byte-exactly', () => {
    const meta = { bucket: 'b', key: 'k', sizeBytes: 0, etag: 'e', lastModifiedMs: 1, seq: 2, versionId: 'null', system: {}, user: {}, checksums: {}, layout: { extents: [] }, tags: { a: '1', 'é': '' } };
    expect(decodeObjectMeta(encodeObjectMeta(meta))).toEqual(meta);
    const { tags: _t, ...plain } = meta;
    expect(decodeObjectMeta(encodeObjectMeta(plain)).tags).toBeUndefined();
  });
});
