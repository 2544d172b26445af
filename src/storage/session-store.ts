import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { ClientRow, SessionInsertRefusal, SessionRow, SessionStore } from '../core/sessions/session-store.ts';
import type { Actor, SessionStatus } from '../core/sessions/types.ts';
import { translated } from './db-errors.ts';
import type { Database } from './schema.ts';
import { compiledShapes } from './compiled-shapes.ts';
import { CLEARED_FAILURES } from './lockout-store.ts';

/** Reads by primary key, compiled once: token issuance and verify read the session every time. */
const byId = compiledShapes(4);

type Row = Record<string, any>;

function toSession(r: Row): SessionRow {
  return {
    id: r.id,
    userId: r.user_id,
    clientId: r.client_id,
    actor: (r.actor as Actor | null) ?? null,
    status: r.status as SessionStatus,
    lastActiveOrganizationId: r.last_active_organization_id,
    lastActiveAt: new Date(r.last_active_at),
    expireAt: new Date(r.expire_at),
    abandonAt: new Date(r.abandon_at),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

function toClient(r: Row): ClientRow {
  return {
    id: r.id,
    lastActiveSessionId: r.last_active_session_id,
    signInId: r.sign_in_id,
    signUpId: r.sign_up_id,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

type SessionsEb = ExpressionBuilder<Database, 'sessions'>;

/** Live at `now`: stored active and within both lifetimes. */
const live = (eb: SessionsEb, now: Date) => eb.and([eb('status', '=', 'active'), eb('expire_at', '>', now), eb('abandon_at', '>', now)]);

/**
 * The effective status as SQL, the same rule as `effectiveStatus` in the core: computing it on
 * read (rather than a job persisting `expired`/`abandoned`) keeps the filter exact at any moment
 * and costs no writes; the indexes narrow by user or client first, so the extra terms are cheap.
 */
function statusIs(eb: SessionsEb, status: SessionStatus, now: Date) {
  switch (status) {
    case 'active':
      return live(eb, now);
    case 'expired':
      return eb.or([eb('status', '=', 'expired'), eb.and([eb('status', '=', 'active'), eb('expire_at', '<=', now)])]);
    case 'abandoned':
      return eb.or([eb('status', '=', 'abandoned'), eb.and([eb('status', '=', 'active'), eb('expire_at', '>', now), eb('abandon_at', '<=', now)])]);
    default:
      return eb('status', '=', status);
  }
}

/** The sessions domain's store over one Kysely handle. */
export function createSessionStore(db: Kysely<Database>): SessionStore {
  return {
    openSession: ({ session: s, newClient: c, signIn, clearFailures }) =>
      translated(async () => {
        const sessionEvent = JSON.stringify({ user_id: s.userId, client_id: s.clientId, ...(s.actor ? { actor: s.actor } : {}) });
        const { rows } = await sql<{ inserted: number; banned: boolean | null; locked_until: Date | null; deletion_requested_at: Date | null }>`
          WITH u AS (
            UPDATE users SET last_sign_in_at = CASE WHEN ${signIn} THEN ${s.createdAt}::timestamptz ELSE last_sign_in_at END${clearFailures ? sql`, ${CLEARED_FAILURES}` : sql``}
            WHERE id = ${s.userId} AND deletion_requested_at IS NULL AND NOT banned AND (locked_until IS NULL OR locked_until <= ${s.createdAt})
            RETURNING id
          ), c AS (
            INSERT INTO clients (id, token_hash, last_active_session_id, sign_in_id, sign_up_id, created_at, updated_at)
            SELECT ${c?.id ?? null}, ${c?.tokenHash ?? null}, ${s.id}, NULL, NULL, ${s.createdAt}, ${s.createdAt} FROM u WHERE ${c !== null}
            RETURNING id
          ), uc AS (
            UPDATE clients SET last_active_session_id = ${s.id}, updated_at = ${s.createdAt}
            WHERE id = ${s.clientId} AND ${c === null} AND EXISTS (SELECT 1 FROM u)
            RETURNING id
          ), ins AS (
            INSERT INTO sessions (id, user_id, client_id, actor, status, last_active_organization_id, last_active_at, expire_at, abandon_at, created_at, updated_at)
            SELECT ${s.id}, u.id, ${s.clientId}, ${s.actor ? JSON.stringify(s.actor) : null}::jsonb, ${s.status}, ${s.lastActiveOrganizationId},
                   ${s.lastActiveAt}, ${s.expireAt}, ${s.abandonAt}, ${s.createdAt}, ${s.updatedAt}
            FROM u
            RETURNING id
          ), ev AS (
            INSERT INTO events (type, subject_id, payload, created_at)
            SELECT 'client.created', c.id, '{}'::jsonb, ${s.createdAt}::timestamptz FROM c
            UNION ALL
            SELECT 'session.created', ins.id, ${sessionEvent}::jsonb, ${s.createdAt}::timestamptz FROM ins
            RETURNING id
          )
          SELECT (SELECT count(*) FROM ins)::int AS inserted, x.banned, x.locked_until, x.deletion_requested_at
          FROM (SELECT 1) AS one LEFT JOIN users x ON x.id = ${s.userId}`.execute(db);
        const r = rows[0];
        if (Number(r?.inserted) === 1) return null;
        if (!r || r.banned === null || r.deletion_requested_at) return 'user_not_found' satisfies SessionInsertRefusal;
        return r.banned ? 'user_banned' : 'user_locked';
      }),

    findSession: (id) =>
      translated(async () => {
        const { rows } = await byId.execute(db, 'session', [id], () => db.selectFrom('sessions').selectAll().where('id', '=', id));
        return rows[0] ? toSession(rows[0]) : null;
      }),

    listSessions: (f) =>
      translated(async () => {
        let q = db.selectFrom('sessions');
        if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
        if (f.clientId !== undefined) q = q.where('client_id', '=', f.clientId);
        if (f.status !== undefined) {
          const status = f.status;
          q = q.where((eb) => statusIs(eb, status, f.now));
        }
        const [rows, count] = await Promise.all([
          q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).offset(f.offset).execute(),
          q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
        ]);
        return { rows: rows.map(toSession), total: Number(count.n) };
      }),

    liveSessionsOfClients: (clientIds, now, limit) =>
      translated(async () => {
        if (clientIds.length === 0) return [];
        const { rows } = await sql<Row>`
          SELECT * FROM (
            SELECT s.*, row_number() OVER (PARTITION BY client_id ORDER BY created_at DESC, id DESC) AS rank
            FROM sessions s
            WHERE client_id IN (${sql.join(clientIds)}) AND status = 'active' AND expire_at > ${now} AND abandon_at > ${now}
          ) ranked
          WHERE rank <= ${limit}
          ORDER BY created_at DESC, id DESC`.execute(db);
        return rows.map(toSession);
      }),

    endLive: (id, status, at) =>
      translated(async () => {
        const res = await db
          .updateTable('sessions')
          .set({ status, updated_at: at })
          .where('id', '=', id)
          .where((eb) => live(eb, at))
          .executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      }),

    revokeAllLive: (userId, at) =>
      translated(async () => {
        const rows = await db
          .updateTable('sessions')
          .set({ status: 'revoked', updated_at: at })
          .where('user_id', '=', userId)
          .where((eb) => live(eb, at))
          .returning('id')
          .execute();
        return rows.map((r) => r.id);
      }),

    touch: (id, at, abandonAt, touchedBefore) =>
      translated(async () => {
        await sql`
          WITH s AS (
            UPDATE sessions SET last_active_at = ${at}, abandon_at = ${abandonAt}, updated_at = ${at}
            WHERE id = ${id} AND status = 'active' AND last_active_at < ${touchedBefore}
            RETURNING client_id
          )
          UPDATE clients c SET last_active_session_id = ${id}, updated_at = ${at}
          FROM s WHERE c.id = s.client_id AND c.last_active_session_id IS DISTINCT FROM ${id}::text`.execute(db);
      }),

    findClient: (id) =>
      translated(async () => {
        const r = await db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
        return r ? toClient(r) : null;
      }),

    findClientByTokenHash: (hash) =>
      translated(async () => {
        const r = await db.selectFrom('clients').selectAll().where('token_hash', '=', hash).executeTakeFirst();
        return r ? toClient(r) : null;
      }),

    listClients: (page) =>
      translated(async () => {
        const [rows, count] = await Promise.all([
          db.selectFrom('clients').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
          db.selectFrom('clients').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
        ]);
        return { rows: rows.map(toClient), total: Number(count.n) };
      }),
  };
}
