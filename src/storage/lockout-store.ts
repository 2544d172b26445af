import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { LockoutPolicy, LockoutStore, SignInLookup } from '../core/credentials/lockout.ts';
import { translated } from './db-errors.ts';
import type { Database } from './schema.ts';
import { toUser, userColumns } from './user-rows.ts';

/** What a correct password does to the counters; the attempt was counted in the hour's window before the check. */
export const CLEARED_FAILURES = sql`failed_attempts = 0, failures_in_window = greatest(failures_in_window - 1, 0)`;

/**
 * The reservation's update: an expired lock starts a fresh count, a window older than an hour a
 * fresh window; only a user with a password, not being deleted, not locked and under both limits
 * is counted. `target` picks the row (`id = ...`).
 */
function reservation(target: RawBuilder<unknown>, now: Date, policy: LockoutPolicy, returning: RawBuilder<unknown>) {
  const hourAgo = new Date(now.getTime() - 3_600_000);
  return sql<Record<string, any>>`
    UPDATE users SET
      failed_attempts = CASE WHEN locked_until IS NOT NULL AND locked_until <= ${now} THEN 1 ELSE failed_attempts + 1 END,
      locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= ${now} THEN NULL ELSE locked_until END,
      failures_in_window = CASE WHEN failure_window_start IS NULL OR failure_window_start <= ${hourAgo} THEN 1 ELSE failures_in_window + 1 END,
      failure_window_start = CASE WHEN failure_window_start IS NULL OR failure_window_start <= ${hourAgo} THEN ${now} ELSE failure_window_start END
    WHERE id = ${target} AND password_digest IS NOT NULL AND password_hasher IS NOT NULL AND deletion_requested_at IS NULL
      AND (locked_until IS NULL OR locked_until <= ${now})
      AND (failed_attempts < ${policy.threshold} OR (locked_until IS NOT NULL AND locked_until <= ${now}))
      AND NOT (failure_window_start > ${hourAgo} AND failures_in_window >= ${policy.hourlyMax})
    RETURNING ${returning}`;
}

/** The account a sign-in names, as a subquery: verified identifiers only, usernames as typed. */
function lookupTarget(lookup: SignInLookup): RawBuilder<unknown> {
  if (lookup.type === 'username') return sql`(SELECT id FROM users WHERE lower(username) = ${lookup.lowered} AND deletion_requested_at IS NULL)`;
  return sql`(SELECT user_id FROM identifiers WHERE type = 'email_address' AND normalized = ${lookup.normalized} AND verified)`;
}

export function createLockoutStore(db: Kysely<Database>): LockoutStore {
  // The user read's own column list (user-rows.ts), compiled once and reused in RETURNING.
  let userReturning: RawBuilder<unknown> | undefined;
  const returningUser = () => {
    if (!userReturning) {
      const select = db.selectFrom('users').select(userColumns).compile();
      // Raw SQL is only safe here because the column list binds no values.
      if (select.parameters.length) throw new Error('userColumns binds parameters; it cannot be reused as RETURNING text');
      const columns = select.sql.slice('select '.length, select.sql.lastIndexOf(' from "users"'));
      userReturning = sql.raw(`${columns}, "users"."password_digest" AS "lk_digest", "users"."password_hasher" AS "lk_hasher"`);
    }
    return userReturning;
  };
  return {
    reserveForSignIn: (lookup, now, policy) =>
      translated(async () => {
        const { rows } = await reservation(lookupTarget(lookup), now, policy, returningUser()).execute(db);
        const r = rows[0];
        return r ? { user: toUser(r), password: { digest: r.lk_digest, hasher: r.lk_hasher } } : null;
      }),

    reserveAttempt: (userId, now, policy) =>
      translated(async () => {
        const res = await reservation(sql`${userId}`, now, policy, sql`password_digest, password_hasher`).execute(db);
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
