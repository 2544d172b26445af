import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DomainError } from '../../../core/errors.ts';
import type { SessionService } from '../../../core/sessions/types.ts';
import { IdParam, Paginated, listOrPage } from './instance-schemas.ts';
import { PageQuery } from './organization-schemas.ts';
import { toClerkClient, toClerkSession } from './session-mappers.ts';
import { ERROR_RESPONSES } from './schemas.ts';

const tags = ['Clients'];
const one = { 200: Type.Ref('ClerkClient'), ...ERROR_RESPONSES };

/** Clerk Backend API: Clients, the browsers (and API callers) that hold sessions. */
export function clientRoutes(sessions: SessionService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/clients',
      {
        schema: { tags, operationId: 'GetClientList', querystring: Type.Object({ ...PageQuery, paginated: Paginated }, { additionalProperties: false }), response: listOrPage('ClerkClient') },
      },
      async (req) => {
        const page = await sessions.listClients({ limit: req.query.limit, offset: req.query.offset });
        const data = page.data.map(toClerkClient);
        return req.query.paginated ? { data, total_count: page.totalCount } : data;
      },
    );

    app.post(
      '/clients/verify',
      {
        schema: {
          tags,
          operationId: 'VerifyClient',
          description: 'The client whose token this is: the opaque value of the `__latchkey_client` cookie (not a JWT, unlike Clerk). An unknown token answers 404.',
          body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false }),
          response: one,
        },
      },
      async (req) => toClerkClient(await sessions.clientFromToken(req.body.token)),
    );

    app.get('/clients/:client_id', { schema: { tags, operationId: 'GetClient', params: IdParam('client_id'), response: one } }, async (req) =>
      toClerkClient(await sessions.getClient(req.params.client_id)),
    );

    app.get(
      '/clients/:client_id/last_active_session',
      {
        schema: {
          tags,
          operationId: 'GetClientLastActiveSession',
          description: 'The last session used in this client while it is active; otherwise its newest active session. 404 when it has none.',
          params: IdParam('client_id'),
          response: { 200: Type.Ref('ClerkSession'), ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const session = await sessions.lastActiveSession(req.params.client_id);
        if (!session) throw new DomainError('session_not_found', `Client ${req.params.client_id} has no active session.`, { param: 'client_id' });
        return toClerkSession(session);
      },
    );
  };
}
