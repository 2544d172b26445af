import type { OAuthApplication, OAuthApplicationService } from '../core/oauth/oauth-applications.ts';
import { secretMatches } from '../core/oauth/oauth-applications.ts';

/**
 * oidc-provider client metadata for an OAuth application. The provider's `client_secret` holds
 * the secret's SHA-256 (all Latchkey stores); `compareClientSecret` is replaced to compare
 * digests (see `useDigestSecrets`), and no HMAC algorithm is enabled that would key on it.
 */
export function clientMetadata(a: OAuthApplication): Record<string, unknown> {
  const protocol = new URL(a.callbackUrl).protocol;
  return {
    client_id: a.clientId,
    client_name: a.name,
    ...(a.public ? { token_endpoint_auth_method: 'none' } : { client_secret: a.secretSha256, token_endpoint_auth_method: 'client_secret_basic' }),
    redirect_uris: [a.callbackUrl],
    post_logout_redirect_uris: [a.callbackUrl],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token', ...(a.clientCredentialsEnabled ? ['client_credentials'] : [])],
    scope: a.scopes.join(' '),
    // Custom schemes (my-app://callback) are native apps (RFC 8252); http(s) callbacks, loopback included, are web apps.
    application_type: protocol === 'https:' || protocol === 'http:' ? 'web' : 'native',
    id_token_signed_response_alg: 'RS256',
  };
}

/** The provider's `Client` adapter: read-only, over the oauth_applications table. */
export function clientAdapter(apps: OAuthApplicationService) {
  const refuse = async () => {
    throw new Error('OAuth applications are managed through /v1/oauth_applications');
  };
  return {
    async find(clientId: string) {
      if (typeof clientId !== 'string' || clientId.length > 200) return undefined;
      const a = await apps.findByClientId(clientId);
      return a ? clientMetadata(a) : undefined;
    },
    upsert: refuse,
    destroy: refuse,
    consume: refuse,
    revokeByGrantId: refuse,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
  };
}

/** Client secrets are compared as SHA-256 digests in constant time, never as stored plaintext. */
export function useDigestSecrets(provider: { Client: { prototype: { compareClientSecret(this: { clientSecret?: string }, actual: string): Promise<boolean> | boolean } } }) {
  provider.Client.prototype.compareClientSecret = function compareDigest(actual: string) {
    return secretMatches(actual, this.clientSecret);
  };
}
