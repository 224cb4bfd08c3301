// Starts the real server in-process on 127.0.0.1 with a random port, on the real engine in a temp dir.
// Used by every integration test (S3 front end, multipart, bench smoke tests).

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type ServerConfig } from '../../src/config.js';
import { openEngine } from '../../src/store/index.js';
import type { Engine } from '../../src/store/api.js';
import { startServer, type StrataServer } from '../../src/http/server.js';
import { createLogger } from '../../src/observe/log.js';
import { IdentityStore } from '../../src/auth/identities.js';

export const TEST_ACCESS_KEY_ID = 'test-access-key';
export const TEST_SECRET_ACCESS_KEY = 'test-secret-key-0123456789';

export interface TestServer {
  endpoint: string;
  port: number;
  dataDir: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  config: ServerConfig;
  engine: Engine;
  server: StrataServer;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** Extra flags as the CLI takes them, e.g. { 'idle-timeout-ms': '500', domain: 'localhost' }. */
  flags?: Record<string, string>;
  /** pino level; default 'silent' (set STRATA_TEST_LOG=info to see request lines). */
  logLevel?: string;
  /** Reuse a data dir (restart tests); default a fresh temp dir, removed by stop(). */
  dataDir?: string;
  /** Identities besides the root key pair (non-root callers, e.g. for bucket-policy tests). */
  extraIdentities?: { accessKeyId: string; secretAccessKey: string; displayName: string }[];
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'strata-test-')));
  const ownsDir = options.dataDir === undefined;
  const config = loadConfig(
    {
      data: dataDir,
      address: '127.0.0.1',
      port: '0',
      'worker-threads': '1',
      'log-level': options.logLevel ?? process.env['STRATA_TEST_LOG'] ?? 'silent',
      ...options.flags,
    },
    { STRATA_ACCESS_KEY: TEST_ACCESS_KEY_ID, STRATA_SECRET_KEY: TEST_SECRET_ACCESS_KEY },
  );
  const log = createLogger(config.logLevel);
  const engine = await openEngine(config.engine);
  let server: StrataServer;
  try {
    const identities = options.extraIdentities
      ? IdentityStore.fromConfig({ accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, displayName: config.accessKeyId }, options.extraIdentities)
      : undefined;
    server = await startServer({ engine, config, log, ...(identities ? { identities } : {}) });
  } catch (err) {
    await engine.close();
    throw err;
  }
  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    port: server.port,
    dataDir,
    accessKeyId: TEST_ACCESS_KEY_ID,
    secretAccessKey: TEST_SECRET_ACCESS_KEY,
    region: config.region,
    config,
    engine,
    server,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      await engine.close();
      if (ownsDir) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
