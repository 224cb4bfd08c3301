// Listing pagination, pure over a fetch function so it is unit-tested without an engine.
// Common prefixes are never repeated across pages: when an entry is a common prefix, the resume
// point is past every key under it (prefix + U+10FFFF, the largest code point, which sorts after
// any continuation in both UTF-8 byte order and UTF-16 order).

export const AFTER_ALL = '\u{10FFFF}';

export interface ListEntryKey {
  key: string;
}

export interface ListParams {
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  /** Exclusive lower bound. */
  after?: string;
}

export interface ListPage<T extends ListEntryKey> {
  contents: T[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Where the next page starts (exclusive); for continuation tokens. */
  resumeAfter?: string;
  /** Last key or common prefix returned; ListObjects v1's NextMarker. */
  lastEntry?: string;
}

/** Largest batch pulled from the engine at once (bounded memory per listing). */
export const LIST_FETCH_BATCH = 1000;

/** The CommonPrefix a key rolls up into: up to the first delimiter after the prefix, if there is one. */
export function commonPrefixOf(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (delimiter === undefined) return undefined;
  const i = key.indexOf(delimiter, prefix.length);
  return i >= 0 ? key.slice(0, i + delimiter.length) : undefined;
}

export function listPage<T extends ListEntryKey>(
  fetch: (after: string | undefined, limit: number) => T[],
  p: ListParams,
): ListPage<T> {
  const contents: T[] = [];
  const commonPrefixes: string[] = [];
  const delimiter = p.delimiter === '' ? undefined : p.delimiter;
  let after = p.after;
  let count = 0;
  let lastEntry: string | undefined;
  let currentPrefix: string | undefined;
  if (p.maxKeys <= 0) return { contents, commonPrefixes, isTruncated: false };
  // Bounded: each round either advances `after` or ends.
  for (;;) {
    const limit = Math.min(LIST_FETCH_BATCH, p.maxKeys - count + 1);
    const batch = fetch(after, limit);
    if (batch.length === 0) return { contents, commonPrefixes, isTruncated: false, lastEntry };
    for (const obj of batch) {
      const key = obj.key;
      if (currentPrefix !== undefined && key.startsWith(currentPrefix)) continue;
      currentPrefix = undefined;
      const cp = commonPrefixOf(key, p.prefix, delimiter);
      if (count === p.maxKeys) {
        return { contents, commonPrefixes, isTruncated: true, resumeAfter: after, lastEntry };
      }
      if (cp !== undefined) {
        commonPrefixes.push(cp);
        currentPrefix = cp;
        lastEntry = cp;
        after = cp + AFTER_ALL;
      } else {
        contents.push(obj);
        lastEntry = key;
        after = key;
      }
      count++;
    }
    if (currentPrefix === undefined) after = batch[batch.length - 1]!.key;
    if (batch.length < limit) return { contents, commonPrefixes, isTruncated: false, lastEntry };
  }
}

/**
 * ListObjects v1 resumes from a marker that may be a common prefix we returned as NextMarker:
 * skip everything under it, or the prefix would be listed again.
 */
export function afterFromMarker(marker: string | undefined, prefix: string, delimiter: string | undefined): string | undefined {
  if (!marker) return undefined;
  if (delimiter && marker.startsWith(prefix)) {
    const i = marker.indexOf(delimiter, prefix.length);
    if (i >= 0 && i + delimiter.length === marker.length) return marker + AFTER_ALL;
  }
  return marker;
}

/** Continuation tokens are opaque to clients: base64url of the resume key. */
export function encodeContinuationToken(after: string): string {
  return Buffer.from(after, 'utf8').toString('base64url');
}

export function decodeContinuationToken(token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(token)) return undefined;
  const s = Buffer.from(token, 'base64url').toString('utf8');
  if (Buffer.from(s, 'utf8').toString('base64url') !== token) return undefined;
  return s;
}

/** encoding-type=url: percent-encode everything but unreserved characters and '/'. */
export function urlEncodeKey(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%2F/g, '/');
}
