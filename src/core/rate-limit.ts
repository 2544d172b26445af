/** Counts events per key in fixed windows; shared across nodes when backed by Redis. */
export interface RateLimiter {
  /** Counts one event for `key`; refuses once `limit` events fell in the current window. */
  hit(key: string, limit: number, windowMs: number): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
}
