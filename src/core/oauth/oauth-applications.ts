import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import { newId, randomToken } from '../ids.ts';
import { normalizeRedirectUrl } from '../instance/redirect-urls.ts';
import type { Store } from '../store.ts';
import { hashToken, sameHash } from '../verification/one-time.ts';

/**
 * OAuth applications: the OpenID provider's clients. A confidential application has a secret,
 * shown once (on create and on rotate) and stored only as its SHA-256: the secret is 256 random
 * bits, so a fast hash is as safe as a slow one and does not cap the token endpoint's rate.
 */
export interface OAuthApplication {
  id: string; // oa_...
  clientId: string;
  name: string;
  /** Public clients (SPAs, native apps) have no secret and must use PKCE with S256. */
  public: boolean;
  scopes: string[];
  /** The one redirect URI; the provider matches it exactly. */
  callbackUrl: string;
  /** Hex SHA-256 of the client secret; null for public applications. */
  secretSha256: string | null;
  /** False for first-party applications: their users are not asked to consent. */
  consentScreenEnabled: boolean;
  /** May use the client_credentials grant (confidential applications only). */
  clientCredentialsEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface OAuthApplicationStore {
  insert(a: OAuthApplication): Promise<void>;
  findById(id: string): Promise<OAuthApplication | null>;
  findByClientId(clientId: string): Promise<OAuthApplication | null>;
  /** Oldest first, as Clerk lists them. */
  list(page: { limit: number; offset: number }): Promise<{ data: OAuthApplication[]; totalCount: number }>;
  update(a: OAuthApplication): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Every application's callback URL (an instance has a handful of applications). */
  callbackUrls(): Promise<string[]>;
}

/** The scope that lets a client-credentials token call the admin API (/v1) in place of a secret key. */
export const ADMIN_SCOPE = 'latchkey:admin';
/** Scopes an application may be given; `offline_access` is what yields refresh tokens. */
export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'offline_access', ADMIN_SCOPE] as const;
export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

export interface OAuthApplicationInput {
  name?: string;
  callbackUrl?: string;
  public?: boolean;
  /** Space-separated. */
  scopes?: string;
  consentScreenEnabled?: boolean;
  clientCredentialsEnabled?: boolean;
}

/** Compares a presented secret with the stored digest in constant time. */
export function secretMatches(presented: unknown, storedSha256: string | null | undefined): boolean {
  if (typeof presented !== 'string' || !storedSha256 || !/^[0-9a-f]{64}$/.test(storedSha256)) return false;
  return sameHash(hashToken(presented), storedSha256);
}

function invalid(message: string, param: string): DomainError {
  return new DomainError('invalid_param', message, { param });
}

function parseScopes(raw: string): string[] {
  const scopes = [...new Set(raw.split(/\s+/).filter(Boolean))];
  if (scopes.length === 0) throw invalid('scopes must name at least one scope.', 'scopes');
  for (const s of scopes) {
    if (!(SUPPORTED_SCOPES as readonly string[]).includes(s)) throw invalid(`scopes may only contain ${SUPPORTED_SCOPES.join(', ')}; ${s} is not supported.`, 'scopes');
  }
  return scopes;
}

function callbackUrl(raw: string): string {
  const url = normalizeRedirectUrl(raw, 'callback_url');
  if (url.includes('#')) throw invalid('callback_url must not contain a fragment.', 'callback_url');
  return url;
}

function checkName(name: string): string {
  const n = name.trim();
  if (n.length === 0 || n.length > 256) throw invalid('name must be 1 to 256 characters.', 'name');
  return n;
}

/** The combination rules, checked after every create and update. */
function checkRules(a: OAuthApplication) {
  if (a.public && a.clientCredentialsEnabled) throw invalid('A public application cannot use client credentials: it has no secret.', 'client_credentials_enabled');
  if (a.scopes.includes(ADMIN_SCOPE) && !a.clientCredentialsEnabled) throw invalid(`The ${ADMIN_SCOPE} scope needs client_credentials_enabled: it is only granted to client-credentials tokens.`, 'scopes');
}

