/** The spread of one side's windows: every comparison uses the median, the rest is context. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('no values to summarize');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted[sorted.length - 1]!, n: sorted.length };
}

/** A over B, by their medians. */
export function ratioOf(a: Spread, b: Spread): number {
  return b.median === 0 ? Number.POSITIVE_INFINITY : a.median / b.median;
}
