import { type Kysely, sql } from 'kysely';

/**
 * One-time codes and links. Codes and tokens are stored only as hashes; each row is bound to
 * its purpose and user. The identifier keeps the state of its latest attempt, so user reads
 * need no extra join to show Clerk's verification object.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE verifications (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      identifier_id text REFERENCES identifiers (id) ON DELETE CASCADE,
      purpose text NOT NULL,
      strategy text NOT NULL,
      code_hash text,
      token_hash text,
      attempts integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL,
      expires_at timestamptz NOT NULL,
      consumed_at timestamptz,
      voided_at timestamptz,
      created_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX verifications_user_purpose_idx ON verifications (user_id, purpose, created_at)`.execute(db);
  await sql`CREATE UNIQUE INDEX verifications_token_hash_key ON verifications (token_hash)`.execute(db);
  await sql`ALTER TABLE identifiers ADD COLUMN verification_attempts integer`.execute(db);
  await sql`ALTER TABLE identifiers ADD COLUMN verification_expires_at timestamptz`.execute(db);
  // Set by an administrator's temporary password: sign-in must change it first.
  await sql`ALTER TABLE users ADD COLUMN password_must_change boolean NOT NULL DEFAULT false`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE users DROP COLUMN password_must_change`.execute(db);
  await sql`ALTER TABLE identifiers DROP COLUMN verification_expires_at`.execute(db);
  await sql`ALTER TABLE identifiers DROP COLUMN verification_attempts`.execute(db);
  await sql`DROP TABLE verifications`.execute(db);
}
