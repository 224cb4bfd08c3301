// libuv's thread pool (default 4 threads) is shared by every async fs call, every fdatasync (which holds
// a thread for the whole flush) and the Reed-Solomon codec the workers run. With 6 drives a commit
// window alone issues 6 fdatasyncs, starving RS and appends; 16 threads measured +15–35% PUT throughput
// on this 2-core VM. libuv reads the variable when the pool first starts, so this must run before any
// async fs/crypto/zlib call: the engine's entry module imports it first. An operator-set value wins.
export const UV_THREADPOOL_SIZE_DEFAULT = 16;
if (process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = String(UV_THREADPOOL_SIZE_DEFAULT);
