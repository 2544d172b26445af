import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthApplicationService } from '../core/oauth/oauth-applications.ts';
import type { Session, SessionService } from '../core/sessions/types.ts';
import type { UserService } from '../core/users/user-service.ts';
import { currentBrowserSession } from '../http/pages/browser-session.ts';
import { csrfToken, csrfValid } from '../http/pages/csrf.ts';
import { pageHeaders } from '../http/pages/index.ts';
import { esc, form, page } from '../http/pages/layout.ts';
import { t, type TextKey } from '../http/pages/text.ts';
import type { OidcHost } from './provider-host.ts';

export interface InteractionDeps {
  host: OidcHost;
  sessions: SessionService;
  users: UserService;
  apps: OAuthApplicationService;
  secureCookies: boolean;
}

const UID = /^[A-Za-z0-9_-]{10,64}$/;

/**
 * The provider's interactions (`/interaction/:uid`): sign-in happens on the hosted sign-in page,
 * which comes back here; then consent, which first-party applications skip. Each step records
 * its result with the provider and sends the browser back to the authorization endpoint.
 */
export function registerInteractionPages(app: FastifyInstance, deps: InteractionDeps) {
  return app.register(async (scope) => {
    await scope.register(cookie);
    await scope.register(formbody, { bodyLimit: 16 * 1024 });

    const send = (reply: FastifyReply, status: number, html: string) => {
      pageHeaders(reply);
      return reply.code(status).send(html);
    };
    const expired = (reply: FastifyReply) => send(reply, 400, page({ title: t('oidcErrorTitle'), body: `<p>${esc(t('interactionExpired'))}</p>` }));

    /** The provider's pending interaction for this browser, or null when it is unknown or expired. */
    async function details(req: FastifyRequest, reply: FastifyReply, uid: string) {
      if (!UID.test(uid)) return null;
      const provider = await deps.host.provider();
      try {
        const d = await provider.interactionDetails(req.raw, reply.raw);
        return d.uid === uid ? { provider, d } : null;
      } catch {
        return null;
      }
    }

    /** Stores the interaction's result; the browser goes back to the provider to continue. */
    async function finish(req: FastifyRequest, reply: FastifyReply, provider: any, result: Record<string, unknown>, merge = true) {
      const returnTo: string = await provider.interactionResult(req.raw, reply.raw, result, { mergeWithLastSubmission: merge });
      return reply.redirect(returnTo, 303);
    }

    /** Grants what the provider says is missing. */
    async function grantConsent(provider: any, d: any, session: Session): Promise<Record<string, unknown>> {
      const missing = d.prompt.details ?? {};
      const grant = d.grantId ? await provider.Grant.find(d.grantId) : new provider.Grant({ accountId: session.userId, clientId: d.params.client_id });
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries((missing.missingResourceScopes ?? {}) as Record<string, string[]>)) grant.addResourceScope(indicator, scopes.join(' '));
      const grantId = await grant.save();
      return d.grantId ? {} : { grantId };
    }

    scope.get('/interaction/:uid', { schema: { hide: true } }, async (req, reply) => {
      const { uid } = req.params as { uid: string };
      const found = await details(req, reply, uid);
      if (!found) return expired(reply);
      const { provider, d } = found;
      const session = await currentBrowserSession(req, deps.sessions);
      const signIn = () => reply.redirect(`/sign-in?redirect_url=${encodeURIComponent(`/interaction/${uid}`)}`, 303);
      if (!session) return signIn();
      // `prompt=login` and an exceeded `max_age` want the user to prove who they are again: a
      // session opened before this authorization began (or older than max_age) does not count.
      if (d.prompt.name === 'login' && needsFreshSignIn(d, session)) return signIn();

      // Signed in on the hosted pages: that user is who the provider's session now belongs to.
      if (d.prompt.name === 'login' || d.session?.accountId !== session.userId) {
        return finish(req, reply, provider, { login: { accountId: session.userId, ts: Math.floor(session.createdAt.getTime() / 1000) } }, false);
      }
      if (d.prompt.name !== 'consent') return expired(reply);

      const application = await deps.apps.findByClientId(d.params.client_id);
      if (!application) return expired(reply);
      if (!application.consentScreenEnabled) return finish(req, reply, provider, { consent: await grantConsent(provider, d, session) });

      const user = await deps.users.get(session.userId);
      const email = user.identifiers.find((i) => i.id === user.primaryEmailAddressId)?.value;
      const who = email ?? user.username ?? user.id;
      const scopes = String(d.params.scope ?? '').split(' ').filter((s) => ['openid', 'profile', 'email', 'offline_access'].includes(s));
      const list = scopes.map((s) => `<li>${esc(t(`scope_${s}` as TextKey))}</li>`).join('');
      const token = csrfToken(req, reply, deps.secureCookies);
      const vars = { app: application.name, appName: t('appName'), user: who };
      const body = `<p>${esc(t('consentLead', vars))}</p>${list ? `<p>${esc(t('consentScopes'))}</p><ul>${list}</ul>` : ''}
${form(`/interaction/${uid}/consent`, token, '<input type="hidden" name="decision" value="allow">', t('consentAllow'))}
${form(`/interaction/${uid}/consent`, token, '<input type="hidden" name="decision" value="deny">', t('consentDeny'))}`;
      return send(reply, 200, page({ title: t('consentTitle', vars), body }));
    });

    scope.post('/interaction/:uid/consent', { schema: { hide: true } }, async (req, reply) => {
      const { uid } = req.params as { uid: string };
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (!csrfValid(req, body.csrf)) return send(reply, 403, page({ title: t('oidcErrorTitle'), body: `<p>${esc(t('formExpired'))}</p>` }));
      const found = await details(req, reply, uid);
      if (!found || found.d.prompt.name !== 'consent') return expired(reply);
      const { provider, d } = found;
      const session = await currentBrowserSession(req, deps.sessions);
      if (!session || d.session?.accountId !== session.userId) return reply.redirect(`/interaction/${uid}`, 303);
      if (body.decision !== 'allow') {
        return finish(req, reply, provider, { error: 'access_denied', error_description: 'The user denied the request.' }, false);
      }
      return finish(req, reply, provider, { consent: await grantConsent(provider, d, session) });
    });
  });
}

/** Whether the authorization asks for a sign-in newer than the browser's current session. */
function needsFreshSignIn(d: { iat?: number; params: Record<string, unknown>; prompt: { reasons?: string[] } }, session: Session): boolean {
  const reasons = d.prompt.reasons ?? [];
  const signedInAt = Math.floor(session.createdAt.getTime() / 1000);
  // A sign-in made during this very authorization satisfies both rules. `iat` has whole seconds,
  // so only a sign-in from the next second on is surely newer (a person typing takes longer).
  if (typeof d.iat !== 'number' || signedInAt > d.iat) return false;
  if (reasons.includes('login_prompt')) return true;
  const maxAge = Number(d.params.max_age);
  return reasons.includes('max_age') && Number.isFinite(maxAge) && Math.floor(Date.now() / 1000) - signedInAt >= maxAge;
}
