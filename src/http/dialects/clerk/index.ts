import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Clock } from '../../../core/clock.ts';
import type { MfaService } from '../../../core/credentials/mfa.ts';
import type { SecretKeyService } from '../../../core/keys/secret-keys.ts';
import type { IdentifierService } from '../../../core/users/identifier-service.ts';
import type { ProfileImageService } from '../../../core/users/profile-images.ts';
import type { User } from '../../../core/users/types.ts';
import type { UserService } from '../../../core/users/user-service.ts';
import { bearerToken } from '../../bearer.ts';
import { clerkErrorHandler, clerkNotFound, sendUnauthorized } from './errors.ts';
import { identifierRoutes } from './identifier-routes.ts';
import { mfaRoutes } from './mfa-routes.ts';
import { toClerkUser } from './mappers.ts';
import { profileImageRoutes } from './profile-image-routes.ts';
import { SHARED_SCHEMAS } from './schemas.ts';
import { userExtrasRoutes } from './user-extras-routes.ts';
import { usersRoutes } from './users-routes.ts';

export interface ClerkDialectDeps {
  users: UserService;
  identifiers: IdentifierService;
  secretKeys: SecretKeyService;
  profileImages: ProfileImageService;
  /** Base of public URLs, such as uploaded images. */
  publicUrl: () => string;
  clock: Clock;
  mfa: MfaService;
}

/** The native admin API: Clerk Backend API v1, mounted at /v1. */
export function clerkDialect(deps: ClerkDialectDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const s of SHARED_SCHEMAS) app.addSchema(s);
    app.setErrorHandler(clerkErrorHandler);
    app.setNotFoundHandler(clerkNotFound);
    app.addHook('onRequest', async (req, reply) => {
      const token = bearerToken(req);
      const keyId = token ? await deps.secretKeys.authenticate(token) : null;
      if (!keyId) return sendUnauthorized(reply);
    });
    const present = (u: User) => toClerkUser(u, deps.publicUrl(), deps.clock.now());
    await app.register(usersRoutes(deps.users, present));
    await app.register(userExtrasRoutes(deps.users, deps.identifiers, present));
    await app.register(profileImageRoutes(deps.profileImages, present));
    await app.register(mfaRoutes(deps.mfa));
    await app.register(identifierRoutes(deps.identifiers, () => deps.clock.now()));
  };
}
