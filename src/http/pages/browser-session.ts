import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Session, SessionService } from '../../core/sessions/types.ts';

/**
 * The browser's link to its Latchkey client: the client token in one HttpOnly cookie. Hosted
 * pages set it at sign-in; the OpenID provider's interaction routes read it to learn who is
 * signed in. The token is stored hashed, so a database leak does not hand out sessions.
 */
export const CLIENT_COOKIE = '__latchkey_client';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{20,200}$/;

export function readClientToken(req: FastifyRequest): string | undefined {
  const raw = req.cookies?.[CLIENT_COOKIE];
  return raw && TOKEN_PATTERN.test(raw) ? raw : undefined;
}

export function setClientCookie(reply: FastifyReply, token: string, secure: boolean, maxAgeSeconds: number) {
  reply.setCookie(CLIENT_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: maxAgeSeconds });
}

export function clearClientCookie(reply: FastifyReply, secure: boolean) {
  reply.clearCookie(CLIENT_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

/** The browser's current active session, or null when it has none (or an unknown cookie). */
export async function currentBrowserSession(req: FastifyRequest, sessions: SessionService): Promise<Session | null> {
  const token = readClientToken(req);
  if (!token) return null;
  try {
    const client = await sessions.clientFromToken(token);
    return await sessions.lastActiveSession(client.id);
  } catch {
    return null;
  }
}

/**
 * Opens a session for a user who just proved who they are, in the browser's existing client when
 * it has one, and (re)sets the cookie when a new client was made.
 */
export async function signInBrowser(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: { sessions: SessionService; secureCookies: boolean; cookieMaxAgeSeconds: number },
  input: { userId: string; actor?: Session['actor']; maxSeconds?: number; clearFailures?: boolean },
): Promise<Session> {
  let clientId: string | undefined;
  const token = readClientToken(req);
  if (token) clientId = await deps.sessions.clientFromToken(token).then((c) => c.id, () => undefined);
  const created = await deps.sessions.create({ userId: input.userId, clientId, actor: input.actor ?? null, maxSeconds: input.maxSeconds, clearFailures: input.clearFailures });
  if (created.clientToken) setClientCookie(reply, created.clientToken, deps.secureCookies, deps.cookieMaxAgeSeconds);
  return created.session;
}
