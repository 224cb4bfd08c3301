import { describe, expect, it } from 'vitest';
import { RUN_FLAGS } from '../../src/bench/cli.js';
import { UsageError, isLoopbackHost, parseArgs, parseTargetSpec, targetFromArgs, workloadFromArgs } from '../../src/bench/args.js';
import { COMPARE_FLAGS, summarizeCompare } from '../../src/bench/compare.js';
import { GRID_KEYS, SERVER_FLAGS, gridCellCount, gridCells, parseGrid, parseTuneWorkloads, pickBest, type TuneResult } from '../../src/bench/tune.js';
import { runBenchCli } from '../../src/bench/cli.js';
import type { BenchResult } from '../../src/bench/runner.js';

const run = (argv: string[]) => parseArgs(argv, RUN_FLAGS);

describe('parseArgs', () => {
  it('reads --flag value, --flag=value, booleans and positionals', () => {
    const a = run(['get', '--size', '1MiB', '--concurrency=8', '--keep', '--path-style=false']);
    expect(a.positionals).toEqual(['get']);
    expect(a.values.get('size')).toBe('1MiB');
    expect(a.values.get('concurrency')).toBe('8');
    expect(a.values.get('keep')).toBe(true);
    expect(a.values.get('path-style')).toBe(false);
  });
  it('refuses unknown flags, missing values and repeats', () => {
    expect(() => run(['--sise', '4KiB'])).toThrow(UsageError);
    expect(() => run(['--size'])).toThrow(/needs a value/);
    expect(() => run(['--size', '1', '--size', '2'])).toThrow(/twice/);
    expect(() => run(['--keep=yes'])).toThrow();
  });
  it('collects repeatable flags', () => {
    const a = parseArgs(['--target', 'a=http://127.0.0.1:1,k,s', '--target=s3rver'], COMPARE_FLAGS);
    expect(a.values.get('target')).toEqual(['a=http://127.0.0.1:1,k,s', 's3rver']);
  });
});

describe('workloadFromArgs', () => {
  it('has warp-like defaults and a bounded run', () => {
    const w = workloadFromArgs(run([]));
    expect(w.op).toBe('put');
    expect(w.size).toEqual({ kind: 'fixed', bytes: 4096 });
    expect(w.concurrency).toBe(16);
    expect(w.durationMs).toBe(10_000);
    expect(w.ops).toBeUndefined();
    expect(w.warmupMs).toBe(2000);
    expect(w.mix.map((e) => e.op)).toEqual(['get', 'put', 'delete', 'head']);
    expect(w.payloadHash).toBe('unsigned');
    expect(w.maxDurationMs).toBeGreaterThan(0);
    expect(w.maxOps).toBeGreaterThan(0);
  });
  it('--ops alone drops the default duration but keeps the hard cap', () => {
    const w = workloadFromArgs(run(['--ops', '500']));
    expect(w.ops).toBe(500);
    expect(w.durationMs).toBeUndefined();
    expect(w.maxDurationMs).toBe(600_000);
  });
  it('reads every workload flag', () => {
    const w = workloadFromArgs(
      run(['mixed', '--size', '1KiB..16MiB:log', '--duration', '3s', '--ops', '100', '--warmup', '0', '--mix', 'get=1,put=1', '--seed', '42', '--payload-hash', 'sha256', '--parts', '2', '--part-size', '5MiB']),
      'mixed',
    );
    expect(w.op).toBe('mixed');
    expect(w.size.kind).toBe('log');
    expect(w.durationMs).toBe(3000);
    expect(w.ops).toBe(100);
    expect(w.warmupMs).toBe(0);
    expect(w.seed).toBe(42);
    expect(w.payloadHash).toBe('sha256');
    expect(w.partSizeBytes).toBe(5 * 1024 * 1024);
  });
  it('rejects bad values with the flag name', () => {
    expect(() => workloadFromArgs(run(['--size', 'big']))).toThrow(/--size/);
    expect(() => workloadFromArgs(run(['--concurrency', '0']))).toThrow(/--concurrency/);
    expect(() => workloadFromArgs(run(['--payload-hash', 'md5']))).toThrow(/payload-hash/);
    expect(() => workloadFromArgs(run([]), 'copy')).toThrow(/unknown operation/);
    expect(() => workloadFromArgs(run(['--duration', '1h', '--max-duration', '1m']))).toThrow(/max-duration/);
  });
});

