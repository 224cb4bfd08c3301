// One typed configuration for the node: command-line flags > environment (STRATA_*) > defaults.
// CONFIG_OPTIONS is the single table of every knob and limit: the CLI's --help, the README tables
// (renderConfigMarkdown) and the parser are all generated from it, so a knob is added in one place.

import path from 'node:path';
import os from 'node:os';
import type { EngineConfig } from './store/api.js';

export const DEFAULT_ACCESS_KEY_ID = 'strata-admin';
export const DEFAULT_SECRET_ACCESS_KEY = 'strata-secret-key';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export interface LimitsConfig {
  /** Sum of all request header names and values. */
  maxHeaderBytes: number;
  /** Request target (path + query) length. */
  maxUrlBytes: number;
  /** Object key, UTF-8 bytes (S3: 1024). */
  maxKeyBytes: number;
  /** x-amz-meta-* names + values, UTF-8 bytes (S3: 2 KiB). */
  maxUserMetadataBytes: number;
  /** Largest single PUT (S3: 5 GiB). */
  maxObjectSizeBytes: number;
  /** XML request bodies (CreateBucket, DeleteObjects …) are buffered; this caps them. */
  maxXmlBodyBytes: number;
  /** PutBucketPolicy body, the JSON policy document (S3: 20 KB). */
  maxBucketPolicyBytes: number;
  /** Keys per DeleteObjects request (S3: 1000). */
  maxDeleteKeys: number;
  /** max-keys cap and default for listings (S3: 1000). */
  maxListKeys: number;
  /** A request that sends or accepts no bytes for this long is answered RequestTimeout and closed. */
  idleTimeoutMs: number;
  /** Open client connections; requests beyond are refused with 503 SlowDown. */
  maxConnections: number;
  /** Requests being served at once (admission); more wait up to admissionWaitMs, then 503 SlowDown. */
  maxInFlightRequests: number;
  /** How long a request may wait for admission before 503 SlowDown. */
  admissionWaitMs: number;
  /** Allowed clock skew between client and server for SigV4 (S3: 15 min). */
  maxClockSkewMs: number;
  /** Graceful shutdown: how long in-flight requests may take to finish after SIGTERM. */
  shutdownGraceMs: number;
}

export interface ServerConfig {
  dataDir: string;
  address: string;
  port: number;
  region: string;
  /** Base domain for virtual-hosted-style requests (bucket.domain); empty = path-style only. */
  domain: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** JSON file of extra (non-root) identities, read at startup; empty = the root identity only. */
  identitiesFile: string;
  /** True when the root credentials are the documented defaults (a warning is logged). */
  usingDefaultCredentials: boolean;
  logLevel: string;
  engine: EngineConfig;
  limits: LimitsConfig;
  multipart: { minPartSizeBytes: number; maxPartsPerUpload: number; maxUploadsInFlight: number; uploadMaxAgeMs: number };
  durability: {
    scrubRateBytesPerSec: number;
    scrubIntervalMs: number;
    compactionGarbagePercent: number;
    compactionRateBytesPerSec: number;
    compactionIntervalMs: number;
    driveCheckIntervalMs: number;
  };
  /** The bucket lifecycle sweeper (src/s3/lifecycle-sweeper.ts). */
  lifecycle: { intervalMs: number; maxDeletionsPerPass: number; maxScannedPerPass: number };
}

type Kind = 'string' | 'int' | 'list' | 'ec';

export interface ConfigOption {
  /** Dotted path in ServerConfig, e.g. 'limits.maxKeyBytes'. */
  key: string;
  flag: string;
  env: string;
  kind: Kind;
  /** Default, as its string form (documented as-is); functions compute it from other settings. */
  defaultValue: string | ((partial: Record<string, string>) => string);
  unit?: string;
  help: string;
}

const opt = (key: string, flag: string, kind: Kind, defaultValue: ConfigOption['defaultValue'], help: string, unit?: string): ConfigOption => ({
  key,
  flag,
  env: 'STRATA_' + flag.replace(/-/g, '_').toUpperCase(),
  kind,
  defaultValue,
  help,
  unit,
});

