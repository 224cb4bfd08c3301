// Listing through the AWS SDK: v1 and v2, delimiter pagination across pages (a common prefix is
// never repeated), encoding-type=url, start-after, fetch-owner, max-keys.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, ListObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/server-clients.js';

let t: TestServer;
let s3: S3Client;

const KEYS = [
  'a/1', 'a/2', 'a/3', 'b', 'c/x/1', 'c/x/2', 'c/y', 'd', 'e/1', 'f', 'g/1', 'g/2', 'h',
  'sp ace/k', 'plus+key', 'uni/ü', 'weird%25/k', 'z',
];

beforeAll(async () => {
  t = await startTestServer();
  s3 = sdkClient(t);
  await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
  for (const k of KEYS) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: k, Body: k }));
});

afterAll(async () => {
  s3?.destroy();
  await t?.stop();
});

function commonPrefixOf(k: string, prefix: string, d: string): string | undefined {
  const i = k.indexOf(d, prefix.length);
  return i >= 0 ? k.slice(0, i + d.length) : undefined;
}

function expected(prefix: string, delimiter?: string): { keys: string[]; prefixes: string[] } {
  const sorted = [...KEYS].filter((k) => k.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const keys: string[] = [];
  const prefixes: string[] = [];
  for (const k of sorted) {
    const cp = delimiter ? commonPrefixOf(k, prefix, delimiter) : undefined;
    if (cp) {
      if (!prefixes.includes(cp)) prefixes.push(cp);
    } else keys.push(k);
  }
  return { keys, prefixes };
}

describe('ListObjectsV2', () => {
  for (const maxKeys of [1, 2, 3, 1000]) {
    it(`pages with delimiter, max-keys=${maxKeys}, encoding-type=url`, async () => {
      const keys: string[] = [];
      const prefixes: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const r = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/', MaxKeys: maxKeys, ContinuationToken: token, EncodingType: 'url' }));
        pages++;
        expect(r.KeyCount).toBe((r.Contents?.length ?? 0) + (r.CommonPrefixes?.length ?? 0));
        expect(r.KeyCount).toBeLessThanOrEqual(maxKeys);
        for (const c of r.Contents ?? []) keys.push(decodeURIComponent(c.Key!));
        for (const p of r.CommonPrefixes ?? []) prefixes.push(decodeURIComponent(p.Prefix!));
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
        if (r.IsTruncated) expect(token).toBeTruthy();
        expect(pages).toBeLessThan(100);
      } while (token);
      const e = expected('', '/');
      expect(keys).toEqual(e.keys);
      expect(prefixes).toEqual(e.prefixes);
      expect(new Set(prefixes).size).toBe(prefixes.length);
    });
  }

  it('prefix + delimiter, start-after, fetch-owner, url-encoded Prefix/Delimiter/StartAfter', async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'c/', Delimiter: '/' }));
    expect(r.Contents?.map((c) => c.Key)).toEqual(['c/y']);
    expect(r.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['c/x/']);
    const s = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', StartAfter: 'g/1', FetchOwner: true }));
    expect(s.Contents?.[0]?.Key).toBe('g/2');
    expect(s.Contents?.[0]?.Owner?.ID).toBe(t.accessKeyId);
    expect(s.StartAfter).toBe('g/1');
    const u = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'sp ace/', EncodingType: 'url' }));
    expect(u.Prefix).toBe('sp%20ace/');
    expect(u.Contents?.map((c) => c.Key)).toEqual(['sp%20ace/k']);
    const p = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'plus' }));
    expect(p.Contents?.map((c) => c.Key)).toEqual(['plus+key']);
    expect(p.Contents?.[0]?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(p.Contents?.[0]?.LastModified).toBeInstanceOf(Date);
    expect(p.Contents?.[0]?.Size).toBe('plus+key'.length);
  });

  it('max-keys=0 and a bogus continuation token', async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', MaxKeys: 0 }));
    expect(r.KeyCount).toBe(0);
    await expect(s3.send(new ListObjectsV2Command({ Bucket: 'listing', ContinuationToken: '!!!' }))).rejects.toMatchObject({ name: 'InvalidArgument' });
    // An empty token is no token: the listing starts at the beginning and echoes it.
    const all = await s3.send(new ListObjectsV2Command({ Bucket: 'listing' }));
    const empty = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', ContinuationToken: '' }));
    expect(empty.Contents?.map((c) => c.Key)).toEqual(all.Contents?.map((c) => c.Key));
  });
});

describe('ListObjects v1', () => {
  it('pages with delimiter via NextMarker without repeating prefixes', async () => {
    const keys: string[] = [];
    const prefixes: string[] = [];
    let marker: string | undefined;
    for (let i = 0; i < 100; i++) {
      const r = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Delimiter: '/', MaxKeys: 2, Marker: marker }));
      for (const c of r.Contents ?? []) keys.push(c.Key!);
      for (const p of r.CommonPrefixes ?? []) prefixes.push(p.Prefix!);
      if (!r.IsTruncated) break;
      expect(r.NextMarker).toBeTruthy();
      marker = r.NextMarker;
    }
    const e = expected('', '/');
    expect(keys).toEqual(e.keys);
    expect(prefixes).toEqual(e.prefixes);
  });

  it('without delimiter: no NextMarker, clients continue from the last key', async () => {
    const keys: string[] = [];
    let marker: string | undefined;
    for (let i = 0; i < 100; i++) {
      const r = await s3.send(new ListObjectsCommand({ Bucket: 'listing', MaxKeys: 5, Marker: marker }));
      expect(r.NextMarker).toBeUndefined();
      for (const c of r.Contents ?? []) keys.push(c.Key!);
      if (!r.IsTruncated) break;
      marker = r.Contents![r.Contents!.length - 1]!.Key;
    }
    expect(keys).toEqual(expected('').keys);
  });
});
