// kill -9 mid-upload: every acknowledged part survives, the upload completes after restart.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { signRequest } from '../../src/auth/sign-request.js';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY } from '../../src/config.js';
import { freePort, readBackRanged, sdkClient, spawnNode, waitListening, type NodeProcess } from './node-process.js';

const MiB = 1024 * 1024;
const nodes: NodeProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) {
    if (n.child.exitCode === null && n.child.signalCode === null) {
      n.child.kill('SIGKILL');
      await n.exited;
    }
  }
  for (const d of dirs.splice(0)) await fsp.rm(d, { recursive: true, force: true });
});

/** Starts an UploadPart whose body trickles in; resolves once `sentBytes` are on the wire (the request stays open). */
function trickleUploadPart(endpoint: string, bucket: string, key: string, uploadId: string, partNumber: number, sizeBytes: number, sentBytes: number): Promise<void> {
  const url = new URL(endpoint);
  const p = `/${bucket}/${key}`;
  const query: [string, string][] = [
    ['partNumber', String(partNumber)],
    ['uploadId', uploadId],
  ];
  const headers = signRequest({
    method: 'PUT',
    host: url.host,
    path: p,
    query,
    payloadHash: 'UNSIGNED-PAYLOAD',
    accessKeyId: DEFAULT_ACCESS_KEY_ID,
    secretAccessKey: DEFAULT_SECRET_ACCESS_KEY,
    region: 'us-east-1',
  });
  return new Promise((resolve) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method: 'PUT',
      path: `${p}?partNumber=${partNumber}&uploadId=${uploadId}`,
      headers: { ...headers, 'content-length': String(sizeBytes) },
    });
    req.on('error', () => undefined); // the server is about to die
    req.write(randomBytes(sentBytes), () => resolve());
  });
}

