// Command-line parsing for `strata bench …`: a small strict parser (unknown flags are errors — a typo
// must not silently benchmark the defaults) and the translation of flags into a Workload and a Target.

import { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY } from '../config.js';
import { DEFAULT_MIX, parseMix } from './mix.js';
import { randomSeed } from './random.js';
import { WORKLOAD_OPS, type Target, type Workload, type WorkloadOp } from './runner.js';
import { parseDuration, parseSize, parseSizeDistribution } from './units.js';

export type FlagKind = 'string' | 'bool' | 'multi';

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  /** Shown in --help: value placeholder and description. */
  arg?: string;
  help: string;
  default?: string;
}

export interface ParsedArgs {
  values: Map<string, string | boolean | string[]>;
  positionals: string[];
  help: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const spec = byName.get(name);
    if (!spec) {
      const near = specs.filter((s) => s.name.includes(name) || name.includes(s.name)).map((s) => `--${s.name}`);
      throw new UsageError(`unknown flag --${name}${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}`);
    }
    if (spec.kind === 'bool') {
      if (eq >= 0) {
        const v = a.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new UsageError(`--${name} takes no value (or =true / =false)`);
        values.set(name, v === 'true');
      } else values.set(name, true);
      continue;
    }
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i]!;
    }
    if (spec.kind === 'multi') {
      const prev = values.get(name);
      values.set(name, [...(Array.isArray(prev) ? prev : []), value]);
    } else {
      if (values.has(name)) throw new UsageError(`--${name} given twice`);
      values.set(name, value);
    }
  }
  return { values, positionals, help };
}

