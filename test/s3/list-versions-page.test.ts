// listVersionsPage, the pure pager behind ListObjectVersions: a fake engine listing over a sorted
// array of (key, version) entries, checked against a naive reference for every page size.

import { describe, expect, it } from 'vitest';
import { listVersionsPage, type VersionCursor } from '../../src/s3/list-versions-page.js';

interface E {
  meta: { key: string; versionId: string };
}

/** Keys in UTF-8 byte order (what the engine promises), versions newest first within a key. */
function entries(spec: Record<string, string[]>): E[] {
  const keys = Object.keys(spec).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return keys.flatMap((key) => spec[key]!.map((versionId) => ({ meta: { key, versionId } })));
}

/** The engine's listVersions contract over an array: exclusive (keyMarker[, versionIdMarker]), prefix, limit. */
function fakeFetch(all: E[], prefix: string, calls: { n: number; maxLimit: number }) {
  return (c: VersionCursor, limit: number): E[] => {
    calls.n++;
    calls.maxLimit = Math.max(calls.maxLimit, limit);
    let i = 0;
    if (c.keyMarker !== undefined) {
      const km = Buffer.from(c.keyMarker);
      if (c.versionIdMarker !== undefined) {
        const at = all.findIndex((e) => e.meta.key === c.keyMarker && e.meta.versionId === c.versionIdMarker);
        i = at >= 0 ? at + 1 : all.findIndex((e) => Buffer.compare(Buffer.from(e.meta.key), km) > 0);
      } else {
        i = all.findIndex((e) => Buffer.compare(Buffer.from(e.meta.key), km) > 0);
      }
      if (i < 0) i = all.length;
    }
    return all.slice(i).filter((e) => e.meta.key.startsWith(prefix)).slice(0, limit);
  };
}

/** Every entry / common prefix once, in order, following NextKeyMarker / NextVersionIdMarker. */
function walk(all: E[], prefix: string, delimiter: string | undefined, maxKeys: number): { seen: string[]; pages: number; maxFetchesPerPage: number } {
  const seen: string[] = [];
  let start: VersionCursor = {};
  let pages = 0;
  let maxFetchesPerPage = 0;
  for (;;) {
    const calls = { n: 0, maxLimit: 0 };
    const page = listVersionsPage(fakeFetch(all, prefix, calls), { prefix, maxKeys, start, ...(delimiter !== undefined ? { delimiter } : {}) });
    maxFetchesPerPage = Math.max(maxFetchesPerPage, calls.n);
    expect(calls.maxLimit).toBeLessThanOrEqual(1000);
    pages++;
    expect(page.entries.length + page.commonPrefixes.length).toBeLessThanOrEqual(maxKeys);
    // Entries and prefixes come in order within a page; merge them by position for the reference.
    const items = [...page.entries.map((e) => ({ k: e.meta.key, s: `${e.meta.key}@${e.meta.versionId}` })), ...page.commonPrefixes.map((p) => ({ k: p, s: `${p}*` }))];
    items.sort((a, b) => Buffer.compare(Buffer.from(a.k), Buffer.from(b.k)));
    seen.push(...items.map((x) => x.s));
    if (!page.isTruncated) break;
    expect(page.nextKeyMarker).toBeDefined();
    // As a client does: the key marker, and the version marker when there is one; a common prefix
    // marker is skipped past (what list-versions.ts does with afterFromMarker).
    start = page.nextVersionIdMarker !== undefined
      ? { keyMarker: page.nextKeyMarker!, versionIdMarker: page.nextVersionIdMarker }
      : { keyMarker: page.nextKeyMarker! + '\u{10FFFF}' };
    if (pages > 1000) throw new Error('no progress');
  }
  return { seen, pages, maxFetchesPerPage };
}

function reference(all: E[], prefix: string, delimiter: string | undefined): string[] {
  const out: string[] = [];
  const cps = new Set<string>();
  for (const e of all) {
    if (!e.meta.key.startsWith(prefix)) continue;
    const i = delimiter === undefined ? -1 : e.meta.key.indexOf(delimiter, prefix.length);
    if (i >= 0) {
      const cp = e.meta.key.slice(0, i + delimiter!.length);
      if (!cps.has(cp)) out.push(`${cp}*`);
      cps.add(cp);
    } else out.push(`${e.meta.key}@${e.meta.versionId}`);
  }
  return out;
}

