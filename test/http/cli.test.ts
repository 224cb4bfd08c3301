// The built CLI (bin/strata.js → dist/src/cli.js, built by `npm test`): --help everywhere, a real
// `strata server` process that becomes ready, serves, and exits 0 on SIGTERM after draining.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/strata.js');
const built = fs.existsSync(path.join(ROOT, 'dist/src/cli.js')) && fs.existsSync(path.join(ROOT, 'dist/src/http/server.js'));

describe.skipIf(!built)('strata CLI (built)', () => {
  it('every command has --help', () => {
    for (const args of [['--help'], ['server', '--help'], ['admin', 'rebuild-index', '--help'], ['admin', '--help'], ['admin', 'fsck', '--help'], ['bench', '--help']]) {
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, args.join(' ') + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/usage:\s+strata/i);
    }
    const server = spawnSync(process.execPath, [BIN, 'server', '--help'], { encoding: 'utf8' }).stdout;
    for (const flag of ['--data', '--drives', '--ec', '--address', '--port', '--region', '--domain', '--max-key-bytes', '--idle-timeout-ms', '--commit-window-ms']) {
      expect(server).toContain(flag);
    }
    const table = spawnSync(process.execPath, [BIN, 'admin', 'config-table'], { encoding: 'utf8' });
    expect(table.stdout).toContain('| `--max-key-bytes` | `STRATA_MAX_KEY_BYTES` | `limits.maxKeyBytes` | 1024 | bytes |');
    const bad = spawnSync(process.execPath, [BIN, 'server', '--prot', '1'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown flag --prot');
  });

  it('server refuses to start on a bad --identities-file, naming the file, the entry and the reason', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cli-'));
    try {
      const file = path.join(dir, 'users.json');
      fs.writeFileSync(file, JSON.stringify([{ accessKeyId: 'alice-key', secretAccessKey: 'alice-secret-123' }, { accessKeyId: 'alice-key', secretAccessKey: 'other-secret-123' }]));
      const r = spawnSync(process.execPath, [BIN, 'server', '--data', dir, '--address', '127.0.0.1', '--port', '0', '--identities-file', file], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`identities file ${file}: entry 1`);
      expect(r.stderr).toContain('duplicate access key id alice-key');
      expect(fs.existsSync(path.join(dir, 'index'))).toBe(false); // refused before the engine opened anything
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('server starts, reports ready, warns about default credentials, drains on SIGTERM and exits 0', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cli-'));
    const env = { ...process.env };
    delete env['STRATA_ACCESS_KEY'];
    delete env['STRATA_SECRET_KEY'];
    const child = spawn(process.execPath, [BIN, 'server', '--data', dir, '--address', '127.0.0.1', '--port', '0', '--worker-threads', '1'], { env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('server did not start: ' + out)), 30_000);
        const onData = (): void => {
          const m = /"port":(\d+)[^\n]*"msg":"strata serving"/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        };
        child.stdout.on('data', onData);
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(out).toContain('default root credentials');
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(ready.status).toBe(200);
      const anon = await fetch(`http://127.0.0.1:${port}/`);
      expect(anon.status).toBe(403);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('"msg":"stopped"');
      const rebuild = spawnSync(process.execPath, [BIN, 'admin', 'rebuild-index', '--data', dir, '--worker-threads', '1'], { encoding: 'utf8', timeout: 30_000 });
      expect(rebuild.status, rebuild.stderr).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
