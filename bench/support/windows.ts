import { performance } from 'node:perf_hooks';
import { type Spread, spread } from './stats.ts';

/** How long each measured window lasts and how many each side gets. */
export interface WindowPlan {
  /** Windows per side, alternating A B A B …; the issue asks for at least 7. */
  windows: number;
  /** Length of one throughput window. */
  windowMs: number;
  /** Unrecorded run of each side before the first window. */
  warmupMs: number;
}

export interface Throughput {
  ops: number;
  seconds: number;
  perSecond: number;
}

/**
 * Runs `op` on `concurrency` workers until `durationMs` has passed. No worker starts an op after
 * the deadline, and the window ends when the last op in flight settles, so the rate counts
 * complete operations over the time they really took.
 */
export async function runWindow(
  concurrency: number,
  durationMs: number,
  op: (worker: number) => Promise<void>,
): Promise<Throughput> {
  const started = performance.now();
  const deadline = started + durationMs;
  let ops = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        await op(worker);
        ops++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { ops, seconds, perSecond: ops / seconds };
}

export interface Alternation<K extends string> {
  /** Every window's value per side, in the order they ran. */
  values: Record<K, number[]>;
  spreads: Record<K, Spread>;
}

/**
 * Measures two (or more) sides in alternation — A B A B … — so that drift of the shared machine
 * hits every side alike; each call of a side returns that window's value.
 */
export async function alternate<K extends string>(
  windows: number,
  sides: Record<K, () => Promise<number>>,
): Promise<Alternation<K>> {
  const names = Object.keys(sides) as K[];
  const values = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let w = 0; w < windows; w++) {
    for (const name of names) values[name].push(await sides[name]());
  }
  const spreads = Object.fromEntries(names.map((n) => [n, spread(values[n])])) as Record<K, Spread>;
  return { values, spreads };
}
