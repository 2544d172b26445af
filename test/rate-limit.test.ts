import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { memoryRateLimiter } from '../src/rate-limit/memory.ts';
import { redisRateLimiter } from '../src/rate-limit/redis.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('rate limiters', () => {
  it('counts per key in fixed windows (memory)', async () => {
    const clock = manualClock();
    const limiter = memoryRateLimiter(clock);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await limiter.hit('k', 3, 60_000));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results[3].retryAfterSeconds).toBe(60);
    expect((await limiter.hit('other', 3, 60_000)).allowed).toBe(true);
    clock.advance(60_000);
    expect((await limiter.hit('k', 3, 60_000)).allowed).toBe(true);
  });

  // Redis runs on the development and CI machines; two limiters stand for two server nodes.
  it('shares counts between nodes through Redis', async () => {
    const a = redisRateLimiter(REDIS_URL);
    const b = redisRateLimiter(REDIS_URL);
    try {
      const key = `test:${randomBytes(8).toString('hex')}`;
      expect((await a.hit(key, 3, 5_000)).allowed).toBe(true);
      expect((await b.hit(key, 3, 5_000)).allowed).toBe(true);
      expect((await a.hit(key, 3, 5_000)).allowed).toBe(true);
      const over = await b.hit(key, 3, 5_000);
      expect(over.allowed).toBe(false);
      expect(over.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(over.retryAfterSeconds).toBeLessThanOrEqual(5);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
