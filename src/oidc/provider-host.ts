import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SigningKeyService } from '../core/tokens/types.ts';
import { CLIENT_COOKIE } from '../http/pages/browser-session.ts';
import type { buildProvider, ProviderDeps } from './provider-config.ts';

export interface OidcHostDeps extends ProviderDeps {
  /** The issuer; may depend on the listening address, so it is read on the first OIDC request. */
  issuer: () => string;
  /** Path of the issuer URL ('' at the root): the provider's routes are mounted under it. */
  issuerPath: string;
  signingKeys: SigningKeyService;
}

type ProviderErrors = (typeof import('./provider-config.ts'))['providerErrors'];
let errorsOfProvider: ProviderErrors | undefined;

/** oidc-provider's error classes, once a provider has been built (the module loads lazily). */
export function loadedErrors(): ProviderErrors {
  if (!errorsOfProvider) throw new Error('oidc-provider is not loaded yet');
  return errorsOfProvider;
}

/** How long a built provider is used before the signing keys are looked at again. */
const KEY_CHECK_MS = 1000;

type Provider = ReturnType<typeof buildProvider>;

/**
 * Holds the oidc-provider instance. It is built on the first OIDC request (a server started on
 * port 0 knows its issuer only then) and rebuilt when the published signing keys change, so the
 * provider's jwks_uri always publishes what GET /v1/jwks does. Everything else it keeps lives in
 * the database and in cookies signed with stable keys, so a rebuild loses nothing.
 */
export function createOidcHost(deps: OidcHostDeps) {
  let current: { provider: Provider; handler: (req: unknown, res: unknown) => Promise<void>; key: string; checkedAt: number } | null = null;
  let building: Promise<Provider> | null = null;

  async function refresh(): Promise<Provider> {
    const jwks = await deps.signingKeys.privateJwks();
    const issuer = deps.issuer().replace(/\/+$/, '');
    const key = `${issuer} ${jwks.keys.map((k) => k.kid).join(' ')}`;
    if (current?.key === key) {
      current.checkedAt = Date.now();
      return current.provider;
    }
    // oidc-provider (and Koa under it) is loaded with the first OIDC request: about 20 MB that a
    // node serving only the admin API never needs.
    const { buildProvider, providerErrors } = await import('./provider-config.ts');
    errorsOfProvider = providerErrors;
    const provider = buildProvider(issuer, jwks, deps);
    provider.use(endLatchkeySessionOnLogout(deps));
    current = { provider, handler: provider.callback(), key, checkedAt: Date.now() };
    return provider;
  }

  async function provider(): Promise<Provider> {
    if (current && Date.now() - current.checkedAt < KEY_CHECK_MS) return current.provider;
    building ??= refresh().finally(() => {
      building = null;
    });
    return building;
  }

  async function handle(req: FastifyRequest, reply: FastifyReply) {
    await provider();
    const handler = current!.handler;
    // The provider routes relative to its issuer's path, as if mounted there.
    if (deps.issuerPath && req.raw.url) req.raw.url = req.raw.url.slice(deps.issuerPath.length) || '/';
    reply.hijack();
    await handler(req.raw, reply.raw);
  }

  /** Mounts the provider's endpoints: discovery, JWKS and everything under /oauth/. */
  function register(app: FastifyInstance) {
    return app.register(async (scope) => {
      // The provider reads request bodies itself: nothing here may consume the stream first.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
      const p = deps.issuerPath;
      const opts = { schema: { hide: true }, handler: handle };
      scope.route({ method: ['GET', 'POST', 'OPTIONS'], url: `${p}/oauth/*`, ...opts });
      scope.route({ method: ['GET', 'OPTIONS'], url: `${p}/.well-known/openid-configuration`, ...opts });
      scope.route({ method: ['GET', 'OPTIONS'], url: `${p}/.well-known/jwks.json`, ...opts });
    });
  }

  return { provider, register };
}

export type OidcHost = ReturnType<typeof createOidcHost>;

/**
 * Signing out of an application (RP-initiated logout, confirmed) also ends the browser's
 * Latchkey session and clears its cookie: otherwise the next sign-in would go straight through.
 */
function endLatchkeySessionOnLogout(deps: ProviderDeps) {
  return async (ctx: any, next: () => Promise<void>) => {
    await next();
    if (ctx._matchedRouteName !== 'end_session_confirm' || !ctx.oidc?.params?.logout || ctx.status !== 303) return;
    const token = ctx.cookies.get(CLIENT_COOKIE, { signed: false });
    if (token && /^[A-Za-z0-9_-]{20,200}$/.test(token)) {
      try {
        const session = await deps.sessions.lastActiveSession((await deps.sessions.clientFromToken(token)).id);
        if (session) await deps.sessions.end(session.id);
      } catch {
        // An unknown or ended client: nothing to end.
      }
    }
    ctx.cookies.set(CLIENT_COOKIE, null, { path: '/', httpOnly: true, sameSite: 'lax', signed: false, overwrite: true });
  };
}
