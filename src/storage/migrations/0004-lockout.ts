import { type Kysely, sql } from 'kysely';

/**
 * Failed-attempt counters for lockout: consecutive failures, plus a one-hour window so that no
 * configuration allows more than the hourly cap (NIST SP 800-63B: at most 100 per hour).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE users ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE users ADD COLUMN failure_window_start timestamptz`.execute(db);
  await sql`ALTER TABLE users ADD COLUMN failures_in_window integer NOT NULL DEFAULT 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const c of ['failed_attempts', 'failure_window_start', 'failures_in_window']) {
    await sql`ALTER TABLE users DROP COLUMN ${sql.ref(c)}`.execute(db);
  }
}
