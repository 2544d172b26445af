import { Redis } from 'ioredis';
import type { RateLimiter } from '../core/rate-limit.ts';

/** A limiter shared by every node through Redis: INCR plus PEXPIRE on the first hit of a window. */
export function redisRateLimiter(url: string): RateLimiter & { close(): Promise<void> } {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
  // A Redis outage is logged by the caller's error path; it must not crash the process.
  redis.on('error', () => {});
  return {
    async hit(key, limit, windowMs) {
      const k = `latchkey:rl:${key}`;
      const [[, count], [, ttl]] = (await redis.multi().incr(k).pttl(k).exec()) as [[null, number], [null, number]];
      if (ttl < 0) await redis.pexpire(k, windowMs);
      const left = ttl < 0 ? windowMs : ttl;
      return { allowed: count <= limit, retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)) };
    },
    async close() {
      await redis.quit().catch(() => {});
    },
  };
}
