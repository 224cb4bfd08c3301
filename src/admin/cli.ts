// `strata admin scrub | fsck | status | replace-drive | drill` (issue #5). The lead wires
// runAdminCli() into src/cli.ts; `admin rebuild-index` stays with the S3 layer's CLI.
// Exit codes: 0 clean, 1 problems found that were not (all) fixed / data lost, 2 usage or refusal.
import { CONFIG_OPTIONS, ConfigError, loadConfig, parseFlags, renderFlagHelp } from '../config.js';
import type { EngineConfig } from '../store/api.js';
import { openEngine, type StrataEngine } from '../store/engine.js';
import { Durability } from '../store/durability.js';
import { fsck, type FsckReport } from '../store/fsck.js';
import type { ScrubReport } from '../store/scrub.js';
import { acquireAdminLock, otherIndexUsers } from './guard.js';
import { fmtBytes, nodeStatus, renderStatus } from './status.js';

const ENGINE_FLAGS = new Set(['data', 'drives', 'index-dir', 'ec', 'log-level', ...CONFIG_OPTIONS.filter((o) => o.key.startsWith('engine.')).map((o) => o.flag)]);
const ENGINE_HELP = renderFlagHelp(CONFIG_OPTIONS.filter((o) => ENGINE_FLAGS.has(o.flag)));

const USAGE = `Usage: strata admin <command> [flags]

Commands:
  scrub            Verify every record and every shard now; rebuild bad ones (node stopped)
  fsck             Check index <-> segments both ways; --repair fixes what can be fixed (node stopped)
  status           Drives, index and garbage of a data directory (read-only; fine while the node runs)
  replace-drive N  Format the empty directory of drive N (1-based) and rebuild its shards (node stopped;
                   a node running the durability operations does this by itself)
  compact          Rewrite segments past the garbage threshold now (node stopped)
  drill            Fault drill against a throwaway node: kill -9, bit rot, wiped drive, interrupted compaction
  rebuild-index    Rebuild the LMDB index from the segments (see strata admin rebuild-index --help)
  config-table     Every flag / env variable / default as a Markdown table

Run 'strata admin <command> --help' for its flags.`;

const COMMON = `  --json                       Print the report as JSON
  --force                      Run even if another process holds the index open (unsafe)`;

const HELP: Record<string, string> = {
  scrub: `Usage: strata admin scrub [--no-repair] [--rate-mib-per-sec N] [--json] [--force] [engine flags]

Walks every segment (every record's checksums) and every live layout (every shard's xxHash64, parity
included). Bad or missing shards are rebuilt from the others and written to a healthy drive unless
--no-repair. Exit 1 if anything is unrecoverable (or, with --no-repair, if anything is bad).

  --no-repair                  Only report
  --rate-mib-per-sec N         Read budget (default: unlimited)
${COMMON}

Engine flags:
${ENGINE_HELP}`,
  fsck: `Usage: strata admin fsck [--repair] [--json] [--force] [engine flags]

Checks the index against the segments and the segments against the index: dangling shard references,
unreadable objects, orphaned records, index entries the segments do not back (a rebuild would lose
them), entries missing from the index, stale entries, and every record's checksums. --repair re-points
or rebuilds index entries, re-logs entries only the index knows, rebuilds dangling shards and drops
unreadable entries. Exit 1 if problems remain.

  --repair                     Fix what can be fixed
${COMMON}

Engine flags:
${ENGINE_HELP}`,
  status: `Usage: strata admin status [--json] [engine flags]

Read-only: drive states, segments and free space, index counts, live/garbage bytes. Safe while the node runs.

Engine flags:
${ENGINE_HELP}`,
  compact: `Usage: strata admin compact [--garbage-ratio R] [--rate-mib-per-sec N] [--json] [--force] [engine flags]

Rewrites every sealed segment whose garbage share is at least R (default 0.3) with its live records
only, then deletes it. Crash-safe at every step. Exit 0 unless a segment could not be finished.

  --garbage-ratio R            0..1 (default 0.3)
  --rate-mib-per-sec N         Read/copy budget (default: unlimited)
${COMMON}

Engine flags:
${ENGINE_HELP}`,
  'replace-drive': `Usage: strata admin replace-drive N [--json] [--force] [engine flags]

Drive N (1-based) must be an empty or missing directory (the new disk). It is formatted and every shard
that belongs on it is rebuilt from the other drives. Exit 1 if any block could not be rebuilt.
${COMMON}

Engine flags:
${ENGINE_HELP}`,
};

class UsageError extends Error {}

function takeSwitches(argv: string[], names: string[], valued: string[]): { switches: Record<string, string | true>; rest: string[] } {
  const switches: Record<string, string | true> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : '';
    if (names.includes(name)) switches[name] = true;
    else if (valued.includes(name)) {
      const eq = a.indexOf('=');
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      switches[name] = v;
    } else rest.push(a);
  }
  return { switches, rest };
}

