// Runs every native benchmark in sequence: `npm run bench:native` (BENCH_SECONDS scales each run).
import os from 'node:os';
import { printEngineRows, runEngineBench } from './engine.js';
import { printHttpLayerRows, runHttpLayerBench } from './http-layer.js';
import { printKernelRows, runKernelBench } from './kernels.js';
import { printLmdbRows, runLmdbBench } from './lmdb.js';
import { printSegmentRows, runSegmentBench } from './segment-append.js';
import { BENCH_SECONDS } from './common.js';

console.log(`strata native benchmarks — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, BENCH_SECONDS=${BENCH_SECONDS}`);
printKernelRows(await runKernelBench());
printSegmentRows(await runSegmentBench());
printLmdbRows(await runLmdbBench());
printEngineRows(await runEngineBench());
printHttpLayerRows(await runHttpLayerBench());
