import { type Kysely, sql } from 'kysely';

/**
 * The OpenID provider's state and its clients. `oidc_payloads` holds every oidc-provider model
 * except clients (sessions, interactions, grants, codes, tokens) so several server processes
 * share one provider; the columns beside the payload are what the adapter looks rows up by.
 * `oauth_applications` are the provider's clients, managed through /v1/oauth_applications.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE oidc_payloads (
      model text NOT NULL,
      id text NOT NULL,
      payload jsonb NOT NULL,
      grant_id text,
      user_code text,
      uid text,
      account_id text,
      expires_at timestamptz,
      consumed_at timestamptz,
      PRIMARY KEY (model, id)
    )`.execute(db);
  await sql`CREATE INDEX oidc_payloads_grant_id_idx ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX oidc_payloads_uid_idx ON oidc_payloads (uid) WHERE uid IS NOT NULL`.execute(db);
  await sql`CREATE INDEX oidc_payloads_user_code_idx ON oidc_payloads (user_code) WHERE user_code IS NOT NULL`.execute(db);
  await sql`CREATE INDEX oidc_payloads_account_id_idx ON oidc_payloads (account_id) WHERE account_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX oidc_payloads_expires_at_idx ON oidc_payloads (expires_at) WHERE expires_at IS NOT NULL`.execute(db);
  // Sign-out drops what was issued under one Latchkey session: the `sid` in the payload.
  await sql`CREATE INDEX oidc_payloads_sid_idx ON oidc_payloads ((payload->>'sid'))`.execute(db);

  await sql`
    CREATE TABLE oauth_applications (
      id text PRIMARY KEY,
      client_id text NOT NULL,
      name text NOT NULL,
      public boolean NOT NULL,
      -- Space-separated, as OAuth writes scopes.
      scopes text NOT NULL,
      callback_url text NOT NULL,
      -- SHA-256 (hex) of the secret; null for public applications, which have none.
      client_secret_sha256 text,
      -- false for first-party applications: users are not asked to consent.
      consent_screen_enabled boolean NOT NULL DEFAULT true,
      client_credentials_enabled boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CHECK (public = (client_secret_sha256 IS NULL)),
      CHECK (NOT (public AND client_credentials_enabled))
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX oauth_applications_client_id_key ON oauth_applications (client_id)`.execute(db);
  await sql`CREATE INDEX oauth_applications_created_idx ON oauth_applications (created_at, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE oauth_applications`.execute(db);
  await sql`DROP TABLE oidc_payloads`.execute(db);
}
