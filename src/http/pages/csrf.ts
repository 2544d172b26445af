import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes, timingSafeEqual } from 'node:crypto';

const COOKIE = 'lk_csrf';

/**
 * Double-submit CSRF protection: a random token in an HttpOnly, SameSite=Lax cookie must come
 * back in the form. A cross-site page can neither read the cookie nor make the browser send it
 * with a cross-site POST.
 */
export function csrfToken(req: FastifyRequest, reply: FastifyReply, secure: boolean): string {
  const existing = req.cookies[COOKIE];
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  reply.setCookie(COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
  return token;
}

export function csrfValid(req: FastifyRequest, submitted: unknown): boolean {
  const cookie = req.cookies[COOKIE];
  if (typeof submitted !== 'string' || !cookie || submitted.length !== cookie.length) return false;
  return timingSafeEqual(Buffer.from(submitted), Buffer.from(cookie));
}
