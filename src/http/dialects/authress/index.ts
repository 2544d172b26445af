import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SecretKeyService } from '../../../core/keys/secret-keys.ts';
import type { TenantLinkService } from '../../../core/organizations/tenant-links.ts';
import type { UserService } from '../../../core/users/user-service.ts';
import { bearerToken } from '../../bearer.ts';
import { createCursorCodec } from './cursor.ts';
import { authressErrorHandler, authressNotFound, authressUnauthorized } from './errors.ts';
import { authressTenantRoutes } from './tenant-routes.ts';
import { authressUsersRoutes } from './users-routes.ts';

export interface AuthressDialectDeps {
  users: UserService;
  tenantLinks: TenantLinkService;
  secretKeys: SecretKeyService;
  /** Base of public URLs, such as uploaded images. */
  publicUrl: () => string;
  /** Secret the list cursors are signed with; the same on every node (the encryption key). */
  cursorSecret: Uint8Array;
}

/** Authress Users API (and tenant user links), mounted at /compat/authress/v1. */
export function authressDialect(deps: AuthressDialectDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.setErrorHandler(authressErrorHandler);
    app.setNotFoundHandler(authressNotFound);
    // An instance secret key holds every permission, so authentication is the whole check: a
    // narrower credential would answer authressForbidden (403) here.
    app.addHook('onRequest', async (req, reply) => {
      const token = bearerToken(req);
      if (!token || !(await deps.secretKeys.authenticate(token))) return authressUnauthorized(reply);
    });
    // As the server does for application/json: the documented type exactly, without a charset.
    app.addHook('onSend', async (_req, reply, payload) => {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('application/links+json')) reply.header('content-type', 'application/links+json');
      return payload;
    });
    await app.register(authressUsersRoutes({ users: deps.users, cursors: createCursorCodec(deps.cursorSecret), publicUrl: deps.publicUrl }));
    await app.register(authressTenantRoutes(deps.tenantLinks));
  };
}
