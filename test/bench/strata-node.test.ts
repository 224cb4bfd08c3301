// Integration: `strata bench run` against a real Strata node started as a child process
// (node bin/strata.js server --data <tmp> --port <free> --address 127.0.0.1). Strata verifies SigV4, so this
// also proves the light client's signatures. Skipped, with the reason, when the compiled CLI has no server.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBenchCli, type CliIo } from '../../src/bench/cli.js';
import { startStrataNode, strataServerAvailability, type Peer } from '../../src/bench/peers.js';
import type { BenchResult } from '../../src/bench/runner.js';
import { checkResult } from './helpers.js';

const avail = strataServerAvailability();
if (!avail.available) console.warn(`SKIPPED Strata node bench tests: ${avail.reason}`);

let node: Peer | undefined;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bench-strata-'));
  if (avail.available) node = await startStrataNode();
});

afterAll(async () => {
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function io(): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (s) => lines.push(s), err: (s) => lines.push(s), isTty: false, env: {} };
}

describe.skipIf(!avail.available)('strata bench run against a Strata node', () => {
  for (const [op, extra, ops] of [
    ['put', ['--size', '4KiB'], ['put']],
    ['get', ['--size', '64KiB', '--objects', '50'], ['get']],
    ['mixed', ['--size', '1KiB..64KiB:log', '--objects', '100', '--payload-hash', 'sha256'], ['get', 'put', 'delete', 'head']],
  ] as const) {
    it(`${op}: signed requests accepted, non-zero ops, ordered percentiles`, async () => {
      const json = path.join(dir, `${op}.json`);
      const c = io();
      const t = node!.target;
      const code = await runBenchCli(
        ['run', op, '--endpoint', t.endpoint, '--access-key', t.credentials!.accessKeyId, '--secret-key', t.credentials!.secretAccessKey, '--duration', '2s', '--warmup', '0', '--concurrency', '8', '--quiet', '--json', json, ...extra],
        c,
      );
      expect(code, c.lines.join('\n') + '\n--- node output ---\n' + node!.output().slice(-3000)).toBe(0);
      checkResult(JSON.parse(readFileSync(json, 'utf8')) as BenchResult, [...ops]);
    });
  }
});

describe.skipIf(!avail.available)('strata bench tune', () => {
  it('starts a node per grid cell with the mapped flags and reports the best and the runner-up', async () => {
    const json = path.join(dir, 'tune.json');
    const c = io();
    const code = await runBenchCli(
      ['tune', '--workload', 'put:4KiB', '--grid', 'workers=1,2;commit-window=2ms', '--duration', '1s', '--warmup', '0', '--concurrency', '8', '--quiet', '--json', json],
      c,
    );
    expect(code, c.lines.join('\n')).toBe(0);
    const r = JSON.parse(readFileSync(json, 'utf8')) as import('../../src/bench/tune.js').TuneResult;
    expect(r.cells.map((x) => x.flags)).toEqual([
      ['--worker-threads', '1', '--commit-window-ms', '2'],
      ['--worker-threads', '2', '--commit-window-ms', '2'],
    ]);
    expect(r.failedCells).toBe(0);
    expect(r.best['put:4KiB']!.best).toBeDefined();
    expect(r.best['put:4KiB']!.runnerUp).toBeDefined();
    expect(c.lines.join('\n')).toMatch(/best for put:4KiB/);
  });
});