function engineConfig(argv: string[]): { config: EngineConfig; positional: string[]; help: boolean } {
  const { flags, rest } = parseFlags(argv, ENGINE_FLAGS);
  return { config: loadConfig(flags, process.env).engine, positional: rest, help: flags['help'] === 'true' };
}

const out = (s: string): void => void process.stdout.write(s + '\n');
const err = (s: string): void => void process.stderr.write(s + '\n');

async function withOfflineEngine<T>(config: EngineConfig, force: boolean, fn: (e: StrataEngine) => Promise<T>): Promise<T> {
  const users = await otherIndexUsers(config.indexDir);
  if (users.length > 0 && !force) throw new UsageError(`a node (pid ${users.join(', ')}) has this data open: stop it first (or --force)`);
  const lock = await acquireAdminLock(config.indexDir);
  try {
    const engine = await openEngine(config, { log: (m) => err(`engine: ${m}`) });
    try {
      return await fn(engine);
    } finally {
      await engine.close();
    }
  } finally {
    await lock.release();
  }
}

export function renderScrub(r: ScrubReport): string {
  const rows: [string, string][] = [
    ['segments scanned', `${r.segmentsScanned} (${fmtBytes(r.segmentBytesScanned)}, ${r.recordsChecked} records)`],
    ['bad segment regions', `${r.badRegions} (${fmtBytes(r.badRegionBytes)})`],
    ['objects checked', String(r.objectsChecked)],
    ['aux records checked', String(r.auxChecked)],
    ['blocks checked', String(r.blocksChecked)],
    ['shard bytes checked', fmtBytes(r.bytesChecked)],
    ['bad shards found', String(r.badShards)],
    ['repaired', String(r.repairedShards)],
    ['deferred (no healthy drive)', String(r.deferredShards)],
    ['unrecoverable blocks', String(r.unrecoverableBlocks)],
    ['commit records < m+1 copies', `${r.underReplicatedRecords} (${r.reloggedRecords} re-logged)`],
    ['time', `${(r.durationMs / 1000).toFixed(2)} s${r.durationMs > 0 ? `, ${((r.bytesChecked + r.segmentBytesScanned) / 1048576 / (r.durationMs / 1000)).toFixed(1)} MiB/s` : ''}`],
  ];
  const lines = rows.map(([a, b]) => `  ${a.padEnd(28)} ${b}`);
  if (r.unrecoverableEntries.length) lines.push(`  unrecoverable: ${r.unrecoverableEntries.join(', ')}`);
  for (const f of r.findings.slice(0, 20)) lines.push(`  - ${f.entry} block ${f.block} shard ${f.shard} (drive ${f.drive === null ? '-' : f.drive + 1}): ${f.reason} → ${f.outcome}`);
  return `scrub ${r.complete ? 'complete' : 'INCOMPLETE'}\n${lines.join('\n')}`;
}

export function renderFsck(r: FsckReport): string {
  const lines = [
    `fsck: ${r.problems} problem(s)${r.badRegions ? ` (plus ${r.badRegions} rotten region(s): any live data in them is counted above, the rest is dead)` : ''}`,
    `  segments ${r.segmentsScanned} (${fmtBytes(r.segmentBytes)}), records ${r.recordsChecked} (${r.shardRecords} shard, ${r.metadataRecords} metadata)`,
    `  bad regions ${r.badRegions} (${fmtBytes(r.badRegionBytes)})`,
    `  index: ${r.objects} objects, ${r.auxWithLayout} aux layouts, ${r.shardRefs} shard references`,
    `  dangling references ${r.danglingRefs}; unreadable entries ${r.unreadable.length}`,
    `  orphaned shard records ${r.orphanShardRecords} (${fmtBytes(r.orphanShardBytes)}, garbage for compaction)`,
    `  missing from index ${r.missingFromIndex.length}; not backed by segments ${r.notBacked.length}; stale ${r.stale.length}`,
    `  buckets missing from index ${r.bucketsMissingFromIndex.length}; buckets not backed ${r.bucketsNotBacked.length}`,
  ];
  for (const d of r.dangling.slice(0, 20)) lines.push(`  - dangling: ${d.entry} block ${d.block} shard ${d.shard} → drive ${d.drive + 1} seg ${d.segment} @${d.offset}: ${d.reason}`);
  for (const u of r.unreadable.slice(0, 20)) lines.push(`  - unreadable: ${u}`);
  for (const m of r.missingFromIndex.slice(0, 20)) lines.push(`  - missing from index: ${m}`);
  for (const m of r.notBacked.slice(0, 20)) lines.push(`  - not backed: ${m}`);
  for (const s of r.stale.slice(0, 20)) lines.push(`  - stale: ${s.entry} index seq ${s.indexSeq}, segments seq ${s.segmentSeq}`);
  if (r.repaired) lines.push(`  repaired: ${r.repaired.indexFixed} index entries fixed, ${r.repaired.relogged} re-logged, ${r.repaired.shardsRebuilt} shards rebuilt, ${r.repaired.dropped} dropped`);
  return lines.join('\n');
}

