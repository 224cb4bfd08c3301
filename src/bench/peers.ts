// Throwaway servers to measure against: an s3rver peer (the Node S3 baseline, a devDependency) and a
// Strata node, each as a child process on a loopback port with a temporary data directory, so the
// generator never shares its event loop with the server it measures. Every child is registered and killed
// on stop(), and — as a last resort — when this process exits.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { Target } from './runner.js';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
/** How long a child may take to become ready. */
export const PEER_START_TIMEOUT_MS = 30_000;
/** After SIGTERM, how long before SIGKILL. */
export const PEER_STOP_GRACE_MS = 5_000;
/** Bytes of a child's output kept for error messages. */
const OUTPUT_TAIL_BYTES = 16 * 1024;

export interface Peer {
  target: Target;
  pid: number | undefined;
  dataDir: string;
  /** Last lines the child printed (for diagnostics). */
  output(): string;
  stop(): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
}

/** SIGKILL every child this process started (s3rver peers, Strata nodes) — for an immediate exit. */
export function killAllChildren(): void {
  for (const c of liveChildren) c.kill('SIGKILL');
}

/** The repository root (the directory with our package.json), from src/bench or dist/src/bench. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'strata') return dir;
      } catch {
        /* keep looking */
      }
    }
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the strata repository root from ' + fileURLToPath(import.meta.url));
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function tail(): { push(b: Buffer): void; text(): string } {
  let buf = Buffer.alloc(0);
  return {
    push(b: Buffer) {
      buf = Buffer.concat([buf, b]);
      if (buf.length > OUTPUT_TAIL_BYTES) buf = buf.subarray(buf.length - OUTPUT_TAIL_BYTES);
    },
    text: () => buf.toString('utf8'),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), PEER_STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

// ------------------------------------------------------------------------------------------------
// s3rver

function s3rverModuleUrl(): string {
  const require = createRequire(import.meta.url);
  try {
    return pathToFileURL(require.resolve('s3rver')).href;
  } catch {
    throw new Error("s3rver is not installed (it is a devDependency: run 'npm install' in a development checkout)");
  }
}

/** Starts s3rver in this process (for `strata bench peer s3rver`, whose process does nothing else). */
export async function startS3rverInProcess(opts: { port: number; directory: string }): Promise<{ port: number; close(): Promise<void> }> {
  const mod = (await import(s3rverModuleUrl())) as { default: new (o: object) => { run(): Promise<{ port: number }>; close(): Promise<void> } };
  const S3rver = mod.default;
  const server = new S3rver({ port: opts.port, address: '127.0.0.1', silent: true, directory: opts.directory });
  const addr = await server.run();
  return { port: addr.port, close: () => server.close() };
}

/** s3rver in a child process on 127.0.0.1 (port 0 = any free port), data in a fresh temp directory. */
export async function startS3rverPeer(opts: { port?: number; name?: string } = {}): Promise<Peer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-s3rver-'));
  const code = `
    import S3rver from ${JSON.stringify(s3rverModuleUrl())};
    const server = new S3rver({ port: ${Number(opts.port ?? 0)}, address: '127.0.0.1', silent: true, directory: ${JSON.stringify(dataDir)} });
    const addr = await server.run();
    process.stdout.write(JSON.stringify({ ready: true, port: addr.port }) + '\\n');
    const stop = () => server.close().finally(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // The parent holds our stdin: if it dies, the pipe closes and we go too.
    process.stdin.on('end', stop);
    process.stdin.resume();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'pipe'] });
  track(child);
  const out = tail();
  child.stderr!.on('data', (b: Buffer) => out.push(b));
  const cleanup = async () => {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let line = '';
      const timer = setTimeout(() => reject(new Error(`s3rver did not start within ${PEER_START_TIMEOUT_MS} ms`)), PEER_START_TIMEOUT_MS);
      child.stdout!.on('data', (b: Buffer) => {
        out.push(b);
        line += b.toString('utf8');
        const nl = line.indexOf('\n');
        if (nl >= 0) {
          try {
            const msg = JSON.parse(line.slice(0, nl)) as { port: number };
            clearTimeout(timer);
            resolve(msg.port);
          } catch {
            line = line.slice(nl + 1);
          }
        }
      });
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited (${code ?? sig}) before it was ready: ${out.text().slice(-2000)}`));
      });
    });
    return {
      target: { name: opts.name ?? 's3rver', endpoint: `http://127.0.0.1:${port}`, credentials: { ...S3RVER_CREDENTIALS }, region: 'us-east-1', pathStyle: true },
      pid: child.pid,
      dataDir,
      output: () => out.text(),
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

// ------------------------------------------------------------------------------------------------
// Strata node

/** Path of the compiled CLI and whether it knows the `server` command. */
export function strataServerAvailability(): { available: boolean; reason: string; bin: string } {
  const root = repoRoot();
  const bin = path.join(root, 'bin', 'strata.js');
  const cli = path.join(root, 'dist', 'src', 'cli.js');
  if (!existsSync(bin)) return { available: false, reason: `${bin} is missing`, bin };
  if (!existsSync(cli)) return { available: false, reason: `${cli} is missing (run npm run build)`, bin };
  const text = readFileSync(cli, 'utf8');
  if (!/['"`]server['"`]/.test(text)) return { available: false, reason: `${cli} has no 'server' command yet`, bin };
  return { available: true, reason: 'ok', bin };
}

export interface StrataNodeOptions {
  name?: string;
  /** Extra server flags, e.g. ['--ec', '2+1', '--worker-threads', '2']. */
  flags?: string[];
  port?: number;
}

/** `node bin/strata.js server --data <tmp> --port <free> --address 127.0.0.1 …`, ready when /health/ready is 200. */
export async function startStrataNode(opts: StrataNodeOptions = {}): Promise<Peer> {
  const avail = strataServerAvailability();
  if (!avail.available) throw new Error(`cannot start a Strata node: ${avail.reason}`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-node-'));
  const port = opts.port ?? (await freeLoopbackPort());
  const credentials = { accessKeyId: `bench${randomBytes(6).toString('hex')}`, secretAccessKey: randomBytes(20).toString('hex') };
  const args = [avail.bin, 'server', '--data', dataDir, '--port', String(port), '--address', '127.0.0.1', ...(opts.flags ?? [])];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STRATA_ACCESS_KEY: credentials.accessKeyId, STRATA_SECRET_KEY: credentials.secretAccessKey, STRATA_LOG_LEVEL: process.env['STRATA_LOG_LEVEL'] ?? 'warn' },
  });
  track(child);
  const out = tail();
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => out.push(b));
  const cleanup = async () => {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitReady(endpoint, child);
  } catch (err) {
    await cleanup();
    throw new Error(`${(err as Error).message}\ncommand: node ${args.join(' ')}\noutput:\n${out.text().slice(-3000)}`);
  }
  return {
    target: { name: opts.name ?? 'strata', endpoint, credentials, region: 'us-east-1', pathStyle: true },
    pid: child.pid,
    dataDir,
    output: () => out.text(),
    stop: cleanup,
  };
}

async function waitReady(endpoint: string, child: ChildProcess): Promise<void> {
  const deadline = performance.now() + PEER_START_TIMEOUT_MS;
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `exited with ${code ?? sig}`));
  let last = '';
  while (performance.now() < deadline) {
    if (exited) throw new Error(`Strata node ${exited} before it was ready`);
    try {
      const r = await fetch(`${endpoint}/health/ready`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status === 200) return;
      last = `GET /health/ready → ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Strata node not ready within ${PEER_START_TIMEOUT_MS} ms (${last})`);
}
