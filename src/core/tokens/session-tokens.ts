import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { KeyObject, verify as verifySignature } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import type { Session } from '../sessions/types.ts';
import type { Store } from '../store.ts';
import type { User } from '../users/types.ts';
import type { JwtTemplateService } from './jwt-templates.ts';
import { renderClaims, type ShortcodeContext } from './shortcodes.ts';
import type { SigningKeys } from './signing-keys.ts';
import type { SessionTokenService } from './types.ts';

/** `nbf` is set this far before `iat`, so a verifier whose clock lags a little still accepts a fresh token. */
const NBF_LEEWAY_SECONDS = 10;
/** Clock skew `verify` tolerates on `exp` and `nbf`. */
export const VERIFY_SKEW_SECONDS = 5;
/** The longest `expires_in_seconds` a caller may ask for; it bounds how long a rotated key stays published. */
export const MAX_SESSION_TOKEN_SECONDS = 86_400;

export interface SessionTokenDeps {
  keys: SigningKeys;
  templates: JwtTemplateService;
  store: Store;
  clock: Clock;
  /** The issuer (`LATCHKEY_ISSUER`, else the public URL), read per token: it may be known only once listening. */
  issuer: () => string;
  /** Default lifetime (`LATCHKEY_SESSION_TOKEN_LIFETIME`). */
  lifetimeSeconds: number;
}

const invalidToken = (why: string) => new DomainError('session_token_invalid', `The session token is invalid: ${why}.`);

function primary(user: User, id: string | null): string | null {
  return user.identifiers.find((i) => i.id === id)?.value ?? null;
}

function verifiedPrimary(user: User, id: string | null): boolean {
  return user.identifiers.find((i) => i.id === id)?.verified ?? false;
}

/** What a template's shortcodes can read: the user's public profile, the session and its active organization. */
async function shortcodeContext(store: Store, session: Session): Promise<ShortcodeContext> {
  const user = await store.users.findById(session.userId);
  if (!user) throw new DomainError('user_not_found', `No user ${session.userId}.`);
  const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
  const userCtx: Record<string, unknown> = {
    id: user.id,
    external_id: user.externalId,
    first_name: user.firstName,
    last_name: user.lastName,
    full_name: [user.firstName, user.lastName].filter(Boolean).join(' ') || null,
    username: user.username,
    primary_email_address: primary(user, user.primaryEmailAddressId),
    primary_phone_number: primary(user, user.primaryPhoneNumberId),
    primary_web3_wallet: primary(user, user.primaryWeb3WalletId),
    email_verified: verifiedPrimary(user, user.primaryEmailAddressId),
    phone_number_verified: verifiedPrimary(user, user.primaryPhoneNumberId),
    image_url: user.imageUrl,
    has_image: Boolean(user.imageUrl || user.imageId),
    public_metadata: user.publicMetadata,
    unsafe_metadata: user.unsafeMetadata,
    two_factor_enabled: user.totpEnabled || user.backupCodeEnabled,
    created_at: seconds(user.createdAt),
    updated_at: seconds(user.updatedAt),
  };
  let org: Record<string, unknown> | null = null;
  if (session.lastActiveOrganizationId) {
    const membership = await store.memberships.find(session.lastActiveOrganizationId, session.userId);
    if (membership) {
      const o = membership.organization;
      org = { id: o.id, name: o.name, slug: o.slug, public_metadata: o.publicMetadata, role: membership.role.key, permissions: membership.role.permissions ?? [] };
    }
  }
  return { user: userCtx, session: { id: session.id, actor: session.actor }, org };
}

