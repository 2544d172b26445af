import { type Kysely, sql } from 'kysely';

/**
 * Clients (browsers, or API callers that asked for a session) and the sessions inside them.
 *
 * A client is found by the SHA-256 of its 256-bit token (the `__latchkey_client` cookie), never
 * by the token itself. Sessions go with their user (cascade): a hard-deleted user leaves no
 * session behind. `status` stores what happened to a session (active, ended, revoked, removed);
 * `expired` and `abandoned` follow from `expire_at`/`abandon_at` and the time of the read, so no
 * job has to sweep them (see session-store.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE clients (
      id text PRIMARY KEY,
      token_hash text NOT NULL,
      -- Plain ids: a client outlives the sessions and sign-in attempts it points at.
      last_active_session_id text,
      sign_in_id text,
      sign_up_id text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX clients_token_hash_key ON clients (token_hash)`.execute(db);
  await sql`CREATE INDEX clients_created_idx ON clients (created_at DESC, id DESC)`.execute(db);

  await sql`
    CREATE TABLE sessions (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      client_id text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
      actor jsonb,
      status text NOT NULL CHECK (status IN ('active', 'ended', 'revoked', 'removed', 'expired', 'abandoned')),
      last_active_organization_id text,
      last_active_at timestamptz NOT NULL,
      expire_at timestamptz NOT NULL,
      abandon_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CHECK (abandon_at <= expire_at)
    )`.execute(db);
  // The list filters (user, client, none) each read newest first.
  await sql`CREATE INDEX sessions_user_created_idx ON sessions (user_id, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX sessions_client_created_idx ON sessions (client_id, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX sessions_created_idx ON sessions (created_at DESC, id DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE sessions`.execute(db);
  await sql`DROP TABLE clients`.execute(db);
}