export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  opt('dataDir', 'data', 'string', './data', 'Data directory (drives default to <data>/drive-1..k+m, index to <data>/index)'),
  opt('engine.drives', 'drives', 'list', (p) => {
    const ec = parseEc(p['ec'] ?? '4+2');
    return Array.from({ length: ec.k + ec.m }, (_, i) => path.join(p['data'] ?? './data', `drive-${i + 1}`)).join(',');
  }, 'Comma-separated drive directories (their order is part of the on-disk format)'),
  opt('engine.indexDir', 'index-dir', 'string', (p) => path.join(p['data'] ?? './data', 'index'), 'LMDB index directory (rebuildable from segments)'),
  opt('engine.erasure', 'ec', 'ec', '4+2', 'Erasure scheme k+m (data shards + parity shards)'),
  opt('address', 'address', 'string', '0.0.0.0', 'Listen address'),
  opt('port', 'port', 'int', '9000', 'Listen port (0 = any free port)'),
  opt('region', 'region', 'string', 'us-east-1', 'Region reported to clients and used in SigV4 scope'),
  opt('domain', 'domain', 'string', '', 'Base domain for virtual-hosted-style requests (bucket.<domain>)'),
  opt('identitiesFile', 'identities-file', 'string', '', 'JSON file of extra users, [{"accessKeyId","secretAccessKey","displayName","email"}, ...], read at startup (the root pair comes from STRATA_ACCESS_KEY / STRATA_SECRET_KEY)'),
  opt('logLevel', 'log-level', 'string', 'info', 'pino log level (trace, debug, info, warn, error, silent)'),
  opt('engine.blockSizeBytes', 'block-size-bytes', 'int', String(1 * MiB), 'Largest block a stream is cut into before erasure coding', 'bytes'),
  opt('engine.segmentSizeBytes', 'segment-size-bytes', 'int', String(1 * GiB), 'Segment file roll-over size', 'bytes'),
  opt('engine.commitWindowMs', 'commit-window-ms', 'int', '0', 'Group commit: how long an idle log waits for more commits before flushing (0 = end of the event-loop turn; commits arriving during a flush always share the next one)', 'ms'),
  opt('engine.commitMaxBatch', 'commit-max-batch', 'int', '256', 'Group commit: flush early past this many commits', 'commits'),
  opt('engine.inFlightBudgetBytes', 'in-flight-budget-bytes', 'int', String(256 * MiB), 'Bytes held in shared blocks across all in-flight writes and reads', 'bytes'),
  opt('engine.workerThreads', 'worker-threads', 'int', () => String(Math.max(1, os.availableParallelism())), 'Piscina worker threads (default: number of cores)', 'threads'),
  opt('engine.workerMaxQueue', 'worker-max-queue', 'int', '1024', 'Tasks waiting for a worker before the engine reports Busy', 'tasks'),
  opt('limits.maxHeaderBytes', 'max-header-bytes', 'int', String(16 * KiB), 'Request header section size', 'bytes'),
  opt('limits.maxUrlBytes', 'max-url-bytes', 'int', String(8 * KiB), 'Request target (path + query) length', 'bytes'),
  opt('limits.maxKeyBytes', 'max-key-bytes', 'int', '1024', 'Object key length, UTF-8', 'bytes'),
  opt('limits.maxUserMetadataBytes', 'max-user-metadata-bytes', 'int', String(2 * KiB), 'User metadata (x-amz-meta-* names + values)', 'bytes'),
  opt('limits.maxObjectSizeBytes', 'max-object-size-bytes', 'int', String(5 * GiB), 'Largest single PUT', 'bytes'),
  opt('limits.maxXmlBodyBytes', 'max-xml-body-bytes', 'int', String(1 * MiB), 'Buffered XML request bodies (DeleteObjects, CreateBucket)', 'bytes'),
  opt('limits.maxBucketPolicyBytes', 'max-bucket-policy-bytes', 'int', String(20 * KiB), 'Bucket policy document size (PutBucketPolicy → PolicyTooLarge)', 'bytes'),
  opt('limits.maxDeleteKeys', 'max-delete-keys', 'int', '1000', 'Keys per DeleteObjects request', 'keys'),
  opt('limits.maxListKeys', 'max-list-keys', 'int', '1000', 'Default and cap of max-keys in listings', 'keys'),
  opt('limits.idleTimeoutMs', 'idle-timeout-ms', 'int', '30000', 'A request idle (no bytes either way) this long gets RequestTimeout', 'ms'),
  opt('limits.maxConnections', 'max-connections', 'int', '4096', 'Concurrent requests in progress, connection-level cap', 'connections'),
  opt('limits.maxInFlightRequests', 'max-in-flight-requests', 'int', '1024', 'Requests served at once; more wait for admission', 'requests'),
  opt('limits.admissionWaitMs', 'admission-wait-ms', 'int', '5000', 'Longest wait for admission before 503 SlowDown', 'ms'),
  opt('limits.maxClockSkewMs', 'max-clock-skew-ms', 'int', String(15 * 60 * 1000), 'Allowed SigV4 clock skew', 'ms'),
  opt('limits.shutdownGraceMs', 'shutdown-grace-ms', 'int', '30000', 'Time in-flight requests get to finish on SIGTERM', 'ms'),
  opt('multipart.minPartSizeBytes', 'multipart-min-part-size-bytes', 'int', String(5 * 1024 * 1024), 'Smallest part but the last (EntityTooSmall)', 'bytes'),
  opt('multipart.maxPartsPerUpload', 'multipart-max-parts', 'int', '10000', 'Part numbers run 1..this', 'parts'),
  opt('multipart.maxUploadsInFlight', 'multipart-max-uploads', 'int', '100000', 'Open multipart uploads on the node; past it CreateMultipartUpload answers SlowDown', 'uploads'),
  opt('multipart.uploadMaxAgeMs', 'multipart-max-age-ms', 'int', String(7 * 24 * 3600 * 1000), 'The sweeper aborts uploads initiated longer ago than this', 'ms'),
  opt('durability.scrubRateBytesPerSec', 'scrub-rate-bytes-per-sec', 'int', String(32 * 1024 * 1024), 'Background scrub read budget', 'bytes/s'),
  opt('durability.scrubIntervalMs', 'scrub-interval-ms', 'int', String(6 * 3600 * 1000), 'Pause between background scrub passes (0 = no background scrub)', 'ms'),
  opt('durability.compactionGarbagePercent', 'compaction-garbage-percent', 'int', '30', 'A segment with this share of garbage is rewritten', '%'),
  opt('durability.compactionRateBytesPerSec', 'compaction-rate-bytes-per-sec', 'int', String(16 * 1024 * 1024), 'Compaction copy budget', 'bytes/s'),
  opt('durability.compactionIntervalMs', 'compaction-interval-ms', 'int', '60000', 'How often compaction looks for candidates (0 = off)', 'ms'),
  opt('lifecycle.intervalMs', 'lifecycle-interval-ms', 'int', String(3600 * 1000), 'Pause between lifecycle sweeper passes: expired objects are deleted, stale multipart uploads aborted (0 = no sweeper)', 'ms'),
  opt('lifecycle.maxDeletionsPerPass', 'lifecycle-max-deletions-per-pass', 'int', '10000', 'Objects deleted plus uploads aborted by one lifecycle pass; the next pass resumes where it stopped', 'actions'),
  opt('lifecycle.maxScannedPerPass', 'lifecycle-max-scanned-per-pass', 'int', '1000000', 'Objects and uploads one lifecycle pass looks at; the next pass resumes where it stopped', 'entries'),
  opt('durability.driveCheckIntervalMs', 'drive-check-interval-ms', 'int', '2000', 'Drive health probe period (0 = no probe)', 'ms'),
];

