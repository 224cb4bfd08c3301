// `strata bench run|compare|peer|tune` — entry point runBenchCli(argv) → exit code.
// src/cli.ts (owned by the front-end) dispatches `strata bench …` here; tools/bench.ts runs it standalone.

import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  OUTPUT_FLAGS,
  TARGET_FLAGS,
  UsageError,
  WORKLOAD_FLAGS,
  bool,
  formatHelp,
  int,
  parseArgs,
  str,
  targetFromArgs,
  workloadFromArgs,
  type FlagSpec,
  type ParsedArgs,
} from './args.js';
import { runCompare, COMPARE_FLAGS, formatCompareReport } from './compare.js';
import { renderCompareHtml, renderRunHtml, renderTuneHtml } from './report-html.js';
import { formatRunReport } from './report-text.js';
import { runBench, describeWorkload, type RunHooks } from './runner.js';
import { S3RVER_CREDENTIALS, killAllChildren, startS3rverInProcess } from './peers.js';
import { TUNE_FLAGS, formatTuneReport, runTune } from './tune.js';
import { parseDuration } from './units.js';

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Whether stderr is a terminal (live progress line). */
  isTty: boolean;
  env: Record<string, string | undefined>;
}

const defaultIo = (): CliIo => ({
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  isTty: process.stderr.isTTY === true,
  env: process.env,
});

/** Set per invocation; recorded in every result. */
let command = '';

const MAIN_HELP = `strata bench — load generator and tuning sweep for any S3 endpoint

usage:
  strata bench run [OP] [flags]        measure one endpoint (OP: put, get, head, delete, list, multipart, mixed)
  strata bench compare --target … --target … [flags]
                                       same workload against several endpoints, interleaved over rounds
  strata bench peer s3rver [--port N]  start a throwaway s3rver on 127.0.0.1 as a baseline peer
  strata bench tune --workload put:4KiB,get:1MiB [--grid …]
                                       sweep Strata's knobs over throwaway nodes, report the best per workload

'strata bench <command> --help' lists every flag. See src/bench/README.md.`;

export const RUN_FLAGS: FlagSpec[] = [...TARGET_FLAGS, ...WORKLOAD_FLAGS, ...OUTPUT_FLAGS];

const PEER_FLAGS: FlagSpec[] = [
  { name: 'port', kind: 'string', arg: 'N', help: 'port on 127.0.0.1 (0 = any free port)', default: '9100' },
  { name: 'dir', kind: 'string', arg: 'DIR', help: 'data directory (default: a fresh temp dir, removed on exit)' },
  { name: 'max-time', kind: 'string', arg: 'TIME', help: 'stop by itself after this long', default: '1h' },
];

