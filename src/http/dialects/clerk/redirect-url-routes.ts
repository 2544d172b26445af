import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { RedirectUrlService } from '../../../core/instance/redirect-urls.ts';
import { toClerkRedirectUrl } from './instance-mappers.ts';
import { Deleted, IdParam, Paginated, listOrPage } from './instance-schemas.ts';
import { ERROR_RESPONSES } from './schemas.ts';

const tags = ['Redirect URLs'];
const one = { 200: Type.Ref('ClerkRedirectUrl'), ...ERROR_RESPONSES };

/** Clerk Backend API: Redirect URLs, the targets the hosted pages may send users to. */
export function redirectUrlRoutes(redirects: RedirectUrlService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/redirect_urls',
      { schema: { tags, operationId: 'ListRedirectURLs', querystring: Type.Object({ paginated: Paginated }, { additionalProperties: false }), response: listOrPage('ClerkRedirectUrl') } },
      async (req) => {
        const data = (await redirects.list()).map(toClerkRedirectUrl);
        return req.query.paginated ? { data, total_count: data.length } : data;
      },
    );

    app.post(
      '/redirect_urls',
      {
        schema: {
          tags,
          operationId: 'CreateRedirectURL',
          body: Type.Object(
            { url: Type.String({ minLength: 1, maxLength: 2048, description: 'https://..., http:// only for localhost, or an app scheme such as my-app://callback. Unique.' }) },
            { additionalProperties: false },
          ),
          response: one,
        },
      },
      async (req) => toClerkRedirectUrl(await redirects.create(req.body.url)),
    );

    app.get('/redirect_urls/:id', { schema: { tags, operationId: 'GetRedirectURL', params: IdParam('id'), response: one } }, async (req) => toClerkRedirectUrl(await redirects.get(req.params.id)));

    app.delete('/redirect_urls/:id', { schema: { tags, operationId: 'DeleteRedirectURL', params: IdParam('id'), response: { 200: Deleted('redirect_url'), ...ERROR_RESPONSES } } }, async (req) => {
      const removed = await redirects.delete(req.params.id);
      return { object: 'redirect_url' as const, id: removed.id, deleted: true };
    });
  };
}
