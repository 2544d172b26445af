import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Clock } from '../core/clock.ts';
import { ADMIN_SCOPE, type OAuthApplicationService } from '../core/oauth/oauth-applications.ts';
import type { SigningKeyService } from '../core/tokens/types.ts';
import { adminResource } from './admin-resource.ts';

type KeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * Checks a client-credentials access token presented to the admin API in place of a secret key:
 * an RS256 JWT (RFC 9068, `typ: at+jwt`) signed by a published key, from this issuer, for the
 * admin resource, unexpired, carrying the admin scope, issued to a client (sub = client_id)
 * whose application still exists and still holds that right. Anything else is refused.
 */
export function createAdminTokenVerifier(deps: { issuer: () => string; signingKeys: SigningKeyService; apps: OAuthApplicationService; clock: Clock }) {
  let cached: { kids: string; set: KeySet } | null = null;

  async function keySet(): Promise<KeySet> {
    const jwks = await deps.signingKeys.jwks();
    const kids = jwks.keys.map((k) => k.kid).join(' ');
    if (cached?.kids !== kids) cached = { kids, set: createLocalJWKSet(jwks as unknown as Parameters<typeof createLocalJWKSet>[0]) };
    return cached.set;
  }

  /** The client id the token was issued to, or null when it is not an admin token. */
  return async function verifyAdminToken(token: string): Promise<string | null> {
    if (token.length > 4096 || token.split('.').length !== 3) return null;
    const issuer = deps.issuer().replace(/\/+$/, '');
    try {
      const { payload } = await jwtVerify(token, await keySet(), {
        issuer,
        audience: adminResource(issuer),
        algorithms: ['RS256'],
        typ: 'at+jwt',
        requiredClaims: ['exp', 'iat', 'client_id', 'sub'],
        currentDate: deps.clock.now(),
      });
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
      if (!scopes.includes(ADMIN_SCOPE) || typeof payload.client_id !== 'string' || payload.sub !== payload.client_id) return null;
      const app = await deps.apps.findByClientId(payload.client_id);
      if (!app || !app.clientCredentialsEnabled || !app.scopes.includes(ADMIN_SCOPE)) return null;
      return app.clientId;
    } catch {
      return null;
    }
  };
}
