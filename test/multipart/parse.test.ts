import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { multipartLimitsFrom, parseCompleteRequest, parseCopySource, parseCopySourceRange } from '../../src/s3/multipart/handlers.js';
import { compositeChecksum, fullObjectChecksum, multipartEtag, wireChecksum } from '../../src/s3/multipart/digests.js';
import { compareUtf8 } from '../../src/s3/multipart/records.js';
import { UploadLocks } from '../../src/s3/multipart/locks.js';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
}

describe('CompleteMultipartUpload body', () => {
  it('parses parts, quoted ETags and checksums', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
      <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
        <Part><PartNumber>1</PartNumber><ETag>"aa"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>
        <Part><ETag>&quot;bb&quot;</ETag><PartNumber> 2 </PartNumber></Part>
      </CompleteMultipartUpload>`;
    expect(parseCompleteRequest(Buffer.from(xml), 10_000)).toEqual([
      { partNumber: 1, etag: '"aa"', checksums: { CRC32: 'AAAAAA==' } },
      { partNumber: 2, etag: '"bb"', checksums: {} },
    ]);
  });
  it('a single part is still a list', () => {
    expect(parseCompleteRequest(Buffer.from('<CompleteMultipartUpload><Part><PartNumber>3</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>'), 10)).toHaveLength(1);
  });
  it.each([
    ['', 'MalformedXML'],
    ['<CompleteMultipartUpload/>', 'MalformedXML'],
    ['<CompleteMultipartUpload></CompleteMultipartUpload>', 'MalformedXML'],
    ['<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Other>', 'MalformedXML'],
    ['<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>', 'MalformedXML'],
    ['<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>', 'MalformedXML'],
    ['<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag>', 'MalformedXML'],
    ['<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag><ChecksumSHA256>AAAA</ChecksumSHA256></Part></CompleteMultipartUpload>', 'InvalidRequest'],
  ])('%s → %s', (xml, expected) => {
    expect(code(() => parseCompleteRequest(Buffer.from(xml), 10))).toBe(expected);
  });
  it('more parts than the limit is refused', () => {
    const parts = Array.from({ length: 3 }, (_, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>x</ETag></Part>`).join('');
    expect(code(() => parseCompleteRequest(Buffer.from(`<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`), 2))).toBe('MalformedXML');
  });
});

describe('x-amz-copy-source and its range', () => {
  it.each([
    ['bkt/key', { bucket: 'bkt', key: 'key' }],
    ['/bkt/a/b/c', { bucket: 'bkt', key: 'a/b/c' }],
    ['bkt/a%20b%2Fc', { bucket: 'bkt', key: 'a b/c' }],
    ['bkt/k?versionId=v1', { bucket: 'bkt', key: 'k', versionId: 'v1' }],
  ])('%s', (raw, expected) => {
    expect(parseCopySource(raw)).toEqual(expected);
  });
  it.each(['bkt', '/bkt/', 'bkt/', '/'])('%s is InvalidArgument', (raw) => {
    expect(code(() => parseCopySource(raw))).toBe('InvalidArgument');
  });
  it('ranges: both ends required, inclusive, inside the source', () => {
    expect(parseCopySourceRange(undefined, 10)).toBeUndefined();
    expect(parseCopySourceRange('bytes=0-9', 10)).toEqual({ start: 0, end: 9 });
    expect(parseCopySourceRange('bytes=3-3', 10)).toEqual({ start: 3, end: 3 });
    for (const bad of ['bytes=0-10', 'bytes=5-4', 'bytes=-5', 'bytes=5-', 'bits=0-1', '0-1']) {
      expect(code(() => parseCopySourceRange(bad, 10))).toBe('InvalidArgument');
    }
  });
});

describe('limits from config and environment', () => {
  it('config section beats environment beats defaults', () => {
    expect(multipartLimitsFrom({}, {})).toEqual({});
    expect(multipartLimitsFrom({}, { STRATA_MULTIPART_MIN_PART_SIZE_BYTES: '1024', STRATA_MULTIPART_UPLOAD_MAX_AGE_MS: '5' })).toEqual({
      minPartSizeBytes: 1024,
      uploadMaxAgeMs: 5,
    });
    expect(multipartLimitsFrom({ multipart: { minPartSizeBytes: 7 } }, { STRATA_MULTIPART_MIN_PART_SIZE_BYTES: '1024' })).toEqual({ minPartSizeBytes: 7 });
    expect(() => multipartLimitsFrom({}, { STRATA_MULTIPART_MAX_PARTS_PER_UPLOAD: 'lots' })).toThrow(/STRATA_MULTIPART_MAX_PARTS_PER_UPLOAD/);
  });
});

describe('digests (known answers)', () => {
  it('multipart ETag: MD5 of the binary part MD5s, -N', () => {
    const a = createHash('md5').update('a').digest('hex');
    const b = createHash('md5').update('b').digest('hex');
    const expected = createHash('md5').update(Buffer.from(a + b, 'hex')).digest('hex');
    expect(multipartEtag([a, b])).toBe(`${expected}-2`);
  });
  it('COMPOSITE CRC32 is the CRC32 of the concatenated big-endian part CRCs; wire form adds -N', () => {
    const parts = [Buffer.from('hello '), Buffer.from('world')];
    const sums = parts.map((p) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(zlibCrc32(p));
      return b;
    });
    const whole = Buffer.alloc(4);
    whole.writeUInt32BE(zlibCrc32(Buffer.concat(sums)));
    const v = compositeChecksum('CRC32', sums.map((s) => s.toString('base64')));
    expect(v).toBe(whole.toString('base64'));
    expect(wireChecksum(v, 'COMPOSITE', 2)).toBe(`${v}-2`);
    expect(wireChecksum(v, 'FULL_OBJECT', 2)).toBe(v);
    const full = fullObjectChecksum('CRC32', parts.map((p, i) => ({ checksumBase64: sums[i]!.toString('base64'), sizeBytes: p.length })));
    const direct = Buffer.alloc(4);
    direct.writeUInt32BE(zlibCrc32(Buffer.from('hello world')));
    expect(full).toBe(direct.toString('base64'));
    expect(() => fullObjectChecksum('SHA256', [])).toThrow();
  });
});

describe('compareUtf8', () => {
  it('orders like UTF-8 bytes, not UTF-16 code units', () => {
    const keys = ['a', 'ab', 'b', '\uffff', '\u{10000}', 'é', 'z', ''];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...keys].sort(compareUtf8)).toEqual(byBytes);
  });
});

describe('UploadLocks', () => {
  it('readers share, a writer waits for them and excludes everyone, FIFO; state is released', async () => {
    const locks = new UploadLocks();
    const log: string[] = [];
    let releaseR1!: () => void;
    const r1 = locks.shared('u', () => new Promise<void>((r) => (releaseR1 = () => (log.push('r1 end'), r()))));
    const r2 = locks.shared('u', async () => void log.push('r2'));
    await r2;
    const w = locks.exclusive('u', async () => void log.push('w'));
    const r3 = locks.shared('u', async () => void log.push('r3'));
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual(['r2']);
    releaseR1();
    await Promise.all([r1, w, r3]);
    expect(log).toEqual(['r2', 'r1 end', 'w', 'r3']);
    expect(locks.size).toBe(0);
  });
});
