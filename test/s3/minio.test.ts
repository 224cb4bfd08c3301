// minio-js (v8) against the real server: every operation family, presigned GET/PUT, error cases.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Minio from 'minio';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { minioClient } from '../helpers/server-clients.js';

let t: TestServer;
let mc: Minio.Client;

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts).toString();
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect((err as { code?: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

beforeAll(async () => {
  t = await startTestServer();
  mc = minioClient(t);
});

afterAll(async () => {
  await t?.stop();
});

describe('minio-js', () => {
  it('buckets: make, exists, list, remove; errors', async () => {
    await mc.makeBucket('mbucket', t.region);
    expect(await mc.bucketExists('mbucket')).toBe(true);
    expect(await mc.bucketExists('nothere')).toBe(false);
    expect((await mc.listBuckets()).map((b) => b.name)).toContain('mbucket');
    await mc.makeBucket('mbucket', t.region); // us-east-1: re-creating an owned bucket is 200, as S3
    await mc.makeBucket('mgone', t.region);
    await mc.removeBucket('mgone');
    await expectCode(mc.removeBucket('mgone'), 'NoSuchBucket');
  });

  it('objects: put (string, buffer, stream), get, partial get, stat, metadata', async () => {
    await mc.putObject('mbucket', 'hello.txt', 'hello minio', undefined, { 'Content-Type': 'text/plain', 'X-Amz-Meta-Owner': 'me' });
    expect(await text(await mc.getObject('mbucket', 'hello.txt'))).toBe('hello minio');
    expect(await text(await mc.getPartialObject('mbucket', 'hello.txt', 6, 5))).toBe('minio');
    const st = await mc.statObject('mbucket', 'hello.txt');
    expect(st.size).toBe(11);
    expect(st.metaData['content-type']).toBe('text/plain');
    expect(st.metaData['owner']).toBe('me');
    expect(st.etag).toMatch(/^[0-9a-f]{32}$/);
    const big = Buffer.alloc(2 * 1024 * 1024 + 7, 0x5a);
    await mc.putObject('mbucket', 'big.bin', big);
    const back = await text(await mc.getObject('mbucket', 'big.bin'));
    expect(back.length).toBe(big.length);
    await expectCode(mc.statObject('mbucket', 'missing'), 'NotFound');
    await expectCode(mc.getObject('mbucket', 'missing'), 'NoSuchKey');
  });

  it('copy with conditions and REPLACE metadata', async () => {
    const conds = new Minio.CopyConditions();
    conds.setMatchETagExcept('nomatch');
    await mc.copyObject('mbucket', 'copy.txt', '/mbucket/hello.txt', conds);
    expect(await text(await mc.getObject('mbucket', 'copy.txt'))).toBe('hello minio');
    const bad = new Minio.CopyConditions();
    bad.setMatchETag('nomatch');
    await expectCode(mc.copyObject('mbucket', 'copy2.txt', '/mbucket/hello.txt', bad), 'PreconditionFailed');
  });

  it('list v1/v2 with prefix and recursion', async () => {
    for (const k of ['l/a/1', 'l/a/2', 'l/b', 'l/c/3']) await mc.putObject('mbucket', k, k);
    const collect = async (s: Minio.BucketStream<Minio.BucketItem>): Promise<string[]> => {
      const out: string[] = [];
      for await (const i of s) out.push((i.name ?? i.prefix)!);
      return out;
    };
    expect((await collect(mc.listObjects('mbucket', 'l/', false))).sort()).toEqual(['l/a/', 'l/b', 'l/c/']);
    expect(await collect(mc.listObjectsV2('mbucket', 'l/', true))).toEqual(['l/a/1', 'l/a/2', 'l/b', 'l/c/3']);
  });

  it('removeObject and removeObjects', async () => {
    await mc.removeObject('mbucket', 'copy.txt');
    await expectCode(mc.statObject('mbucket', 'copy.txt'), 'NotFound');
    await mc.removeObjects('mbucket', ['l/a/1', 'l/a/2', 'l/b', 'l/c/3']);
    const left: string[] = [];
    for await (const i of mc.listObjectsV2('mbucket', 'l/', true)) left.push(i.name!);
    expect(left).toEqual([]);
  });

  it('presigned GET and PUT URLs', async () => {
    const putUrl = await mc.presignedPutObject('mbucket', 'presigned.txt', 60);
    const put = await fetch(putUrl, { method: 'PUT', body: 'via presigned put' });
    expect(put.status).toBe(200);
    const getUrl = await mc.presignedGetObject('mbucket', 'presigned.txt', 60);
    const get = await fetch(getUrl);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('via presigned put');
    const tampered = getUrl.replace('presigned.txt', 'presigned.tx2');
    const bad = await fetch(tampered);
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});
