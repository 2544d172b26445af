import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDomainError } from '../../core/errors.ts';
import type { RedirectUrlService } from '../../core/instance/redirect-urls.ts';
import type { SessionService } from '../../core/sessions/types.ts';
import type { SignInService } from '../../core/sign-in/sign-in-service.ts';
import type { ActorTokenService, SignInTokenService } from '../../core/sign-in-tokens/ticket-service.ts';
import type { UserService } from '../../core/users/user-service.ts';
import { type Problem, problemFrom, str } from './page-support.ts';
import { t, type TextKey } from './text.ts';

/** What the sign-in, sign-out, account and ticket pages need from the core. */
export interface SignInPagesDeps {
  signIn: SignInService;
  signInTokens: Pick<SignInTokenService, 'peek' | 'redeem'>;
  actorTokens: Pick<ActorTokenService, 'peek' | 'redeem'>;
  sessions: SessionService;
  users: Pick<UserService, 'get'>;
  redirects: Pick<RedirectUrlService, 'isAllowedRedirect'>;
  secureCookies: boolean;
  /** The client cookie's lifetime: the session's absolute lifetime. */
  cookieMaxAgeSeconds: number;
}

/** A 303 to a target already checked by `redirectTarget`. */
export function seeOther(reply: FastifyReply, location: string) {
  return reply.header('cache-control', 'no-store').redirect(location, 303);
}

/** The pending second-factor token, and where to go once it is done; both scoped to /sign-in. */
const PENDING_COOKIE = '__latchkey_sign_in';
const PENDING_TARGET_COOKIE = '__latchkey_sign_in_target';
const PENDING_MAX_AGE = 600;

export function setPending(reply: FastifyReply, secure: boolean, token: string, target: string) {
  const opts = { httpOnly: true, sameSite: 'lax' as const, secure, path: '/sign-in', maxAge: PENDING_MAX_AGE };
  reply.setCookie(PENDING_COOKIE, token, opts).setCookie(PENDING_TARGET_COOKIE, target, opts);
}

export function readPending(req: FastifyRequest): { token: string; target: string } {
  const token = req.cookies[PENDING_COOKIE];
  return { token: token && /^[A-Za-z0-9_-]{20,128}$/.test(token) ? token : '', target: str(req.cookies[PENDING_TARGET_COOKIE], 2048) };
}

export function clearPending(reply: FastifyReply, secure: boolean) {
  const opts = { httpOnly: true, sameSite: 'lax' as const, secure, path: '/sign-in' };
  reply.clearCookie(PENDING_COOKIE, opts).clearCookie(PENDING_TARGET_COOKIE, opts);
}

const SIGN_IN_PROBLEMS: Partial<Record<string, [number, TextKey]>> = {
  authentication_invalid: [401, 'signInFailed'],
  rate_limited: [429, 'tooMany'],
  hasher_busy: [429, 'tooMany'],
  mfa_throttled: [429, 'tooMany'],
  mfa_code_incorrect: [400, 'factorCodeIncorrect'],
  verification_code_incorrect: [400, 'factorCodeIncorrect'],
  verification_expired: [400, 'factorCodeExpired'],
  verification_missing: [400, 'factorCodeMissing'],
  verification_failed: [400, 'factorCodeTooMany'],
  invalid_param: [400, 'factorStrategyInvalid'],
};

/** Status, text and Retry-After for a failed sign-in step. Credential failures all read the same. */
export function signInProblem(e: unknown): Problem {
  if (isDomainError(e) && e.code === 'user_locked') {
    const retryAfter = e.meta.retryAfterSeconds;
    const minutes = Math.max(1, Math.ceil((retryAfter ?? 60) / 60));
    return { status: 429, text: t('signInLocked', { minutes: String(minutes) }), retryAfter };
  }
  return problemFrom(e, SIGN_IN_PROBLEMS);
}
