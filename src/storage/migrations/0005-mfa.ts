import { type Kysely, sql } from 'kysely';

/** TOTP secrets (encrypted) and backup codes (hashed), one row per code. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE user_totp (
      user_id text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      secret_sealed text NOT NULL,
      confirmed boolean NOT NULL DEFAULT false,
      last_used_step bigint NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL
    )`.execute(db);
  await sql`
    CREATE TABLE backup_codes (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      code_hash text NOT NULL,
      hasher text NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX backup_codes_user_idx ON backup_codes (user_id, code_hash)`.execute(db);
  // Second-factor attempts are throttled per user, TOTP and backup codes alike.
  await sql`ALTER TABLE users ADD COLUMN mfa_failures integer NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE users ADD COLUMN mfa_window_start timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE users DROP COLUMN mfa_failures`.execute(db);
  await sql`ALTER TABLE users DROP COLUMN mfa_window_start`.execute(db);
  await sql`DROP TABLE backup_codes`.execute(db);
  await sql`DROP TABLE user_totp`.execute(db);
}
