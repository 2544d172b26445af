import { type Kysely, sql } from 'kysely';
import type {
  Invitation,
  InvitationState,
  InvitationStore,
  OrganizationInvitation,
  OrganizationInvitationStore,
} from '../core/invitations/invitation-store.ts';
import { translated } from './db-errors.ts';
import { asJson } from './json-column.ts';
import { escapeLike } from './organization-rows.ts';
import type { Database } from './schema.ts';

type Row = Record<string, any>;

function toInvitation(r: Row): Invitation {
  return {
    id: r.id,
    emailAddress: r.email_address,
    publicMetadata: asJson(r.public_metadata),
    redirectUrl: r.redirect_url,
    status: r.status,
    expiresAt: r.expires_at,
    userId: r.user_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toOrganizationInvitation(r: Row): OrganizationInvitation {
  return {
    ...toInvitation(r),
    organizationId: r.organization_id,
    roleKey: r.role,
    roleName: r.role_name,
    privateMetadata: asJson(r.private_metadata),
    inviterUserId: r.inviter_user_id,
  };
}

/** The columns both invitation tables share, as written on insert. */
function commonValues(i: Invitation & { emailNormalized: string; tokenHash: string }) {
  return {
    id: i.id,
    email_address: i.emailAddress,
    email_normalized: i.emailNormalized,
    public_metadata: JSON.stringify(i.publicMetadata),
    redirect_url: i.redirectUrl,
    status: i.status,
    token_hash: i.tokenHash,
    expires_at: i.expiresAt,
    user_id: i.userId,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
  };
}

/** Readers' states in SQL: `pending` and `expired` are both stored as pending, told apart by the expiry. */
function stateCondition(column: string, states: InvitationState[], now: Date) {
  const parts = states.map((s) => {
    if (s === 'pending') return sql`(${sql.ref(`${column}.status`)} = 'pending' and ${sql.ref(`${column}.expires_at`)} > ${now})`;
    if (s === 'expired') return sql`(${sql.ref(`${column}.status`)} = 'pending' and ${sql.ref(`${column}.expires_at`)} <= ${now})`;
    return sql`${sql.ref(`${column}.status`)} = ${s}`;
  });
  return sql<boolean>`(${sql.join(parts, sql` or `)})`;
}

/** Moves a pending row to its final status; only one caller can. */
async function finishRow(db: Kysely<Database>, table: 'invitations' | 'organization_invitations', id: string, status: string, userId: string | null, now: Date) {
  const res = await db.updateTable(table).set({ status, user_id: userId, updated_at: now }).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export function createInvitationStore(db: Kysely<Database>): InvitationStore {
  const filtered = <Q>(qb: Q, f: Parameters<InvitationStore['list']>[0]): Q => {
    let q = qb as any;
    if (f.states?.length) q = q.where(stateCondition('i', f.states, f.now));
    if (f.query) q = q.where(sql<boolean>`(i.id = ${f.query} or i.email_normalized like ${`%${escapeLike(f.query.toLowerCase())}%`})`);
    return q;
  };
  const one = async (column: 'id' | 'token_hash', value: string) => {
    const r = await db.selectFrom('invitations as i').selectAll().where(column, '=', value).executeTakeFirst();
    return r ? toInvitation(r) : null;
  };
  return {
    insert: (i) =>
      translated(async () => {
        await db
          .insertInto('invitations')
          .values(commonValues(i))
          .execute();
      }),
    findById: (id) => translated(() => one('id', id)),
    findByTokenHash: (hash) => translated(() => one('token_hash', hash)),
    findPendingByEmail: (email) =>
      translated(async () => {
        const r = await db.selectFrom('invitations').selectAll().where('email_normalized', '=', email).where('status', '=', 'pending').executeTakeFirst();
        return r ? toInvitation(r) : null;
      }),
    list: (filter, order, page) =>
      translated(async () => {
        const column = order.field === 'email_address' ? 'i.email_normalized' : order.field === 'expires_at' ? 'i.expires_at' : 'i.created_at';
        const rows = await filtered(db.selectFrom('invitations as i').selectAll(), filter)
          .orderBy(column, order.direction)
          .orderBy('i.id', order.direction)
          .limit(page.limit)
          .offset(page.offset)
          .execute();
        return rows.map(toInvitation);
      }),
    count: (filter) =>
      translated(async () => {
        const r = await filtered(db.selectFrom('invitations as i').select((eb) => eb.fn.countAll().as('n')), filter).executeTakeFirstOrThrow();
        return Number(r.n);
      }),
    finish: (id, status, userId, now) => translated(() => finishRow(db, 'invitations', id, status, userId, now)),
    delete: (id) =>
      translated(async () => {
        const res = await db.deleteFrom('invitations').where('id', '=', id).executeTakeFirst();
        return Number(res.numDeletedRows) > 0;
      }),
  };
}

export function createOrganizationInvitationStore(db: Kysely<Database>): OrganizationInvitationStore {
  const select = () => db.selectFrom('organization_invitations as i').innerJoin('organization_roles as r', 'r.key', 'i.role').selectAll('i').select('r.name as role_name');
  const filtered = <Q>(qb: Q, f: Parameters<OrganizationInvitationStore['list']>[0]): Q => {
    let q = qb as any;
    if (f.organizationId) q = q.where('i.organization_id', '=', f.organizationId);
    if (f.emailsNormalized) q = q.where('i.email_normalized', 'in', f.emailsNormalized);
    if (f.states?.length) q = q.where(stateCondition('i', f.states, f.now));
    return q;
  };
  const one = async (column: 'i.id' | 'i.token_hash', value: string) => {
    const r = await select().where(column, '=', value).executeTakeFirst();
    return r ? toOrganizationInvitation(r) : null;
  };
  return {
    insert: (i) =>
      translated(async () => {
        await db
          .insertInto('organization_invitations')
          .values({
            ...commonValues(i),
            organization_id: i.organizationId,
            role: i.roleKey,
            private_metadata: JSON.stringify(i.privateMetadata),
            inviter_user_id: i.inviterUserId,
          })
          .execute();
      }),
    findById: (id) => translated(() => one('i.id', id)),
    findByTokenHash: (hash) => translated(() => one('i.token_hash', hash)),
    list: (filter, page) =>
      translated(async () => {
        const rows = await filtered(select(), filter).orderBy('i.created_at', 'desc').orderBy('i.id', 'desc').limit(page.limit).offset(page.offset).execute();
        return rows.map(toOrganizationInvitation);
      }),
    count: (filter) =>
      translated(async () => {
        const r = await filtered(db.selectFrom('organization_invitations as i').select((eb) => eb.fn.countAll().as('n')), filter).executeTakeFirstOrThrow();
        return Number(r.n);
      }),
    finish: (id, status, userId, now) => translated(() => finishRow(db, 'organization_invitations', id, status, userId, now)),
  };
}
