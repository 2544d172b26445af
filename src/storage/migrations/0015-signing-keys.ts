import { type Kysely, sql } from 'kysely';

/**
 * Keys that sign session tokens, and JWT templates. A key's private part is sealed with the
 * instance encryption key. `superseded_at` is set when a rotation replaces it (it signs no more);
 * `published_until` is when every token it signed has expired, so it leaves JWKS then.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE signing_keys (
      kid text PRIMARY KEY,
      algorithm text NOT NULL,
      public_jwk jsonb NOT NULL,
      private_key_sealed text NOT NULL,
      created_at timestamptz NOT NULL,
      superseded_at timestamptz,
      published_until timestamptz
    )`.execute(db);
  // At most one current key: two processes creating the first key at once cannot both win.
  await sql`CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys ((true)) WHERE superseded_at IS NULL`.execute(db);
  await sql`
    CREATE TABLE jwt_templates (
      id text PRIMARY KEY,
      name text NOT NULL,
      claims jsonb NOT NULL,
      lifetime integer NOT NULL,
      allowed_clock_skew integer NOT NULL,
      custom_signing_key boolean NOT NULL DEFAULT false,
      signing_algorithm text NOT NULL,
      signing_key_sealed text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX jwt_templates_name_key ON jwt_templates (name)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE jwt_templates`.execute(db);
  await sql`DROP TABLE signing_keys`.execute(db);
}
