import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Clock } from '../../../core/clock.ts';
import type { MfaService } from '../../../core/credentials/mfa.ts';
import type { OutboxService } from '../../../core/delivery/outbox-service.ts';
import type { TemplateService } from '../../../core/delivery/template-service.ts';
import type { SecretKeyService } from '../../../core/keys/secret-keys.ts';
import type { MembershipService } from '../../../core/organizations/membership-service.ts';
import type { OrganizationService } from '../../../core/organizations/organization-service.ts';
import type { IdentifierService } from '../../../core/users/identifier-service.ts';
import type { ProfileImageService } from '../../../core/users/profile-images.ts';
import type { User } from '../../../core/users/types.ts';
import type { UserService } from '../../../core/users/user-service.ts';
import { bearerToken } from '../../bearer.ts';
import { clerkErrorHandler, clerkNotFound, sendUnauthorized } from './errors.ts';
import { identifierRoutes } from './identifier-routes.ts';
import { membershipRoutes } from './membership-routes.ts';
import { messageRoutes } from './message-routes.ts';
import { mfaRoutes } from './mfa-routes.ts';
import { toClerkUser } from './mappers.ts';
import { organizationLogoRoutes } from './organization-logo-routes.ts';
import { organizationRoutes } from './organization-routes.ts';
import { ORGANIZATION_SCHEMAS } from './organization-schemas.ts';
import { profileImageRoutes } from './profile-image-routes.ts';
import { SHARED_SCHEMAS } from './schemas.ts';
import { templateRoutes } from './template-routes.ts';
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
  organizations: OrganizationService;
  memberships: MembershipService;
  outbox: OutboxService;
  templates: TemplateService;
}

/** The native admin API: Clerk Backend API v1, mounted at /v1. */
export function clerkDialect(deps: ClerkDialectDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const s of [...SHARED_SCHEMAS, ...ORGANIZATION_SCHEMAS]) app.addSchema(s);
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
    await app.register(organizationRoutes(deps.organizations, deps.publicUrl));
    await app.register(organizationLogoRoutes(deps.organizations, deps.publicUrl));
    await app.register(membershipRoutes({ memberships: deps.memberships, organizations: deps.organizations, users: deps.users, publicUrl: deps.publicUrl }));
    await app.register(messageRoutes(deps.outbox));
    await app.register(templateRoutes(deps.templates));
  };
}
