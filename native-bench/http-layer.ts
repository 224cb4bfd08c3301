// HTTP-layer cost per request, single thread: SigV4 verification (cached signing key), signing (the
// bench client's side), routing, error XML, DeleteObjects XML parsing, and signed aws-chunked decoding.
import { Bench } from 'tinybench';
import { AwsChunkedDecoder } from '../src/auth/chunked.js';
import { IdentityStore } from '../src/auth/identities.js';
import { encodeAwsChunked, signRequest, signRequestDetailed } from '../src/auth/sign-request.js';
import { STREAMING_SIGNED_PAYLOAD, UNSIGNED_PAYLOAD } from '../src/auth/sigv4.js';
import { authenticate, type AuthRequest } from '../src/auth/verify.js';
import { S3Error, renderErrorXml } from '../src/s3/errors.js';
import { matchRoute } from '../src/s3/router.js';
import { parseXml } from '../src/s3/xml.js';
import { BENCH_SECONDS, MiB, fmt, isMain } from './common.js';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const REGION = 'us-east-1';

export interface HttpLayerRow {
  name: string;
  usPerOp: number;
  note?: string;
}

export async function runHttpLayerBench(seconds = BENCH_SECONDS): Promise<HttpLayerRow[]> {
  const identities = IdentityStore.fromConfig({ accessKeyId: AKID, secretAccessKey: SECRET });
  const headers = { 'content-type': 'application/octet-stream', 'content-length': '4096', 'x-amz-meta-run': 'bench' };
  const signInput = { method: 'PUT', host: '127.0.0.1:9000', path: '/bench/obj-000001', headers, payloadHash: UNSIGNED_PAYLOAD, accessKeyId: AKID, secretAccessKey: SECRET, region: REGION };
  const signed = signRequest(signInput);
  const req: AuthRequest = { method: 'PUT', rawPath: '/bench/obj-000001', rawQuery: '', headers: { ...headers, ...signed, 'user-agent': 'strata-bench' } };
  const now = Date.now();
  const query = new Map<string, string>([['partNumber', '3'], ['uploadId', 'abc']]);
  const routeHeaders: Record<string, string> = { ...headers, ...signed };
  const deleteXml = `<Delete><Quiet>true</Quiet>${Array.from({ length: 1000 }, (_, i) => `<Object><Key>photos/2026/11/img-${i}.jpg</Key></Object>`).join('')}</Delete>`;

  const d = signRequestDetailed({ method: 'PUT', host: 'h', path: '/b/k', payloadHash: STREAMING_SIGNED_PAYLOAD, accessKeyId: AKID, secretAccessKey: SECRET, region: REGION });
  const signing = { seedSignature: d.signature, signingKey: d.signingKey, scope: d.scope, amzDate: d.amzDate };
  const chunked = encodeAwsChunked(Buffer.alloc(MiB, 3), { signing, chunkSizeBytes: 65536 });

  const bench = new Bench({ time: seconds * 1000 });
  bench
    .add('SigV4 verify (header, cached key)', () => {
      authenticate(req, identities, { region: REGION, nowMs: now });
    })
    .add('SigV4 sign (bench client)', () => {
      signRequest(signInput);
    })
    .add('route UploadPart', () => {
      matchRoute('PUT', 'object', query, routeHeaders);
    })
    .add('error XML (NoSuchKey)', () => {
      renderErrorXml(new S3Error('NoSuchKey'), '/bench/obj-000001', 'req-0001');
    })
    .add('DeleteObjects XML parse, 1000 keys', () => {
      parseXml(deleteXml);
    })
    .add('signed aws-chunked decode, 1 MiB', () => {
      const dec = new AwsChunkedDecoder({ signing, expectTrailer: false, onData: () => {} });
      for (let off = 0; off < chunked.length; off += 65536) dec.push(chunked.subarray(off, off + 65536));
      dec.end();
    });
  await bench.run();
  return bench.tasks.map((t) => {
    const us = (t.result as { latency?: { p50?: number } } | undefined)?.latency?.p50 ?? NaN;
    return { name: t.name, usPerOp: us * 1000 };
  });
}

export function printHttpLayerRows(rows: HttpLayerRow[]): void {
  console.log('\n| HTTP layer, per request | µs (median) |\n|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.usPerOp, 1)} |`);
}

if (isMain(import.meta.url)) printHttpLayerRows(await runHttpLayerBench());
