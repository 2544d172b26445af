import { type Kysely, sql } from 'kysely';

/**
 * Organizations in full: metadata, member limit, logo, creator; roles in a table of their own
 * (seeded with Clerk's two default roles) so custom roles with permissions can be added as rows;
 * memberships reference a role by its key and carry their own metadata.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE organization_roles (
      id text PRIMARY KEY,
      key text NOT NULL,
      name text NOT NULL,
      description text NOT NULL DEFAULT '',
      permissions jsonb NOT NULL DEFAULT '[]',
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX organization_roles_key_key ON organization_roles (key)`.execute(db);
  // Clerk's default roles and system permissions; the ids are fixed so every database agrees.
  await sql`
    INSERT INTO organization_roles (id, key, name, description, permissions, created_at, updated_at) VALUES
      ('role_admin', 'org:admin', 'Admin', 'Manages the organization and its members.',
       '["org:sys_profile:manage", "org:sys_profile:delete", "org:sys_memberships:read", "org:sys_memberships:manage", "org:sys_domains:read", "org:sys_domains:manage"]',
       now(), now()),
      ('role_member', 'org:member', 'Member', 'Belongs to the organization.',
       '["org:sys_memberships:read"]', now(), now())`.execute(db);

  // No route could create organizations before this migration, but a database may hold rows
  // written by hand: give them what the new constraints need.
  await sql`UPDATE organizations SET slug = replace(lower(id), '_', '-') WHERE slug IS NULL`.execute(db);
  await sql`ALTER TABLE organizations ALTER COLUMN slug SET NOT NULL`.execute(db);
  await sql`ALTER TABLE organizations ADD COLUMN image_id text REFERENCES images (id) ON DELETE SET NULL`.execute(db);
  await sql`ALTER TABLE organizations ADD COLUMN public_metadata jsonb NOT NULL DEFAULT '{}'`.execute(db);
  await sql`ALTER TABLE organizations ADD COLUMN private_metadata jsonb NOT NULL DEFAULT '{}'`.execute(db);
  await sql`ALTER TABLE organizations ADD COLUMN max_allowed_memberships integer NOT NULL DEFAULT 0 CHECK (max_allowed_memberships >= 0)`.execute(db);
  await sql`ALTER TABLE organizations ADD COLUMN admin_delete_enabled boolean NOT NULL DEFAULT true`.execute(db);
  // A plain id, no foreign key: the record of who created an organization outlives that user.
  await sql`ALTER TABLE organizations ADD COLUMN created_by text`.execute(db);
  await sql`CREATE INDEX organizations_created_at_idx ON organizations (created_at, id)`.execute(db);
  await sql`CREATE INDEX organizations_name_idx ON organizations (lower(name), id)`.execute(db);
  // The list's query matches name and slug by substring.
  await sql`CREATE INDEX organizations_search_trgm_idx ON organizations USING gin ((lower(name) || ' ' || slug) gin_trgm_ops)`.execute(db);

  await sql`UPDATE organization_memberships SET role = CASE WHEN role IN ('admin', 'org:admin') THEN 'org:admin' ELSE 'org:member' END`.execute(db);
  await sql`
    ALTER TABLE organization_memberships ADD CONSTRAINT organization_memberships_role_fkey
      FOREIGN KEY (role) REFERENCES organization_roles (key) ON UPDATE CASCADE`.execute(db);
  await sql`ALTER TABLE organization_memberships ADD COLUMN public_metadata jsonb NOT NULL DEFAULT '{}'`.execute(db);
  await sql`ALTER TABLE organization_memberships ADD COLUMN private_metadata jsonb NOT NULL DEFAULT '{}'`.execute(db);
  await sql`CREATE INDEX organization_memberships_org_created_idx ON organization_memberships (organization_id, created_at, id)`.execute(db);
  await sql`CREATE INDEX organization_memberships_user_created_idx ON organization_memberships (user_id, created_at, id)`.execute(db);
  // The instance-wide list (newest first) pages without sorting every membership.
  await sql`CREATE INDEX organization_memberships_created_idx ON organization_memberships (created_at, id)`.execute(db);
  await sql`DROP INDEX organization_memberships_user_idx`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX organization_memberships_user_idx ON organization_memberships (user_id)`.execute(db);
  await sql`DROP INDEX organization_memberships_created_idx`.execute(db);
  await sql`DROP INDEX organization_memberships_user_created_idx`.execute(db);
  await sql`DROP INDEX organization_memberships_org_created_idx`.execute(db);
  await sql`ALTER TABLE organization_memberships DROP COLUMN private_metadata`.execute(db);
  await sql`ALTER TABLE organization_memberships DROP COLUMN public_metadata`.execute(db);
  await sql`ALTER TABLE organization_memberships DROP CONSTRAINT organization_memberships_role_fkey`.execute(db);
  await sql`DROP INDEX organizations_search_trgm_idx`.execute(db);
  await sql`DROP INDEX organizations_name_idx`.execute(db);
  await sql`DROP INDEX organizations_created_at_idx`.execute(db);
  for (const c of ['created_by', 'admin_delete_enabled', 'max_allowed_memberships', 'private_metadata', 'public_metadata', 'image_id']) {
    await sql`ALTER TABLE organizations DROP COLUMN ${sql.ref(c)}`.execute(db);
  }
  await sql`ALTER TABLE organizations ALTER COLUMN slug DROP NOT NULL`.execute(db);
  await sql`DROP TABLE organization_roles`.execute(db);
}
