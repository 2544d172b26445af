/**
 * Session tokens and the keys that sign them. Contract between the token service and its users
 * (the Clerk session routes, the OpenID provider, which publishes the same JWKS).
 */
import type { Session } from '../sessions/types.ts';

/** A public JWK as published at /v1/jwks and the provider's jwks_uri. Never a private part. */
export interface PublicJwk {
  kty: 'RSA';
  kid: string;
  use: 'sig';
  alg: 'RS256';
  n: string;
  e: string;
}

export interface SigningKeyService {
  /** The current signing key (created on first use): RSA-2048, private part encrypted at rest. */
  current(): Promise<{ kid: string; privateKey: CryptoKey }>;
  /** Every key whose tokens may still be live: the current one and recently retired ones. */
  jwks(): Promise<{ keys: PublicJwk[] }>;
  /** `latchkey keys rotate-signing`: a new key signs from now on; the old one stays published until its tokens expire. */
  rotate(): Promise<{ kid: string }>;
  /** Private JWKs of the published keys, current first: only for the OpenID provider's own signing config. */
  privateJwks(): Promise<{ keys: Record<string, unknown>[] }>;
}

export interface SessionTokenService {
  /**
   * A session token: RS256, claims sid, sub, iss, azp, iat, nbf, exp and act when impersonating.
   * Default lifetime 60 s. Throws `session_not_active` for a session that is not active.
   */
  issue(session: Session, opts?: { expiresInSeconds?: number; azp?: string }): Promise<string>;
  /** A token shaped by a named JWT template; throws `jwt_template_not_found`. */
  issueFromTemplate(session: Session, templateName: string, opts?: { expiresInSeconds?: number }): Promise<string>;
  /**
   * Checks a session token's signature against the published keys (RS256 only, known kid), its
   * issuer and its time claims; throws `session_token_invalid`. Does not look at the session row.
   */
  verify(token: string): Promise<{ sid: string; sub: string; claims: Record<string, unknown> }>;
}
