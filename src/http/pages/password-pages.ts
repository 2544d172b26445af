import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isDomainError } from '../../core/errors.ts';
import { csrfToken, csrfValid } from './csrf.ts';
import type { PagesDeps } from './index.ts';
import { esc, field, form, page } from './layout.ts';
import { type Body, type Notice, sendPage, str } from './page-support.ts';
import { t } from './text.ts';

/** Forgot password, redeem a code or link, choose a new password; and email link verification. */
export function passwordPages(deps: PagesDeps): FastifyPluginAsync {
  return async (app) => {
    const csrf = (req: FastifyRequest, reply: FastifyReply) => csrfToken(req, reply, deps.secureCookies);

    const forgotForm = (token: string, notice?: Notice) =>
      page({
        title: t('forgotTitle'),
        notice,
        body: `<p>${esc(t('forgotLead'))}</p>${form('/forgot-password', token, field({ name: 'identifier', label: t('identifierLabel'), autocomplete: 'username' }), t('sendCode'))}
<p class="more"><a href="/reset-password">${esc(t('haveCode'))}</a></p>`,
      });
    const codeForm = (token: string, identifier = '', notice?: Notice) =>
      page({
        title: t('codeTitle'),
        notice,
        body: form(
          '/reset-password/code',
          token,
          field({ name: 'identifier', label: t('identifierLabel'), autocomplete: 'username', value: identifier }) +
            field({ name: 'code', label: t('codeLabel'), inputmode: 'numeric', pattern: '[0-9]{6}', autocomplete: 'one-time-code' }),
          t('continue'),
        ),
      });
    const passwordForm = (token: string, ticket: string, notice?: Notice) =>
      page({
        title: t('newPasswordTitle'),
        notice,
        body: form(
          '/reset-password',
          token,
          `<input type="hidden" name="ticket" value="${esc(ticket)}">` +
            field({ name: 'password', label: t('newPasswordLabel'), type: 'password', autocomplete: 'new-password', hint: t('newPasswordHint') }),
          t('savePassword'),
        ),
      });
    const failure = (e: unknown) => (isDomainError(e) && (e.code === 'rate_limited' || e.code === 'verification_failed') ? t('tooMany') : isDomainError(e) ? e.message : t('genericError'));

    app.get('/forgot-password', async (req, reply) => sendPage(reply, 200, forgotForm(csrf(req, reply))));

    // The answer is the same page, status and headers whether or not the account exists.
    app.post('/forgot-password', async (req, reply) => {
      const body = (req.body ?? {}) as Body;
      const token = csrf(req, reply);
      if (!csrfValid(req, body.csrf)) return sendPage(reply, 403, forgotForm(token, { kind: 'error', text: t('formExpired') }));
      try {
        await deps.passwordReset.request(str(body.identifier), req.ip);
      } catch (e) {
        if (isDomainError(e) && e.meta.retryAfterSeconds) reply.header('retry-after', String(e.meta.retryAfterSeconds));
        return sendPage(reply, isDomainError(e) && e.code === 'rate_limited' ? 429 : 400, forgotForm(token, { kind: 'error', text: failure(e) }));
      }
      return sendPage(reply, 200, codeForm(token, str(body.identifier), { kind: 'info', text: t('forgotSent') }));
    });

    app.get('/reset-password', async (req, reply) => {
      const token = csrf(req, reply);
      const link = str((req.query as Body).token);
      if (!link) return sendPage(reply, 200, codeForm(token));
      try {
        const { ticket } = await deps.passwordReset.redeemLink(link);
        return sendPage(reply, 200, passwordForm(token, ticket));
      } catch (e) {
        return sendPage(reply, 400, forgotForm(token, { kind: 'error', text: isDomainError(e) ? t('linkInvalid') : t('genericError') }));
      }
    });

    app.post('/reset-password/code', async (req, reply) => {
      const body = (req.body ?? {}) as Body;
      const token = csrf(req, reply);
      if (!csrfValid(req, body.csrf)) return sendPage(reply, 403, codeForm(token, '', { kind: 'error', text: t('formExpired') }));
      try {
        const { ticket } = await deps.passwordReset.redeemCode(str(body.identifier), str(body.code).trim());
        return sendPage(reply, 200, passwordForm(token, ticket));
      } catch (e) {
        return sendPage(reply, 400, codeForm(token, str(body.identifier), { kind: 'error', text: failure(e) }));
      }
    });

    app.post('/reset-password', async (req, reply) => {
      const body = (req.body ?? {}) as Body;
      const token = csrf(req, reply);
      const ticket = str(body.ticket);
      if (!csrfValid(req, body.csrf)) return sendPage(reply, 403, passwordForm(token, ticket, { kind: 'error', text: t('formExpired') }));
      try {
        await deps.passwordReset.complete(ticket, str(body.password));
        return sendPage(reply, 200, page({ title: t('newPasswordTitle'), body: `<p role="status">${esc(t('passwordSaved'))}</p>` }));
      } catch (e) {
        const invalidTicket = isDomainError(e) && e.code.startsWith('verification_');
        return invalidTicket
          ? sendPage(reply, 400, forgotForm(token, { kind: 'error', text: t('linkInvalid') }))
          : sendPage(reply, 422, passwordForm(token, ticket, { kind: 'error', text: failure(e) }));
      }
    });

    app.get('/verify-email', async (req, reply) => {
      try {
        const ident = await deps.verification.redeemLink(str((req.query as Body).token));
        return sendPage(reply, 200, page({ title: t('verifyTitle'), body: `<p role="status">${esc(t('verifyDone', { email: ident.value }))}</p>` }));
      } catch {
        return sendPage(reply, 400, page({ title: t('verifyTitle'), notice: { kind: 'error', text: t('linkInvalid') }, body: '' }));
      }
    });
  };
}
