import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { UserService } from '../../../core/users/user-service.ts';
import type { CursorCodec } from './cursor.ts';
import { toUserIdentity } from './mappers.ts';

/** Authress's page size default and ceiling (its OpenAPI document: `maximum: 100`). */
const LIMIT_DEFAULT = 100;
const LIMIT_MAX = 100;

/** Authress's user id: 1 to 128 of these characters. */
export const UserIdSchema = Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9+._|/~:@ -]+$' });
/** Authress's tenant id. */
export const TenantIdSchema = Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9_.:-]+$' });

const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: LIMIT_MAX, default: LIMIT_DEFAULT }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    filter: Type.Optional(Type.String({ maxLength: 64 })),
    tenantId: Type.Optional(TenantIdSchema),
  },
  { additionalProperties: false },
);

const UserIdentity = Type.Object(
  { userId: Type.String(), name: Type.String(), picture: Type.Optional(Type.String()), email: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
const Link = Type.Object({ href: Type.String() }, { additionalProperties: false });
const UserIdentityCollection = Type.Object(
  {
    users: Type.Array(UserIdentity),
    pagination: Type.Object({ next: Type.Optional(Type.Object({ cursor: Type.String() }, { additionalProperties: false })) }, { additionalProperties: false }),
    links: Type.Object({ self: Link, next: Type.Optional(Link) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
const UserParams = Type.Object({ userId: UserIdSchema }, { additionalProperties: false });

/** Authress documents `application/links+json`; clients that ask for it get that type, others JSON. */
function negotiate(req: FastifyRequest, reply: FastifyReply): void {
  if (req.headers.accept?.includes('application/links+json')) reply.header('content-type', 'application/links+json');
}

export interface AuthressUsersDeps {
  users: UserService;
  cursors: CursorCodec;
  publicUrl: () => string;
}

/** Authress's Users API over the shared core: read, list (keyset cursor) and asynchronous delete. */
export function authressUsersRoutes({ users, cursors, publicUrl }: AuthressUsersDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/users', { schema: { tags: ['Authress'], querystring: ListQuery, response: { 200: UserIdentityCollection } } }, async (req, reply) => {
      const q = req.query;
      const after = q.cursor ? cursors.decode(q.cursor) : undefined;
      // One row more than asked tells whether a next page exists without counting.
      const rows = await users.list({ text: q.filter || undefined, tenantId: q.tenantId, after }, { field: 'created_at', direction: 'asc' }, { limit: q.limit + 1, offset: 0 });
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      const next = rows.length > q.limit && last ? cursors.encode({ createdAt: last.createdAt, id: last.id }) : undefined;
      // Links are absolute under the public URL, not the request's Host header, which a client chooses.
      const base = publicUrl();
      const self = new URL(base + req.url);
      const nextUrl = new URL(self);
      if (next) nextUrl.searchParams.set('cursor', next);
      negotiate(req, reply);
      return {
        users: page.map((u) => toUserIdentity(u, base)),
        pagination: next ? { next: { cursor: next } } : {},
        links: { self: { href: self.toString() }, ...(next ? { next: { href: nextUrl.toString() } } : {}) },
      };
    });

    app.get('/users/:userId', { schema: { tags: ['Authress'], params: UserParams, querystring: Type.Object({}, { additionalProperties: false }), response: { 200: UserIdentity } } }, async (req, reply) => {
      const user = await users.get(req.params.userId);
      negotiate(req, reply);
      return toUserIdentity(user, publicUrl());
    });

    // Authress deletes asynchronously: the user is hidden from every read now, removed within seconds.
    app.delete('/users/:userId', { schema: { tags: ['Authress'], params: UserParams } }, async (req, reply) => {
      await users.requestDeletion(req.params.userId);
      return reply.code(202).send();
    });
  };
}