describe('targetFromArgs', () => {
  const creds = ['--access-key', 'k', '--secret-key', 's'];
  it('defaults to the loopback endpoint, path-style', () => {
    const t = targetFromArgs(run(creds), {});
    expect(t.endpoint).toBe('http://127.0.0.1:9000');
    expect(t.pathStyle).toBe(true);
    expect(t.credentials).toEqual({ accessKeyId: 'k', secretAccessKey: 's' });
  });
  it('refuses a non-loopback endpoint that did not come from --endpoint', () => {
    expect(() => targetFromArgs(run(creds), { STRATA_BENCH_ENDPOINT: 'http://10.0.0.5:9000' })).toThrow(/non-loopback/);
    expect(targetFromArgs(run(creds), { STRATA_BENCH_ENDPOINT: 'http://127.0.0.1:9100' }).endpoint).toBe('http://127.0.0.1:9100');
    const explicit = targetFromArgs(run([...creds, '--endpoint', 'https://s3.example.com']), {});
    expect(explicit.endpoint).toBe('https://s3.example.com');
    expect(explicit.pathStyle).toBe(false);
  });
  it('takes credentials from the environment, or refuses without any', () => {
    expect(targetFromArgs(run([]), { STRATA_ACCESS_KEY: 'a', STRATA_SECRET_KEY: 'b' }).credentials).toEqual({ accessKeyId: 'a', secretAccessKey: 'b' });
    // loopback with nothing configured: Strata's documented default credentials, like `strata server`
    expect(targetFromArgs(run([]), {}).credentials).toEqual({ accessKeyId: 'strata-admin', secretAccessKey: 'strata-secret-key' });
    expect(() => targetFromArgs(run(['--endpoint', 'http://10.1.2.3:9000']), {})).toThrow(/no credentials/);
    expect(() => targetFromArgs(run(['--access-key', 'k']), {})).toThrow(/no credentials/);
    expect(targetFromArgs(run(['--anonymous']), {}).credentials).toBeUndefined();
  });
  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]', '::1']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['10.0.0.1', '0.0.0.0', 'example.com', '128.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
  });
  it('parses compare target specs', () => {
    expect(parseTargetSpec('a=http://127.0.0.1:9000,K,S', 'us-east-1')).toMatchObject({ name: 'a', endpoint: 'http://127.0.0.1:9000', credentials: { accessKeyId: 'K', secretAccessKey: 'S' } });
    expect(parseTargetSpec('s3rver', 'r')).toEqual({ builtin: 's3rver', name: 's3rver' });
    expect(parseTargetSpec('base=strata', 'r')).toEqual({ builtin: 'strata', name: 'base' });
    expect(() => parseTargetSpec('minio', 'r')).toThrow(UsageError);
    expect(() => parseTargetSpec('a=notaurl,K,S', 'r')).toThrow(UsageError);
  });
});