export function parseEc(s: string): { k: number; m: number } {
  const m = /^(\d+)\+(\d+)$/.exec(s.trim());
  if (!m) throw new ConfigError(`--ec must look like k+m (e.g. 4+2), got '${s}'`);
  const k = Number(m[1]);
  const p = Number(m[2]);
  if (k < 1 || p < 0 || k + p > 255) throw new ConfigError(`--ec ${s}: need k ≥ 1, m ≥ 0, k+m ≤ 255`);
  return { k, m: p };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses `--flag value` / `--flag=value` pairs; unknown flags are errors (typos must not pass silently). */
export function parseFlags(argv: readonly string[], known: ReadonlySet<string>): { flags: Record<string, string>; rest: string[] } {
  const flags: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      rest.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (name === 'help') {
      flags['help'] = 'true';
      continue;
    }
    if (!known.has(name)) throw new ConfigError(`unknown flag --${name}`);
    let value: string | undefined = eq >= 0 ? a.slice(eq + 1) : argv[i + 1];
    if (eq < 0) i++;
    if (value === undefined) throw new ConfigError(`--${name} needs a value`);
    flags[name] = value;
  }
  return { flags, rest };
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let o = target;
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
  o[parts[parts.length - 1]!] = value;
}

/** flags > env > defaults. Pure: pass process.argv / process.env from the CLI, anything from tests. */
export function loadConfig(flags: Record<string, string>, env: Record<string, string | undefined> = {}): ServerConfig {
  const raw: Record<string, string> = {};
  for (const o of CONFIG_OPTIONS) {
    const v = flags[o.flag] ?? env[o.env];
    if (v !== undefined && v !== '') raw[o.flag] = v;
  }
  const out: Record<string, unknown> = {};
  for (const o of CONFIG_OPTIONS) {
    const text = raw[o.flag] ?? (typeof o.defaultValue === 'function' ? o.defaultValue(raw) : o.defaultValue);
    let value: unknown;
    switch (o.kind) {
      case 'string':
        value = text;
        break;
      case 'int': {
        const n = Number(text);
        if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`--${o.flag} must be a non-negative integer, got '${text}'`);
        value = n;
        break;
      }
      case 'list':
        value = text.split(',').map((s) => s.trim()).filter(Boolean);
        break;
      case 'ec':
        value = parseEc(text);
        break;
    }
    setPath(out, o.key, value);
  }
  const cfg = out as unknown as ServerConfig;
  const ec = cfg.engine.erasure;
  if (cfg.engine.drives.length !== ec.k + ec.m) {
    throw new ConfigError(`--drives lists ${cfg.engine.drives.length} drives but --ec ${ec.k}+${ec.m} needs ${ec.k + ec.m}`);
  }
  if (cfg.port > 65535) throw new ConfigError('--port must be ≤ 65535');
  if (cfg.limits.maxKeyBytes < 1) throw new ConfigError('--max-key-bytes must be ≥ 1');
  if (cfg.lifecycle.maxDeletionsPerPass < 1 || cfg.lifecycle.maxScannedPerPass < 1) {
    throw new ConfigError('--lifecycle-max-deletions-per-pass and --lifecycle-max-scanned-per-pass must be ≥ 1');
  }
  if (cfg.durability.compactionGarbagePercent < 1 || cfg.durability.compactionGarbagePercent > 100) {
    throw new ConfigError('--compaction-garbage-percent must be 1..100');
  }
  const ak = env['STRATA_ACCESS_KEY'];
  const sk = env['STRATA_SECRET_KEY'];
  cfg.accessKeyId = ak || DEFAULT_ACCESS_KEY_ID;
  cfg.secretAccessKey = sk || DEFAULT_SECRET_ACCESS_KEY;
  cfg.usingDefaultCredentials = !ak || !sk;
  return cfg;
}

