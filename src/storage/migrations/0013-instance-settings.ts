import { type Kysely, sql } from 'kysely';

/**
 * Instance-wide configuration: a key/value table of settings groups (read on every use, so a
 * change shows on every server process at once), the allow- and block-lists, the redirect URLs
 * the hosted pages may send users to, and pending sign-ups.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE instance_settings (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);

  await sql`
    CREATE TABLE access_list_identifiers (
      id text PRIMARY KEY,
      list text NOT NULL CHECK (list IN ('allow', 'block')),
      identifier text NOT NULL,
      identifier_type text NOT NULL,
      -- Lowercased email, '*@domain', E.164 phone or lowercased wallet: what checks compare.
      normalized text NOT NULL,
      invitation_id text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX access_list_identifiers_list_normalized_key ON access_list_identifiers (list, normalized)`.execute(db);
  await sql`CREATE INDEX access_list_identifiers_created_idx ON access_list_identifiers (list, created_at, id)`.execute(db);

  await sql`
    CREATE TABLE redirect_urls (
      id text PRIMARY KEY,
      url text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX redirect_urls_url_key ON redirect_urls (url)`.execute(db);

  await sql`
    CREATE TABLE sign_ups (
      id text PRIMARY KEY,
      email_address text,
      phone_number text,
      web3_wallet text,
      username text,
      first_name text,
      last_name text,
      password_digest text,
      password_hasher text,
      external_id text,
      custom_action boolean NOT NULL DEFAULT false,
      public_metadata jsonb NOT NULL DEFAULT '{}',
      unsafe_metadata jsonb NOT NULL DEFAULT '{}',
      -- Identifiers of the form 'email_address' that the registrant has proved.
      verified_fields jsonb NOT NULL DEFAULT '[]',
      created_user_id text,
      abandon_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE sign_ups`.execute(db);
  await sql`DROP TABLE redirect_urls`.execute(db);
  await sql`DROP TABLE access_list_identifiers`.execute(db);
  await sql`DROP TABLE instance_settings`.execute(db);
}
