import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SessionService } from '../../../core/sessions/types.ts';
import type { SessionTokenService, SigningKeyService } from '../../../core/tokens/types.ts';
import { ERROR_RESPONSES, Nullable } from './schemas.ts';

const Token = Type.Object({ object: Type.Literal('token'), jwt: Type.String() }, { additionalProperties: false });
const Body = Type.Optional(
  Type.Object(
    { expires_in_seconds: Type.Optional(Nullable(Type.Integer({ minimum: 30, maximum: 86_400, description: 'Overrides the lifetime (default `LATCHKEY_SESSION_TOKEN_LIFETIME`, or the template\'s).' }))) },
    { additionalProperties: false },
  ),
);
const SessionId = { session_id: Type.String({ minLength: 1, maxLength: 128 }) };

const PublicJwk = Type.Object(
  { kty: Type.Literal('RSA'), kid: Type.String(), use: Type.Literal('sig'), alg: Type.Literal('RS256'), n: Type.String(), e: Type.String() },
  { additionalProperties: false },
);

/**
 * Session tokens (`POST /v1/sessions/{id}/tokens[/{template_name}]`, answered `{object: 'token', jwt}`
 * as Clerk's current API and the SDK's `getToken` have it) and the JWKS that verifies them.
 */
export function sessionTokenRoutes(deps: { sessions: SessionService; tokens: SessionTokenService; keys: SigningKeyService }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/sessions/:session_id/tokens',
      {
        schema: {
          tags: ['Sessions'],
          operationId: 'CreateSessionToken',
          description: 'A session token: an RS256 JWT with sid, sub, iss, iat, nbf, exp (and act for an impersonation session), signed with the key published at /v1/jwks.',
          params: Type.Object(SessionId, { additionalProperties: false }),
          body: Body,
          response: { 200: Token, ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const session = await deps.sessions.requireActive(req.params.session_id);
        const jwt = await deps.tokens.issue(session, { expiresInSeconds: req.body?.expires_in_seconds ?? undefined });
        return { object: 'token' as const, jwt };
      },
    );

    app.post(
      '/sessions/:session_id/tokens/:template_name',
      {
        schema: {
          tags: ['Sessions'],
          operationId: 'CreateSessionTokenFromTemplate',
          description: 'A token shaped by the named JWT template: its claims (shortcodes filled in), lifetime and clock skew, signed with its custom key if it has one.',
          params: Type.Object({ ...SessionId, template_name: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
          body: Body,
          response: { 200: Token, ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const session = await deps.sessions.requireActive(req.params.session_id);
        const jwt = await deps.tokens.issueFromTemplate(session, req.params.template_name, { expiresInSeconds: req.body?.expires_in_seconds ?? undefined });
        return { object: 'token' as const, jwt };
      },
    );

    app.get(
      '/jwks',
      {
        schema: {
          tags: ['JWKS'],
          operationId: 'GetJWKS',
          description: 'The public keys that verify session tokens: the current one and, after a rotation, the previous one until its tokens have expired. Never a private part.',
          response: { 200: Type.Object({ keys: Type.Array(PublicJwk) }, { additionalProperties: false }), ...ERROR_RESPONSES },
        },
      },
      async () => deps.keys.jwks(),
    );
  };
}