export function createSessionTokenService(deps: SessionTokenDeps): SessionTokenService {
  const { keys, templates, store, clock } = deps;
  // Verification runs on every request an application checks. jose's WebCrypto path cost about
  // 140 µs of CPU a token here, node:crypto's synchronous RSA check with a prepared KeyObject
  // about 27 µs, so the signature is checked with node:crypto; jose still decodes and signs.
  const keyObjects = new Map<string, { key: CryptoKey; object: KeyObject }>();
  // An application checks the same token on every request of its short life, so tokens whose
  // signature checked out are remembered by their exact text (as fast-jwt's verifier cache does).
  // A hit still checks the time claims and that its key is still published; any other text, a
  // forged one included, takes the full path.
  const verified = new Map<string, { kid: string; exp: number; nbf: number | undefined; result: { sid: string; sub: string; claims: Record<string, unknown> } }>();
  const VERIFIED_MAX = 4096;
  function keyObjectFor(kid: string, key: CryptoKey): KeyObject {
    const cached = keyObjects.get(kid);
    if (cached?.key === key) return cached.object;
    if (keyObjects.size > 64) keyObjects.clear();
    const object = KeyObject.from(key);
    keyObjects.set(kid, { key, object });
    return object;
  }

  function requireActive(session: Session) {
    if (session.status !== 'active') throw new DomainError('session_not_active', `Session ${session.id} is ${session.status}.`, { param: 'session_id' });
  }

  function defaultClaims(session: Session, iat: number, exp: number, nbfLeeway: number, azp?: string): Record<string, unknown> {
    return {
      sid: session.id,
      sub: session.userId,
      iss: deps.issuer(),
      ...(azp ? { azp } : {}),
      iat,
      nbf: iat - nbfLeeway,
      exp,
      ...(session.actor ? { act: session.actor } : {}),
    };
  }

  function lifetime(requested: number | undefined, fallback: number): number {
    if (requested === undefined) return fallback;
    if (!Number.isInteger(requested) || requested < 30 || requested > MAX_SESSION_TOKEN_SECONDS) {
      throw new DomainError('invalid_param', `expires_in_seconds must be an integer from 30 to ${MAX_SESSION_TOKEN_SECONDS}.`, { param: 'expires_in_seconds' });
    }
    return requested;
  }

  return {
    async issue(session, opts = {}) {
      requireActive(session);
      const iat = Math.floor(clock.now().getTime() / 1000);
      const exp = iat + lifetime(opts.expiresInSeconds, deps.lifetimeSeconds);
      const { kid, privateKey } = await keys.current();
      return new SignJWT(defaultClaims(session, iat, exp, NBF_LEEWAY_SECONDS, opts.azp)).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(privateKey);
    },

    async issueFromTemplate(session, templateName, opts = {}) {
      requireActive(session);
      const template = await templates.getByName(templateName);
      const iat = Math.floor(clock.now().getTime() / 1000);
      const exp = iat + (opts.expiresInSeconds === undefined ? template.lifetime : lifetime(opts.expiresInSeconds, template.lifetime));
      const rendered = renderClaims(template.claims, await shortcodeContext(store, session));
      // The default claims are spread last: a template never replaces sid, sub, iss or the times.
      const claims = { ...rendered, ...defaultClaims(session, iat, exp, template.allowedClockSkew) };
      const custom = templates.customKey(template);
      if (custom) return new SignJWT(claims).setProtectedHeader({ alg: custom.alg, typ: 'JWT' }).sign(custom.key);
      const { kid, privateKey } = await keys.current();
      return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(privateKey);
    },

    async verify(token) {
      if (typeof token !== 'string' || token.split('.').length !== 3) throw invalidToken('malformed');
      const hit = verified.get(token);
      if (hit) {
        const now = clock.now().getTime() / 1000;
        if (now - VERIFY_SKEW_SECONDS >= hit.exp) throw invalidToken('expired');
        if (hit.nbf !== undefined && now + VERIFY_SKEW_SECONDS < hit.nbf) throw invalidToken('not yet valid');
        if (await keys.publicKey(hit.kid)) return hit.result;
        verified.delete(token);
        throw invalidToken('unknown kid');
      }
      let kid: unknown;
      try {
        const header = decodeProtectedHeader(token);
        if (header.alg !== 'RS256') throw invalidToken('only RS256 is accepted');
        kid = header.kid;
      } catch (e) {
        throw e instanceof DomainError ? e : invalidToken('malformed');
      }
      if (typeof kid !== 'string' || kid === '') throw invalidToken('no kid');
      const key = await keys.publicKey(kid);
      if (!key) throw invalidToken('unknown kid');
      const dot = token.lastIndexOf('.');
      const signature = Buffer.from(token.slice(dot + 1), 'base64url');
      if (!verifySignature('sha256', Buffer.from(token.slice(0, dot)), keyObjectFor(kid, key), signature)) throw invalidToken('bad signature');
      let payload: Record<string, unknown>;
      try {
        payload = decodeJwt(token);
      } catch {
        throw invalidToken('malformed');
      }
      if (payload.iss !== deps.issuer()) throw invalidToken('unexpected iss');
      const now = clock.now().getTime() / 1000;
      if (typeof payload.exp !== 'number' || now - VERIFY_SKEW_SECONDS >= payload.exp) throw invalidToken('expired');
      if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || now + VERIFY_SKEW_SECONDS < payload.nbf)) throw invalidToken('not yet valid');
      if (typeof payload.iat !== 'number') throw invalidToken('iat must be a number');
      if (typeof payload.sid !== 'string' || typeof payload.sub !== 'string') throw invalidToken('sid and sub must be strings');
      const result = { sid: payload.sid, sub: payload.sub, claims: payload };
      if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
      verified.set(token, { kid, exp: payload.exp, nbf: payload.nbf as number | undefined, result });
      return result;
    },
  };
}
