#!/usr/bin/env node
// Erasure coding, fs appends and hashing share libuv's thread pool; its default of 4 starves under load.
// It must be sized before anything touches the pool, hence here, before the first import.
process.env.UV_THREADPOOL_SIZE ??= '16';
await import('../dist/src/cli.js');
