import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`; resolves early (without throwing) when `signal` aborts, so callers check it next. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return;
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    if ((err as Error)?.name !== 'AbortError') throw err;
  }
}

/** Full-jitter exponential backoff for a throttled job: 100 ms doubling, capped at 5 s. */
export function throttleBackoffMs(attempt: number): number {
  const ceiling = Math.min(5_000, 100 * 2 ** Math.min(attempt, 10));
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}
