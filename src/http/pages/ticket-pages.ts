import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../core/sessions/types.ts';
import { signInBrowser } from './browser-session.ts';
import { csrfToken, csrfValid } from './csrf.ts';
import { esc, form, page } from './layout.ts';
import { type Body, redirectTarget, sendPage, str } from './page-support.ts';
import { seeOther, type SignInPagesDeps } from './sign-in-support.ts';
import { t } from './text.ts';

/**
 * Landings for sign-in tokens (`/sign-in/ticket`) and actor tokens (`/impersonate`). The GET only
 * shows a button: mail scanners and link previews fetch links, and must not use up the token.
 * The POST redeems it (single use) and opens the session.
 */
export function ticketPages(deps: SignInPagesDeps): FastifyPluginAsync {
  return async (app) => {
    const csrf = (req: FastifyRequest, reply: FastifyReply) => csrfToken(req, reply, deps.secureCookies);
    const sessionDeps = { sessions: deps.sessions, secureCookies: deps.secureCookies, cookieMaxAgeSeconds: deps.cookieMaxAgeSeconds };
    const invalid = (reply: FastifyReply, status = 400) =>
      sendPage(reply, status, page({ title: t('ticketTitle'), notice: { kind: 'error', text: t('linkInvalid') }, body: `<p class="more"><a href="/sign-in">${esc(t('signInTitle'))}</a></p>` }));
    const confirmForm = (path: string, token: string, ticket: string, redirectUrl: string) =>
      form(path, token, `<input type="hidden" name="token" value="${esc(ticket)}"><input type="hidden" name="redirect_url" value="${esc(redirectUrl)}">`, t('continue'));

    type Landing = {
      path: string;
      title: string;
      peek: (token: string) => Promise<{ userId: string; actor?: Actor }>;
      redeem: (token: string) => Promise<{ userId: string; actor?: Actor; maxSeconds?: number }>;
    };
    const landings: Landing[] = [
      { path: '/sign-in/ticket', title: t('ticketTitle'), peek: (x) => deps.signInTokens.peek(x), redeem: (x) => deps.signInTokens.redeem(x) },
      {
        path: '/impersonate',
        title: t('impersonateTitle'),
        peek: (x) => deps.actorTokens.peek(x),
        redeem: async (x) => {
          const r = await deps.actorTokens.redeem(x);
          return { userId: r.userId, actor: r.actor, maxSeconds: r.sessionMaxDurationSeconds };
        },
      },
    ];

    for (const { path, title, peek, redeem } of landings) {

      app.get(path, async (req, reply) => {
        const q = req.query as Body;
        const ticket = str(q.token, 256);
        try {
          const found = await peek(ticket);
          const user = await deps.users.get(found.userId);
          const who = user.identifiers.find((i) => i.id === user.primaryEmailAddressId)?.value ?? user.username ?? user.id;
          const lead = found.actor ? t('impersonateLead', { user: who, actor: String(found.actor.sub) }) : t('ticketLead', { user: who });
          return sendPage(reply, 200, page({ title, body: `<p>${esc(lead)}</p>${confirmForm(path, csrf(req, reply), ticket, str(q.redirect_url, 2048))}` }));
        } catch {
          return invalid(reply);
        }
      });

      app.post(path, async (req, reply) => {
        const body = (req.body ?? {}) as Body;
        const token = csrf(req, reply);
        const ticket = str(body.token, 256);
        const redirectUrl = str(body.redirect_url, 2048);
        if (!csrfValid(req, body.csrf)) {
          return sendPage(reply, 403, page({ title, notice: { kind: 'error', text: t('formExpired') }, body: confirmForm(path, token, ticket, redirectUrl) }));
        }
        let redeemed;
        try {
          redeemed = await redeem(ticket);
        } catch {
          return invalid(reply);
        }
        try {
          await signInBrowser(req, reply, sessionDeps, redeemed);
        } catch {
          return sendPage(reply, 400, page({ title, notice: { kind: 'error', text: t('genericError') }, body: '' }));
        }
        return seeOther(reply, await redirectTarget(deps.redirects, [redirectUrl]));
      });
    }
  };
}