export function knownFlags(): Set<string> {
  return new Set(CONFIG_OPTIONS.map((o) => o.flag));
}

export function renderFlagHelp(options: readonly ConfigOption[] = CONFIG_OPTIONS): string {
  return options
    .map((o) => {
      const def = typeof o.defaultValue === 'function' ? '(computed)' : o.defaultValue === '' ? '(none)' : o.defaultValue;
      return `  --${o.flag.padEnd(26)} ${o.help}${o.unit ? ` [${o.unit}]` : ''}\n  ${''.padEnd(28)} env ${o.env}, default ${def}`;
    })
    .join('\n');
}

/** The README's configuration table, generated so the docs cannot drift from the code. */
/** Options that bound resource use (README's limits table); the rest configure the node. */
export function isLimitOption(o: ConfigOption): boolean {
  return o.key.startsWith('limits.') || o.key.startsWith('multipart.') || o.key === 'lifecycle.maxDeletionsPerPass' || o.key === 'lifecycle.maxScannedPerPass' || o.key === 'engine.inFlightBudgetBytes' || o.key === 'engine.workerMaxQueue';
}

export function renderConfigMarkdown(filter: (o: ConfigOption) => boolean = () => true): string {
  const rows = CONFIG_OPTIONS.filter(filter).map((o) => {
    const def = typeof o.defaultValue === 'function' ? 'computed' : o.defaultValue === '' ? '—' : o.defaultValue;
    return `| \`--${o.flag}\` | \`${o.env}\` | \`${o.key}\` | ${def} | ${o.unit ?? ''} | ${o.help} |`;
  });
  return ['| flag | env | config key | default | unit | meaning |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

/** The two tables README.md shows: configuration, then limits (`strata admin config-table` prints this). */
export function readmeConfigSection(): string {
  return [
    '## Configuration',
    '',
    'Flags win over `STRATA_*` environment variables, which win over the defaults.',
    '',
    renderConfigMarkdown((o) => !isLimitOption(o)),
    '',
    '## Limits',
    '',
    'Every bound on memory, time and input size that a deployment may want to change.',
    '',
    renderConfigMarkdown(isLimitOption),
  ].join('\n');
}
