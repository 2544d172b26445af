import { type Kysely, sql } from 'kysely';

/**
 * Sign-in tokens (single-use ticket links that sign a user in on the hosted pages) and actor
 * tokens (the same, opening an impersonation session). Only the SHA-256 of a token is kept; it is
 * shown once, in the answer to the create. Redemption is one conditional UPDATE on
 * `status = 'pending'`, so of two simultaneous redemptions exactly one wins.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE sign_in_tokens (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      token_hash text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX sign_in_tokens_token_hash_key ON sign_in_tokens (token_hash)`.execute(db);
  await sql`CREATE INDEX sign_in_tokens_user_idx ON sign_in_tokens (user_id)`.execute(db);

  await sql`
    CREATE TABLE actor_tokens (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      token_hash text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
      -- Who impersonates: at least {"sub": "..."}; copied into the session and its tokens' act claim.
      actor jsonb NOT NULL,
      session_max_duration_seconds integer NOT NULL,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX actor_tokens_token_hash_key ON actor_tokens (token_hash)`.execute(db);
  await sql`CREATE INDEX actor_tokens_user_idx ON actor_tokens (user_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE actor_tokens`.execute(db);
  await sql`DROP TABLE sign_in_tokens`.execute(db);
}
