import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { IdentifierVerification } from '../../core/verification/identifier-verification.ts';
import type { PasswordReset } from '../../core/verification/password-reset.ts';
import { STYLESHEET } from './layout.ts';
import { passwordPages } from './password-pages.ts';
import { invitationPages } from './invitation-pages.ts';
import { signUpPages } from './sign-up-pages.ts';
import type { SignUpPagesDeps } from './sign-up-support.ts';
import { accountPages } from './account-pages.ts';
import { signInPages } from './sign-in-pages.ts';
import type { SignInPagesDeps } from './sign-in-support.ts';
import { ticketPages } from './ticket-pages.ts';

export interface PagesDeps {
  passwordReset: PasswordReset;
  verification: IdentifierVerification;
  /** Cookies get `Secure` when the public URL is https. */
  secureCookies: boolean;
  /** Sign-up and invitation acceptance (sign-up-pages.ts, invitation-pages.ts). */
  signUp: SignUpPagesDeps;
  /** Sign-in with MFA, sign-out, /account and the ticket and impersonation landings. */
  signIn: SignInPagesDeps;
}

/**
 * Security headers for every hosted page: no framing, no script at all, no referrer leaks. No
 * `form-action`: browsers apply it to every redirect that follows a form post, and sign-in,
 * sign-up and invitation forms end at the application (an allowed redirect URL, or the OpenID
 * provider's redirect to a client callback) on another origin. With no script allowed, no
 * injected form could be submitted without the user, and every form carries a CSRF token.
 */
export function pageHeaders(reply: FastifyReply) {
  reply
    .header('content-security-policy', "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'")
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8');
}

/** Server-rendered pages hosted by Latchkey: password reset and email verification. */
export function registerPages(app: FastifyInstance, deps: PagesDeps) {
  return app.register(async (scope) => {
    await scope.register(cookie);
    await scope.register(formbody, { bodyLimit: 16 * 1024 });
    scope.get('/assets/latchkey.css', { schema: { hide: true } }, async (_req, reply) =>
      reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(STYLESHEET),
    );
    await scope.register(passwordPages(deps));
    await scope.register(signUpPages(deps.signUp));
    await scope.register(invitationPages(deps.signUp));
    await scope.register(signInPages(deps.signIn));
    await scope.register(accountPages(deps.signIn));
    await scope.register(ticketPages(deps.signIn));
  });
}
