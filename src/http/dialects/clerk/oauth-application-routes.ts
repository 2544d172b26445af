import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ADMIN_SCOPE, type OAuthApplication, type OAuthApplicationInput, type OAuthApplicationService } from '../../../core/oauth/oauth-applications.ts';
import { INSTANCE_ID } from './instance-mappers.ts';
import { Deleted, IdParam } from './instance-schemas.ts';
import { PageQuery } from './organization-schemas.ts';
import { ERROR_RESPONSES } from './schemas.ts';

const tags = ['OAuth Applications'];

const fields = {
  object: Type.Literal('oauth_application'),
  id: Type.String(),
  instance_id: Type.String(),
  name: Type.String(),
  client_id: Type.String(),
  public: Type.Boolean(),
  scopes: Type.String(),
  callback_url: Type.String(),
  authorize_url: Type.String(),
  token_fetch_url: Type.String(),
  user_info_url: Type.String(),
  discovery_url: Type.String(),
  consent_screen_enabled: Type.Boolean(),
  client_credentials_enabled: Type.Boolean(),
  pkce_required: Type.Boolean(),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
};
const Application = Type.Object(fields, { additionalProperties: false });
const WithSecret = Type.Object(
  { ...fields, client_secret: Type.String({ description: 'Shown only here and on rotate_secret; empty for public applications, which have none.' }) },
  { additionalProperties: false },
);

const Name = Type.String({ minLength: 1, maxLength: 256 });
const CallbackUrl = Type.String({ minLength: 1, maxLength: 2048, description: 'The one redirect URI, matched exactly: https://..., http:// only for localhost, or an app scheme.' });
const Scopes = Type.String({ maxLength: 512, description: `Space-separated, from openid, profile, email, offline_access and ${ADMIN_SCOPE}. Default: openid profile email offline_access.` });
const extensions = {
  public: Type.Optional(Type.Boolean({ description: 'No secret; PKCE with S256 is required. Cannot change after creation.' })),
  scopes: Type.Optional(Scopes),
  consent_screen_enabled: Type.Optional(Type.Boolean({ description: 'false for first-party applications: users are not asked to consent. Default true.' })),
  client_credentials_enabled: Type.Optional(
    Type.Boolean({ description: `Latchkey extension: a confidential application may use the client_credentials grant; with the ${ADMIN_SCOPE} scope its tokens call /v1.` }),
  ),
};

type Body = { name?: string; callback_url?: string; public?: boolean; scopes?: string; consent_screen_enabled?: boolean; client_credentials_enabled?: boolean };

const toInput = (b: Body): OAuthApplicationInput => ({
  name: b.name,
  callbackUrl: b.callback_url,
  public: b.public,
  scopes: b.scopes,
  consentScreenEnabled: b.consent_screen_enabled,
  clientCredentialsEnabled: b.client_credentials_enabled,
});

/** Clerk Backend API: OAuth applications, the OpenID provider's clients. */
export function oauthApplicationRoutes(apps: OAuthApplicationService, issuer: () => string): FastifyPluginAsyncTypebox {
  return async (app) => {
    const present = (a: OAuthApplication) => {
      const base = issuer().replace(/\/+$/, '');
      return {
        object: 'oauth_application' as const,
        id: a.id,
        instance_id: INSTANCE_ID,
        name: a.name,
        client_id: a.clientId,
        public: a.public,
        scopes: a.scopes.join(' '),
        callback_url: a.callbackUrl,
        authorize_url: `${base}/oauth/authorize`,
        token_fetch_url: `${base}/oauth/token`,
        user_info_url: `${base}/oauth/userinfo`,
        discovery_url: `${base}/.well-known/openid-configuration`,
        consent_screen_enabled: a.consentScreenEnabled,
        client_credentials_enabled: a.clientCredentialsEnabled,
        pkce_required: a.public,
        created_at: a.createdAt.getTime(),
        updated_at: a.updatedAt.getTime(),
      };
    };
    const withSecret = (a: OAuthApplication, secret: string | null) => ({ ...present(a), client_secret: secret ?? '' });
    const params = IdParam('oauth_application_id');

    app.get(
      '/oauth_applications',
      {
        schema: {
          tags,
          operationId: 'ListOAuthApplications',
          querystring: Type.Object(PageQuery, { additionalProperties: false }),
          response: { 200: Type.Object({ data: Type.Array(Application), total_count: Type.Integer() }, { additionalProperties: false }), ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const { data, totalCount } = await apps.list({ limit: req.query.limit, offset: req.query.offset });
        return { data: data.map(present), total_count: totalCount };
      },
    );

    app.post(
      '/oauth_applications',
      {
        schema: {
          tags,
          operationId: 'CreateOAuthApplication',
          body: Type.Object({ name: Name, callback_url: CallbackUrl, ...extensions }, { additionalProperties: false }),
          response: { 200: WithSecret, ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const { application, clientSecret } = await apps.create(toInput(req.body));
        return withSecret(application, clientSecret);
      },
    );

    app.get('/oauth_applications/:oauth_application_id', { schema: { tags, operationId: 'GetOAuthApplication', params, response: { 200: Application, ...ERROR_RESPONSES } } }, async (req) =>
      present(await apps.get(req.params.oauth_application_id)),
    );

    app.patch(
      '/oauth_applications/:oauth_application_id',
      {
        schema: {
          tags,
          operationId: 'UpdateOAuthApplication',
          params,
          body: Type.Object({ name: Type.Optional(Name), callback_url: Type.Optional(CallbackUrl), ...extensions }, { additionalProperties: false }),
          response: { 200: Application, ...ERROR_RESPONSES },
        },
      },
      async (req) => present(await apps.update(req.params.oauth_application_id, toInput(req.body))),
    );

    app.delete(
      '/oauth_applications/:oauth_application_id',
      { schema: { tags, operationId: 'DeleteOAuthApplication', params, response: { 200: Deleted('oauth_application'), ...ERROR_RESPONSES } } },
      async (req) => {
        const removed = await apps.delete(req.params.oauth_application_id);
        return { object: 'oauth_application' as const, id: removed.id, deleted: true };
      },
    );

    app.post(
      '/oauth_applications/:oauth_application_id/rotate_secret',
      { schema: { tags, operationId: 'RotateOAuthApplicationSecret', params, response: { 200: WithSecret, ...ERROR_RESPONSES } } },
      async (req) => {
        const { application, clientSecret } = await apps.rotateSecret(req.params.oauth_application_id);
        return withSecret(application, clientSecret);
      },
    );
  };
}