export function createOAuthApplicationService(deps: { store: Store; clock: Clock }) {
  const { store, clock } = deps;

  async function get(id: string, from: Store = store): Promise<OAuthApplication> {
    const a = await from.oauthApplications.findById(id);
    if (!a) throw new DomainError('oauth_application_not_found', `No OAuth application was found with id ${id}.`, { param: 'oauth_application_id' });
    return a;
  }

  return {
    get: (id: string) => get(id),
    list: (page: { limit: number; offset: number }) => store.oauthApplications.list(page),
    findByClientId: (clientId: string) => store.oauthApplications.findByClientId(clientId),
    /** The applications' callback URLs: hosted pages may redirect there (see isAllowedRedirect). */
    callbackUrls: () => store.oauthApplications.callbackUrls(),

    /** Returns the application and, for a confidential one, its secret: the only time it is shown. */
    async create(input: OAuthApplicationInput): Promise<{ application: OAuthApplication; clientSecret: string | null }> {
      if (input.name === undefined) throw new DomainError('param_missing', 'name is required.', { param: 'name' });
      if (input.callbackUrl === undefined) throw new DomainError('param_missing', 'callback_url is required.', { param: 'callback_url' });
      const isPublic = input.public ?? false;
      const clientSecret = isPublic ? null : randomToken(32);
      const now = clock.now();
      const a: OAuthApplication = {
        id: newId('oa'),
        clientId: randomToken(16),
        name: checkName(input.name),
        public: isPublic,
        scopes: input.scopes === undefined ? DEFAULT_SCOPES : parseScopes(input.scopes),
        callbackUrl: callbackUrl(input.callbackUrl),
        secretSha256: clientSecret ? hashToken(clientSecret) : null,
        consentScreenEnabled: input.consentScreenEnabled ?? true,
        clientCredentialsEnabled: input.clientCredentialsEnabled ?? false,
        createdAt: now,
        updatedAt: now,
      };
      checkRules(a);
      await store.transaction(async (tx) => {
        await tx.oauthApplications.insert(a);
        await tx.events.record({ type: 'oauth_application.created', subjectId: a.id, payload: { client_id: a.clientId, public: a.public }, at: now });
      });
      return { application: a, clientSecret };
    },

    /** `public` cannot change: a secret would have to appear or vanish. */
    async update(id: string, input: OAuthApplicationInput): Promise<OAuthApplication> {
      return store.transaction(async (tx) => {
        const current = await get(id, tx);
        if (input.public !== undefined && input.public !== current.public) throw invalid('public cannot be changed after creation.', 'public');
        const a: OAuthApplication = {
          ...current,
          name: input.name === undefined ? current.name : checkName(input.name),
          callbackUrl: input.callbackUrl === undefined ? current.callbackUrl : callbackUrl(input.callbackUrl),
          scopes: input.scopes === undefined ? current.scopes : parseScopes(input.scopes),
          consentScreenEnabled: input.consentScreenEnabled ?? current.consentScreenEnabled,
          clientCredentialsEnabled: input.clientCredentialsEnabled ?? current.clientCredentialsEnabled,
          updatedAt: clock.now(),
        };
        checkRules(a);
        if (!(await tx.oauthApplications.update(a))) throw new DomainError('oauth_application_not_found', `No OAuth application was found with id ${id}.`, { param: 'oauth_application_id' });
        await tx.events.record({ type: 'oauth_application.updated', subjectId: a.id, payload: {}, at: a.updatedAt });
        return a;
      });
    },

    /** A new secret replaces the old one at once; the old one stops working. */
    async rotateSecret(id: string): Promise<{ application: OAuthApplication; clientSecret: string }> {
      return store.transaction(async (tx) => {
        const current = await get(id, tx);
        if (current.public) throw invalid('A public application has no client secret to rotate.', 'oauth_application_id');
        const clientSecret = randomToken(32);
        const a = { ...current, secretSha256: hashToken(clientSecret), updatedAt: clock.now() };
        await tx.oauthApplications.update(a);
        await tx.events.record({ type: 'oauth_application.secret_rotated', subjectId: a.id, payload: {}, at: a.updatedAt });
        return { application: a, clientSecret };
      });
    },

    async delete(id: string): Promise<OAuthApplication> {
      return store.transaction(async (tx) => {
        const a = await get(id, tx);
        await tx.oauthApplications.delete(id);
        await tx.events.record({ type: 'oauth_application.deleted', subjectId: id, payload: { client_id: a.clientId }, at: clock.now() });
        return a;
      });
    },
  };
}

export type OAuthApplicationService = ReturnType<typeof createOAuthApplicationService>;
