import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isDomainError } from '../../core/errors.ts';
import type { Invitation } from '../../core/invitations/invitation-store.ts';
import { SIGN_UP_LIFETIME_MS } from '../../core/sign-ups/sign-up-service.ts';
import { signInBrowser } from './browser-session.ts';
import { csrfToken, csrfValid } from './csrf.ts';
import { esc, field, form, page } from './layout.ts';
import { type Body, type Notice, redirectTarget, sendPage, str, withRetryAfter } from './page-support.ts';
import { formProblem, invitationProblem, messagePage, type SignUpPagesDeps } from './sign-up-support.ts';
import { t } from './text.ts';

/** Binds a pending sign-up to this browser; only its SHA-256 is stored. */
export const SIGN_UP_COOKIE = '__latchkey_sign_up';
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{20,200}$/;

const hidden = (name: string, value: string) => (value ? `<input type="hidden" name="${esc(name)}" value="${esc(value)}">` : '');
const withRedirect = (path: string, redirectUrl: string) => (redirectUrl ? `${path}?redirect_url=${encodeURIComponent(redirectUrl)}` : path);

/**
 * The hosted sign-up (`/sign-up` → emailed code → `/sign-up/verify`) and the acceptance of
 * instance invitations (`/sign-up?invitation_token=...`: the emailed link proves the address, so
 * there is no code step). Both end signed in, with a 303 to an allowed `redirect_url` or `/account`.
 */
