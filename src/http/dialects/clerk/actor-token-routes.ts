import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ActorToken } from '../../../core/sign-in-tokens/types.ts';
import type { ActorTokenService } from '../../../core/sign-in-tokens/ticket-service.ts';
import { IdParam } from './instance-schemas.ts';
import { ERROR_RESPONSES, Nullable } from './schemas.ts';

const tags = ['Actor Tokens'];
const Timestamp = Type.Integer({ description: 'Unix time in milliseconds' });

export const ClerkActorToken = Type.Object(
  {
    object: Type.Literal('actor_token'),
    id: Type.String(),
    status: Type.String({ enum: ['pending', 'accepted', 'revoked'] }),
    user_id: Type.String(),
    actor: Type.Object({}, { additionalProperties: true }),
    token: Nullable(Type.String({ description: 'Only in the answer to the create (stored as a SHA-256 hash), else null.' })),
    url: Nullable(Type.String({ description: 'The impersonation landing `<PUBLIC_URL>/impersonate?token=...`, only in the answer to the create.' })),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false },
);

export function toClerkActorToken(t: ActorToken, shown?: { token: string; url: string }) {
  return {
    object: 'actor_token' as const,
    id: t.id,
    status: t.status,
    user_id: t.userId,
    actor: t.actor,
    token: shown?.token ?? null,
    url: shown?.url ?? null,
    created_at: t.createdAt.getTime(),
    updated_at: t.updatedAt.getTime(),
  };
}

const one = { 200: ClerkActorToken, ...ERROR_RESPONSES };

/** Clerk Backend API: Actor Tokens, single-use links that open an impersonation session. */
export function actorTokenRoutes(tokens: ActorTokenService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/actor_tokens',
      {
        schema: {
          tags,
          operationId: 'CreateActorToken',
          body: Type.Object(
            {
              user_id: Type.String({ minLength: 1, maxLength: 128 }),
              actor: Type.Object({ sub: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: true, description: 'Who impersonates; copied into the session token as `act`.' }),
              expires_in_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 315360000, default: 3600 })),
              session_max_duration_in_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 315360000, default: 1800 })),
            },
            { additionalProperties: false },
          ),
          response: one,
        },
      },
      async (req) => {
        const b = req.body;
        const made = await tokens.create({ userId: b.user_id, actor: b.actor, expiresInSeconds: b.expires_in_seconds, sessionMaxDurationSeconds: b.session_max_duration_in_seconds });
        return toClerkActorToken(made.record, made);
      },
    );

    app.post(
      '/actor_tokens/:actor_token_id/revoke',
      { schema: { tags, operationId: 'RevokeActorToken', params: IdParam('actor_token_id'), response: one } },
      async (req) => toClerkActorToken(await tokens.revoke(req.params.actor_token_id)),
    );
  };
}
