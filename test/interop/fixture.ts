// One real node process plus the environment the Debian clients (AWS CLI v2, s3cmd, rclone) need to
// reach it, shared by the interop suites. Clients get a private HOME so no user config leaks in.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startStrataNode, type Peer } from '../../src/bench/peers.js';

const run = promisify(execFile);
// Debian's binaries, not whatever a version manager put first on PATH.
export const AWS = '/usr/bin/aws';
export const S3CMD = '/usr/bin/s3cmd';
export const RCLONE = '/usr/bin/rclone';

export interface InteropFixture {
  node: Peer;
  endpoint: string;
  work: string;
  env: NodeJS.ProcessEnv;
  /** Runs a client; a failure carries its output and the tail of the node's log. */
  sh(cmd: string, args: string[]): Promise<string>;
  aws(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export async function startInteropNode(name: string, clients: string[]): Promise<InteropFixture> {
  for (const bin of clients) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: apt-get install -y awscli s3cmd rclone (.ci/run does)`);
  }
  const node = await startStrataNode({ name });
  const endpoint = node.target.endpoint;
  const work = mkdtempSync(path.join(os.tmpdir(), `strata-${name}-`));
  const home = path.join(work, 'home');
  mkdirSync(home);
  const { accessKeyId, secretAccessKey } = node.target.credentials;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: home,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    RCLONE_CONFIG_STRATA_TYPE: 's3',
    RCLONE_CONFIG_STRATA_PROVIDER: 'Other',
    RCLONE_CONFIG_STRATA_ACCESS_KEY_ID: accessKeyId,
    RCLONE_CONFIG_STRATA_SECRET_ACCESS_KEY: secretAccessKey,
    RCLONE_CONFIG_STRATA_ENDPOINT: endpoint,
    RCLONE_CONFIG_STRATA_REGION: 'us-east-1',
    RCLONE_CONFIG_STRATA_FORCE_PATH_STYLE: 'true',
  };
  const hostPort = new URL(endpoint).host;
  writeFileSync(
    path.join(home, '.s3cfg'),
    ['[default]', `access_key = ${accessKeyId}`, `secret_key = ${secretAccessKey}`, `host_base = ${hostPort}`, `host_bucket = ${hostPort}`, 'bucket_location = us-east-1', 'use_https = False', 'signature_v2 = False', ''].join('\n'),
  );
  const sh = async (cmd: string, args: string[]): Promise<string> => {
    try {
      const { stdout } = await run(cmd, args, { env, maxBuffer: 64 << 20, timeout: 240_000 });
      return stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}\nnode output:\n${node.output().slice(-2000)}`);
    }
  };
  return {
    node,
    endpoint,
    work,
    env,
    sh,
    aws: (...args) => sh(AWS, ['--endpoint-url', endpoint, ...args]),
    stop: async () => {
      await node.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
