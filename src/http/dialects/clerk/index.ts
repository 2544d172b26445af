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
import { passwordAdminRoutes } from './password-admin-routes.ts';
import type { PasswordReset } from '../../../core/verification/password-reset.ts';
import { toClerkUser } from './mappers.ts';
import { organizationLogoRoutes } from './organization-logo-routes.ts';
import { organizationRoutes } from './organization-routes.ts';
import { ORGANIZATION_SCHEMAS } from './organization-schemas.ts';
import { profileImageRoutes } from './profile-image-routes.ts';
import { SHARED_SCHEMAS } from './schemas.ts';
import { templateRoutes } from './template-routes.ts';
import { userExtrasRoutes } from './user-extras-routes.ts';
import { usersRoutes } from './users-routes.ts';
import { accessListRoutes } from './access-list-routes.ts';
import { INSTANCE_SCHEMAS } from './instance-schemas.ts';
import { instanceRoutes } from './instance-routes.ts';
import { invitationRoutes } from './invitation-routes.ts';
import { organizationInvitationRoutes } from './organization-invitation-routes.ts';
import { publicRoutes } from './public-routes.ts';
import { redirectUrlRoutes } from './redirect-url-routes.ts';
import { signUpRoutes } from './sign-up-routes.ts';
import { oauthApplicationRoutes } from './oauth-application-routes.ts';
import type { OAuthApplicationService } from '../../../core/oauth/oauth-applications.ts';
import { signInTokenRoutes } from './sign-in-token-routes.ts';
import { actorTokenRoutes } from './actor-token-routes.ts';
import { jwtTemplateRoutes } from './jwt-template-routes.ts';
import { sessionTokenRoutes } from './session-token-routes.ts';
import { sessionRoutes } from './session-routes.ts';
import { clientRoutes } from './client-routes.ts';
import { SESSION_SCHEMAS } from './session-mappers.ts';
import type { SessionService } from '../../../core/sessions/types.ts';
import type { SessionTokenService, SigningKeyService } from '../../../core/tokens/types.ts';
import type { JwtTemplateService } from '../../../core/tokens/jwt-templates.ts';
import type { ActorTokenService, SignInTokenService } from '../../../core/sign-in-tokens/ticket-service.ts';
import type { AccessListService } from '../../../core/instance/access-lists.ts';
import type { InstanceSettings } from '../../../core/instance/instance-settings.ts';
import type { RedirectUrlService } from '../../../core/instance/redirect-urls.ts';
import type { InvitationService } from '../../../core/invitations/invitation-service.ts';
import type { OrganizationInvitationService } from '../../../core/invitations/organization-invitation-service.ts';
import type { SignUpService } from '../../../core/sign-ups/sign-up-service.ts';

export interface ClerkDialectDeps {
  passwordReset: PasswordReset;
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
  /** Single-use sign-in and impersonation links for the hosted pages. */
  signInTokens: SignInTokenService;
  actorTokens: ActorTokenService;
  /** Sessions and clients (browsers); revocation and lifetimes live there. */
  sessions: SessionService;
  /** Session tokens, the JWKS that verifies them, and JWT templates. */
  tokens: { sessions: SessionService; sessionTokens: SessionTokenService; signingKeys: SigningKeyService; jwtTemplates: JwtTemplateService };
  /** OAuth applications (the OpenID provider's clients), and the issuer their URLs are built on. */
  oauth?: {
    applications: OAuthApplicationService;
    issuer: () => string;
    /** A client-credentials JWT with the admin scope, accepted in place of a secret key: its client id, or null. */
    verifyAdminToken: (token: string) => Promise<string | null>;
  };
  /** Instance-wide resources: settings, lists, redirect URLs, invitations, sign-ups. */
  instance: {
    settings: InstanceSettings;
    accessLists: AccessListService;
    redirects: RedirectUrlService;
    invitations: InvitationService;
    organizationInvitations: OrganizationInvitationService;
    signUps: SignUpService;
  };
}

/** The native admin API: Clerk Backend API v1, mounted at /v1. */
export function clerkDialect(deps: ClerkDialectDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const s of [...SHARED_SCHEMAS, ...ORGANIZATION_SCHEMAS, ...INSTANCE_SCHEMAS, ...SESSION_SCHEMAS]) app.addSchema(s);
    app.setErrorHandler(clerkErrorHandler);
    app.setNotFoundHandler(clerkNotFound);
    app.addHook('onRequest', async (req, reply) => {
      // The spec's public endpoints (no security) answer without a key.
      if ((req.routeOptions.config as { public?: boolean } | undefined)?.public) return;
      const token = bearerToken(req);
      // A secret key, or else an OAuth client-credentials token carrying the admin scope.
      const keyId = !token ? null : token.startsWith('sk_') ? await deps.secretKeys.authenticate(token) : ((await deps.oauth?.verifyAdminToken(token)) ?? null);
      if (!keyId) return sendUnauthorized(reply);
    });
    const present = (u: User) => toClerkUser(u, deps.publicUrl(), deps.clock.now());
    await app.register(usersRoutes(deps.users, present));
    await app.register(userExtrasRoutes(deps.users, deps.identifiers, present));
    await app.register(passwordAdminRoutes(deps.passwordReset, deps.users, present));
    await app.register(profileImageRoutes(deps.profileImages, present));
    await app.register(mfaRoutes(deps.mfa));
    await app.register(identifierRoutes(deps.identifiers, () => deps.clock.now()));
    await app.register(organizationRoutes(deps.organizations, deps.publicUrl));
    await app.register(organizationLogoRoutes(deps.organizations, deps.publicUrl));
    await app.register(membershipRoutes({ memberships: deps.memberships, organizations: deps.organizations, users: deps.users, publicUrl: deps.publicUrl }));
    await app.register(messageRoutes(deps.outbox));
    await app.register(templateRoutes(deps.templates));
    const now = () => deps.clock.now();
    const i = deps.instance;
    await app.register(invitationRoutes(i.invitations, now));
    await app.register(organizationInvitationRoutes(i.organizationInvitations, now));
    await app.register(accessListRoutes(i.accessLists, i.invitations));
    await app.register(instanceRoutes(i.settings));
    await app.register(redirectUrlRoutes(i.redirects));
    await app.register(signUpRoutes(i.signUps, now));
    await app.register(signInTokenRoutes(deps.signInTokens));
    await app.register(actorTokenRoutes(deps.actorTokens));
    await app.register(sessionTokenRoutes({ sessions: deps.tokens.sessions, tokens: deps.tokens.sessionTokens, keys: deps.tokens.signingKeys }));
    await app.register(jwtTemplateRoutes(deps.tokens.jwtTemplates));
    await app.register(sessionRoutes({ sessions: deps.sessions, tokens: deps.tokens.sessionTokens }));
    await app.register(clientRoutes(deps.sessions));
    if (deps.oauth) await app.register(oauthApplicationRoutes(deps.oauth.applications, deps.oauth.issuer));
    await app.register(publicRoutes());
  };
}
