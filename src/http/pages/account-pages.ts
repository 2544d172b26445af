import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../core/users/types.ts';
import { clearClientCookie, currentBrowserSession, readClientToken } from './browser-session.ts';
import { csrfToken, csrfValid } from './csrf.ts';
import { esc, form, page } from './layout.ts';
import { type Body, redirectTarget, sendPage, str } from './page-support.ts';
import { seeOther, type SignInPagesDeps } from './sign-in-support.ts';
import { t } from './text.ts';

function displayName(user: User): string {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  const email = user.identifiers.find((i) => i.id === user.primaryEmailAddressId)?.value;
  const phone = user.identifiers.find((i) => i.id === user.primaryPhoneNumberId)?.value;
  return name || user.username || email || phone || user.id;
}

/** `/account` (who is signed in, with a sign-out button) and `/sign-out` (confirm, then end the session). */
export function accountPages(deps: SignInPagesDeps): FastifyPluginAsync {
  return async (app) => {
    const csrf = (req: FastifyRequest, reply: FastifyReply) => csrfToken(req, reply, deps.secureCookies);
    const signOutForm = (token: string, redirectUrl = '') => form('/sign-out', token, `<input type="hidden" name="redirect_url" value="${esc(redirectUrl)}">`, t('signOutLink'));

    app.get('/account', async (req, reply) => {
      const session = await currentBrowserSession(req, deps.sessions);
      const user = session ? await deps.users.get(session.userId).catch(() => null) : null;
      if (!session || !user) return seeOther(reply, '/sign-in?redirect_url=%2Faccount');
      const email = user.identifiers.find((i) => i.id === user.primaryEmailAddressId)?.value;
      const rows = [
        `<dt>${esc(t('accountName'))}</dt><dd>${esc(displayName(user))}</dd>`,
        email ? `<dt>${esc(t('emailLabel'))}</dt><dd>${esc(email)}</dd>` : '',
        `<dt>${esc(t('accountUserId'))}</dt><dd><code>${esc(user.id)}</code></dd>`,
      ].join('');
      const acting = session.actor ? `<p class="notice info" role="status">${esc(t('accountImpersonated', { actor: String(session.actor.sub) }))}</p>` : '';
      return sendPage(reply, 200, page({ title: t('accountTitle'), body: `<p>${esc(t('accountLead'))}</p>${acting}<dl>${rows}</dl>${signOutForm(csrf(req, reply))}` }));
    });

    app.get('/sign-out', async (req, reply) => {
      const redirectUrl = str((req.query as Body).redirect_url, 2048);
      const session = await currentBrowserSession(req, deps.sessions);
      if (!session) {
        return sendPage(reply, 200, page({ title: t('signedOutTitle'), body: `<p role="status">${esc(t('signedOut'))}</p><p class="more"><a href="/sign-in">${esc(t('signInTitle'))}</a></p>` }));
      }
      return sendPage(reply, 200, page({ title: t('signOutTitle'), body: `<p>${esc(t('signOutLead'))}</p>${signOutForm(csrf(req, reply), redirectUrl)}` }));
    });

    // Ends every live session of this browser's client: the cookie goes too, so none would stay reachable.
    app.post('/sign-out', async (req, reply) => {
      const body = (req.body ?? {}) as Body;
      const token = csrf(req, reply);
      if (!csrfValid(req, body.csrf)) {
        return sendPage(reply, 403, page({ title: t('signOutTitle'), notice: { kind: 'error', text: t('formExpired') }, body: signOutForm(token, str(body.redirect_url, 2048)) }));
      }
      const clientToken = readClientToken(req);
      const client = clientToken ? await deps.sessions.clientFromToken(clientToken).catch(() => null) : null;
      for (const s of client?.sessions ?? []) if (s.status === 'active') await deps.sessions.end(s.id);
      clearClientCookie(reply, deps.secureCookies);
      return seeOther(reply, await redirectTarget(deps.redirects, [str(body.redirect_url, 2048)], '/sign-in'));
    });
  };
}
