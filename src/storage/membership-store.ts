import { type Kysely, sql } from 'kysely';
import type { MembershipStore } from '../core/organizations/organization-store.ts';
import type { MembershipFilter } from '../core/organizations/types.ts';
import { translated } from './db-errors.ts';
import { MEMBERSHIP_COLUMNS, ORGANIZATION_COLUMNS, escapeLike, toMembership } from './organization-rows.ts';
import type { Database } from './schema.ts';
import { compiledShapes } from './compiled-shapes.ts';

/** Membership list and count SQL per filter shape (see compiled-shapes.ts). */
export const membershipShapes = compiledShapes();

type Term = { kind: 'org' | 'user' | 'users' | 'roles' | 'query'; values: unknown[] };

/** The filter's clauses in order, each with the values it binds: a cache key and the parameters. */
function membershipTerms(f: MembershipFilter): Term[] {
  const terms: Term[] = [];
  if (f.organizationId) terms.push({ kind: 'org', values: [f.organizationId] });
  if (f.userId) terms.push({ kind: 'user', values: [f.userId] });
  if (f.userIds?.length) terms.push({ kind: 'users', values: f.userIds });
  if (f.roles?.length) terms.push({ kind: 'roles', values: f.roles });
  // users.search is already lowercased (see refreshSearch in user-store.ts).
  if (f.query) terms.push({ kind: 'query', values: [`%${escapeLike(f.query.toLowerCase())}%`] });
  return terms;
}

const shapeOf = (terms: Term[]) => terms.map((t) => `${t.kind}:${t.values.length}`).join(',');

/** The memberships repository: each read joins the organization, the role and the user. */
export function createMembershipStore(db: Kysely<Database>): MembershipStore {
  const joined = () =>
    db
      .selectFrom('organization_memberships as m')
      .innerJoin('organizations as o', 'o.id', 'm.organization_id')
      .innerJoin('organization_roles as r', 'r.key', 'm.role')
      .innerJoin('users as u', 'u.id', 'm.user_id');

  function filtered<Q>(qb: Q, terms: Term[]): Q {
    let q = qb as any;
    for (const { kind, values } of terms) {
      if (kind === 'org') q = q.where('m.organization_id', '=', values[0]);
      else if (kind === 'user') q = q.where('m.user_id', '=', values[0]);
      else if (kind === 'users') q = q.where('m.user_id', 'in', values);
      else if (kind === 'roles') q = q.where('m.role', 'in', values);
      else q = q.where('u.search', 'like', values[0]);
    }
    return q;
  }

  const select = () => joined().select([...MEMBERSHIP_COLUMNS, ...ORGANIZATION_COLUMNS]);

  return {
    find: (organizationId, userId) =>
      translated(async () => {
        const row = await select().where('m.organization_id', '=', organizationId).where('m.user_id', '=', userId).executeTakeFirst();
        return row ? toMembership(row) : null;
      }),

    list: (filter, order, page) =>
      translated(async () => {
        const column = order.field === 'created_at' ? 'm.created_at' : (`u.${order.field}` as const);
        const terms = membershipTerms(filter);
        const key = `list|${order.field}|${order.direction}|${shapeOf(terms)}`;
        const { rows } = await membershipShapes.execute(db, key, [...terms.flatMap((t) => t.values), page.limit, page.offset], () =>
          filtered(select(), terms).orderBy(column, order.direction).orderBy('m.id', order.direction).limit(page.limit).offset(page.offset),
        );
        return rows.map(toMembership);
      }),

    count: (filter) =>
      translated(async () => {
        const terms = membershipTerms(filter);
        // Built only on a cache miss. The user join is needed only to search (a `query` term, so
        // part of the shape key); the others only to read.
        const { rows } = await membershipShapes.execute(db, `count|${shapeOf(terms)}`, terms.flatMap((t) => t.values), () => {
          const base = filter.query
            ? db.selectFrom('organization_memberships as m').innerJoin('users as u', 'u.id', 'm.user_id')
            : db.selectFrom('organization_memberships as m');
          return filtered(base.select((eb) => eb.fn.countAll().as('n')), terms);
        });
        return Number((rows[0] as { n: string | number }).n);
      }),

    countWithPermission: (organizationId, permission, exceptUserId) =>
      translated(async () => {
        let q = db
          .selectFrom('organization_memberships as m')
          .innerJoin('organization_roles as r', 'r.key', 'm.role')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('m.organization_id', '=', organizationId)
          .where(sql<boolean>`r.permissions ? ${permission}`);
        if (exceptUserId) q = q.where('m.user_id', '<>', exceptUserId);
        return Number((await q.executeTakeFirstOrThrow()).n);
      }),

    insert: (m) =>
      translated(async () => {
        await db
          .insertInto('organization_memberships')
          .values({
            id: m.id,
            organization_id: m.organizationId,
            user_id: m.userId,
            role: m.roleKey,
            public_metadata: JSON.stringify(m.publicMetadata),
            private_metadata: JSON.stringify(m.privateMetadata),
            tenant_link: m.tenantLink ?? false,
            created_at: m.createdAt,
            updated_at: m.updatedAt,
          })
          .execute();
      }),

    update: (id, patch) =>
      translated(async () => {
        await db
          .updateTable('organization_memberships')
          .set({
            ...(patch.roleKey !== undefined ? { role: patch.roleKey } : {}),
            ...(patch.publicMetadata !== undefined ? { public_metadata: JSON.stringify(patch.publicMetadata) } : {}),
            ...(patch.privateMetadata !== undefined ? { private_metadata: JSON.stringify(patch.privateMetadata) } : {}),
            updated_at: patch.updatedAt,
          })
          .where('id', '=', id)
          .execute();
      }),

    delete: (id) =>
      translated(async () => {
        await db.deleteFrom('organization_memberships').where('id', '=', id).execute();
      }),

    deleteAllForUser: (userId) =>
      translated(async () => {
        const rows = await db.deleteFrom('organization_memberships').where('user_id', '=', userId).returning('organization_id').execute();
        return rows.map((r) => r.organization_id);
      }),

    findTenantLink: (userId) =>
      translated(async () => {
        const row = await select().where('m.user_id', '=', userId).where('m.tenant_link', '=', true).executeTakeFirst();
        return row ? toMembership(row) : null;
      }),

    setTenantLink: (id, on, at) =>
      translated(async () => {
        await db.updateTable('organization_memberships').set({ tenant_link: on, updated_at: at }).where('id', '=', id).execute();
      }),
  };
}
