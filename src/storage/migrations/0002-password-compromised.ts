import { type Kysely, sql } from 'kysely';

/** When an administrator flagged the password as compromised; sign-in then requires a reset. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE users ADD COLUMN password_compromised_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE users DROP COLUMN password_compromised_at`.execute(db);
}
