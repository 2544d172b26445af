import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ERROR_RESPONSES } from './schemas.ts';

const tags = ['Miscellaneous'];

function featureNotEnabled(longMessage: string) {
  return { errors: [{ message: 'feature not enabled', long_message: longMessage, code: 'feature_not_enabled' }] };
}

/**
 * Clerk's public endpoints (no secret key, as in the spec). A self-hosted server has no demo
 * instances to hand out and no clerk.js to load, so both answer 400 `feature_not_enabled`.
 */
export function publicRoutes(): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/public/demo_instance',
      { config: { public: true }, schema: { tags, operationId: 'CreateDemoInstance', description: 'Always 400 `feature_not_enabled`: a self-hosted server creates no demo instances.', response: ERROR_RESPONSES } },
      async (_req, reply) => reply.code(400).send(featureNotEnabled('Latchkey is self-hosted: it creates no demo instances. Create a secret key with `latchkey keys create`.')),
    );

    app.get(
      '/public/interstitial',
      {
        config: { public: true },
        schema: {
          tags,
          operationId: 'GetPublicInterstitial',
          description: 'Always 400 `feature_not_enabled`: Latchkey serves no clerk.js and so no interstitial page.',
          querystring: Type.Object({ frontendApi: Type.Optional(Type.String({ maxLength: 512 })), publishable_key: Type.Optional(Type.String({ maxLength: 512 })) }, { additionalProperties: false }),
          response: ERROR_RESPONSES,
        },
      },
      async (_req, reply) => reply.code(400).send(featureNotEnabled('Latchkey serves no clerk.js, so it has no interstitial page.')),
    );
  };
}
