// CPU of the server under test, when it is a local process whose pid we know (a throwaway node or
// s3rver the harness started, or --server-pid): with the client's own CPU next to it, a report can say
// which side was the limit. Linux /proc only; elsewhere (or for a remote endpoint) it is simply absent.
import fs from 'node:fs';
import os from 'node:os';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat. 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_SEC = 100;

export interface ServerCpu {
  pid: number;
  /** Every thread of the process (workers, libuv pool, GC), user + system, over the measured phase. */
  cpuPctOfOneCore: number;
  cores: number;
  cpuPctOfMachine: number;
}

/** Total user + system CPU of a process in ms, or undefined when it cannot be read. */
export function processCpuMs(pid: number): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: fields are counted after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SEC;
}

/** Starts measuring; the returned function ends the window (undefined if the process vanished). */
export function measureServerCpu(pid: number | undefined): (wallMs: number) => ServerCpu | undefined {
  const start = pid === undefined ? undefined : processCpuMs(pid);
  return (wallMs) => {
    if (pid === undefined || start === undefined || wallMs <= 0) return undefined;
    const end = processCpuMs(pid);
    if (end === undefined) return undefined;
    const cores = os.availableParallelism();
    const cpuPctOfOneCore = ((end - start) / wallMs) * 100;
    return { pid, cpuPctOfOneCore, cores, cpuPctOfMachine: cpuPctOfOneCore / cores };
  };
}
