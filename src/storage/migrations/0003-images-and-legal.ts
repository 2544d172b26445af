import { type Kysely, sql } from 'kysely';

/**
 * Uploaded images (profile pictures, later logos), served from the database at a public URL;
 * and when a user accepted the legal terms, which imports may carry.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE images (
      id text PRIMARY KEY,
      content_type text NOT NULL,
      bytes bytea NOT NULL,
      sha256 text NOT NULL,
      created_at timestamptz NOT NULL
    )`.execute(db);
  await sql`ALTER TABLE users ADD COLUMN image_id text REFERENCES images (id) ON DELETE SET NULL`.execute(db);
  await sql`ALTER TABLE users ADD COLUMN legal_accepted_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE users DROP COLUMN legal_accepted_at`.execute(db);
  await sql`ALTER TABLE users DROP COLUMN image_id`.execute(db);
  await sql`DROP TABLE images`.execute(db);
}
