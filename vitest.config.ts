import { defineConfig } from 'vitest/config';

// Real worker threads, real files, real servers: tests are I/O-heavy, so keep parallelism modest on 2 cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/interop/**', 'node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // The second names any file whose worker died mid-run (vitest itself says only "Worker exited unexpectedly").
    reporters: ['default', './test/helpers/unfinished-reporter.ts'],
  },
});
