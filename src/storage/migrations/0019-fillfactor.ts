import { type Kysely, sql } from 'kysely';

/**
 * Room on each page for updated row versions. A sign-in updates its user row two or three times
 * (lockout reservation, its release, last_sign_in_at) and session activity updates sessions and
 * clients; with full pages every such update writes a new entry in every index, the trigram
 * search index included. With free space on the page, PostgreSQL keeps the new version there
 * and touches no index (a heap-only tuple update), since none of those columns is indexed.
 * Existing pages keep their layout until rewritten; new ones get the space.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['users', 'sessions', 'clients']) await sql`ALTER TABLE ${sql.table(table)} SET (fillfactor = 80)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['users', 'sessions', 'clients']) await sql`ALTER TABLE ${sql.table(table)} RESET (fillfactor)`.execute(db);
}
