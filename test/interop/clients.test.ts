// Real S3 clients against a real node process: the AWS CLI v2, s3cmd and rclone from Debian.
// Each round trip is checked byte for byte (SHA-256 of the file that went in and the one that came out).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS, RCLONE, S3CMD, sha256File, startInteropNode, type InteropFixture } from './fixture.js';

let fx: InteropFixture;
let work: string;
const sh = (cmd: string, args: string[]) => fx.sh(cmd, args);
const aws = (...args: string[]) => fx.aws(...args);

beforeAll(async () => {
  fx = await startInteropNode('interop', [AWS, S3CMD, RCLONE]);
  work = fx.work;
}, 120_000);

afterAll(async () => {
  await fx?.stop();
});

function makeFile(name: string, size: number): string {
  const file = path.join(work, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, randomBytes(size));
  return file;
}

describe('AWS CLI v2', () => {
  it('mb, cp up and down, ls, rm', async () => {
    await aws('s3', 'mb', 's3://aws-cli');
    for (const size of [0, 1, 4096, 1 << 20, 5 * (1 << 20) + 3]) {
      const src = makeFile(`aws/in-${size}`, size);
      await aws('s3', 'cp', src, `s3://aws-cli/obj-${size}`);
      const back = path.join(work, `aws/out-${size}`);
      await aws('s3', 'cp', `s3://aws-cli/obj-${size}`, back);
      expect(sha256File(back)).toBe(sha256File(src));
    }
    const listing = await aws('s3', 'ls', 's3://aws-cli/');
    expect(listing).toContain('obj-4096');
    expect(listing).toContain('obj-0');
    await aws('s3', 'rm', 's3://aws-cli/obj-1');
    expect(await aws('s3', 'ls', 's3://aws-cli/')).not.toMatch(/obj-1\n/);
  });

  it('sync a tree up and back', async () => {
    await aws('s3', 'mb', 's3://aws-sync');
    const tree = path.join(work, 'sync-src');
    for (let i = 0; i < 12; i++) makeFile(`sync-src/d${i % 3}/f${i}.bin`, 1000 * i + 7);
    await aws('s3', 'sync', tree, 's3://aws-sync/tree/');
    const out = path.join(work, 'sync-out');
    await aws('s3', 'sync', 's3://aws-sync/tree/', out);
    for (let i = 0; i < 12; i++) {
      const rel = `d${i % 3}/f${i}.bin`;
      expect(sha256File(path.join(out, rel))).toBe(sha256File(path.join(tree, rel)));
    }
    // A second sync has nothing to do.
    expect((await aws('s3', 'sync', tree, 's3://aws-sync/tree/')).trim()).toBe('');
    await aws('s3', 'rm', '--recursive', 's3://aws-sync/tree/');
    expect((await aws('s3', 'ls', '--recursive', 's3://aws-sync/')).trim()).toBe('');
  });

  it('s3api put/head/get/list/copy/delete', async () => {
    await aws('s3api', 'create-bucket', '--bucket', 'aws-api');
    const src = makeFile('api/body', 70_000);
    await aws('s3api', 'put-object', '--bucket', 'aws-api', '--key', 'dir/k 1', '--body', src, '--content-type', 'text/plain', '--metadata', 'color=blue');
    const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', 'aws-api', '--key', 'dir/k 1'));
    expect(head.ContentLength).toBe(70_000);
    expect(head.ContentType).toBe('text/plain');
    expect(head.Metadata).toEqual({ color: 'blue' });
    const out = path.join(work, 'api/out');
    await aws('s3api', 'get-object', '--bucket', 'aws-api', '--key', 'dir/k 1', out);
    expect(sha256File(out)).toBe(sha256File(src));
    await aws('s3api', 'get-object', '--bucket', 'aws-api', '--key', 'dir/k 1', '--range', 'bytes=100-199', `${out}.range`);
    expect(readFileSync(`${out}.range`)).toEqual(readFileSync(src).subarray(100, 200));
    await aws('s3api', 'copy-object', '--bucket', 'aws-api', '--key', 'copy', '--copy-source', 'aws-api/dir/k 1');
    const list = JSON.parse(await aws('s3api', 'list-objects-v2', '--bucket', 'aws-api', '--delimiter', '/'));
    expect(list.Contents.map((c: { Key: string }) => c.Key)).toEqual(['copy']);
    expect(list.CommonPrefixes).toEqual([{ Prefix: 'dir/' }]);
    await aws('s3api', 'delete-object', '--bucket', 'aws-api', '--key', 'copy');
    await expect(aws('s3api', 'head-object', '--bucket', 'aws-api', '--key', 'copy')).rejects.toThrow(/404|Not Found/);
  });
});

describe('s3cmd', () => {
  it('mb, put, get, ls, del', async () => {
    await sh(S3CMD, ['mb', 's3://s3cmd-bucket']);
    const src = makeFile('s3cmd/in', 300_000);
    await sh(S3CMD, ['put', src, 's3://s3cmd-bucket/some/key.bin']);
    const back = path.join(work, 's3cmd/out');
    await sh(S3CMD, ['get', '--force', 's3://s3cmd-bucket/some/key.bin', back]);
    expect(sha256File(back)).toBe(sha256File(src));
    expect(await sh(S3CMD, ['ls', 's3://s3cmd-bucket/some/'])).toContain('s3://s3cmd-bucket/some/key.bin');
    await sh(S3CMD, ['del', 's3://s3cmd-bucket/some/key.bin']);
    expect(await sh(S3CMD, ['ls', 's3://s3cmd-bucket/some/'])).not.toContain('key.bin');
  });
});

describe('rclone', () => {
  it('copy and check a tree', async () => {
    await sh(RCLONE, ['mkdir', 'strata:rclone-bucket']);
    const tree = path.join(work, 'rclone-src');
    for (let i = 0; i < 8; i++) makeFile(`rclone-src/sub${i % 2}/file${i}`, 3000 * i + 1);
    makeFile('rclone-src/large.bin', 12 * (1 << 20));
    await sh(RCLONE, ['copy', tree, 'strata:rclone-bucket/tree']);
    await sh(RCLONE, ['check', tree, 'strata:rclone-bucket/tree']);
    const out = path.join(work, 'rclone-out');
    await sh(RCLONE, ['copy', 'strata:rclone-bucket/tree', out]);
    expect(sha256File(path.join(out, 'large.bin'))).toBe(sha256File(path.join(tree, 'large.bin')));
    expect(sha256File(path.join(out, 'sub1/file7'))).toBe(sha256File(path.join(tree, 'sub1/file7')));
  });
});
