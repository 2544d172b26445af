import { type Kysely, sql } from 'kysely';

/**
 * Invitations to the instance and to organizations. Each carries the SHA-256 of its link token
 * (the token itself is only in the email), an expiry and a status; at most one pending
 * invitation per address (per organization), kept by partial unique indexes so two concurrent
 * creates cannot both win. Accepted and revoked rows stay, as Clerk lists them by status.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE invitations (
      id text PRIMARY KEY,
      email_address text NOT NULL,
      email_normalized text NOT NULL,
      public_metadata jsonb NOT NULL DEFAULT '{}',
      redirect_url text,
      status text NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
      token_hash text NOT NULL,
      expires_at timestamptz NOT NULL,
      -- A plain id: the record of who accepted outlives that user.
      user_id text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX invitations_token_hash_key ON invitations (token_hash)`.execute(db);
  await sql`CREATE UNIQUE INDEX invitations_pending_email_key ON invitations (email_normalized) WHERE status = 'pending'`.execute(db);
  await sql`CREATE INDEX invitations_created_idx ON invitations (created_at, id)`.execute(db);

  await sql`
    CREATE TABLE organization_invitations (
      id text PRIMARY KEY,
      organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
      email_address text NOT NULL,
      email_normalized text NOT NULL,
      role text NOT NULL REFERENCES organization_roles (key) ON UPDATE CASCADE,
      public_metadata jsonb NOT NULL DEFAULT '{}',
      private_metadata jsonb NOT NULL DEFAULT '{}',
      redirect_url text,
      inviter_user_id text,
      status text NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
      token_hash text NOT NULL,
      expires_at timestamptz NOT NULL,
      user_id text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX organization_invitations_token_hash_key ON organization_invitations (token_hash)`.execute(db);
  await sql`
    CREATE UNIQUE INDEX organization_invitations_pending_email_key
      ON organization_invitations (organization_id, email_normalized) WHERE status = 'pending'`.execute(db);
  await sql`CREATE INDEX organization_invitations_org_created_idx ON organization_invitations (organization_id, created_at, id)`.execute(db);
  await sql`CREATE INDEX organization_invitations_email_idx ON organization_invitations (email_normalized, created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE organization_invitations`.execute(db);
  await sql`DROP TABLE invitations`.execute(db);
}
