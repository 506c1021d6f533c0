import { describe, expect, it } from 'vitest';
import { RateLimiter } from '#lib/jobs/rate-limiter.ts';

/** A clock that only moves when the limiter sleeps, so the test measures decisions, not time. */
function fakeClock() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
    slept: () => sleeps.reduce((a, b) => a + b, 0),
  };
}

describe('RateLimiter', () => {
  it('spends a burst at once, then one unit per 1/rate seconds', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(10, { now: clock.now, sleep: clock.sleep });

    for (let i = 0; i < 10; i++) await limiter.acquire();
    expect(clock.slept()).toBe(0);

    for (let i = 0; i < 20; i++) await limiter.acquire();
    expect(clock.slept()).toBe(2_000);
  });

  it('charges what a write consumed beyond its estimate', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(10, { now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 10; i++) await limiter.acquire();

    limiter.settle(5); // a 6 KB item cost 6 units, not 1
    await limiter.acquire();

    expect(clock.slept()).toBe(600);
  });

  it('a throttle pauses every acquirer for the backoff', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(1_000, { now: clock.now, sleep: clock.sleep });

    limiter.pause(750);
    await limiter.acquire();

    expect(clock.sleeps[0]).toBe(750);
  });

  it('refills while idle, up to the burst', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(5, { now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 5; i++) await limiter.acquire();
    clock.advance(60_000);
    for (let i = 0; i < 5; i++) await limiter.acquire();
    expect(clock.slept()).toBe(0);
    await limiter.acquire();
    expect(clock.slept()).toBe(200);
  });

  it('0 means no limit', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(0, { now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 10_000; i++) await limiter.acquire();
    expect(limiter.limited).toBe(false);
    expect(clock.slept()).toBe(0);
  });

  it('an aborted signal returns at once', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(1, { now: clock.now, sleep: clock.sleep });
    await limiter.acquire();
    const stop = new AbortController();
    stop.abort();
    await limiter.acquire(1, stop.signal);
    expect(clock.slept()).toBe(0);
  });
});