const ALL = entries({
  a: ['a3', 'a2', 'a1'],
  'b/1': ['b1'],
  'b/2': ['b22', 'b21'],
  'b/3/x': ['bx'],
  c: ['c1'],
  'd/e': ['de3', 'de2', 'de1'],
  é: ['e1', 'e0'],
  'z/z': ['zz'],
});

describe('listVersionsPage', () => {
  for (const delimiter of [undefined, '/']) {
    for (const prefix of ['', 'b/', 'd', 'nothing']) {
      it(`every version / common prefix exactly once at every page size (prefix '${prefix}', delimiter ${delimiter ?? 'none'})`, () => {
        const want = reference(ALL, prefix, delimiter);
        for (let maxKeys = 1; maxKeys <= ALL.length + 1; maxKeys++) {
          const { seen, maxFetchesPerPage } = walk(ALL, prefix, delimiter, maxKeys);
          expect(seen, `maxKeys ${maxKeys}`).toEqual(want);
          expect(maxFetchesPerPage).toBeLessThanOrEqual(maxKeys + 2);
        }
      });
    }
  }

  it('a page can end between two versions of one key and resume after that version', () => {
    const calls = { n: 0, maxLimit: 0 };
    const p = listVersionsPage(fakeFetch(ALL, '', calls), { prefix: '', maxKeys: 2, start: {} });
    expect(p.entries.map((e) => e.meta.versionId)).toEqual(['a3', 'a2']);
    expect(p).toMatchObject({ isTruncated: true, nextKeyMarker: 'a', nextVersionIdMarker: 'a2' });
    const q = listVersionsPage(fakeFetch(ALL, '', calls), { prefix: '', maxKeys: 2, start: { keyMarker: 'a', versionIdMarker: 'a2' } });
    expect(q.entries.map((e) => e.meta.versionId)).toEqual(['a1', 'b1']);
  });

  it('a page ending in a common prefix has NextKeyMarker = the prefix and no NextVersionIdMarker; an exact fit is not truncated', () => {
    const calls = { n: 0, maxLimit: 0 };
    const p = listVersionsPage(fakeFetch(ALL, '', calls), { prefix: '', delimiter: '/', maxKeys: 4, start: {} });
    expect(p.commonPrefixes).toEqual(['b/']);
    expect(p).toMatchObject({ isTruncated: true, nextKeyMarker: 'b/' });
    expect(p.nextVersionIdMarker).toBeUndefined();
    const all = listVersionsPage(fakeFetch(ALL, '', calls), { prefix: '', maxKeys: ALL.length, start: {} });
    expect(all.isTruncated).toBe(false);
    expect(all.entries).toHaveLength(ALL.length);
  });

  it('maxKeys 0 lists nothing and fetches nothing', () => {
    const calls = { n: 0, maxLimit: 0 };
    expect(listVersionsPage(fakeFetch(ALL, '', calls), { prefix: '', maxKeys: 0, start: {} })).toEqual({ entries: [], commonPrefixes: [], isTruncated: false });
    expect(calls.n).toBe(0);
  });

  it('thousands of keys under one common prefix cost a bounded number of fetches', () => {
    const spec: Record<string, string[]> = { a: ['1'], z: ['1'] };
    for (let i = 0; i < 5000; i++) spec[`m/${String(i).padStart(5, '0')}`] = ['v2', 'v1'];
    const all = entries(spec);
    const calls = { n: 0, maxLimit: 0 };
    const p = listVersionsPage(fakeFetch(all, '', calls), { prefix: '', delimiter: '/', maxKeys: 1000, start: {} });
    expect(p.entries.map((e) => e.meta.key)).toEqual(['a', 'z']);
    expect(p.commonPrefixes).toEqual(['m/']);
    expect(calls.n).toBeLessThanOrEqual(3);
  });
});
