// HTTP Range for GetObject, as S3 does it: one range only; bytes=a-b, bytes=a-, bytes=-n.
// A syntactically invalid header is ignored (whole object, 200); a valid but unsatisfiable one
// is 416 InvalidRange with Content-Range: bytes */size.

export type RangeResult =
  | { kind: 'none' } // no header, or ignored
  | { kind: 'range'; start: number; end: number } // inclusive
  | { kind: 'unsatisfiable' };

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'none' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: 'none' };
  const a = m[1]!;
  const b = m[2]!;
  if (a === '' && b === '') return { kind: 'none' };
  if (a === '') {
    const n = Number(b);
    if (!Number.isSafeInteger(n)) return { kind: 'none' };
    if (n === 0) return { kind: 'unsatisfiable' };
    if (size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  if (!Number.isSafeInteger(start)) return { kind: 'none' };
  let end = b === '' ? size - 1 : Number(b);
  if (!Number.isSafeInteger(end)) end = size - 1;
  if (b !== '' && end < start) return { kind: 'none' };
  if (start >= size) return { kind: 'unsatisfiable' };
  if (end >= size) end = size - 1;
  return { kind: 'range', start, end };
}
