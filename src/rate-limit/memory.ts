import type { Clock } from '../core/clock.ts';
import type { RateLimiter } from '../core/rate-limit.ts';

/** A per-process limiter: right for one node; several nodes should share Redis instead. */
export function memoryRateLimiter(clock: Clock, maxKeys = 100_000): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    async hit(key, limit, windowMs) {
      const now = clock.now().getTime();
      let w = windows.get(key);
      if (!w || now - w.start >= windowMs) {
        // Bounded memory: drop everything when full rather than grow without limit.
        if (windows.size >= maxKeys) windows.clear();
        w = { start: now, count: 0 };
        windows.set(key, w);
      }
      w.count++;
      const retryAfterSeconds = Math.max(1, Math.ceil((w.start + windowMs - now) / 1000));
      return { allowed: w.count <= limit, retryAfterSeconds };
    },
  };
}
