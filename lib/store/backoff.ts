/** Server-driven CAS makes at most this many write attempts before ABORTED. */
export const MAX_ATTEMPTS = 5;

/**
 * Wide enough that writers who collided spread out over several round trips of a hot item:
 * chosen when 8 ms / 250 ms left 32 writers of one item colliding again. bench/RESULTS.md
 * (contention) measures these values against the re-read loop with the same backoff.
 */
const BASE_MS = 16;
const CAP_MS = 500;
/** The longest one backoff sleeps. */
export const BACKOFF_CAP_MS = CAP_MS;

/** Full-jitter exponential backoff (AWS Architecture Blog's recommendation) before attempt + 1. */
export function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
