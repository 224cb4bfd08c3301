// Multipart interop with real clients from Debian against a real node process: the AWS CLI (multipart
// upload above its 8 MiB threshold, parallel ranged download) and rclone (multipart with a lowered
// upload cutoff). Every round trip is compared byte for byte.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS, RCLONE, sha256File, startInteropNode, type InteropFixture } from './fixture.js';

const MiB = 1024 * 1024;

let fx: InteropFixture;
let work: string;
const sh = (cmd: string, args: string[]) => fx.sh(cmd, args);
const aws = (...args: string[]) => fx.aws(...args);

function randomFile(name: string, sizeBytes: number): string {
  const file = path.join(work, name);
  writeFileSync(file, randomBytes(sizeBytes));
  return file;
}

beforeAll(async () => {
  fx = await startInteropNode('interop-mpu', [AWS, RCLONE]);
  work = fx.work;
  await aws('s3api', 'create-bucket', '--bucket', 'interop-mpu');
}, 120_000);

afterAll(async () => {
  await fx?.stop();
});

describe('multipart interop', () => {
  it('aws s3 cp: 64 MiB up (multipart, 8 MiB parts) and down (parallel ranged GETs), byte-identical', async () => {
    const src = randomFile('aws-64m.bin', 64 * MiB);
    await aws('s3', 'cp', src, 's3://interop-mpu/aws/64m.bin');
    const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', 'interop-mpu', '--key', 'aws/64m.bin')) as { ETag: string; ContentLength: number };
    expect(head.ContentLength).toBe(64 * MiB);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-8"$/);
    const part = JSON.parse(await aws('s3api', 'head-object', '--bucket', 'interop-mpu', '--key', 'aws/64m.bin', '--part-number', '2')) as { ContentLength: number; PartsCount: number };
    expect(part.ContentLength).toBe(8 * MiB);
    expect(part.PartsCount).toBe(8);
    const dst = path.join(work, 'aws-64m.back');
    await aws('s3', 'cp', 's3://interop-mpu/aws/64m.bin', dst);
    expect(sha256File(dst)).toBe(sha256File(src));
    const open = JSON.parse((await aws('s3api', 'list-multipart-uploads', '--bucket', 'interop-mpu')) || '{}') as { Uploads?: unknown[] };
    expect(open.Uploads ?? []).toEqual([]);
  });

  it('aws s3api: create, upload-part, list-parts, complete by hand', async () => {
    const a = randomFile('p1.bin', 5 * MiB);
    const b = randomFile('p2.bin', 1234);
    const { UploadId } = JSON.parse(await aws('s3api', 'create-multipart-upload', '--bucket', 'interop-mpu', '--key', 'api/obj')) as { UploadId: string };
    const e1 = JSON.parse(await aws('s3api', 'upload-part', '--bucket', 'interop-mpu', '--key', 'api/obj', '--upload-id', UploadId, '--part-number', '1', '--body', a)) as { ETag: string };
    const e2 = JSON.parse(await aws('s3api', 'upload-part', '--bucket', 'interop-mpu', '--key', 'api/obj', '--upload-id', UploadId, '--part-number', '2', '--body', b)) as { ETag: string };
    const parts = JSON.parse(await aws('s3api', 'list-parts', '--bucket', 'interop-mpu', '--key', 'api/obj', '--upload-id', UploadId)) as { Parts: { PartNumber: number; ETag: string }[] };
    expect(parts.Parts.map((p) => p.ETag)).toEqual([e1.ETag, e2.ETag]);
    const spec = path.join(work, 'complete.json');
    writeFileSync(spec, JSON.stringify({ Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] }));
    await aws('s3api', 'complete-multipart-upload', '--bucket', 'interop-mpu', '--key', 'api/obj', '--upload-id', UploadId, '--multipart-upload', `file://${spec}`);
    const dst = path.join(work, 'api.back');
    await aws('s3api', 'get-object', '--bucket', 'interop-mpu', '--key', 'api/obj', dst);
    expect(readFileSync(dst).equals(Buffer.concat([readFileSync(a), readFileSync(b)]))).toBe(true);
  });

  it('rclone copy: a 48 MiB file as multipart (upload cutoff and chunk size 8 MiB), up and down', async () => {
    const dir = path.join(work, 'rclone-src');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'big.bin'), randomBytes(48 * MiB + 17));
    await sh(RCLONE, ['copy', '--s3-upload-cutoff', '8M', '--s3-chunk-size', '8M', '--s3-upload-concurrency', '4', dir, 'strata:interop-mpu/rclone']);
    const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', 'interop-mpu', '--key', 'rclone/big.bin')) as { ETag: string };
    expect(head.ETag).toMatch(/-7"$/);
    const back = path.join(work, 'rclone-back');
    await sh(RCLONE, ['copy', '--multi-thread-streams', '4', '--multi-thread-cutoff', '8M', 'strata:interop-mpu/rclone', back]);
    expect(sha256File(path.join(back, 'big.bin'))).toBe(sha256File(path.join(dir, 'big.bin')));
    await sh(RCLONE, ['check', '--download', dir, 'strata:interop-mpu/rclone']);
  });
});
