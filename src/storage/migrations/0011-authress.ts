import { type Kysely, sql } from 'kysely';

/**
 * What the Authress dialect needs from the shared schema:
 *  - `users.deletion_requested_at`: a user whose deletion was requested is hidden from every read at
 *    once and hard-deleted later by the deletion worker; the mark is the durable job.
 *  - `organization_memberships.tenant_link`: the one membership that is a user's Authress tenant
 *    link (a user has at most one, so the partial unique index is on the user alone).
 *  - a trigram index on `lower(external_id)`, which Authress's `filter` searches beside `search`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE users ADD COLUMN deletion_requested_at timestamptz`.execute(db);
  // Only marked rows are indexed: the worker's claim reads this, and it is empty almost always.
  await sql`CREATE INDEX users_deletion_requested_idx ON users (deletion_requested_at, id) WHERE deletion_requested_at IS NOT NULL`.execute(db);
  await sql`CREATE INDEX users_external_id_trgm_idx ON users USING gin (lower(external_id) gin_trgm_ops)`.execute(db);
  await sql`ALTER TABLE organization_memberships ADD COLUMN tenant_link boolean NOT NULL DEFAULT false`.execute(db);
  await sql`CREATE UNIQUE INDEX organization_memberships_tenant_link_key ON organization_memberships (user_id) WHERE tenant_link`.execute(db);
  // The tenantId filter of the user list: the tenant's linked users.
  await sql`CREATE INDEX organization_memberships_tenant_idx ON organization_memberships (organization_id, user_id) WHERE tenant_link`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX organization_memberships_tenant_idx`.execute(db);
  await sql`DROP INDEX organization_memberships_tenant_link_key`.execute(db);
  await sql`ALTER TABLE organization_memberships DROP COLUMN tenant_link`.execute(db);
  await sql`DROP INDEX users_external_id_trgm_idx`.execute(db);
  await sql`DROP INDEX users_deletion_requested_idx`.execute(db);
  await sql`ALTER TABLE users DROP COLUMN deletion_requested_at`.execute(db);
}
