import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SignUpService } from '../../../core/sign-ups/sign-up-service.ts';
import { toClerkSignUp } from './instance-mappers.ts';
import { IdParam } from './instance-schemas.ts';
import { ERROR_RESPONSES, Nullable } from './schemas.ts';

const one = { 200: Type.Ref('ClerkSignUp'), ...ERROR_RESPONSES };

/** Clerk Backend API: Sign-ups, the registrations the hosted sign-up page has in progress. */
export function signUpRoutes(signUps: SignUpService, now: () => Date): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Called by the official SDK (signUps.get), absent from the published spec.
    app.get('/sign_ups/:id', { schema: { tags: ['Sign-ups'], operationId: 'GetSignUp', params: IdParam('id'), response: one } }, async (req) =>
      toClerkSignUp(await signUps.get(req.params.id), now()),
    );

    app.patch(
      '/sign_ups/:id',
      {
        schema: {
          tags: ['Sign-ups'],
          operationId: 'UpdateSignUp',
          description: 'Only a pending sign-up (`missing_requirements`) can change; a complete or abandoned one answers 403 `sign_up_cannot_be_updated`.',
          params: IdParam('id'),
          body: Type.Object(
            {
              custom_action: Type.Optional(Nullable(Type.Boolean())),
              external_id: Type.Optional(Nullable(Type.String({ maxLength: 1024, description: 'Up to 256 characters; must not be taken by a user.' }))),
            },
            { additionalProperties: false },
          ),
          response: one,
        },
      },
      async (req) => {
        const b = req.body ?? {};
        return toClerkSignUp(await signUps.update(req.params.id, { externalId: b.external_id, customAction: b.custom_action }), now());
      },
    );
  };
}
