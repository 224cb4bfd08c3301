// The command-line clients operators use — AWS CLI (botocore), s3cmd (SigV4 and --signature-v2), rclone —
// against the auth-only server. We only assert that every request they send authenticates; the fake
// server's S3 answers are minimal, so a CLI may still complain about a response.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AKID, REGION, SECRET } from './helpers.js';
import { port, seen, startAuthServer, stopAuthServer } from './auth-server.js';

function have(bin: string): boolean {
  return ['/usr/bin', '/usr/local/bin', '/root/.pyenv/shims', ...(process.env['PATH'] ?? '').split(':')].some((d) => {
    try {
      return statSync(join(d, bin)).isFile();
    } catch {
      return false;
    }
  });
}

function run(bin: string, args: string[], env: Record<string, string> = {}, input?: string): Promise<{ code: number; out: string }> {
  // A CA bundle for https makes the Go SDK in rclone refuse a plain-http endpoint; none of this is TLS.
  const base = { ...process.env };
  delete base['AWS_CA_BUNDLE'];
  return new Promise((resolve) => {
    const child = execFile(bin, args, { env: { ...base, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

let dir = '';
let file = '';
beforeAll(async () => {
  await startAuthServer();
  dir = mkdtempSync(join(tmpdir(), 'strata-auth-cli-'));
  file = join(dir, 'data.bin');
  writeFileSync(file, Buffer.alloc(300_000, 'z'));
});
afterAll(async () => {
  await stopAuthServer();
  rmSync(dir, { recursive: true, force: true });
});

function expectAllAuthenticated(minRequests: number, log: string): void {
  if (process.env["STRATA_AUTH_DEBUG"]) console.log(seen.map((s) => `${s.method} ${s.url} ${s.auth?.kind} ${s.auth?.payloadMode}`).join("\n"));
  expect(seen.length, log).toBeGreaterThanOrEqual(minRequests);
  expect(seen.filter((s) => s.error !== undefined).map((s) => `${s.method} ${s.url}: ${s.error}`), log).toEqual([]);
}

describe.skipIf(!have('aws'))('AWS CLI', () => {
  const env = (): Record<string, string> => ({
    AWS_ACCESS_KEY_ID: AKID,
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_DEFAULT_REGION: REGION,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  it('s3api put-object / get-object / list-objects-v2, s3 cp', async () => {
    seen.length = 0;
    const ep = ['--endpoint-url', `http://127.0.0.1:${port}`];
    const logs: string[] = [];
    logs.push((await run('aws', [...ep, 's3api', 'put-object', '--bucket', 'bucket', '--key', 'cli/a b+c.bin', '--body', file], env())).out);
    logs.push((await run('aws', [...ep, 's3api', 'get-object', '--bucket', 'bucket', '--key', 'cli/ü x.txt', '--range', 'bytes=0-4', join(dir, 'out')], env())).out);
    logs.push((await run('aws', [...ep, 's3api', 'list-objects-v2', '--bucket', 'bucket', '--prefix', 'a b/', '--delimiter', '/'], env())).out);
    logs.push((await run('aws', [...ep, 's3', 'cp', file, 's3://bucket/cp/file.bin'], env())).out);
    expectAllAuthenticated(4, logs.join('\n'));
    expect(seen.some((s) => s.method === 'PUT' && s.body?.length === 300_000)).toBe(true);
  });
});

describe.skipIf(!have('s3cmd'))('s3cmd', () => {
  for (const v2 of [false, true]) {
    it(`put / get / ls (${v2 ? 'signature v2' : 'signature v4'})`, async () => {
      seen.length = 0;
      const cfg = join(dir, `s3cfg-${v2}`);
      writeFileSync(
        cfg,
        `[default]\naccess_key = ${AKID}\nsecret_key = ${SECRET}\nhost_base = 127.0.0.1:${port}\nhost_bucket = 127.0.0.1:${port}\nuse_https = False\nbucket_location = ${REGION}\nsignature_v2 = ${v2 ? 'True' : 'False'}\n`,
      );
      const logs: string[] = [];
      logs.push((await run('s3cmd', ['-c', cfg, 'put', file, 's3://bucket/s3cmd/a b(1).bin'])).out);
      logs.push((await run('s3cmd', ['-c', cfg, 'ls', 's3://bucket/some prefix/'])).out);
      logs.push((await run('s3cmd', ['-c', cfg, '--force', 'get', 's3://bucket/s3cmd/key+x.txt', join(dir, 'got')])).out);
      expectAllAuthenticated(3, logs.join('\n'));
      if (v2) expect(seen.some((s) => s.auth?.kind === 'header-v2')).toBe(true);
    });
  }
});

describe.skipIf(!have('rclone'))('rclone', () => {
  it('lsf / rcat / cat', async () => {
    seen.length = 0;
    const env = {
      RCLONE_CONFIG: '/dev/null',
      RCLONE_CONFIG_S_TYPE: 's3',
      RCLONE_CONFIG_S_PROVIDER: 'Other',
      RCLONE_CONFIG_S_ACCESS_KEY_ID: AKID,
      RCLONE_CONFIG_S_SECRET_ACCESS_KEY: SECRET,
      RCLONE_CONFIG_S_ENDPOINT: `http://127.0.0.1:${port}`,
      RCLONE_CONFIG_S_REGION: REGION,
      RCLONE_CONFIG_S_FORCE_PATH_STYLE: 'true',
    };
    const logs: string[] = [];
    logs.push((await run('rclone', ['lsf', 's:bucket/dir with space/'], env)).out);
    logs.push((await run('rclone', ['rcat', 's:bucket/rc/ké y.txt'], env, 'hello from rclone')).out);
    logs.push((await run('rclone', ['cat', 's:bucket/rc/x.txt'], env)).out);
    expectAllAuthenticated(3, logs.join('\n'));
  });
});
