import { type Kysely, type Selectable, sql } from 'kysely';
import type { MessageRecord, MessageStore, TemplateOverride, TemplateStore } from '../core/delivery/message-store.ts';
import type { Channel, MessageStatus, TemplateSlug } from '../core/delivery/outbox.ts';
import { translated } from './db-errors.ts';
import type { Database, MessageTemplatesTable, OutboxMessagesTable } from './schema.ts';

function secretsOf(v: unknown): string[] {
  // pg parses jsonb; a raw query on PGlite may hand back the text.
  const parsed = typeof v === 'string' ? JSON.parse(v) : v;
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

function toMessage(r: Selectable<OutboxMessagesTable> | Record<string, any>): MessageRecord {
  return {
    id: r.id,
    channel: r.channel as Channel,
    template: r.template as TemplateSlug | null,
    to: r.to_address,
    sender: r.sender,
    subject: r.subject,
    body: r.body,
    bodyPlain: r.body_plain,
    secrets: secretsOf(r.secrets),
    status: r.status as MessageStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: new Date(r.next_attempt_at),
    lastError: r.last_error,
    providerId: r.provider_id,
    userId: r.user_id,
    identifierId: r.identifier_id,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    sentAt: r.sent_at ? new Date(r.sent_at) : null,
  };
}

export function createMessageStore(db: Kysely<Database>): MessageStore {
  return {
    insert: (m) =>
      translated(async () => {
        await db
          .insertInto('outbox_messages')
          .values({
            id: m.id,
            channel: m.channel,
            template: m.template,
            to_address: m.to,
            sender: m.sender,
            subject: m.subject,
            body: m.body,
            body_plain: m.bodyPlain,
            secrets: JSON.stringify(m.secrets),
            status: m.status,
            next_attempt_at: m.nextAttemptAt,
            user_id: m.userId,
            identifier_id: m.identifierId,
            created_at: m.createdAt,
            updated_at: m.createdAt,
          })
          .execute();
      }),

    find: (id) =>
      translated(async () => {
        const r = await db.selectFrom('outbox_messages').selectAll().where('id', '=', id).executeTakeFirst();
        return r ? toMessage(r) : null;
      }),

    listRecent: (limit) =>
      translated(async () => (await db.selectFrom('outbox_messages').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute()).map(toMessage)),

    claimDue: (now, leaseUntil, limit) =>
      translated(async () => {
        // One statement: the rows are locked while chosen, and rows another worker holds are
        // skipped rather than waited for. A committed claim moves next_attempt_at past `now`,
        // so a later scan re-checks the row and leaves it.
        const res = await sql<Record<string, any>>`
          UPDATE outbox_messages m
             SET status = 'sending', attempts = m.attempts + 1, next_attempt_at = ${leaseUntil}, updated_at = ${now}
            FROM (SELECT id FROM outbox_messages
                   WHERE status IN ('queued', 'sending') AND next_attempt_at <= ${now}
                   ORDER BY next_attempt_at
                   LIMIT ${limit}
                   FOR UPDATE SKIP LOCKED) due
           WHERE m.id = due.id
          RETURNING m.*`.execute(db);
        return res.rows.map(toMessage).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      }),

    markSent: (delivered, at) =>
      translated(async () => {
        if (delivered.length === 0) return [];
        const rows = JSON.stringify(delivered.map((d) => ({ id: d.id, attempt: d.attempt, provider_id: d.providerId, subject: d.subject })));
        const res = await sql<{ id: string }>`
          UPDATE outbox_messages m
             SET status = 'sent', sent_at = ${at}, updated_at = ${at}, last_error = NULL, provider_id = v.provider_id,
                 subject = v.subject, body = NULL, body_plain = NULL, secrets = '[]'
            FROM jsonb_to_recordset(${rows}::jsonb) AS v(id text, attempt integer, provider_id text, subject text)
           WHERE m.id = v.id AND m.status = 'sending' AND m.attempts = v.attempt
          RETURNING m.id`.execute(db);
        return res.rows.map((r) => r.id);
      }),

    settle: (id, attempt, o) =>
      translated(async () => {
        const res = await db
          .updateTable('outbox_messages')
          .set({
            status: o.status,
            updated_at: o.at,
            ...(o.nextAttemptAt ? { next_attempt_at: o.nextAttemptAt } : {}),
            ...(o.lastError !== undefined ? { last_error: o.lastError } : {}),
            ...(o.providerId !== undefined ? { provider_id: o.providerId } : {}),
            ...(o.status === 'sent' ? { sent_at: o.at } : {}),
            ...(o.content ? { subject: o.content.subject, body: o.content.body, body_plain: o.content.bodyPlain } : {}),
            ...(o.clearSecrets ? { secrets: '[]' } : {}),
          })
          .where('id', '=', id)
          .where('status', '=', 'sending')
          .where('attempts', '=', attempt)
          .executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      }),
  };
}

function toTemplate(r: Selectable<MessageTemplatesTable>): TemplateOverride {
  return {
    channel: r.channel as Channel,
    slug: r.slug as TemplateSlug,
    name: r.name,
    subject: r.subject,
    body: r.body,
    markup: r.markup,
    fromEmailName: r.from_email_name,
    deliveredByClerk: r.delivered_by_clerk,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

export function createTemplateStore(db: Kysely<Database>): TemplateStore {
  return {
    find: (channel, slug) =>
      translated(async () => {
        const r = await db.selectFrom('message_templates').selectAll().where('channel', '=', channel).where('slug', '=', slug).executeTakeFirst();
        return r ? toTemplate(r) : null;
      }),
    list: (channel) => translated(async () => (await db.selectFrom('message_templates').selectAll().where('channel', '=', channel).execute()).map(toTemplate)),
    upsert: (t) =>
      translated(async () => {
        const values = {
          name: t.name,
          subject: t.subject,
          body: t.body,
          markup: t.markup,
          from_email_name: t.fromEmailName,
          delivered_by_clerk: t.deliveredByClerk,
          updated_at: t.updatedAt,
        };
        const r = await db
          .insertInto('message_templates')
          .values({ channel: t.channel, slug: t.slug, ...values, created_at: t.createdAt })
          .onConflict((oc) => oc.columns(['channel', 'slug']).doUpdateSet(values))
          .returningAll()
          .executeTakeFirstOrThrow();
        return toTemplate(r);
      }),
    delete: (channel, slug) =>
      translated(async () => Number((await db.deleteFrom('message_templates').where('channel', '=', channel).where('slug', '=', slug).executeTakeFirst()).numDeletedRows) > 0),
  };
}
