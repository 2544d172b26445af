import { type Kysely, sql } from 'kysely';

/**
 * The hosted sign-up: a pending sign-up is bound to the browser that started it (the SHA-256 of a
 * random token kept in a cookie, so its id never needs to appear in a page), and the emailed
 * 6-digit codes that prove the address are rows of their own, stored hashed with their attempts
 * counted, so a resend voids the older code.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE sign_ups ADD COLUMN browser_token_hash text`.execute(db);
  await sql`ALTER TABLE sign_ups ADD COLUMN completed_at timestamptz`.execute(db);
  await sql`CREATE UNIQUE INDEX sign_ups_browser_token_hash_key ON sign_ups (browser_token_hash) WHERE browser_token_hash IS NOT NULL`.execute(db);
  await sql`
    CREATE TABLE sign_up_codes (
      id text PRIMARY KEY,
      sign_up_id text NOT NULL REFERENCES sign_ups (id) ON DELETE CASCADE,
      -- SHA-256 of 'id:code'; the code itself is only in the email.
      code_hash text NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL,
      expires_at timestamptz NOT NULL,
      consumed_at timestamptz,
      voided_at timestamptz,
      created_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX sign_up_codes_sign_up_idx ON sign_up_codes (sign_up_id, created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE sign_up_codes`.execute(db);
  await sql`DROP INDEX sign_ups_browser_token_hash_key`.execute(db);
  await sql`ALTER TABLE sign_ups DROP COLUMN completed_at`.execute(db);
  await sql`ALTER TABLE sign_ups DROP COLUMN browser_token_hash`.execute(db);
}
