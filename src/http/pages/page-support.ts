import type { FastifyReply } from 'fastify';
import { isDomainError } from '../../core/errors.ts';
import type { RedirectUrlService } from '../../core/instance/redirect-urls.ts';
import { pageHeaders } from './index.ts';
import { t, type TextKey } from './text.ts';

/** Helpers every hosted page module shares (sign-in, account, tickets, sign-up, invitations). */

export type Body = Record<string, unknown>;
export type Notice = { kind: 'error' | 'info'; text: string };

/** A form or query value as a bounded string; anything else is empty. */
export const str = (v: unknown, max = 1024) => (typeof v === 'string' ? v.slice(0, max) : '');

export function sendPage(reply: FastifyReply, status: number, html: string) {
  pageHeaders(reply);
  return reply.code(status).send(html);
}

/**
 * Where to go after success: the first candidate the redirect rules allow (a path on this server
 * or an allowed URL), else `fallback`. The answer is re-serialised by the URL parser, so what
 * reaches the Location header is percent-encoded ASCII (raw Unicode there would make Node refuse it).
 */
export async function redirectTarget(redirects: Pick<RedirectUrlService, 'isAllowedRedirect'>, candidates: ReadonlyArray<string | null | undefined>, fallback = '/account'): Promise<string> {
  for (const c of candidates) {
    if (!c || !(await redirects.isAllowedRedirect(c))) continue;
    try {
      if (!c.startsWith('/')) return new URL(c).href;
      const u = new URL(c, 'http://localhost');
      // The parser must not have turned the path into another host (`/\host` and the like are refused above).
      if (u.origin === 'http://localhost') return `${u.pathname}${u.search}${u.hash}`;
    } catch {
      // Not a URL after all: try the next candidate.
    }
  }
  return fallback;
}

/** What a form shows for a failed step: the status, the notice text and any Retry-After. */
export type Problem = { status: number; text: string; retryAfter?: number };

/** The problem a form's table gives for a domain error's code; anything else reads as a generic error. */
export function problemFrom(e: unknown, table: Partial<Record<string, [number, TextKey]>>): Problem {
  if (!isDomainError(e)) return { status: 400, text: t('genericError') };
  const hit = table[e.code];
  return hit ? { status: hit[0], text: t(hit[1]), retryAfter: e.meta.retryAfterSeconds } : { status: 400, text: t('genericError') };
}

/** Sets `Retry-After` when the problem carries one. */
export function withRetryAfter(reply: FastifyReply, p: { retryAfter?: number }) {
  if (p.retryAfter) reply.header('retry-after', String(p.retryAfter));
}
