// Entry point: `strata server | admin rebuild-index | bench | help`. Every command has --help.

import { loadConfig, knownFlags, parseFlags, readmeConfigSection, renderFlagHelp, ConfigError, CONFIG_OPTIONS, DEFAULT_ACCESS_KEY_ID, type ServerConfig } from './config.js';
import { createLogger, type Logger } from './observe/log.js';

const USAGE = `Usage: strata <command> [flags]

Commands:
  server                 Run the S3 storage node
  admin rebuild-index    Rebuild the LMDB index from the segment files (node must be stopped)
  admin config-table     Print every flag / env variable / default as a Markdown table (README)
  admin scrub|fsck|status|replace-drive|drill
                         Offline maintenance (see strata admin --help)
  bench                  Benchmark harness (see: strata bench --help)
  help                   This text

Run 'strata <command> --help' for the flags of a command.`;

const SERVER_HELP = `Usage: strata server [flags]

Runs the S3-compatible node. Flags override STRATA_* environment variables, which override defaults.
Root credentials come from STRATA_ACCESS_KEY / STRATA_SECRET_KEY; when unset, the documented
defaults (${DEFAULT_ACCESS_KEY_ID} / strata-secret-key) are used and a warning is logged.
Health: GET /health/live, GET /health/ready (503 while starting or draining). Metrics: GET /metrics.
SIGTERM/SIGINT: readiness goes 503, new connections are refused, in-flight requests finish, the engine closes.

Flags:
${renderFlagHelp()}`;

const ENGINE_FLAGS = new Set(['data', 'drives', 'index-dir', 'ec', 'log-level', ...CONFIG_OPTIONS.filter((o) => o.key.startsWith('engine.')).map((o) => o.flag)]);

const REBUILD_HELP = `Usage: strata admin rebuild-index [flags]

Discards the LMDB index and rebuilds it from the segment files on the drives. Stop the node first:
it refuses while another process holds the index open, unless --force.

  --force                      Rebuild even if another process holds the index open (unsafe)

Flags:
${renderFlagHelp(CONFIG_OPTIONS.filter((o) => ENGINE_FLAGS.has(o.flag)))}`;

function fail(message: string): never {
  process.stderr.write(`strata: ${message}\n`);
  process.exit(2);
}

async function runServer(argv: string[]): Promise<void> {
  const { flags, rest } = parseFlags(argv, knownFlags());
  if (flags['help']) {
    process.stdout.write(SERVER_HELP + '\n');
    return;
  }
  if (rest.length) fail(`unexpected argument '${rest[0]}' (see strata server --help)`);
  const config: ServerConfig = loadConfig(flags, process.env);
  const log = createLogger(config.logLevel);
  if (config.usingDefaultCredentials) {
    log.warn({ accessKeyId: config.accessKeyId }, 'STRATA_ACCESS_KEY / STRATA_SECRET_KEY not set: using the documented default root credentials. Set them before exposing this node.');
  }
  const { openEngine } = await import('./store/index.js');
  const { startServer, identityStoreFromConfig } = await import('./http/server.js');
  // Before anything opens: a bad identities file is a configuration error, like a bad flag.
  let identities: Awaited<ReturnType<typeof identityStoreFromConfig>>;
  try {
    identities = await identityStoreFromConfig(config);
  } catch (err) {
    fail((err as Error).message);
  }
  if (identities.size > 1) log.info({ identities: identities.size, file: config.identitiesFile }, 'identities loaded');
  // Listen first: while the engine opens (recovery can take a while) /health/live is 200 and
  // /health/ready is 503, so an orchestrator can tell "starting" from "dead".
  const opening = openEngine(config.engine, { log: (m) => log.info({ engine: true }, m) });
  opening.catch(() => undefined);
  const server = await startServer({ engine: opening, config, log, identities });
  log.info({ address: config.address, port: server.port }, 'listening; opening the engine');
  let engine: Awaited<typeof opening>;
  try {
    engine = await opening;
  } catch (err) {
    log.error({ err }, 'cannot open the engine');
    await server.close();
    log.flush?.();
    process.exit(1);
  }
  // Scrub, heal-on-read, drive probes and compaction run inside the serving node; engine.close() stops them first.
  const { startDurability } = await import('./store/durability.js');
  const d = config.durability;
  startDurability(engine, {
    scrubRateBytesPerSec: d.scrubRateBytesPerSec,
    scrubEnabled: d.scrubIntervalMs > 0,
    ...(d.scrubIntervalMs > 0 ? { scrubIntervalMs: d.scrubIntervalMs } : {}),
    compactionGarbageRatio: d.compactionGarbagePercent / 100,
    compactionRateBytesPerSec: d.compactionRateBytesPerSec,
    compactionIntervalMs: d.compactionIntervalMs,
    driveCheckIntervalMs: d.driveCheckIntervalMs,
    log: (m) => log.info({ durability: true }, m),
  });
  log.info({ address: config.address, port: server.port, region: config.region, domain: config.domain || undefined, drives: config.engine.drives, ec: config.engine.erasure }, 'strata serving');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'draining');
    void shutdown(server, engine, log).then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function shutdown(server: { close(): Promise<void> }, engine: { close(): Promise<void> }, log: Logger): Promise<void> {
  await server.close();
  await engine.close();
  log.info('stopped');
  log.flush?.();
}

async function runRebuild(argv: string[]): Promise<void> {
  const { flags, rest } = parseFlags(argv.map((a) => (a === '--force' ? '--force=true' : a)), new Set([...ENGINE_FLAGS, 'force']));
  if (flags['help']) {
    process.stdout.write(REBUILD_HELP + '\n');
    return;
  }
  if (rest.length) fail(`unexpected argument '${rest[0]}'`);
  const force = flags['force'] !== undefined;
  delete flags['force'];
  const config = loadConfig(flags, process.env);
  if (!force) {
    // Rebuilding under a running node would pull the index out from under it.
    const { otherIndexUsers } = await import('./admin/guard.js');
    const users = await otherIndexUsers(config.engine.indexDir);
    if (users.length) fail(`the index at ${config.engine.indexDir} is open in process ${users.join(', ')}: stop the node first (or --force)`);
  }
  const { rebuildIndex } = await import('./store/index.js');
  const report = await rebuildIndex(config.engine);
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
}

async function runBench(argv: string[]): Promise<void> {
  // The benchmark harness owns its CLI (src/bench/cli.ts); it is loaded only when asked for.
  const { runBenchCli } = await import('./bench/cli.js');
  const code = await runBenchCli(argv);
  if (code !== 0) process.exitCode = code;
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'server':
        return await runServer(rest);
      case 'admin': {
        const [sub, ...r] = rest;
        if (sub === 'rebuild-index') return await runRebuild(r);
        if (sub === 'config-table') {
          // README.md carries both tables verbatim (a test keeps them in step with CONFIG_OPTIONS).
          process.stdout.write(readmeConfigSection() + '\n');
          return;
        }
        // scrub, fsck, status, replace-drive, drill and the admin usage live in src/admin (issue #5).
        const { runAdminCli } = await import('./admin/cli.js');
        const code = await runAdminCli(rest);
        if (code !== 0) process.exitCode = code;
        return;
      }
      case 'bench':
        return await runBench(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        return;
      default:
        return fail(`unknown command '${cmd}'\n\n${USAGE}`);
    }
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

await main(process.argv.slice(2));
