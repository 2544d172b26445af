import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isDomainError } from '../../core/errors.ts';
import { SECOND_FACTOR_STRATEGIES, type SecondFactorStrategy } from '../../core/sign-in/second-factor.ts';
import { signInBrowser } from './browser-session.ts';
import { csrfToken, csrfValid } from './csrf.ts';
import { esc, field, form, page } from './layout.ts';
import { type Body, type Notice, redirectTarget, sendPage, str, withRetryAfter } from './page-support.ts';
import { clearPending, readPending, seeOther, setPending, type SignInPagesDeps, signInProblem } from './sign-in-support.ts';
import { t, type TextKey } from './text.ts';

const STRATEGY_TEXT: Record<SecondFactorStrategy, { title: TextKey; label: TextKey; switchTo: TextKey }> = {
  totp: { title: 'factorTotpTitle', label: 'factorTotpLabel', switchTo: 'factorUseTotp' },
  backup_code: { title: 'factorBackupTitle', label: 'factorBackupLabel', switchTo: 'factorUseBackup' },
  email_code: { title: 'factorEmailTitle', label: 'factorEmailLabel', switchTo: 'factorUseEmail' },
};

/**
 * `/sign-in` (identifier and password) and `/sign-in/factor-two` (TOTP, backup code or emailed
 * code). Fields and flow follow the pages contract, which the OpenID provider's tests post.
 */
