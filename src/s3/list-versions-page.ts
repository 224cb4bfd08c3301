// ListObjectVersions pagination, pure over a fetch function (unit-tested without an engine). Like
// list-page.ts for keys, but the position is (key, version id): a page may end between two versions
// of one key, and the next one resumes after that version. A common prefix counts as one entry and
// the next fetch starts past every key under it (prefix + U+10FFFF, see list-page.ts).

import { AFTER_ALL, LIST_FETCH_BATCH, commonPrefixOf } from './list-page.js';

export interface VersionCursor {
  /** Exclusive: after this key, or with versionIdMarker after that version of it. */
  keyMarker?: string;
  versionIdMarker?: string;
}

export interface VersionEntryLike {
  meta: { key: string; versionId: string };
}

export interface VersionsPage<T extends VersionEntryLike> {
  /** Versions and delete markers in listing order. */
  entries: T[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** NextKeyMarker / NextVersionIdMarker (a common prefix has no version id). */
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

export interface VersionsParams {
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  start: VersionCursor;
}

/**
 * Bounded: every fetch asks for at most LIST_FETCH_BATCH entries and each one either yields a new
 * entry or common prefix, or moves the cursor past a whole common prefix, so a page costs at most
 * about maxKeys + 1 fetches.
 */
export function listVersionsPage<T extends VersionEntryLike>(fetch: (cursor: VersionCursor, limit: number) => T[], p: VersionsParams): VersionsPage<T> {
  const entries: T[] = [];
  const commonPrefixes: string[] = [];
  const delimiter = p.delimiter === '' ? undefined : p.delimiter;
  let cursor: VersionCursor = p.start;
  let count = 0;
  let last: VersionCursor | undefined;
  let currentPrefix: string | undefined;
  if (p.maxKeys <= 0) return { entries, commonPrefixes, isTruncated: false };
  for (;;) {
    const limit = Math.min(LIST_FETCH_BATCH, p.maxKeys - count + 1);
    const batch = fetch(cursor, limit);
    for (const e of batch) {
      const key = e.meta.key;
      if (currentPrefix !== undefined && key.startsWith(currentPrefix)) continue;
      currentPrefix = undefined;
      const cp = commonPrefixOf(key, p.prefix, delimiter);
      if (count === p.maxKeys) {
        const out: VersionsPage<T> = { entries, commonPrefixes, isTruncated: true };
        if (last?.keyMarker !== undefined) out.nextKeyMarker = last.keyMarker;
        if (last?.versionIdMarker !== undefined) out.nextVersionIdMarker = last.versionIdMarker;
        return out;
      }
      if (cp !== undefined) {
        commonPrefixes.push(cp);
        currentPrefix = cp;
        last = { keyMarker: cp };
        cursor = { keyMarker: cp + AFTER_ALL };
      } else {
        entries.push(e);
        last = { keyMarker: key, versionIdMarker: e.meta.versionId };
        cursor = last;
      }
      count++;
    }
    // Otherwise the cursor is already past the whole batch: its last entry, or the prefix it ends in.
    if (batch.length < limit) return { entries, commonPrefixes, isTruncated: false };
  }
}
