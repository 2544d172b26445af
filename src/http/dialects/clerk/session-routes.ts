import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DomainError } from '../../../core/errors.ts';
import type { SessionService, SessionStatus } from '../../../core/sessions/types.ts';
import type { SessionTokenService } from '../../../core/tokens/types.ts';
import { IdParam, Paginated, listOrPage } from './instance-schemas.ts';
import { PageQuery } from './organization-schemas.ts';
import { toClerkSession } from './session-mappers.ts';
import { ERROR_RESPONSES } from './schemas.ts';

const tags = ['Sessions'];
const one = { 200: Type.Ref('ClerkSession'), ...ERROR_RESPONSES };

const ListQuery = Type.Object(
  {
    client_id: Type.Optional(Type.String({ maxLength: 128 })),
    user_id: Type.Optional(Type.String({ maxLength: 128 })),
    // `replaced` is in the spec's filter but no Latchkey session is ever replaced: it matches none.
    status: Type.Optional(Type.String({ enum: ['abandoned', 'active', 'ended', 'expired', 'removed', 'replaced', 'revoked'] })),
    ...PageQuery,
    paginated: Paginated,
  },
  { additionalProperties: false },
);

export interface SessionRouteDeps {
  sessions: SessionService;
  /** Checks session tokens for `verify`; the route is left out while no token service exists. */
  tokens?: Pick<SessionTokenService, 'verify'>;
}

/** Clerk Backend API: Sessions (their tokens are in session-token-routes.ts). */
export function sessionRoutes(deps: SessionRouteDeps): FastifyPluginAsyncTypebox {
  const { sessions } = deps;
  return async (app) => {
    app.get(
      '/sessions',
      {
        schema: {
          tags,
          operationId: 'GetSessionList',
          description: 'Newest first. `status` is the status at the time of the request (an active session past its lifetime is `expired` or `abandoned`).',
          querystring: ListQuery,
          response: listOrPage('ClerkSession'),
        },
      },
      async (req) => {
        const q = req.query;
        const page =
          q.status === 'replaced'
            ? { data: [], totalCount: 0 }
            : await sessions.list({ userId: q.user_id, clientId: q.client_id, status: q.status as SessionStatus | undefined, limit: q.limit, offset: q.offset });
        const data = page.data.map(toClerkSession);
        return q.paginated ? { data, total_count: page.totalCount } : data;
      },
    );

    // Clerk's current API (the SDK's createSession), absent from the published spec: a session
    // for the user in a new client, as if the user had just signed in somewhere.
    app.post(
      '/sessions',
      {
        schema: {
          tags,
          operationId: 'CreateSession',
          description: 'Opens a session for the user in a new client. A banned user answers 403 `user_banned`, a locked one 403 `user_locked`.',
          body: Type.Object({ user_id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
          response: one,
        },
      },
      async (req) => toClerkSession((await sessions.create({ userId: req.body.user_id })).session),
    );

    app.get('/sessions/:session_id', { schema: { tags, operationId: 'GetSession', params: IdParam('session_id'), response: one } }, async (req) =>
      toClerkSession(await sessions.get(req.params.session_id)),
    );

    app.post(
      '/sessions/:session_id/revoke',
      {
        schema: {
          tags,
          operationId: 'RevokeSession',
          description: 'Only an active session can be revoked; others answer 400 `session_not_active`.',
          params: IdParam('session_id'),
          response: one,
        },
      },
      async (req) => toClerkSession(await sessions.revoke(req.params.session_id, 'admin')),
    );

    const tokens = deps.tokens;
    if (!tokens) return;
    app.post(
      '/sessions/:session_id/verify',
      {
        schema: {
          tags,
          operationId: 'VerifySession',
          description:
            'Checks a session token (signature, issuer, lifetime) and that it belongs to this session, which must be active now: a revoked session is refused at once, even with a token that has not expired.',
          params: IdParam('session_id'),
          body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 16_384 }) }, { additionalProperties: false }),
          response: one,
        },
      },
      async (req) => {
        const claims = await tokens.verify(req.body.token);
        if (claims.sid !== req.params.session_id) {
          throw new DomainError('session_token_invalid', 'The token was issued for another session.', { param: 'token' });
        }
        const session = await sessions.requireActive(req.params.session_id);
        if (session.userId !== claims.sub) throw new DomainError('session_token_invalid', 'The token was issued for another user.', { param: 'token' });
        return toClerkSession(session);
      },
    );
  };
}
