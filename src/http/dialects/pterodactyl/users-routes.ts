import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { UserFilter, UserOrder } from '../../../core/users/types.ts';
import type { UserService } from '../../../core/users/user-service.ts';
import { toPanelUser } from './mappers.ts';

/** The panel's page size default and ceiling. */
const PER_PAGE_DEFAULT = 50;
const PER_PAGE_MAX = 100;

const Include = Type.Optional(Type.String({ pattern: '^(servers)?$' }));
const ListQuery = Type.Object(
  {
    'filter[email]': Type.Optional(Type.String({ minLength: 1, maxLength: 191 })),
    'filter[username]': Type.Optional(Type.String({ minLength: 1, maxLength: 191 })),
    'filter[uuid]': Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    'filter[external_id]': Type.Optional(Type.String({ minLength: 1, maxLength: 191 })),
    sort: Type.Optional(Type.String({ enum: ['id', '-id', 'uuid', '-uuid'] })),
    page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
    per_page: Type.Integer({ minimum: 1, maximum: PER_PAGE_MAX, default: PER_PAGE_DEFAULT }),
    include: Include,
  },
  { additionalProperties: false },
);

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const UserBody = Type.Object(
  {
    email: Text(191),
    username: Text(191),
    first_name: Text(191),
    last_name: Text(191),
    external_id: Type.Optional(Type.Union([Text(191), Type.Null()])),
    password: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
    language: Type.Optional(Type.String({ minLength: 2, maxLength: 35 })),
    root_admin: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false });

/** Pterodactyl's application API for users, over the shared core. */
export function pterodactylUsersRoutes(users: UserService, onCreatedWithoutPassword: (email: string) => Promise<void>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/users', { schema: { tags: ['Pterodactyl'], querystring: ListQuery } }, async (req) => {
      const q = req.query;
      const filter: UserFilter = {
        emailContains: q['filter[email]'],
        usernameContains: q['filter[username]'],
        uuids: q['filter[uuid]'] ? [q['filter[uuid]']] : undefined,
        externalIds: q['filter[external_id]'] ? { include: [q['filter[external_id]']], exclude: [] } : undefined,
      };
      const sort = q.sort ?? 'id';
      const order: UserOrder = { field: sort.endsWith('uuid') ? 'uuid' : 'numeric_id', direction: sort.startsWith('-') ? 'desc' : 'asc' };
      const [rows, total] = await Promise.all([users.list(filter, order, { limit: q.per_page, offset: (q.page - 1) * q.per_page }), users.count(filter)]);
      const totalPages = Math.max(1, Math.ceil(total / q.per_page));
      const base = `${req.protocol}://${req.host}${req.url.split('?')[0]}`;
      const links: Record<string, string> = {};
      if (q.page > 1) links.previous = `${base}?page=${q.page - 1}`;
      if (q.page < totalPages) links.next = `${base}?page=${q.page + 1}`;
      return {
        object: 'list',
        data: rows.map((u) => toPanelUser(u, q.include === 'servers')),
        meta: { pagination: { total, count: rows.length, per_page: q.per_page, current_page: q.page, total_pages: totalPages, links } },
      };
    });

    app.get('/users/:id', { schema: { tags: ['Pterodactyl'], params: IdParams, querystring: Type.Object({ include: Include }, { additionalProperties: false }) } }, async (req) =>
      toPanelUser(await users.getBy('numeric_id', req.params.id), req.query.include === 'servers'),
    );

    app.get(
      '/users/external/:external_id',
      { schema: { tags: ['Pterodactyl'], params: Type.Object({ external_id: Text(191) }, { additionalProperties: false }), querystring: Type.Object({ include: Include }, { additionalProperties: false }) } },
      async (req) => toPanelUser(await users.getBy('external_id', req.params.external_id), req.query.include === 'servers'),
    );

    app.post('/users', { schema: { tags: ['Pterodactyl'], body: UserBody } }, async (req, reply) => {
      const b = req.body;
      const created = await users.create({
        emailAddresses: [b.email],
        username: b.username,
        firstName: b.first_name,
        lastName: b.last_name,
        externalId: b.external_id,
        password: b.password || null,
        language: b.language,
        isAdmin: b.root_admin ?? false,
      });
      // As in the panel: an account created without a password gets an email to set one.
      if (!b.password) await onCreatedWithoutPassword(b.email);
      return reply.code(201).send(toPanelUser(created, false));
    });

    app.patch('/users/:id', { schema: { tags: ['Pterodactyl'], params: IdParams, body: UserBody } }, async (req) => {
      const b = req.body;
      const current = await users.getBy('numeric_id', req.params.id);
      const updated = await users.update(current.id, {
        email: b.email,
        username: b.username,
        firstName: b.first_name,
        lastName: b.last_name,
        externalId: b.external_id,
        password: b.password || undefined,
        language: b.language,
        isAdmin: b.root_admin,
      });
      return toPanelUser(updated, false);
    });

    app.delete('/users/:id', { schema: { tags: ['Pterodactyl'], params: IdParams } }, async (req, reply) => {
      const current = await users.getBy('numeric_id', req.params.id);
      await users.delete(current.id);
      return reply.code(204).send();
    });
  };
}
