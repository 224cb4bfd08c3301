// Public entry of the storage engine. The S3 layer imports from here (and the types from api.ts).
import './threadpool.js';
import os from 'node:os';
import path from 'node:path';
import type { EngineConfig } from './api.js';

export * from './api.js';
export { openEngine, rebuildIndex, StrataEngine, type OpenOptions, MAX_KEY_BYTES } from './engine.js';
export { RepairQueue, type RepairItem } from './repair-queue.js';
export { isVersionId } from './versions.js';
export type { RecoveryReport } from './recovery.js';

export const DEFAULT_DRIVE_COUNT = 6;

export function defaultEngineConfig(dataDir: string): EngineConfig {
  return {
    drives: Array.from({ length: DEFAULT_DRIVE_COUNT }, (_, i) => path.join(dataDir, `drive-${i + 1}`)),
    indexDir: path.join(dataDir, 'index'),
    erasure: { k: 4, m: 2 },
    blockSizeBytes: 1024 * 1024,
    segmentSizeBytes: 1024 * 1024 * 1024,
    commitWindowMs: 0,
    commitMaxBatch: 256,
    inFlightBudgetBytes: 256 * 1024 * 1024,
    workerThreads: Math.max(1, os.availableParallelism()),
    workerMaxQueue: 1024,
  };
}