async function cmdScrub(argv: string[]): Promise<number> {
  const { switches, rest } = takeSwitches(argv, ['no-repair', 'json', 'force'], ['rate-mib-per-sec']);
  const { config, positional, help } = engineConfig(rest);
  if (help) return (out(HELP['scrub']!), 0);
  if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const rate = switches['rate-mib-per-sec'] === undefined ? Infinity : Number(switches['rate-mib-per-sec']) * 1024 * 1024;
  if (!(rate > 0)) throw new UsageError('--rate-mib-per-sec must be > 0');
  const repair = switches['no-repair'] !== true;
  const report = await withOfflineEngine(config, switches['force'] === true, async (engine) => {
    const dur = new Durability(engine, { scrubEnabled: false, driveCheckIntervalMs: 0, workerThreads: Math.max(1, Math.min(2, config.workerThreads)), log: (m) => err(m) });
    try {
      return await dur.scrub({ repair, rateBytesPerSec: rate });
    } finally {
      await dur.close();
    }
  });
  out(switches['json'] ? JSON.stringify(report, null, 2) : renderScrub(report));
  // Bad segment regions alone are not failures: after a repair they are garbage until compaction.
  const bad = report.unrecoverableBlocks > 0 || !report.complete || (!repair && report.badShards > 0);
  return bad ? 1 : 0;
}

async function cmdFsck(argv: string[]): Promise<number> {
  const { switches, rest } = takeSwitches(argv, ['repair', 'json', 'force'], []);
  const { config, positional, help } = engineConfig(rest);
  if (help) return (out(HELP['fsck']!), 0);
  if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const repair = switches['repair'] === true;
  const result = await withOfflineEngine(config, switches['force'] === true, async (engine) => {
    const dur = new Durability(engine, { scrubEnabled: false, driveCheckIntervalMs: 0, log: (m) => err(m) });
    try {
      const first = await fsck(engine, { repair, repairer: dur.repairer, log: (m) => err(m) });
      // After a repair, check again: the exit code says whether problems remain.
      const after = repair ? await fsck(engine, { repair: false }) : undefined;
      return { first, after };
    } finally {
      await dur.close();
    }
  });
  if (switches['json']) out(JSON.stringify(result.after ? { report: result.first, after: result.after } : result.first, null, 2));
  else {
    out(renderFsck(result.first));
    if (result.after) out(`after repair:\n${renderFsck(result.after)}`);
  }
  const remaining = (result.after ?? result.first).problems;
  return remaining > 0 ? 1 : 0;
}

async function cmdCompact(argv: string[]): Promise<number> {
  const { switches, rest } = takeSwitches(argv, ['json', 'force'], ['garbage-ratio', 'rate-mib-per-sec']);
  const { config, positional, help } = engineConfig(rest);
  if (help) return (out(HELP['compact']!), 0);
  if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const ratio = switches['garbage-ratio'] === undefined ? 0.3 : Number(switches['garbage-ratio']);
  if (!(ratio >= 0 && ratio <= 1)) throw new UsageError('--garbage-ratio must be within 0..1');
  const rate = switches['rate-mib-per-sec'] === undefined ? Infinity : Number(switches['rate-mib-per-sec']) * 1024 * 1024;
  if (!(rate > 0)) throw new UsageError('--rate-mib-per-sec must be > 0');
  const results = await withOfflineEngine(config, switches['force'] === true, async (engine) => {
    const dur = new Durability(engine, {
      scrubEnabled: false,
      driveCheckIntervalMs: 0,
      compactionIntervalMs: 0,
      compactionGarbageRatio: ratio,
      compactionRateBytesPerSec: rate,
      compactionMinAgeMs: 0, // offline: no writer can be in progress
      compactionDeleteGraceMs: 0,
      compactionFdCloseGraceMs: 0,
      log: (m) => err(m),
    });
    const all = [];
    try {
      // Bounded: each round handles up to COMPACTION_MAX_SEGMENTS_PER_ROUND segments.
      for (let round = 0; round < 10_000; round++) {
        const res = await dur.compact();
        all.push(...res);
        if (res.filter((r) => r.outcome === 'compacted').length === 0) break;
      }
    } finally {
      await dur.close();
    }
    return all;
  });
  const compacted = results.filter((r) => r.outcome === 'compacted');
  const reclaimed = compacted.reduce((n, r) => n + r.fileBytes - r.liveBytes, 0);
  if (switches['json']) out(JSON.stringify(results, null, 2));
  else {
    out(`compaction: ${compacted.length} segment(s) rewritten, ${fmtBytes(reclaimed)} reclaimed`);
    for (const r of results) out(`  drive ${r.drive + 1} segment ${r.segment}: ${r.outcome}, ${(r.garbageRatio * 100).toFixed(0)}% garbage of ${fmtBytes(r.fileBytes)}, ${r.shardsMoved} shards moved, ${r.durationMs} ms`);
  }
  return results.some((r) => r.outcome === 'still referenced' || r.outcome === 'stopped') ? 1 : 0;
}

