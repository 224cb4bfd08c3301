// Conditional requests with S3's precedence (RFC 7232 §6 as S3 documents it):
//   If-Match false → 412; If-Unmodified-Since is only consulted when If-Match is absent
//   (If-Match true + If-Unmodified-Since false → 200).
//   If-None-Match matching → 304 for GET/HEAD; If-Modified-Since is only consulted when
//   If-None-Match is absent. 412 wins over 304.

export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

export type ConditionOutcome = 'ok' | 'not-modified' | 'precondition-failed';

/** ETag list match ("a", "b", *, W/"c"); `etag` unquoted. */
export function etagMatches(header: string, etag: string): boolean {
  for (let t of header.split(',')) {
    t = t.trim();
    if (t === '*') return true;
    if (t.startsWith('W/')) t = t.slice(2);
    if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) t = t.slice(1, -1);
    if (t === etag) return true;
  }
  return false;
}

/** HTTP date → ms, undefined when unparseable (an unparseable date is ignored, as S3 does). */
export function parseHttpDate(s: string | undefined): number | undefined {
  if (s === undefined || s.trim() === '') return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Last-Modified has one-second resolution on the wire; compare at that resolution. */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

export function evaluateConditions(c: Conditions, etag: string, lastModifiedMs: number): ConditionOutcome {
  const lm = seconds(lastModifiedMs);
  if (c.ifMatch !== undefined) {
    if (!etagMatches(c.ifMatch, etag)) return 'precondition-failed';
  } else {
    const ius = parseHttpDate(c.ifUnmodifiedSince);
    if (ius !== undefined && lm > seconds(ius)) return 'precondition-failed';
  }
  if (c.ifNoneMatch !== undefined) {
    if (etagMatches(c.ifNoneMatch, etag)) return 'not-modified';
  } else {
    const ims = parseHttpDate(c.ifModifiedSince);
    if (ims !== undefined && lm <= seconds(ims)) return 'not-modified';
  }
  return 'ok';
}

/** CopyObject's x-amz-copy-source-if-*: every failure is 412 (there is no 304 for a copy). */
export function evaluateCopySourceConditions(c: Conditions, etag: string, lastModifiedMs: number): boolean {
  const lm = seconds(lastModifiedMs);
  if (c.ifMatch !== undefined) {
    if (!etagMatches(c.ifMatch, etag)) return false;
  } else {
    const ius = parseHttpDate(c.ifUnmodifiedSince);
    if (ius !== undefined && lm > seconds(ius)) return false;
  }
  if (c.ifNoneMatch !== undefined) {
    if (etagMatches(c.ifNoneMatch, etag)) return false;
  } else {
    const ims = parseHttpDate(c.ifModifiedSince);
    if (ims !== undefined && lm <= seconds(ims)) return false;
  }
  return true;
}