export function signUpPages(deps: SignUpPagesDeps): FastifyPluginAsync {
  return async (app) => {
    const csrf = (req: FastifyRequest, reply: FastifyReply) => csrfToken(req, reply, deps.secureCookies);
    const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: deps.secureCookies, path: '/sign-up' };
    const browserToken = (req: FastifyRequest) => {
      const v = req.cookies?.[SIGN_UP_COOKIE];
      return v && TOKEN_PATTERN.test(v) ? v : '';
    };

    const signUpForm = (token: string, v: { email?: string; redirectUrl: string }, notice?: Notice) =>
      page({
        title: t('signUpTitle'),
        notice,
        body: `<p>${esc(t('signUpLead'))}</p>${form(
          '/sign-up',
          token,
          hidden('redirect_url', v.redirectUrl) +
            field({ name: 'email_address', label: t('emailLabel'), type: 'email', autocomplete: 'email', value: v.email }) +
            field({ name: 'password', label: t('passwordLabel'), type: 'password', autocomplete: 'new-password', hint: t('newPasswordHint') }),
          t('signUpSubmit'),
        )}
<p class="more"><a href="${esc(withRedirect('/sign-in', v.redirectUrl))}">${esc(t('haveAccount'))}</a></p>`,
      });

    const verifyForm = (token: string, email: string, redirectUrl: string, notice?: Notice) =>
      page({
        title: t('signUpVerifyTitle'),
        notice,
        body: `<p>${esc(t('signUpVerifyLead', { email }))}</p>${form(
          '/sign-up/verify',
          token,
          hidden('redirect_url', redirectUrl) + field({ name: 'code', label: t('codeLabel'), inputmode: 'numeric', pattern: '[0-9]{6}', autocomplete: 'one-time-code' }),
          t('verifySubmit'),
        )}
<p><small>${esc(t('signUpExistingHint'))}</small></p>
${form('/sign-up/resend', token, hidden('redirect_url', redirectUrl), t('resendCode'))}`,
      });

    const invitationForm = (token: string, inv: Invitation, invitationToken: string, redirectUrl: string, notice?: Notice) =>
      page({
        title: t('invitationTitle'),
        notice,
        body: `<p>${esc(t('invitationLead', { email: inv.emailAddress }))}</p>${form(
          '/sign-up',
          token,
          hidden('invitation_token', invitationToken) +
            hidden('redirect_url', redirectUrl) +
            // Lets password managers file the new password under the invited address.
            `<input type="hidden" name="username" autocomplete="username" value="${esc(inv.emailAddress)}">` +
            field({ name: 'password', label: t('passwordLabel'), type: 'password', autocomplete: 'new-password', hint: t('newPasswordHint') }),
          t('invitationSubmit'),
        )}`,
      });

    const startAgain = (redirectUrl: string) => messagePage(t('signUpTitle'), { kind: 'error', text: t('signUpStartAgain') }, { href: withRedirect('/sign-up', redirectUrl), text: t('startAgain') });

    const invitationDeadEnd = (reply: FastifyReply, e: unknown) => {
      const p = invitationProblem(e);
      if (!p) throw e;
      return sendPage(reply, p.status, messagePage(t('invitationTitle'), { kind: 'error', text: t(p.key) }, p.key === 'invitationUsed' ? { href: '/sign-in', text: t('haveAccount') } : undefined));
    };

    const signIn = (req: FastifyRequest, reply: FastifyReply, userId: string) =>
      signInBrowser(req, reply, { sessions: deps.sessions, secureCookies: deps.secureCookies, cookieMaxAgeSeconds: deps.cookieMaxAgeSeconds }, { userId });

    app.get('/sign-up', async (req, reply) => {
      const q = (req.query ?? {}) as Body;
      const token = csrf(req, reply);
      const redirectUrl = str(q.redirect_url, 2048);
      const invitationToken = str(q.invitation_token, 200);
      if (invitationToken) {
        try {
          const inv = await deps.invitations.lookup(invitationToken);
          return sendPage(reply, 200, invitationForm(token, inv, invitationToken, redirectUrl));
        } catch (e) {
          return invitationDeadEnd(reply, e);
        }
      }
      return sendPage(reply, 200, signUpForm(token, { email: str(q.email_address, 320), redirectUrl }));
    });

    app.post('/sign-up', async (req, reply) => {
      const body = (req.body ?? {}) as Body;
      const token = csrf(req, reply);
      const redirectUrl = str(body.redirect_url, 2048);
      const invitationToken = str(body.invitation_token, 200);
      if (invitationToken) return acceptInvitation(req, reply, token, invitationToken, redirectUrl, body);
      const email = str(body.email_address, 320);
      if (!csrfValid(req, body.csrf)) return sendPage(reply, 403, signUpForm(token, { email, redirectUrl }, { kind: 'error', text: t('formExpired') }));
      try {
        const started = await deps.signUps.start({ emailAddress: email, password: str(body.password), ip: req.ip });
        reply.setCookie(SIGN_UP_COOKIE, started.browserToken, { ...cookieOptions, maxAge: SIGN_UP_LIFETIME_MS / 1000 });
        return reply.redirect(withRedirect('/sign-up/verify', redirectUrl), 303);
      } catch (e) {
        const p = formProblem(e);
        withRetryAfter(reply, p);
        return sendPage(reply, p.status, signUpForm(token, { email, redirectUrl }, { kind: 'error', text: p.text }));
      }
    });

    async function acceptInvitation(req: FastifyRequest, reply: FastifyReply, token: string, invitationToken: string, redirectUrl: string, body: Body) {
      let inv: Invitation;
      try {
        inv = await deps.invitations.lookup(invitationToken);
      } catch (e) {
        return invitationDeadEnd(reply, e);
      }
      if (!csrfValid(req, body.csrf)) return sendPage(reply, 403, invitationForm(token, inv, invitationToken, redirectUrl, { kind: 'error', text: t('formExpired') }));
      try {
        const { user } = await deps.invitations.accept(invitationToken, { password: str(body.password) });
        await signIn(req, reply, user.id);
        return reply.redirect(await redirectTarget(deps.redirects, [inv.redirectUrl, redirectUrl]), 303);
      } catch (e) {
        if (invitationProblem(e)) return invitationDeadEnd(reply, e);
        const p = formProblem(e);
        withRetryAfter(reply, p);
        return sendPage(reply, p.status, invitationForm(token, inv, invitationToken, redirectUrl, { kind: 'error', text: p.text }));
      }
    }

    /** The address of the pending sign-up this browser holds; null when it has none any more. */
    async function pendingEmail(cookie: string): Promise<string | null> {
      try {
        return (await deps.signUps.pending(cookie)).emailAddress;
      } catch (e) {
        if (!isDomainError(e)) throw e;
        return null;
      }
    }

    app.get('/sign-up/verify', async (req, reply) => {
      const token = csrf(req, reply);
      const redirectUrl = str((req.query as Body)?.redirect_url, 2048);
      const email = await pendingEmail(browserToken(req));
      if (email === null) return sendPage(reply, 400, startAgain(redirectUrl));
      return sendPage(reply, 200, verifyForm(token, email, redirectUrl));
    });

    /**
     * The code form's two posts (verify, resend) start alike: the browser must still hold a
     * pending sign-up and the form must carry its CSRF token; `handle` does the rest.
     */
    const codeFormPost =
      (handle: (req: FastifyRequest, reply: FastifyReply, f: { body: Body; token: string; redirectUrl: string; cookie: string; email: string }) => Promise<unknown>) =>
      async (req: FastifyRequest, reply: FastifyReply) => {
        const body = (req.body ?? {}) as Body;
        const token = csrf(req, reply);
        const redirectUrl = str(body.redirect_url, 2048);
        const cookie = browserToken(req);
        const email = await pendingEmail(cookie);
        if (email === null) return sendPage(reply, 400, startAgain(redirectUrl));
        if (!csrfValid(req, body.csrf)) return sendPage(reply, 403, verifyForm(token, email, redirectUrl, { kind: 'error', text: t('formExpired') }));
        return handle(req, reply, { body, token, redirectUrl, cookie, email });
      };

    app.post(
      '/sign-up/verify',
      codeFormPost(async (req, reply, { body, token, redirectUrl, cookie, email }) => {
        try {
          const user = await deps.signUps.verify(cookie, str(body.code, 32).trim());
          await signIn(req, reply, user.id);
          reply.clearCookie(SIGN_UP_COOKIE, cookieOptions);
          return reply.redirect(await redirectTarget(deps.redirects, [redirectUrl]), 303);
        } catch (e) {
          if (isDomainError(e) && e.code === 'verification_missing') return sendPage(reply, 400, startAgain(redirectUrl));
          const p = formProblem(e);
          return sendPage(reply, p.status, verifyForm(token, email, redirectUrl, { kind: 'error', text: p.text }));
        }
      }),
    );

    app.post(
      '/sign-up/resend',
      codeFormPost(async (req, reply, { token, redirectUrl, cookie, email }) => {
        try {
          await deps.signUps.resend(cookie, req.ip);
          return sendPage(reply, 200, verifyForm(token, email, redirectUrl, { kind: 'info', text: t('codeResent') }));
        } catch (e) {
          const p = formProblem(e);
          withRetryAfter(reply, p);
          return sendPage(reply, p.status, verifyForm(token, email, redirectUrl, { kind: 'error', text: p.text }));
        }
      }),
    );
  };
}
