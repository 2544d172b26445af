import { type Kysely, sql } from 'kysely';

/**
 * The delivery outbox (emails and SMS waiting for, or past, delivery) and administrators'
 * versions of the system message templates.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE outbox_messages (
      id text PRIMARY KEY,
      channel text NOT NULL CHECK (channel IN ('email', 'sms')),
      template text,
      to_address text NOT NULL,
      sender text NOT NULL,
      subject text,
      body text,
      body_plain text,
      secrets jsonb NOT NULL DEFAULT '[]',
      status text NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'undelivered')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      last_error text,
      provider_id text,
      user_id text REFERENCES users (id) ON DELETE SET NULL,
      identifier_id text REFERENCES identifiers (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      sent_at timestamptz
    )`.execute(db);
  // Workers look only at messages still to deliver; finished ones stay out of this index.
  await sql`CREATE INDEX outbox_messages_due_idx ON outbox_messages (next_attempt_at) WHERE status IN ('queued', 'sending')`.execute(db);
  await sql`CREATE INDEX outbox_messages_created_idx ON outbox_messages (created_at DESC)`.execute(db);
  await sql`CREATE INDEX outbox_messages_user_idx ON outbox_messages (user_id) WHERE user_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX outbox_messages_identifier_idx ON outbox_messages (identifier_id) WHERE identifier_id IS NOT NULL`.execute(db);
  await sql`
    CREATE TABLE message_templates (
      channel text NOT NULL CHECK (channel IN ('email', 'sms')),
      slug text NOT NULL,
      name text NOT NULL,
      subject text,
      body text NOT NULL,
      markup text NOT NULL DEFAULT '',
      from_email_name text,
      delivered_by_clerk boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (channel, slug)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE message_templates`.execute(db);
  await sql`DROP TABLE outbox_messages`.execute(db);
}
