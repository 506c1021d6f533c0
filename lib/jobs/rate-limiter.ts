import { sleep } from './sleep.ts';

export interface RateLimiterOptions {
  /** Units that may be spent at once after an idle spell. @default one second's worth */
  burst?: number;
  /** @default Date.now */
  now?: () => number;
  /** @default {@link sleep} */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * A token bucket shared by every scan segment of a job, in write units per second. Writes
 * acquire their expected cost up front and settle the difference once DynamoDB reports what
 * they consumed; a throttled write pauses every segment, not just its own.
 */
export class RateLimiter {
  readonly unitsPerSecond: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void>;
  private tokens: number;
  private refilledAt: number;
  private pausedUntil = 0;

  /** `unitsPerSecond` of 0 or Infinity means no limit. */
  constructor(unitsPerSecond: number, options: RateLimiterOptions = {}) {
    this.unitsPerSecond = unitsPerSecond > 0 ? unitsPerSecond : Number.POSITIVE_INFINITY;
    this.burst = options.burst ?? Math.max(1, this.unitsPerSecond);
    this.now = options.now ?? Date.now;
    this.wait = options.sleep ?? sleep;
    this.tokens = this.burst;
    this.refilledAt = this.now();
  }

  get limited(): boolean {
    return Number.isFinite(this.unitsPerSecond);
  }

  /** Waits until `units` may be spent, then spends them. Returns early if `signal` aborts. */
  async acquire(units = 1, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) return;
      const now = this.now();
      if (now < this.pausedUntil) {
        await this.wait(this.pausedUntil - now, signal);
        continue;
      }
      if (!this.limited) return;
      this.refill(now);
      if (this.tokens >= Math.min(units, this.burst)) {
        this.tokens -= units;
        return;
      }
      const missing = Math.min(units, this.burst) - this.tokens;
      await this.wait(Math.ceil((missing / this.unitsPerSecond) * 1000), signal);
    }
  }

  /** Charges units spent beyond what was acquired (a negative amount gives units back). */
  settle(units: number): void {
    if (!this.limited || units === 0) return;
    this.refill(this.now());
    this.tokens = Math.min(this.burst, this.tokens - units);
  }

  /** DynamoDB throttled a request: nobody acquires anything for `ms`. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.refilledAt) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.unitsPerSecond);
    this.refilledAt = now;
  }
}
