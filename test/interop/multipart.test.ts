// Multipart interop with real clients from Debian against a real node process: the AWS CLI (multipart
// upload above its 8 MiB threshold, parallel ranged download) and rclone (multipart with a lowered
// upload cutoff). Every round trip is compared byte for byte.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrataNode, type Peer } from '../../src/bench/peers.js';

const run = promisify(execFile);
const AWS = '/usr/bin/aws';
const RCLONE = '/usr/bin/rclone';
const MiB = 1024 * 1024;

let node: Peer;
let work: string;
let env: NodeJS.ProcessEnv;
let endpoint: string;

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { env, maxBuffer: 64 << 20, timeout: 240_000 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}\nnode output:\n${node.output().slice(-2000)}`);
  }
}
const aws = (...args: string[]) => sh(AWS, ['--endpoint-url', endpoint, ...args]);

function randomFile(name: string, sizeBytes: number): string {
  const file = path.join(work, name);
  writeFileSync(file, randomBytes(sizeBytes));
  return file;
}

beforeAll(async () => {
  for (const bin of [AWS, RCLONE]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: apt-get install -y awscli rclone (.ci/run does)`);
  }
  node = await startStrataNode({ name: 'interop-multipart' });
  endpoint = node.target.endpoint;
  work = mkdtempSync(path.join(os.tmpdir(), 'strata-interop-mpu-'));
  const home = path.join(work, 'home');
  mkdirSync(home);
  const { accessKeyId, secretAccessKey } = node.target.credentials;
  env = {
    PATH: process.env['PATH'],
    HOME: home,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    RCLONE_CONFIG_STRATA_TYPE: 's3',
    RCLONE_CONFIG_STRATA_PROVIDER: 'Other',
    RCLONE_CONFIG_STRATA_ACCESS_KEY_ID: accessKeyId,
    RCLONE_CONFIG_STRATA_SECRET_ACCESS_KEY: secretAccessKey,
    RCLONE_CONFIG_STRATA_ENDPOINT: endpoint,
    RCLONE_CONFIG_STRATA_REGION: 'us-east-1',
    RCLONE_CONFIG_STRATA_FORCE_PATH_STYLE: 'true',
  };
  await aws('s3api', 'create-bucket', '--bucket', 'interop-mpu');
}, 120_000);

afterAll(async () => {
  await node?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
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
