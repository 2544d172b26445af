import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SecretKeyService } from '../../../core/keys/secret-keys.ts';
import type { UserService } from '../../../core/users/user-service.ts';
import { bearerToken } from '../../bearer.ts';
import { pterodactylErrorHandler, pterodactylNotFound, pterodactylUnauthenticated } from './errors.ts';
import { pterodactylUsersRoutes } from './users-routes.ts';

export interface PterodactylDialectDeps {
  users: UserService;
  secretKeys: SecretKeyService;
  /** Sends the set-password email for an account created without one. */
  sendSetPassword: (email: string) => Promise<void>;
}

/** Pterodactyl panel application API (users), mounted at /compat/pterodactyl/api/application. */
export function pterodactylDialect(deps: PterodactylDialectDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.setErrorHandler(pterodactylErrorHandler);
    app.setNotFoundHandler(pterodactylNotFound);
    app.addHook('onRequest', async (req, reply) => {
      const token = bearerToken(req);
      if (!token || !(await deps.secretKeys.authenticate(token))) return pterodactylUnauthenticated(reply);
    });
    await app.register(pterodactylUsersRoutes(deps.users, deps.sendSetPassword));
  };
}
