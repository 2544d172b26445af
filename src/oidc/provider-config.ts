import Provider, { errors as oidcErrors, interactionPolicy } from 'oidc-provider';
import type { Clock } from '../core/clock.ts';
import { ADMIN_SCOPE, type OAuthApplicationService } from '../core/oauth/oauth-applications.ts';
import type { SessionService } from '../core/sessions/types.ts';
import type { UserService } from '../core/users/user-service.ts';
import { CLIENT_COOKIE } from '../http/pages/browser-session.ts';
import type { OidcStorage } from '../storage/oidc-adapter.ts';
import { accountClaims, CLAIMS_BY_SCOPE, userBlocked } from './account-claims.ts';
import { ADMIN_TOKEN_SECONDS, adminResource } from './admin-resource.ts';
import { clientAdapter, useDigestSecrets } from './clients.ts';
import { errorPage, logoutPage, loggedOutPage } from './provider-views.ts';

export interface ProviderDeps {
  storage: OidcStorage;
  apps: OAuthApplicationService;
  users: UserService;
  sessions: SessionService;
  clock: Clock;
  publicUrl: () => string;
  /** Keys that sign the provider's cookies: the same on every process, so any of them can read them. */
  cookieKeys: string[];
  /** The absolute browser session lifetime; the provider's own session lives no longer. */
  sessionMaxSeconds: number;
  trustProxy: boolean;
  onServerError: (err: unknown) => void;
}

/** oidc-provider's error classes, for code that runs only inside the provider's own flows. */
export const providerErrors = oidcErrors;

/** The browser's active Latchkey session, read from the provider's request context. */
async function latchkeySession(ctx: any, sessions: SessionService) {
  const token = ctx.cookies.get(CLIENT_COOKIE, { signed: false });
  if (!token || !/^[A-Za-z0-9_-]{20,200}$/.test(token)) return null;
  try {
    return await sessions.lastActiveSession((await sessions.clientFromToken(token)).id);
  } catch {
    return null;
  }
}

/**
 * The login prompt also fires when the browser's Latchkey session is gone or belongs to someone
 * else: signing out of Latchkey (or a revoked session) then signs the user out of every app's
 * next authorization request, not only of the hosted pages.
 */
function policy(sessions: SessionService) {
  const base = interactionPolicy.base();
  base.get('login').checks.add(
    new interactionPolicy.Check('latchkey_session', 'The Latchkey session has ended', async (ctx: any) => {
      if (ctx.oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const s = await latchkeySession(ctx, sessions);
      return s && s.userId === ctx.oidc.session.accountId ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return base;
}

/** Builds an oidc-provider instance for one issuer and one set of signing keys. */
export function buildProvider(issuer: string, jwks: { keys: Record<string, unknown>[] }, deps: ProviderDeps) {
  const admin = adminResource(issuer);
  const now = () => deps.clock.now();

  const provider = new Provider(issuer, {
    adapter: (name: string) => (name === 'Client' ? clientAdapter(deps.apps) : deps.storage.adapter(name)),
    jwks,
    // `Secure` follows the request (https, or X-Forwarded-Proto with TRUST_PROXY): forcing it on a
    // plain-http hop would make the cookie library throw.
    cookies: {
      keys: deps.cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    async findAccount(_ctx: unknown, sub: string) {
      const user = await deps.users.get(sub).catch(() => null);
      // Banned, locked and deleted users get no tokens: every grant that reads the account fails.
      if (!user || userBlocked(user, now())) return undefined;
      return { accountId: user.id, claims: async () => accountClaims(user, deps.publicUrl()) };
    },
    claims: CLAIMS_BY_SCOPE,
    scopes: ['openid', 'offline_access', ADMIN_SCOPE],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256'],
      userinfoSigningAlgValues: ['RS256'],
      introspectionSigningAlgValues: ['RS256'],
      authorizationSigningAlgValues: ['RS256'],
      requestObjectSigningAlgValues: ['RS256'],
    },
    responseTypes: ['code'],
    pkce: { required: (_ctx: unknown, client: { clientAuthMethod: string }) => client.clientAuthMethod === 'none' },
    rotateRefreshToken: true,
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`, policy: policy(deps.sessions) },
    routes: {
      authorization: '/oauth/authorize',
      token: '/oauth/token',
      userinfo: '/oauth/userinfo',
      jwks: '/.well-known/jwks.json',
      revocation: '/oauth/revoke',
      introspection: '/oauth/introspect',
      end_session: '/oauth/end-session',
      code_verification: '/oauth/device',
      pushed_authorization_request: '/oauth/par',
      registration: '/oauth/register',
      backchannel_authentication: '/oauth/backchannel',
      challenge: '/oauth/challenge',
    },
    ttl: {
      AccessToken: 900,
      AuthorizationCode: 60,
      ClientCredentials: ADMIN_TOKEN_SECONDS,
      IdToken: 3600,
      Interaction: 3600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      Session: deps.sessionMaxSeconds,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // A client may introspect and revoke only its own tokens: there are no separate resource servers.
      introspection: { enabled: true, allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId },
      revocation: { enabled: true, allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: logoutPage, postLogoutSuccessSource: loggedOutPage },
      resourceIndicators: {
        enabled: true,
        // A client-credentials request without `resource` asks for the admin API.
        defaultResource: async (ctx: any, _client: unknown, oneOf?: string[]) => oneOf ?? (ctx.oidc.params.grant_type === 'client_credentials' ? admin : undefined),
        useGrantedResource: async () => false,
        async getResourceServerInfo(ctx: any, resource: string) {
          // Only client-credentials tokens reach the admin API: a user's delegated token never does.
          if (resource === admin && ctx.oidc.route === 'token' && ctx.oidc.params.grant_type === 'client_credentials') {
            return { scope: ADMIN_SCOPE, audience: admin, accessTokenTTL: ADMIN_TOKEN_SECONDS, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
          }
          throw new oidcErrors.InvalidTarget();
        },
      },
    },
    // The authorization's `sid` (in ID tokens, codes, access and refresh tokens) is the browser's
    // Latchkey session id, so an application can check that session through /v1/sessions.
    async loadExistingGrant(ctx: any) {
      const clientId = ctx.oidc.client.clientId;
      const session = await latchkeySession(ctx, deps.sessions);
      if (session && session.userId === ctx.oidc.session.accountId) ctx.oidc.session.sidFor(clientId, session.id);
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(clientId);
      return grantId ? provider.Grant.find(grantId) : undefined;
    },
    // Single-page apps call the token endpoint cross-origin: allowed from the callback URL's origin.
    clientBasedCORS: (_ctx: unknown, origin: string, client: { redirectUris?: string[] }) =>
      (client.redirectUris ?? []).some((u) => {
        try {
          return new URL(u).origin === origin;
        } catch {
          return false;
        }
      }),
    renderError: errorPage,
  });
  provider.proxy = deps.trustProxy;
  useDigestSecrets(provider);
  // Every client gets `sid` (the Latchkey session id, see loadExistingGrant) in its tokens, not only
  // those registered for back-channel logout.
  provider.Client.prototype.includeSid = () => true;
  provider.on('server_error', (_ctx: unknown, err: unknown) => deps.onServerError(err));
  return provider;
}

