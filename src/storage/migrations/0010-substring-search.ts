import { type Kysely, sql } from 'kysely';

/** Trigram indexes for substring filters on email addresses and usernames (Pterodactyl's filters). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX identifiers_normalized_trgm_idx ON identifiers USING gin (normalized gin_trgm_ops)`.execute(db);
  await sql`CREATE INDEX users_username_trgm_idx ON users USING gin (lower(username) gin_trgm_ops)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX users_username_trgm_idx`.execute(db);
  await sql`DROP INDEX identifiers_normalized_trgm_idx`.execute(db);
}
