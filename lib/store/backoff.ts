/** Server-driven CAS makes at most this many write attempts before ABORTED. */
export const MAX_ATTEMPTS = 5;

const BASE_MS = 8;
const CAP_MS = 250;

/** Full-jitter exponential backoff (AWS Architecture Blog's recommendation) before attempt + 1. */
export function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
