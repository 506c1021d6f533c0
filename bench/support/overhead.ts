import type { SdkMeter } from '#test/support/sdk-meter.ts';
import type { CpuAccount } from './process-cpu.ts';
import { ratioOf, type Spread } from './stats.ts';
import { alternate } from './windows.ts';

export interface OverheadRow {
  concurrency: number;
  /** Operations per second of each window. */
  subject: Spread;
  raw: Spread;
  ratio: number;
  /** DynamoDB requests per operation, counted over every window. */
  requestsPerOp: { subject: number; raw: number };
  /**
   * CPU µs per operation of each process involved (from /proc, over every window): on a machine
   * this small, every process's CPU comes out of the same two cores.
   */
  cpuPerOp: { subject: Record<string, number>; raw: Record<string, number> };
  /** Every window's operations per second, in the order they ran. */
  windows: { subject: number[]; raw: number[] };
}

/** One side of an overhead comparison: a window of its operations, and what accounts for them. */
export interface OverheadSide {
  window(): Promise<{ ops: number; seconds: number }>;
  cpu: CpuAccount;
  /** Counts the DynamoDB requests of this side's client; reset here before the first window. */
  meter: SdkMeter;
}

/** Alternates `windows` windows of each side, then reduces them to one row of an overhead table. */
export async function overheadRow(
  concurrency: number,
  windows: number,
  subject: OverheadSide,
  raw: OverheadSide,
): Promise<OverheadRow> {
  const ops = { subject: 0, raw: 0 };
  const measured = (name: keyof typeof ops, side: OverheadSide) => async () => {
    const t = await side.cpu.measure(() => side.window());
    ops[name] += t.ops;
    return t.ops / t.seconds;
  };
  subject.meter.reset();
  raw.meter.reset();
  const result = await alternate(windows, {
    subject: measured('subject', subject),
    raw: measured('raw', raw),
  });
  return {
    concurrency,
    subject: result.spreads.subject,
    raw: result.spreads.raw,
    ratio: ratioOf(result.spreads.subject, result.spreads.raw),
    requestsPerOp: {
      subject: subject.meter.total / ops.subject,
      raw: raw.meter.total / ops.raw,
    },
    cpuPerOp: { subject: subject.cpu.perOp(ops.subject), raw: raw.cpu.perOp(ops.raw) },
    windows: result.values,
  };
}
