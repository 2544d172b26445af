import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SignInToken } from '../../../core/sign-in-tokens/types.ts';
import type { SignInTokenService } from '../../../core/sign-in-tokens/ticket-service.ts';
import { IdParam } from './instance-schemas.ts';
import { ERROR_RESPONSES } from './schemas.ts';

const tags = ['Sign-in Tokens'];
const Timestamp = Type.Integer({ description: 'Unix time in milliseconds' });

export const ClerkSignInToken = Type.Object(
  {
    object: Type.Literal('sign_in_token'),
    id: Type.String(),
    status: Type.String({ enum: ['pending', 'accepted', 'revoked'] }),
    user_id: Type.String(),
    token: Type.Optional(Type.String({ description: 'Only in the answer to the create: it is stored as a SHA-256 hash and never shown again.' })),
    url: Type.Optional(Type.String({ description: 'The ticket landing `<PUBLIC_URL>/sign-in/ticket?token=...`, only in the answer to the create.' })),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false },
);

export function toClerkSignInToken(t: SignInToken, shown?: { token: string; url: string }) {
  return {
    object: 'sign_in_token' as const,
    id: t.id,
    status: t.status,
    user_id: t.userId,
    ...(shown ? { token: shown.token, url: shown.url } : {}),
    created_at: t.createdAt.getTime(),
    updated_at: t.updatedAt.getTime(),
  };
}

const one = { 200: ClerkSignInToken, ...ERROR_RESPONSES };

/** Clerk Backend API: Sign-in Tokens, single-use links that sign a user in on the hosted pages. */
export function signInTokenRoutes(tokens: SignInTokenService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/sign_in_tokens',
      {
        schema: {
          tags,
          operationId: 'CreateSignInToken',
          body: Type.Object(
            {
              user_id: Type.String({ minLength: 1, maxLength: 128 }),
              expires_in_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 315360000, default: 2592000, description: 'Default 30 days.' })),
            },
            { additionalProperties: false },
          ),
          response: one,
        },
      },
      async (req) => {
        const made = await tokens.create({ userId: req.body.user_id, expiresInSeconds: req.body.expires_in_seconds });
        return toClerkSignInToken(made.record, made);
      },
    );

    app.post(
      '/sign_in_tokens/:sign_in_token_id/revoke',
      { schema: { tags, operationId: 'RevokeSignInToken', params: IdParam('sign_in_token_id'), response: one } },
      async (req) => toClerkSignInToken(await tokens.revoke(req.params.sign_in_token_id)),
    );
  };
}
