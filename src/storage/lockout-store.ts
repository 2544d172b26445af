import { type Kysely, sql } from 'kysely';
import type { LockoutStore } from '../core/credentials/lockout.ts';
import { translated } from './db-errors.ts';
import type { Database } from './schema.ts';

/** What a correct password does to the counters; the attempt was counted in the hour's window before the check. */
export const CLEARED_FAILURES = sql`failed_attempts = 0, failures_in_window = greatest(failures_in_window - 1, 0)`;

export function createLockoutStore(db: Kysely<Database>): LockoutStore {
  return {
    reserveAttempt: (userId, now, policy) =>
      translated(async () => {
        const hourAgo = new Date(now.getTime() - 3_600_000);
        // An expired lock starts a fresh count; a window older than an hour starts a fresh window.
        const res = await sql<{ password_digest: string; password_hasher: string }>`
          UPDATE users SET
            failed_attempts = CASE WHEN locked_until IS NOT NULL AND locked_until <= ${now} THEN 1 ELSE failed_attempts + 1 END,
            locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= ${now} THEN NULL ELSE locked_until END,
            failures_in_window = CASE WHEN failure_window_start IS NULL OR failure_window_start <= ${hourAgo} THEN 1 ELSE failures_in_window + 1 END,
            failure_window_start = CASE WHEN failure_window_start IS NULL OR failure_window_start <= ${hourAgo} THEN ${now} ELSE failure_window_start END
          WHERE id = ${userId} AND password_digest IS NOT NULL AND password_hasher IS NOT NULL AND deletion_requested_at IS NULL
            AND (locked_until IS NULL OR locked_until <= ${now})
            AND (failed_attempts < ${policy.threshold} OR (locked_until IS NOT NULL AND locked_until <= ${now}))
            AND NOT (failure_window_start > ${hourAgo} AND failures_in_window >= ${policy.hourlyMax})
          RETURNING password_digest, password_hasher`.execute(db);
        const reserved = res.rows[0];
        if (reserved) return { status: 'reserved' as const, password: { digest: reserved.password_digest, hasher: reserved.password_hasher } };
        const row = await db
          .selectFrom('users')
          .select(['locked_until', 'failure_window_start', 'failures_in_window', 'password_digest', 'password_hasher', 'deletion_requested_at'])
          .where('id', '=', userId)
          .executeTakeFirst();
        if (!row || row.deletion_requested_at) return { status: 'missing' as const };
        if (!row.password_digest || !row.password_hasher) return { status: 'no_password' as const };
        const windowEnd = row.failure_window_start && row.failures_in_window >= policy.hourlyMax ? new Date(row.failure_window_start.getTime() + 3_600_000) : null;
        const until = row.locked_until && row.locked_until > now ? row.locked_until : windowEnd;
        return { status: 'locked' as const, lockedUntil: until };
      }),

    recordSuccess: (userId) =>
      translated(async () => {
        await sql`UPDATE users SET ${CLEARED_FAILURES} WHERE id = ${userId}`.execute(db);
      }),

    recordFailure: (userId, now, policy) =>
      translated(async () => {
        const until = new Date(now.getTime() + policy.durationMs);
        const res = await sql<{ locked_until: Date | null }>`
          UPDATE users SET locked_until = CASE
              WHEN failed_attempts >= ${policy.threshold} THEN ${until}::timestamptz
              WHEN failures_in_window >= ${policy.hourlyMax} THEN failure_window_start + interval '1 hour'
              ELSE locked_until END
          WHERE id = ${userId}
          RETURNING locked_until`.execute(db);
        const lockedUntil = res.rows[0]?.locked_until ?? null;
        return lockedUntil && new Date(lockedUntil) > now ? new Date(lockedUntil) : null;
      }),

    setLock: (userId, until) =>
      translated(async () => {
        const res = await db
          .updateTable('users')
          .set(until ? { locked_until: until } : { locked_until: null, failed_attempts: 0, failures_in_window: 0, failure_window_start: null })
          .where('id', '=', userId)
          .executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      }),
  };
}