describe('tune grid', () => {
  it('maps grid keys to the server flags and builds the cartesian product', () => {
    const axes = parseGrid('workers=1,2;block=256KiB,1MiB;ec=4+2,2+1;commit-window=1ms,4ms');
    expect(gridCellCount(axes)).toBe(16);
    const cells = gridCells(axes);
    expect(cells).toHaveLength(16);
    expect(new Set(cells.map((c) => c.id)).size).toBe(16);
    expect(cells[0]!.flags).toEqual(['--worker-threads', '1', '--block-size-bytes', '262144', '--ec', '4+2', '--commit-window-ms', '1']);
    expect(cells[15]!.params).toEqual({ workers: '2', block: '1MiB', ec: '2+1', 'commit-window': '4ms' });
  });
  it('every grid key maps to a flag strata server accepts', () => {
    for (const [key, k] of Object.entries(GRID_KEYS)) expect(SERVER_FLAGS.has(k.flag), `${key} → ${k.flag}`).toBe(true);
  });
  it('passes other server flags through and rejects typos, reserved flags and bad values', () => {
    expect(gridCells(parseGrid('max-in-flight-requests=64'))[0]!.flags).toEqual(['--max-in-flight-requests', '64']);
    expect(() => parseGrid('wokers=1,2')).toThrow(/neither a grid key/);
    expect(() => parseGrid('port=1,2')).toThrow(/set by the harness/);
    expect(() => parseGrid('ec=4-2')).toThrow(UsageError);
    expect(() => parseGrid('workers=1;workers=2')).toThrow(/twice/);
    expect(() => parseGrid('')).toThrow();
  });
  it('parses workloads with distributions', () => {
    expect(parseTuneWorkloads('put:4KiB,get:1MiB,mixed:1KiB..1MiB:log').map((w) => w.name)).toEqual(['put:4KiB', 'get:1MiB', 'mixed:1KiB..1MiB:log']);
    expect(() => parseTuneWorkloads('copy:4KiB')).toThrow(UsageError);
  });
  it('refuses grids over --max-cells before starting anything', async () => {
    const err: string[] = [];
    const code = await runBenchCli(['tune', '--workload', 'put:4KiB', '--grid', 'workers=1,2,3;ec=4+2,2+1,3+1', '--max-cells', '8'], {
      out: () => {},
      err: (s) => err.push(s),
      isTty: false,
      env: {},
    });
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/9 cells, over --max-cells 8/);
  });
  it('picks the best error-free cell and the runner-up', () => {
    const r = (opsPerSec: number, errors = 0) => ({ opsPerSec, mibPerSec: 0, p50Ms: 1, p99Ms: 2, errors, clientBound: false });
    const cells: TuneResult['cells'] = [
      { id: 'a', params: {}, flags: [], results: { w: r(100) } },
      { id: 'b', params: {}, flags: [], results: { w: r(300, 1) } },
      { id: 'c', params: {}, flags: [], results: { w: r(200) } },
    ];
    const best = pickBest([{ name: 'w', op: 'put', size: '4KiB' }], cells);
    expect(best['w']!.best!.cell).toBe('c');
    expect(best['w']!.runnerUp!.cell).toBe('a');
  });
});

describe('compare summary', () => {
  const fake = (opsPerSec: number, p99: number): BenchResult =>
    ({
      ops: { put: { opsPerSec, mibPerSec: opsPerSec / 256, errors: 0, latencyMs: { p50: p99 / 2, p99 } } },
      total: { errors: 0 },
      client: { likelyClientBound: false },
    }) as unknown as BenchResult;
  it('takes medians per target and ratios within each round', () => {
    const runs = [
      [fake(100, 10), fake(200, 5)],
      [fake(110, 12), fake(165, 6)],
      [fake(90, 8), fake(270, 4)],
    ];
    const s = summarizeCompare(['a', 'b'], runs);
    expect(s.summary['a']!['put']!.opsPerSec.median).toBe(100);
    expect(s.summary['b']!['put']!.opsPerSec.median).toBe(200);
    const q = s.ratios['b']!['put']!.opsPerSec;
    expect(q.min).toBeCloseTo(1.5);
    expect(q.median).toBeCloseTo(2);
    expect(q.max).toBeCloseTo(3);
    expect(s.ratios['b']!['put']!.p99Ms.median).toBeCloseTo(0.5);
    expect(s.ratios['a']).toBeUndefined();
  });
});

import { s3ErrorCode } from '../../src/bench/client.js';
describe('s3ErrorCode', () => {
  it('parses <Code> from an S3 error body, else falls back to the status', () => {
    expect(s3ErrorCode(404, '<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>x</Message></Error>')).toBe('NoSuchKey');
    expect(s3ErrorCode(503, '<Error>\n  <Code> SlowDown </Code></Error>')).toBe('SlowDown');
    expect(s3ErrorCode(404, '')).toBe('NotFound');
    expect(s3ErrorCode(500, undefined)).toBe('HTTP500');
  });
});

import { redactedCommand } from '../../src/bench/cli.js';
describe('redactedCommand', () => {
  it('records the command without secrets', () => {
    expect(redactedCommand(['run', 'put', '--access-key', 'AK', '--secret-key', 'SK', '--size', '4KiB'])).toBe('strata bench run put --access-key AK --secret-key *** --size 4KiB');
    expect(redactedCommand(['run', '--secret-key=SK'])).toBe('strata bench run --secret-key=***');
    expect(redactedCommand(['compare', '--target', 'a=http://127.0.0.1:9000,AK,SK', '--target=b=http://127.0.0.1:1,K,S', '--target', 's3rver'])).toBe(
      'strata bench compare --target a=http://127.0.0.1:9000,AK,*** --target=b=http://127.0.0.1:1,K,*** --target s3rver',
    );
    expect(redactedCommand(['tune', '--grid', 'workers=1,2;ec=4+2'])).toBe("strata bench tune --grid 'workers=1,2;ec=4+2'");
  });
});