export function str(a: ParsedArgs, name: string): string | undefined {
  const v = a.values.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function bool(a: ParsedArgs, name: string): boolean {
  return a.values.get(name) === true;
}

export function multi(a: ParsedArgs, name: string): string[] {
  const v = a.values.get(name);
  return Array.isArray(v) ? v : [];
}

export function int(a: ParsedArgs, name: string, def: number, min: number, max: number): number {
  const s = str(a, name);
  if (s === undefined) return def;
  if (!/^\d+$/.test(s)) throw new UsageError(`--${name} must be an integer, got '${s}'`);
  const n = Number(s);
  if (n < min || n > max) throw new UsageError(`--${name} must be in ${min}..${max}, got ${n}`);
  return n;
}

function wrap<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--${name}: ${(err as Error).message}`);
  }
}

export function formatHelp(usage: string, specs: readonly FlagSpec[], footer = ''): string {
  const lines = specs.map((s) => {
    const left = `  --${s.name}${s.arg ? ` ${s.arg}` : ''}`;
    return `${left.padEnd(34)} ${s.help}${s.default !== undefined ? ` (default ${s.default})` : ''}`;
  });
  return `${usage}\n\n${lines.join('\n')}\n${footer ? `\n${footer}\n` : ''}`;
}

// ------------------------------------------------------------------------------------------------
// Flags shared by run / compare / tune

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:9000';
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_DURATION = '10s';
export const DEFAULT_MAX_DURATION = '10m';
export const DEFAULT_MAX_OPS = 2_000_000;

export const WORKLOAD_FLAGS: FlagSpec[] = [
  { name: 'op', kind: 'string', arg: 'OP', help: `operation: ${WORKLOAD_OPS.join(', ')} (or give it as the first argument)`, default: 'put' },
  { name: 'size', kind: 'string', arg: 'SIZE', help: 'object size: 4KiB, or a range 1KiB..16MiB[:log|:uniform]', default: '4KiB' },
  { name: 'concurrency', kind: 'string', arg: 'N', help: 'requests in flight (and keep-alive connections)', default: String(DEFAULT_CONCURRENCY) },
  { name: 'duration', kind: 'string', arg: 'TIME', help: 'measured phase length, e.g. 10s, 1m', default: `${DEFAULT_DURATION} unless --ops` },
  { name: 'ops', kind: 'string', arg: 'N', help: 'stop after N operations (with --duration: whichever first)' },
  { name: 'warmup', kind: 'string', arg: 'TIME', help: 'unmeasured warm-up before the measured phase', default: '2s' },
  { name: 'objects', kind: 'string', arg: 'N', help: 'objects pre-populated for get/head/list/mixed (delete: --ops or this)', default: '1000' },
  { name: 'mix', kind: 'string', arg: 'SPEC', help: 'mixed workload weights, stat = head', default: DEFAULT_MIX },
  { name: 'part-size', kind: 'string', arg: 'SIZE', help: 'multipart: part size', default: '5MiB' },
  { name: 'parts', kind: 'string', arg: 'N', help: 'multipart: parts per upload', default: '4' },
  { name: 'list-max-keys', kind: 'string', arg: 'N', help: 'list: max-keys per ListObjectsV2 request', default: '1000' },
  { name: 'bucket', kind: 'string', arg: 'NAME', help: 'use this existing bucket (default: create strata-bench-<run id>, remove it after)' },
  { name: 'prefix', kind: 'string', arg: 'P', help: 'key prefix; each run adds <run id>/', default: 'strata-bench' },
  { name: 'keep', kind: 'bool', help: 'leave the objects and bucket in place' },
  { name: 'payload-hash', kind: 'string', arg: 'MODE', help: "'unsigned' (UNSIGNED-PAYLOAD) or 'sha256' (hashed once per distinct body)", default: 'unsigned' },
  { name: 'seed', kind: 'string', arg: 'N', help: 'PRNG seed for op choice, keys and sizes', default: 'random' },
  { name: 'distinct-bodies', kind: 'string', arg: 'N', help: 'distinct pre-generated bodies (sizes sampled from --size)', default: '64' },
  { name: 'request-timeout', kind: 'string', arg: 'TIME', help: 'per-request header/body timeout', default: '30s' },
  { name: 'max-duration', kind: 'string', arg: 'TIME', help: 'hard cap on any phase (prepare, measure, cleanup)', default: DEFAULT_MAX_DURATION },
  { name: 'max-ops', kind: 'string', arg: 'N', help: 'hard cap on operations in the measured phase', default: String(DEFAULT_MAX_OPS) },
];

export const TARGET_FLAGS: FlagSpec[] = [
  { name: 'endpoint', kind: 'string', arg: 'URL', help: 'S3 endpoint (env STRATA_BENCH_ENDPOINT; non-loopback only when given here)', default: DEFAULT_ENDPOINT },
  { name: 'access-key', kind: 'string', arg: 'KEY', help: "access key id (env STRATA_ACCESS_KEY, AWS_ACCESS_KEY_ID; loopback default: Strata's documented default credentials)" },
  { name: 'secret-key', kind: 'string', arg: 'SECRET', help: 'secret access key (env STRATA_SECRET_KEY, AWS_SECRET_ACCESS_KEY)' },
  { name: 'region', kind: 'string', arg: 'R', help: 'SigV4 region', default: 'us-east-1' },
  { name: 'path-style', kind: 'bool', help: 'path-style requests (default for IP / localhost endpoints)' },
  { name: 'virtual-host', kind: 'bool', help: 'virtual-hosted-style requests (bucket.host)' },
  { name: 'anonymous', kind: 'bool', help: 'send unsigned requests' },
  { name: 'server-pid', kind: 'string', arg: 'PID', help: 'pid of the local server process: its CPU (all threads) is reported next to the client\'s' },
];

export const OUTPUT_FLAGS: FlagSpec[] = [
  { name: 'json', kind: 'string', arg: 'FILE', help: 'write machine-readable results' },
  { name: 'html', kind: 'string', arg: 'FILE', help: 'write a self-contained HTML report with charts' },
  { name: 'quiet', kind: 'bool', help: 'no progress line or phase messages' },
];

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function isIpOrLocalhost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.includes(':');
}

/** Workload from flags. `opOverride` comes from a positional (`strata bench run get`). */
export function workloadFromArgs(a: ParsedArgs, opOverride?: string): Workload {
  const opText = opOverride ?? str(a, 'op') ?? 'put';
  if (opOverride !== undefined && str(a, 'op') !== undefined && str(a, 'op') !== opOverride) {
    throw new UsageError(`operation given twice: '${opOverride}' and --op ${str(a, 'op')}`);
  }
  if (!(WORKLOAD_OPS as readonly string[]).includes(opText)) throw new UsageError(`unknown operation '${opText}' (use ${WORKLOAD_OPS.join(', ')})`);
  const op = opText as WorkloadOp;
  const opsText = str(a, 'ops');
  const ops = opsText === undefined ? undefined : int(a, 'ops', 0, 1, 1e9);
  const durationText = str(a, 'duration') ?? (ops === undefined ? DEFAULT_DURATION : undefined);
  const seedText = str(a, 'seed');
  const payloadHash = str(a, 'payload-hash') ?? 'unsigned';
  if (payloadHash !== 'unsigned' && payloadHash !== 'sha256') throw new UsageError(`--payload-hash must be 'unsigned' or 'sha256'`);
  const w: Workload = {
    op,
    size: wrap('size', () => parseSizeDistribution(str(a, 'size') ?? '4KiB')),
    concurrency: int(a, 'concurrency', DEFAULT_CONCURRENCY, 1, 4096),
    durationMs: durationText === undefined ? undefined : wrap('duration', () => parseDuration(durationText)),
    ops,
    warmupMs: wrap('warmup', () => parseDuration(str(a, 'warmup') ?? '2s')),
    maxDurationMs: wrap('max-duration', () => parseDuration(str(a, 'max-duration') ?? DEFAULT_MAX_DURATION)),
    maxOps: int(a, 'max-ops', DEFAULT_MAX_OPS, 1, 1e9),
    objects: int(a, 'objects', 1000, 1, 10_000_000),
    mix: wrap('mix', () => parseMix(str(a, 'mix') ?? DEFAULT_MIX)),
    partSizeBytes: wrap('part-size', () => parseSize(str(a, 'part-size') ?? '5MiB')),
    parts: int(a, 'parts', 4, 1, 10_000),
    listMaxKeys: int(a, 'list-max-keys', 1000, 1, 1000),
    bucket: str(a, 'bucket'),
    prefix: str(a, 'prefix') ?? 'strata-bench',
    keep: bool(a, 'keep'),
    payloadHash,
    seed: seedText === undefined || seedText === 'random' ? randomSeed() : int(a, 'seed', 0, 0, 2 ** 32 - 1),
    distinctBodies: int(a, 'distinct-bodies', 64, 1, 1024),
    requestTimeoutMs: wrap('request-timeout', () => parseDuration(str(a, 'request-timeout') ?? '30s')),
  };
  if (w.durationMs !== undefined && w.durationMs > w.maxDurationMs) {
    throw new UsageError(`--duration ${durationText} is over --max-duration (${w.maxDurationMs} ms)`);
  }
  if (w.ops !== undefined && w.ops > w.maxOps) throw new UsageError(`--ops ${w.ops} is over --max-ops ${w.maxOps}`);
  return w;
}

/**
 * Target from flags and environment. A non-loopback endpoint is refused unless it was passed explicitly
 * with --endpoint: a stray environment variable must not point a load test at a production service.
 */
export function targetFromArgs(a: ParsedArgs, env: Record<string, string | undefined>, name = 'target'): Target {
  const explicit = str(a, 'endpoint');
  const endpoint = explicit ?? env['STRATA_BENCH_ENDPOINT'] ?? DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`invalid endpoint '${endpoint}'`);
  }
  if (explicit === undefined && !isLoopbackHost(url.hostname)) {
    throw new UsageError(`refusing non-loopback endpoint ${endpoint} from the environment: pass it with --endpoint to load it on purpose`);
  }
  if (bool(a, 'path-style') && bool(a, 'virtual-host')) throw new UsageError('--path-style and --virtual-host are exclusive');
  const pathStyle = bool(a, 'path-style') || (!bool(a, 'virtual-host') && isIpOrLocalhost(url.hostname));
  const accessKeyId = str(a, 'access-key') ?? env['STRATA_ACCESS_KEY'] ?? env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = str(a, 'secret-key') ?? env['STRATA_SECRET_KEY'] ?? env['AWS_SECRET_ACCESS_KEY'];
  let credentials: Target['credentials'];
  if (bool(a, 'anonymous')) {
    if (str(a, 'access-key') || str(a, 'secret-key')) throw new UsageError('--anonymous and --access-key/--secret-key are exclusive');
  } else {
    if (accessKeyId && secretAccessKey) credentials = { accessKeyId, secretAccessKey };
    else if (!accessKeyId && !secretAccessKey && isLoopbackHost(url.hostname)) {
      // A local node started with no credentials configured uses the documented defaults: so does the bench.
      credentials = { accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY };
    } else {
      throw new UsageError('no credentials: pass --access-key and --secret-key (or set STRATA_ACCESS_KEY / STRATA_SECRET_KEY), or --anonymous');
    }
  }
  const target: Target = { name, endpoint: url.origin, credentials, region: str(a, 'region') ?? 'us-east-1', pathStyle };
  const pid = str(a, 'server-pid');
  if (pid !== undefined) {
    if (!/^\d{1,10}$/.test(pid)) throw new UsageError(`--server-pid '${pid}' is not a pid`);
    target.serverPid = Number(pid);
  }
  return target;
}

/** `name=URL,KEY,SECRET` → explicit target (always allowed: it is explicit). */
export function parseTargetSpec(spec: string, region: string): Target | { builtin: 's3rver' | 'strata'; name: string } {
  const eq = spec.indexOf('=');
  if (eq < 0) {
    if (spec === 's3rver' || spec === 'strata') return { builtin: spec, name: spec };
    throw new UsageError(`--target '${spec}': expected name=URL,KEY,SECRET, 's3rver' or 'strata'`);
  }
  const name = spec.slice(0, eq);
  const rest = spec.slice(eq + 1);
  if (!/^[\w.-]+$/.test(name)) throw new UsageError(`--target name '${name}' must be letters, digits, '.', '-' or '_'`);
  if (rest === 's3rver' || rest === 'strata') return { builtin: rest, name };
  const parts = rest.split(',');
  if (parts.length !== 3 && parts.length !== 1) throw new UsageError(`--target '${spec}': expected name=URL,KEY,SECRET`);
  let url: URL;
  try {
    url = new URL(parts[0]!);
  } catch {
    throw new UsageError(`--target '${spec}': invalid URL '${parts[0]}'`);
  }
  return {
    name,
    endpoint: url.origin,
    credentials: parts.length === 3 ? { accessKeyId: parts[1]!, secretAccessKey: parts[2]! } : undefined,
    region,
    pathStyle: isIpOrLocalhost(url.hostname),
  };
}
