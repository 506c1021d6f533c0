import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat on Linux. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) a process has used so far, in microseconds, from /proc; undefined
 * where there is no /proc. Resolution is one clock tick (10 ms): read it over whole windows.
 */
export function processCpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = Number(fields[11]);
    const system = Number(fields[12]);
    return ((user + system) * 1_000_000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Adds up the CPU time each named process spends during the windows it is asked to measure. */
export class CpuAccount {
  private readonly pids: Record<string, number>;
  private readonly spent: Record<string, number>;

  constructor(pids: Record<string, number>) {
    this.pids = pids;
    this.spent = Object.fromEntries(Object.keys(pids).map((name) => [name, 0]));
  }

  async measure<T>(run: () => Promise<T>): Promise<T> {
    const before = this.read();
    const result = await run();
    const after = this.read();
    for (const name of Object.keys(this.pids)) this.spent[name]! += after[name]! - before[name]!;
    return result;
  }

  /** Microseconds per operation, by process. */
  perOp(ops: number): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.spent).map(([name, micros]) => [name, micros / Math.max(1, ops)]),
    );
  }

  private read(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.pids).map(([name, pid]) => [name, processCpuMicros(pid) ?? Number.NaN]),
    );
  }
}
