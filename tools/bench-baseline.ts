// The s3rver baseline figure set: 4 KiB and 1 MiB PUT/GET at concurrency 16 against a throwaway s3rver
// child process, printed as a markdown table with the machine and the exact commands.
//   npm run build && node dist/tools/bench-baseline.js [--duration 10s] [--concurrency 16] [--endpoint URL]
// With --endpoint (and --access-key / --secret-key) it measures that endpoint instead of starting s3rver.
import { redactedCommand, runBenchCli } from '../src/bench/cli.js';
import { startS3rverPeer } from '../src/bench/peers.js';
import type { BenchResult } from '../src/bench/runner.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : def;
};
const duration = opt('duration', '10s');
const concurrency = opt('concurrency', '16');
const explicit = args.includes('--endpoint');
const peer = explicit ? undefined : await startS3rverPeer();
const endpoint = explicit ? opt('endpoint', '') : peer!.target.endpoint;
const ak = explicit ? opt('access-key', '') : 'S3RVER';
const sk = explicit ? opt('secret-key', '') : 'S3RVER';
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-baseline-'));
const rows: string[] = [];
const commands: string[] = [];
let code = 0;
try {
  for (const [op, size] of [
    ['put', '4KiB'],
    ['get', '4KiB'],
    ['put', '1MiB'],
    ['get', '1MiB'],
  ] as const) {
    const json = path.join(dir, `${op}-${size}.json`);
    const argv = ['run', op, '--size', size, '--concurrency', concurrency, '--duration', duration, '--warmup', '2s', '--objects', '200', '--endpoint', endpoint, '--access-key', ak, '--secret-key', sk, '--quiet', '--json', json];
    commands.push(redactedCommand(argv.slice(0, -2)));
    const rc = await runBenchCli(argv, { out: () => {}, err: (s) => (s.startsWith('wrote ') ? undefined : process.stderr.write(s + '\n')), isTty: false, env: process.env });
    if (rc !== 0) code = rc;
    const r = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
    const s = r.ops[op]!;
    rows.push(
      `| ${op.toUpperCase()} ${size} | ${s.opsPerSec.toFixed(0)} | ${s.mibPerSec.toFixed(1)} | ${s.latencyMs.p50.toFixed(1)} | ${s.latencyMs.p99.toFixed(1)} | ${s.latencyMs.max.toFixed(1)} | ${s.errors} | ` +
        `${r.client.cpuPctOfOneCore.toFixed(0)}% / ELU ${(r.client.eventLoopUtilization * 100).toFixed(0)}% | ${r.machine.loadAverage[0]} |`,
    );
  }
  const m = JSON.parse(readFileSync(path.join(dir, 'put-4KiB.json'), 'utf8')) as BenchResult;
  console.log(`target: ${explicit ? endpoint : 's3rver (throwaway child, 127.0.0.1)'}; concurrency ${concurrency}, ${duration} measured after 2s warm-up`);
  console.log(`machine: ${m.machine.cpus} CPU(s) ${m.machine.cpuModel}, Node ${m.machine.node}, ${m.machine.platform}\n`);
  console.log('| workload | ops/s | MiB/s | p50 ms | p99 ms | max ms | errors | client CPU (one core) | load 1m at start |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log('\ncommands:\n' + commands.map((c) => '  ' + c).join('\n'));
} finally {
  await peer?.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = code;