/** Progress printer: one rewritten line on a TTY, nothing otherwise. */
export function progressHooks(io: CliIo, quiet: boolean): RunHooks & { done(): void } {
  let shown = false;
  return {
    onProgress: quiet || !io.isTty ? undefined : (line) => {
      // One physical line, or \r cannot rewrite it: cut to the terminal width.
      const width = Math.max(20, (process.stderr.columns || 120) - 1);
      process.stderr.write(`\r\x1b[2K${line.length > width ? line.slice(0, width - 1) + '…' : line}`);
      shown = true;
    },
    onInfo: quiet ? undefined : (line) => {
      if (shown) process.stderr.write('\r\x1b[2K');
      shown = false;
      io.err(line);
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}

export async function runBenchCli(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [cmd, ...rest] = argv;
  command = redactedCommand(argv);
  try {
    switch (cmd) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(MAIN_HELP);
        return cmd === undefined ? 2 : 0;
      case 'run':
        return await cmdRun(rest, io);
      case 'compare':
        return await cmdCompare(rest, io);
      case 'peer':
        return await cmdPeer(rest, io);
      case 'tune':
        return await cmdTune(rest, io);
      default:
        io.err(`strata bench: unknown command '${cmd}'\n\n${MAIN_HELP}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`strata bench ${cmd}: ${err.message}\n(see 'strata bench ${cmd} --help')`);
      return 2;
    }
    io.err(`strata bench ${cmd}: ${(err as Error).message}`);
    return 1;
  }
}

/** The command line for the record, with secrets replaced: `--secret-key X` and the SECRET of NAME=URL,KEY,SECRET. */
export function redactedCommand(argv: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--secret-key' && i + 1 < argv.length) {
      out.push(a, '***');
      i++;
    } else if (a.startsWith('--secret-key=')) out.push('--secret-key=***');
    else if (/^(--target=)?[\w.-]+=[a-z]+:\/\/[^,]+,[^,]*,.+$/.test(a)) out.push(a.replace(/,[^,]*$/, ',***'));
    else out.push(a);
  }
  return ['strata', 'bench', ...out].map((x) => (/^[\w@%+=:,./*-]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * First Ctrl-C / SIGTERM: stop measuring, clean up (buckets, child nodes, temp dirs) and report what ran.
 * Second: kill our child processes and exit at once.
 */
function interruptible(io: CliIo): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (!ac.signal.aborted) {
      io.err(`\n${sig}: stopping after in-flight requests, then cleaning up (again to exit now)`);
      ac.abort();
      return;
    }
    killAllChildren();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function writeOutputs(a: ParsedArgs, io: CliIo, json: unknown, html: () => string): void {
  const jsonFile = str(a, 'json');
  if (jsonFile) {
    writeFileSync(jsonFile, JSON.stringify(json, null, 2) + '\n');
    io.err(`wrote ${jsonFile}`);
  }
  const htmlFile = str(a, 'html');
  if (htmlFile) {
    writeFileSync(htmlFile, html());
    io.err(`wrote ${htmlFile}`);
  }
}

async function cmdRun(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, RUN_FLAGS);
  if (a.help) {
    io.out(formatHelp('usage: strata bench run [OP] [flags]\n\nMeasures one S3 endpoint with a light signing client (undici + cached SigV4 key).', RUN_FLAGS, RUN_EXAMPLES));
    return 0;
  }
  if (a.positionals.length > 1) throw new UsageError(`unexpected arguments: ${a.positionals.slice(1).join(' ')}`);
  const workload = workloadFromArgs(a, a.positionals[0]);
  const target = targetFromArgs(a, io.env, str(a, 'endpoint') ? new URL(str(a, 'endpoint')!).host : 'target');
  const hooks = progressHooks(io, bool(a, 'quiet'));
  const stop = interruptible(io);
  try {
    if (!bool(a, 'quiet')) io.err(`strata bench run: ${describeWorkload(workload)} → ${target.endpoint}`);
    const result = await runBench(target, workload, { ...hooks, signal: stop.signal });
    result.command = command;
    hooks.done();
    io.out(formatRunReport(result));
    writeOutputs(a, io, result, () => renderRunHtml(result));
    return result.total.errors > 0 ? 1 : 0;
  } finally {
    hooks.done();
    stop.dispose();
  }
}

const RUN_EXAMPLES = `examples:
  strata bench run put --size 4KiB --concurrency 16 --duration 10s --endpoint http://127.0.0.1:9000 --access-key K --secret-key S
  strata bench run get --size 1MiB --objects 200 --json get.json --html get.html
  strata bench run mixed --mix get=45,put=30,delete=15,stat=10 --size 1KiB..16MiB:log
  strata bench run multipart --part-size 5MiB --parts 4 --concurrency 4 --ops 50`;

async function cmdCompare(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, COMPARE_FLAGS);
  if (a.help) {
    io.out(
      formatHelp(
        'usage: strata bench compare --target NAME=URL,KEY,SECRET --target s3rver|strata [workload flags] [--rounds 3]\n\n' +
          'Runs the same workload against each target in turn (A B A B …) so machine noise hits all of them alike;\n' +
          "reports per-target medians and each target's ratio to the first one (min / median / max over rounds).",
        COMPARE_FLAGS,
      ),
    );
    return 0;
  }
  const hooks = progressHooks(io, bool(a, 'quiet'));
  const stop = interruptible(io);
  try {
    const result = await runCompare(a, { ...hooks, signal: stop.signal });
    result.command = command;
    hooks.done();
    io.out(formatCompareReport(result));
    writeOutputs(a, io, result, () => renderCompareHtml(result));
    return result.errors > 0 ? 1 : 0;
  } finally {
    hooks.done();
    stop.dispose();
  }
}

async function cmdTune(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, TUNE_FLAGS);
  if (a.help) {
    io.out(
      formatHelp(
        'usage: strata bench tune --workload put:4KiB,get:1MiB [--grid workers=1,2;block=256KiB,1MiB;ec=4+2,2+1;commit-window=1ms,4ms] [--duration 5s]\n\n' +
          'Starts a throwaway Strata node (child process, temp dir, 127.0.0.1) per grid cell, runs every workload on it,\n' +
          'and reports the best configuration per workload with the runner-up.',
        TUNE_FLAGS,
      ),
    );
    return 0;
  }
  const hooks = progressHooks(io, bool(a, 'quiet'));
  const stop = interruptible(io);
  try {
    const result = await runTune(a, { ...hooks, signal: stop.signal });
    result.command = command;
    hooks.done();
    io.out(formatTuneReport(result));
    writeOutputs(a, io, result, () => renderTuneHtml(result));
    return result.failedCells > 0 ? 1 : 0;
  } finally {
    hooks.done();
    stop.dispose();
  }
}

async function cmdPeer(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, PEER_FLAGS);
  if (a.help || a.positionals.length === 0) {
    io.out(formatHelp('usage: strata bench peer s3rver [--port N] [--dir DIR] [--max-time 1h]\n\nStarts s3rver on 127.0.0.1 (credentials S3RVER / S3RVER) until Ctrl-C.', PEER_FLAGS));
    return a.help ? 0 : 2;
  }
  const [kind, ...extra] = a.positionals;
  if (kind !== 's3rver') throw new UsageError(`unknown peer '${kind}' (supported: s3rver; for a Strata node run 'strata server')`);
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const port = int(a, 'port', 9100, 0, 65535);
  const maxMs = parseDuration(str(a, 'max-time') ?? '1h');
  const ownDir = str(a, 'dir') === undefined;
  const directory = str(a, 'dir') ?? mkdtempSync(path.join(os.tmpdir(), 'strata-bench-s3rver-'));
  const server = await startS3rverInProcess({ port, directory });
  io.out(`s3rver listening on http://127.0.0.1:${server.port} (access key ${S3RVER_CREDENTIALS.accessKeyId}, secret ${S3RVER_CREDENTIALS.secretAccessKey}), data in ${directory}`);
  io.out(
    `try: strata bench run put --endpoint http://127.0.0.1:${server.port} --access-key ${S3RVER_CREDENTIALS.accessKeyId} --secret-key ${S3RVER_CREDENTIALS.secretAccessKey}`,
  );
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, maxMs);
    const stop = () => {
      clearTimeout(timer);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  if (ownDir) rmSync(directory, { recursive: true, force: true });
  io.err('s3rver stopped');
  return 0;
}
