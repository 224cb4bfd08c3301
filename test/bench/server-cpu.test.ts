// The server's CPU next to the client's: read from /proc/<pid>/stat, every thread of the process.
import { describe, expect, it } from 'vitest';
import { measureServerCpu, processCpuMs } from '../../src/bench/server-cpu.js';
import { parseArgs, targetFromArgs, UsageError } from '../../src/bench/args.js';
import { RUN_FLAGS } from '../../src/bench/cli.js';

describe('server CPU', () => {
  it('measures a busy process and says nothing for an unknown or vanished one', () => {
    const before = processCpuMs(process.pid);
    expect(before).toBeTypeOf('number');
    const end = measureServerCpu(process.pid);
    const t0 = performance.now();
    let x = 0;
    while (performance.now() - t0 < 300) x += Math.sqrt(x + 1);
    const r = end(performance.now() - t0);
    expect(x).toBeGreaterThan(0);
    expect(r?.pid).toBe(process.pid);
    // A spinning thread: most of one core (clock ticks are 10 ms, so allow slack either way).
    expect(r!.cpuPctOfOneCore).toBeGreaterThan(50);
    expect(r!.cpuPctOfOneCore).toBeLessThan(400);
    expect(r!.cpuPctOfMachine).toBeCloseTo(r!.cpuPctOfOneCore / r!.cores);
    expect(measureServerCpu(undefined)(1000)).toBeUndefined();
    expect(processCpuMs(2 ** 31 - 2)).toBeUndefined();
  });

  it('takes --server-pid on bench run and refuses what is not a pid', () => {
    const t = targetFromArgs(parseArgs(['--endpoint', 'http://127.0.0.1:9', '--server-pid', '1234'], RUN_FLAGS), {});
    expect(t.serverPid).toBe(1234);
    expect(() => targetFromArgs(parseArgs(['--endpoint', 'http://127.0.0.1:9', '--server-pid', 'x1'], RUN_FLAGS), {})).toThrow(UsageError);
  });
});