async function cmdStatus(argv: string[]): Promise<number> {
  const { switches, rest } = takeSwitches(argv, ['json'], []);
  const { config, positional, help } = engineConfig(rest);
  if (help) return (out(HELP['status']!), 0);
  if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const s = await nodeStatus(config);
  out(switches['json'] ? JSON.stringify(s, null, 2) : renderStatus(s));
  return s.readable ? 0 : 1;
}

async function cmdReplaceDrive(argv: string[]): Promise<number> {
  const { switches, rest } = takeSwitches(argv, ['json', 'force'], []);
  const { config, positional, help } = engineConfig(rest);
  if (help) return (out(HELP['replace-drive']!), 0);
  const n = Number(positional[0]);
  if (positional.length !== 1 || !Number.isInteger(n) || n < 1 || n > config.drives.length) throw new UsageError(`replace-drive needs a drive number 1..${config.drives.length}`);
  const { promises: fsp } = await import('node:fs');
  const dir = config.drives[n - 1]!;
  const names = await fsp.readdir(dir).catch(() => undefined);
  if (names && names.length > 0) throw new UsageError(`drive ${n} (${dir}) is not empty: mount the new, empty disk there first`);
  await fsp.mkdir(dir, { recursive: true });
  const progress = await withOfflineEngine(config, switches['force'] === true, async (engine) => {
    const dur = new Durability(engine, { scrubEnabled: false, driveCheckIntervalMs: 0, workerThreads: Math.max(1, Math.min(2, config.workerThreads)), log: (m) => err(m) });
    const tick = setInterval(() => {
      const p = dur.drives.health[n - 1]?.rebuild;
      if (p) err(`rebuild drive ${n}: ${p.entriesScanned}/${p.entriesTotal} entries, ${p.shardsRebuilt} shards rebuilt`);
    }, 1000);
    try {
      if (!engine.internals.driveSet.drives[n - 1]!.replaced) throw new UsageError(`drive ${n} was not formatted as a replacement at open`);
      await dur.rebuildDrive(n - 1);
      return dur.drives.health[n - 1]!.rebuild!;
    } finally {
      clearInterval(tick);
      await dur.close();
    }
  });
  out(
    switches['json']
      ? JSON.stringify(progress, null, 2)
      : `drive ${n} rebuilt: ${progress.shardsRebuilt} shards in ${(((progress.finishedMs ?? Date.now()) - progress.startedMs) / 1000).toFixed(2)} s; ${progress.unrecoverableBlocks} unrecoverable blocks, ${progress.deferredShards} deferred`,
  );
  return progress.done && progress.unrecoverableBlocks === 0 && progress.deferredShards === 0 ? 0 : 1;
}

export async function runAdminCli(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'scrub':
        return await cmdScrub(rest);
      case 'fsck':
        return await cmdFsck(rest);
      case 'status':
        return await cmdStatus(rest);
      case 'replace-drive':
        return await cmdReplaceDrive(rest);
      case 'compact':
        return await cmdCompact(rest);
      case 'rebuild-index': {
        // Normally routed by src/cli.ts; here too so runAdminCli covers every admin command.
        const { switches, rest: r } = takeSwitches(rest, ['force'], []);
        const { config, help } = engineConfig(r);
        if (help) return (out('Usage: strata admin rebuild-index [--force] [engine flags]'), 0);
        const users = await otherIndexUsers(config.indexDir);
        if (users.length > 0 && switches['force'] !== true) throw new UsageError(`a node (pid ${users.join(', ')}) has this data open: stop it first (or --force)`);
        const { rebuildIndex } = await import('../store/engine.js');
        out(JSON.stringify(await rebuildIndex(config), null, 2));
        return 0;
      }
      case 'drill': {
        const { runDrillCli } = await import('./drill.js');
        return await runDrillCli(rest);
      }
      case undefined:
      case 'help':
      case '--help':
        out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        err(`strata admin: unknown command '${cmd}'\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      err(`strata admin ${cmd}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
