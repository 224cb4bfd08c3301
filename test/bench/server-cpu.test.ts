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
    const usage0 = process.cpuUsage();
    const t0 = performance.now();
    let x = 0;
    while (performance.now() - t0 < 300) x += Math.sqrt(x + 1);
    const wallMs = performance.now() - t0;
    const r = end(wallMs);
    const usage = process.cpuUsage(usage0);
    expect(x).toBeGreaterThan(0);
    expect(r?.pid).toBe(process.pid);
    // Checked against the kernel's own count for this process (getrusage), not against wall time: on a
    // loaded machine a spinning thread gets whatever share the scheduler gives it. /proc counts in 10 ms
    // clock ticks, and the two reads are a few ms apart, so allow 40 ms of CPU either way.
    const expectedPct = ((usage.user + usage.system) / 1000 / wallMs) * 100;
    expect(expectedPct).toBeGreaterThan(0);
    expect(Math.abs(r!.cpuPctOfOneCore - expectedPct)).toBeLessThan((40 / wallMs) * 100);
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
