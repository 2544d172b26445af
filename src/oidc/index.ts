import { hkdfSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.ts';
import type { OAuthApplicationService } from '../core/oauth/oauth-applications.ts';
import type { SessionService } from '../core/sessions/types.ts';
import type { SigningKeyService } from '../core/tokens/types.ts';
import type { UserService } from '../core/users/user-service.ts';
import { createOidcStorage } from '../storage/oidc-adapter.ts';
import type { Database } from '../storage/schema.ts';
import { createAdminTokenVerifier } from './admin-token.ts';
import { registerInteractionPages } from './interaction-routes.ts';
import { createOidcHost, loadedErrors } from './provider-host.ts';

export interface OidcDeps {
  db: Kysely<Database>;
  clock: Clock;
  apps: OAuthApplicationService;
  users: UserService;
  sessions: SessionService;
  signingKeys: SigningKeyService;
  /** `LATCHKEY_ISSUER`, else the public URL (known once the server listens). */
  issuer: () => string;
  /** The configured issuer or public URL, if any: its path is where the provider is mounted. */
  configuredIssuer?: string;
  publicUrl: () => string;
  /** The instance encryption key; the provider's cookie keys are derived from it, so every node shares them. */
  encryptionKey: Buffer;
  sessionMaxSeconds: number;
  secureCookies: boolean;
  trustProxy: boolean;
  onServerError: (err: unknown) => void;
}

/**
 * The OpenID provider: its storage, the provider itself (built lazily), the interaction pages,
 * the admin-token check for /v1, and revocation when a user's sessions are revoked.
 */
export function createOidc(deps: OidcDeps) {
  // Only the provider consumes codes and tokens, so oidc-provider is loaded by the time this runs.
  const storage = createOidcStorage(deps.db, () => deps.clock.now(), { alreadyConsumed: () => new (loadedErrors().InvalidGrant)('grant request is invalid') });
  const cookieKey = Buffer.from(hkdfSync('sha256', deps.encryptionKey, Buffer.alloc(0), 'latchkey oidc cookies', 32)).toString('base64url');
  const issuerPath = deps.configuredIssuer ? new URL(deps.configuredIssuer).pathname.replace(/\/+$/, '') : '';
  const host = createOidcHost({
    issuer: deps.issuer,
    issuerPath,
    signingKeys: deps.signingKeys,
    storage,
    apps: deps.apps,
    users: deps.users,
    sessions: deps.sessions,
    clock: deps.clock,
    publicUrl: deps.publicUrl,
    cookieKeys: [cookieKey],
    sessionMaxSeconds: deps.sessionMaxSeconds,
    trustProxy: deps.trustProxy,
    onServerError: deps.onServerError,
  });

  // Ban, lock, delete, password reset, sign-out everywhere: the user's grants, refresh and access
  // tokens and provider sessions go with their Latchkey sessions.
  deps.sessions.onUserRevoked(async (userId) => {
    await storage.destroyAccount(userId);
  });
  // Signing out of one session (or an admin revoking it) ends the tokens issued under it.
  deps.sessions.onSessionEnded(async (sessionId) => {
    await storage.destroySession(sessionId);
  });

  return {
    host,
    storage,
    verifyAdminToken: createAdminTokenVerifier({ issuer: deps.issuer, signingKeys: deps.signingKeys, apps: deps.apps, clock: deps.clock }),
    async register(http: FastifyInstance) {
      await host.register(http);
      await registerInteractionPages(http, { host, sessions: deps.sessions, users: deps.users, apps: deps.apps, secureCookies: deps.secureCookies });
    },
    settle: () => storage.settle(),
  };
}

export type Oidc = ReturnType<typeof createOidc>;
