// Integration: the real CLI path (`strata bench run|compare`) against a throwaway s3rver child process.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBenchCli, type CliIo } from '../../src/bench/cli.js';
import type { CompareResult } from '../../src/bench/compare.js';
import { startS3rverPeer, type Peer } from '../../src/bench/peers.js';
import type { BenchResult } from '../../src/bench/runner.js';
import { checkResult } from './helpers.js';

let peer: Peer;
let dir: string;

function io(): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (s) => lines.push(s), err: (s) => lines.push(s), isTty: false, env: {} };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bench-test-'));
  peer = await startS3rverPeer();
});

afterAll(async () => {
  await peer?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const common = () => ['--endpoint', peer.target.endpoint, '--access-key', 'S3RVER', '--secret-key', 'S3RVER', '--warmup', '0', '--concurrency', '8', '--quiet'];

describe('strata bench run against s3rver', () => {
  for (const [op, extra, ops] of [
    ['put', ['--size', '4KiB', '--duration', '2s'], ['put']],
    ['get', ['--size', '64KiB', '--duration', '2s', '--objects', '50'], ['get']],
    ['mixed', ['--size', '1KiB..64KiB:log', '--duration', '2s', '--objects', '100', '--payload-hash', 'sha256'], ['get', 'put', 'delete', 'head']],
  ] as const) {
    it(`${op}: non-zero ops, no errors, ordered percentiles, JSON written`, async () => {
      const json = path.join(dir, `${op}.json`);
      const c = io();
      const code = await runBenchCli(['run', op, ...common(), ...extra, '--json', json], c);
      expect(code, c.lines.join('\n')).toBe(0);
      const r = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
      checkResult(r, [...ops]);
      expect(r.elapsedMs).toBeLessThan(2000 + 15_000); // the phase ends at 2 s; in-flight requests finish after
      expect(r.cleanup.skipped).toBe(false);
      expect(r.cleanup.bucketDeleted).toBe(true);
      if (op === 'get') {
        expect(r.ops['get']!.ttfbMs!.p50).toBeLessThanOrEqual(r.ops['get']!.latencyMs.p50);
        expect(r.ops['get']!.bytes).toBe(r.ops['get']!.ops * 64 * 1024);
      }
      expect(c.lines.join('\n')).toMatch(/p99\.9 ms/);
    });
  }

  it('multipart and --ops bound the run by count', async () => {
    const json = path.join(dir, 'mp.json');
    const c = io();
    const code = await runBenchCli(['run', 'multipart', ...common(), '--ops', '4', '--parts', '2', '--part-size', '256KiB', '--json', json], c);
    expect(code, c.lines.join('\n')).toBe(0);
    const r = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
    expect(r.ops['multipart']!.ops).toBe(4);
    expect(r.ops['multipart']!.bytes).toBe(4 * 2 * 256 * 1024);
    expect(r.stoppedBy).toBe('ops');
  });

  it('reports the S3 error code from the error body (unknown key id → InvalidAccessKeyId)', async () => {
    // s3rver does not verify SigV4 signatures, only the access key id; the Strata test checks signatures.
    const c = io();
    const code = await runBenchCli(['run', 'put', '--endpoint', peer.target.endpoint, '--access-key', 'NOPE', '--secret-key', 'x', '--ops', '3', '--quiet'], c);
    expect(code).toBe(1);
    expect(c.lines.join('\n')).toMatch(/InvalidAccessKeyId/);
  });
});

describe('strata bench compare', () => {
  it('interleaves an explicit target and a throwaway s3rver, with medians and ratios', async () => {
    const json = path.join(dir, 'cmp.json');
    const c = io();
    const code = await runBenchCli(
      ['compare', 'put', '--target', `peer=${peer.target.endpoint},S3RVER,S3RVER`, '--target', 's3rver', '--rounds', '2', '--duration', '1s', '--warmup', '0', '--concurrency', '4', '--json', json, '--quiet'],
      c,
    );
    expect(code, c.lines.join('\n')).toBe(0);
    const r = JSON.parse(readFileSync(json, 'utf8')) as CompareResult;
    expect(r.runs).toHaveLength(2);
    expect(r.runs[0]!.map((x) => x.target.name)).toEqual(['peer', 's3rver']);
    expect(r.targets[1]!.kind).toBe('s3rver');
    expect(r.summary['s3rver']!['put']!.opsPerSec.median).toBeGreaterThan(0);
    const q = r.ratios['s3rver']!['put']!.opsPerSec;
    expect(q.min).toBeLessThanOrEqual(q.median);
    expect(q.median).toBeLessThanOrEqual(q.max);
    expect(c.lines.join('\n')).toMatch(/s3rver \/ peer/);
  });
});
