import { type Kysely, sql } from 'kysely';
import type { OrganizationPatch, OrganizationStore } from '../core/organizations/organization-store.ts';
import type { OrganizationFilter } from '../core/organizations/types.ts';
import { translated } from './db-errors.ts';
import { asJson } from './json-column.ts';
import { ORGANIZATION_COLUMNS, escapeLike, toOrganization } from './organization-rows.ts';
import type { Database } from './schema.ts';
import { compiledShapes } from './compiled-shapes.ts';

/** Reads by one key, compiled once (the memberships routes read the organization first). */
const byKey = compiledShapes(8);

const PATCH_COLUMNS: Record<Exclude<keyof OrganizationPatch, 'updatedAt'>, string> = {
  name: 'name',
  slug: 'slug',
  imageId: 'image_id',
  publicMetadata: 'public_metadata',
  privateMetadata: 'private_metadata',
  maxAllowedMemberships: 'max_allowed_memberships',
  adminDeleteEnabled: 'admin_delete_enabled',
};

const JSON_FIELDS = new Set(['publicMetadata', 'privateMetadata']);

function patchColumns(patch: OrganizationPatch): Record<string, unknown> {
  const out: Record<string, unknown> = { updated_at: patch.updatedAt };
  for (const [key, column] of Object.entries(PATCH_COLUMNS)) {
    const value = patch[key as keyof OrganizationPatch];
    if (value !== undefined) out[column] = JSON_FIELDS.has(key) ? JSON.stringify(value) : value;
  }
  return out;
}

/** The organizations repository over Kysely; every call translates database errors to domain errors. */
export function createOrganizationStore(db: Kysely<Database>): OrganizationStore {
  const select = () => db.selectFrom('organizations as o').select(ORGANIZATION_COLUMNS);

  function filtered<Q extends ReturnType<typeof select> | ReturnType<typeof countQuery>>(qb: Q, f: OrganizationFilter): Q {
    let q = qb as any;
    if (f.ids?.length) q = q.where('o.id', 'in', f.ids);
    if (f.query) {
      const like = `%${escapeLike(f.query.toLowerCase())}%`;
      q = q.where(sql<boolean>`(o.id = ${f.query} or (lower(o.name) || ' ' || o.slug) like ${like})`);
    }
    return q;
  }
  const countQuery = () => db.selectFrom('organizations as o').select((eb) => eb.fn.countAll().as('n'));

  const findRoleBy = (column: 'key' | 'id', value: string) =>
    translated(async () => {
      const r = await db.selectFrom('organization_roles').select(['id', 'key', 'name', 'permissions']).where(column, '=', value).executeTakeFirst();
      if (!r) return null;
      return { id: r.id, key: r.key, name: r.name, permissions: asJson<string[]>(r.permissions) };
    });

  return {
    findById: (id) =>
      translated(async () => {
        const { rows } = await byKey.execute(db, 'id', [id], () => select().where('o.id', '=', id));
        return rows[0] ? toOrganization(rows[0]) : null;
      }),

    findBySlug: (slug) =>
      translated(async () => {
        const row = await select().where('o.slug', '=', slug).executeTakeFirst();
        return row ? toOrganization(row) : null;
      }),

    lockForUpdate: (id) =>
      translated(async () => {
        const locked = await db.selectFrom('organizations').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
        if (!locked) return null;
        return toOrganization(await select().where('o.id', '=', id).executeTakeFirstOrThrow());
      }),

    list: (filter, order, page) =>
      translated(async () => {
        const sorted =
          order.field === 'name'
            ? filtered(select(), filter).orderBy(sql`lower(o.name)`, order.direction)
            : order.field === 'members_count'
              ? filtered(select(), filter).orderBy(sql.ref('org_members_count'), order.direction)
              : filtered(select(), filter).orderBy('o.created_at', order.direction);
        const rows = await sorted.orderBy('o.id', order.direction).limit(page.limit).offset(page.offset).execute();
        return rows.map(toOrganization);
      }),

    count: (filter) =>
      translated(async () => {
        const row = await filtered(countQuery(), filter).executeTakeFirstOrThrow();
        return Number(row.n);
      }),

    insert: (o) =>
      translated(async () => {
        await db
          .insertInto('organizations')
          .values({
            id: o.id,
            name: o.name,
            slug: o.slug,
            image_id: null,
            public_metadata: JSON.stringify(o.publicMetadata),
            private_metadata: JSON.stringify(o.privateMetadata),
            max_allowed_memberships: o.maxAllowedMemberships,
            admin_delete_enabled: o.adminDeleteEnabled ?? true,
            created_by: o.createdBy,
            created_at: o.createdAt,
            updated_at: o.updatedAt,
          })
          .execute();
      }),

    update: (id, patch) =>
      translated(async () => {
        const res = await db.updateTable('organizations').set(patchColumns(patch)).where('id', '=', id).executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      }),

    delete: (id) =>
      translated(async () => {
        const res = await db.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
        return Number(res.numDeletedRows) > 0;
      }),

    findRole: (key) => findRoleBy('key', key),
    findRoleById: (id) => findRoleBy('id', id),
  };
}