export function signInPages(deps: SignInPagesDeps): FastifyPluginAsync {
  return async (app) => {
    const csrf = (req: FastifyRequest, reply: FastifyReply) => csrfToken(req, reply, deps.secureCookies);
    const sessionDeps = { sessions: deps.sessions, secureCookies: deps.secureCookies, cookieMaxAgeSeconds: deps.cookieMaxAgeSeconds };

    const signInForm = (token: string, v: { identifier?: string; redirectUrl?: string }, notice?: Notice) => {
      const query = v.redirectUrl ? `?redirect_url=${encodeURIComponent(v.redirectUrl)}` : '';
      return page({
        title: t('signInTitle'),
        notice,
        body: form(
          '/sign-in',
          token,
          `<input type="hidden" name="redirect_url" value="${esc(v.redirectUrl ?? '')}">` +
            field({ name: 'identifier', label: t('signInIdentifierLabel'), autocomplete: 'username', value: v.identifier }) +
            field({ name: 'password', label: t('passwordLabel'), type: 'password', autocomplete: 'current-password' }),
          t('signInSubmit'),
        ) +
          `<p class="more"><a href="/forgot-password">${esc(t('forgotLink'))}</a></p>
<p class="more"><a href="/sign-up${esc(query)}">${esc(t('noAccount'))}</a></p>`,
      });
    };

    const factorForm = (token: string, strategy: SecondFactorStrategy, offered: SecondFactorStrategy[], emailHint: string | null, codeSent: boolean, notice?: Notice) => {
      const text = STRATEGY_TEXT[strategy];
      const others = offered
        .filter((s) => s !== strategy)
        .map((s) => `<p class="more"><a href="/sign-in/factor-two?strategy=${s}">${esc(t(STRATEGY_TEXT[s].switchTo))}</a></p>`)
        .join('\n');
      const codeField = field({
        name: 'code',
        label: t(text.label),
        autocomplete: 'one-time-code',
        ...(strategy === 'backup_code' ? {} : { inputmode: 'numeric', pattern: '[0-9]{6}' }),
      });
      const verifyForm = form('/sign-in/factor-two', token, `<input type="hidden" name="strategy" value="${strategy}">${codeField}`, t('continue'));
      // An email code is sent only on a POST, so a prefetch or a reload never mails anyone.
      const sendForm = form('/sign-in/factor-two/email', token, '', t(codeSent ? 'resendCode' : 'factorEmailSend'));
      const lead = strategy === 'email_code' ? t(codeSent ? 'factorEmailSent' : 'factorEmailLead', { email: emailHint ?? '' }) : t(strategy === 'totp' ? 'factorTotpLead' : 'factorBackupLead');
      const body = `<p>${esc(lead)}</p>${strategy === 'email_code' ? (codeSent ? verifyForm + sendForm : sendForm) : verifyForm}\n${others}`;
      return page({ title: t(text.title), notice, body });
    };

    /** The pending sign-in behind this browser's cookie, or a fresh sign-in form when there is none. */
    async function pendingOrRestart(req: FastifyRequest, reply: FastifyReply, token: string) {
      const pending = readPending(req);
      try {
        return { ...(await deps.signIn.describePending(pending.token)), token: pending.token, target: pending.target };
      } catch {
        clearPending(reply, deps.secureCookies);
        await sendPage(reply, 400, signInForm(token, { redirectUrl: pending.target }, { kind: 'error', text: t('factorRestart') }));
        return null;
      }
    }

    const chosen = (wanted: string, offered: SecondFactorStrategy[]): SecondFactorStrategy =>
      offered.includes(wanted as SecondFactorStrategy) ? (wanted as SecondFactorStrategy) : (offered.find((s) => s !== 'email_code') ?? offered[0]);

    app.get('/sign-in', async (req, reply) => {
      const q = req.query as Body;
      return sendPage(reply, 200, signInForm(csrf(req, reply), { redirectUrl: str(q.redirect_url, 2048) }));
    });

    // Unknown identifier and wrong password: same status, same page (only the echoed identifier differs).
    app.post('/sign-in', async (req, reply) => {
      const body = (req.body ?? {}) as Body;
      const token = csrf(req, reply);
      const identifier = str(body.identifier, 320);
      const redirectUrl = str(body.redirect_url, 2048);
      if (!csrfValid(req, body.csrf)) return sendPage(reply, 403, signInForm(token, { identifier, redirectUrl }, { kind: 'error', text: t('formExpired') }));
      try {
        // The target first: between a right password and its session nothing else should fail.
        const target = await redirectTarget(deps.redirects, [redirectUrl]);
        const result = await deps.signIn.attempt(identifier, str(body.password), req.ip);
        if (result.status === 'needs_second_factor') {
          setPending(reply, deps.secureCookies, result.pendingToken, target);
          return seeOther(reply, '/sign-in/factor-two');
        }
        await signInBrowser(req, reply, sessionDeps, { userId: result.userId, clearFailures: result.clearFailures });
        return seeOther(reply, target);
      } catch (e) {
        const p = signInProblem(e);
        withRetryAfter(reply, p);
        return sendPage(reply, p.status, signInForm(token, { identifier, redirectUrl }, { kind: 'error', text: p.text }));
      }
    });

    app.get('/sign-in/factor-two', async (req, reply) => {
      const token = csrf(req, reply);
      const pending = await pendingOrRestart(req, reply, token);
      if (!pending) return reply;
      const strategy = chosen(str((req.query as Body).strategy, 32), pending.strategies);
      return sendPage(reply, 200, factorForm(token, strategy, pending.strategies, pending.emailHint, false));
    });

    app.post('/sign-in/factor-two/email', async (req, reply) => {
      const body = (req.body ?? {}) as Body;
      const token = csrf(req, reply);
      const pending = await pendingOrRestart(req, reply, token);
      if (!pending) return reply;
      const render = (status: number, sent: boolean, notice?: Notice) => sendPage(reply, status, factorForm(token, 'email_code', pending.strategies, pending.emailHint, sent, notice));
      if (!csrfValid(req, body.csrf)) return render(403, false, { kind: 'error', text: t('formExpired') });
      try {
        await deps.signIn.sendEmailCode(pending.token);
        return render(200, true);
      } catch (e) {
        const p = signInProblem(e);
        withRetryAfter(reply, p);
        return render(p.status, false, { kind: 'error', text: p.text });
      }
    });

    app.post('/sign-in/factor-two', async (req, reply) => {
      const body = (req.body ?? {}) as Body;
      const token = csrf(req, reply);
      const pending = await pendingOrRestart(req, reply, token);
      if (!pending) return reply;
      const wanted = str(body.strategy, 32);
      const strategy = chosen(wanted, pending.strategies);
      const render = (status: number, notice: Notice) => sendPage(reply, status, factorForm(token, strategy, pending.strategies, pending.emailHint, strategy === 'email_code', notice));
      if (!csrfValid(req, body.csrf)) return render(403, { kind: 'error', text: t('formExpired') });
      if (!SECOND_FACTOR_STRATEGIES.includes(wanted as SecondFactorStrategy)) return render(400, { kind: 'error', text: t('factorStrategyInvalid') });
      try {
        const done = await deps.signIn.verifySecondFactor(pending.token, wanted, str(body.code, 64), req.ip);
        clearPending(reply, deps.secureCookies);
        await signInBrowser(req, reply, sessionDeps, { userId: done.userId });
        return seeOther(reply, await redirectTarget(deps.redirects, [pending.target]));
      } catch (e) {
        // The pending sign-in is gone (used, expired, too many tries): start over.
        if (isDomainError(e) && e.meta.param === 'pending') {
          clearPending(reply, deps.secureCookies);
          return sendPage(reply, 400, signInForm(token, { redirectUrl: pending.target }, { kind: 'error', text: t('factorRestart') }));
        }
        const p = signInProblem(e);
        withRetryAfter(reply, p);
        return render(p.status, { kind: 'error', text: p.text });
      }
    });
  };
}