describe('multipart across kill -9', () => {
  it('acknowledged parts survive kill -9 mid-upload; the upload completes and reads back after restart', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-mpu-crash-'));
    dirs.push(dir);
    const port = await freePort();
    let node = spawnNode(dir, port);
    nodes.push(node);
    await waitListening(port, node);
    let s3 = sdkClient(node.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'crashtest' }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'crashtest', Key: 'big', ContentType: 'application/x-test' }));
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB + 123), randomBytes(5 * MiB), randomBytes(777)];
    const etags: string[] = [];
    // Parts 1..3 acknowledged (in parallel), part 4 in flight when the process dies.
    const acked = await Promise.all(
      [0, 1, 2].map((i) => s3.send(new UploadPartCommand({ Bucket: 'crashtest', Key: 'big', UploadId, PartNumber: i + 1, Body: parts[i] }))),
    );
    acked.forEach((r, i) => (etags[i] = r.ETag!));
    await trickleUploadPart(node.endpoint, 'crashtest', 'big', UploadId!, 4, 4 * MiB, 1 * MiB);
    await new Promise((r) => setTimeout(r, 100));
    node.child.kill('SIGKILL');
    await node.exited;
    s3.destroy();

    node = spawnNode(dir, port);
    nodes.push(node);
    await waitListening(port, node);
    s3 = sdkClient(node.endpoint);
    const listed = await s3.send(new ListPartsCommand({ Bucket: 'crashtest', Key: 'big', UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([
      [1, etags[0], parts[0]!.length],
      [2, etags[1], parts[1]!.length],
      [3, etags[2], parts[2]!.length],
    ]);
    const p4 = await s3.send(new UploadPartCommand({ Bucket: 'crashtest', Key: 'big', UploadId, PartNumber: 4, Body: parts[3] }));
    etags[3] = p4.ETag!;
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'crashtest',
        Key: 'big',
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'crashtest', Key: 'big', Range: 'bytes=0-0' }));
    await got.Body!.transformToByteArray();
    expect(got.ContentType).toBe('application/x-test');
    const bytes = await readBackRanged(s3, 'crashtest', 'big', Buffer.concat(parts).length);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(Buffer.concat(parts)).digest('hex'));
    s3.destroy();
  });

  it('kill -9 while parts stream in parallel and while Complete runs: acknowledged parts and the completion are all-or-nothing', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-mpu-crash-'));
    dirs.push(dir);
    const port = await freePort();
    let node = spawnNode(dir, port);
    nodes.push(node);
    await waitListening(port, node);
    let s3 = sdkClient(node.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'crashtest' }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'crashtest', Key: 'par' }));
    const parts = Array.from({ length: 8 }, (_, i) => randomBytes(5 * MiB + i));
    const acked = new Map<number, string>();
    let killed = false;
    const kill = async () => {
      if (killed) return;
      killed = true;
      node.child.kill('SIGKILL');
      await node.exited;
    };
    await Promise.all(
      parts.map(async (Body, i) => {
        try {
          const r = await s3.send(new UploadPartCommand({ Bucket: 'crashtest', Key: 'par', UploadId, PartNumber: i + 1, Body }));
          if (!killed) acked.set(i + 1, r.ETag!);
          if (acked.size >= 3) await kill();
        } catch {
          // the node died under this request
        }
      }),
    );
    await kill();
    s3.destroy();
    expect(acked.size).toBeGreaterThanOrEqual(3);

    node = spawnNode(dir, port);
    nodes.push(node);
    await waitListening(port, node);
    s3 = sdkClient(node.endpoint);
    const listed = await s3.send(new ListPartsCommand({ Bucket: 'crashtest', Key: 'par', UploadId }));
    const listedMap = new Map((listed.Parts ?? []).map((p) => [p.PartNumber!, p.ETag!]));
    for (const [n, etag] of acked) expect(listedMap.get(n)).toBe(etag);
    // a part that made it without an acknowledgement is whole, never torn
    for (const [n, etag] of listedMap) expect(etag).toBe(`"${createHash('md5').update(parts[n - 1]!).digest('hex')}"`);
    // re-send what is missing, then kill -9 while Complete runs
    for (let n = 1; n <= parts.length; n++) {
      if (!listedMap.has(n)) {
        const r = await s3.send(new UploadPartCommand({ Bucket: 'crashtest', Key: 'par', UploadId, PartNumber: n, Body: parts[n - 1] }));
        listedMap.set(n, r.ETag!);
      }
    }
    const Parts = [...listedMap.entries()].sort((a, b) => a[0] - b[0]).map(([PartNumber, ETag]) => ({ PartNumber, ETag }));
    const completing = s3.send(new CompleteMultipartUploadCommand({ Bucket: 'crashtest', Key: 'par', UploadId, MultipartUpload: { Parts } })).catch(() => undefined);
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
    node.child.kill('SIGKILL');
    await node.exited;
    await completing;
    s3.destroy();

    node = spawnNode(dir, port);
    nodes.push(node);
    await waitListening(port, node);
    s3 = sdkClient(node.endpoint);
    const whole = Buffer.concat(parts);
    let objectThere = true;
    try {
      const probe = await s3.send(new GetObjectCommand({ Bucket: 'crashtest', Key: 'par', Range: 'bytes=0-0' }));
      await probe.Body!.transformToByteArray();
    } catch {
      objectThere = false;
    }
    if (!objectThere) {
      // not committed: the upload is open with every part
      const l = await s3.send(new ListPartsCommand({ Bucket: 'crashtest', Key: 'par', UploadId }));
      expect(l.Parts?.length).toBe(parts.length);
    }
    // either way a (re)tried Complete succeeds with the same answer
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'crashtest', Key: 'par', UploadId, MultipartUpload: { Parts } }));
    expect(done.ETag).toMatch(/-8"$/);
    const bytes = await readBackRanged(s3, 'crashtest', 'par', whole.length);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(whole).digest('hex'));
    s3.destroy();
  });
});
