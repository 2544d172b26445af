import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CLOCK_SKEW, type JwtTemplateInput, type JwtTemplateService, LIFETIME, TEMPLATE_ALGORITHMS } from '../../../core/tokens/jwt-templates.ts';
import type { JwtTemplate } from '../../../core/tokens/token-store.ts';
import { Deleted, Paginated } from './instance-schemas.ts';
import { ERROR_RESPONSES, Nullable } from './schemas.ts';

const tags = ['JWT Templates'];

const ClerkJwtTemplate = Type.Object(
  {
    object: Type.Literal('jwt_template'),
    id: Type.String(),
    name: Type.String(),
    claims: Type.Object({}, { additionalProperties: true }),
    lifetime: Type.Integer(),
    allowed_clock_skew: Type.Integer(),
    custom_signing_key: Type.Boolean(),
    signing_algorithm: Type.String(),
    created_at: Type.Integer({ description: 'Unix time in milliseconds' }),
    updated_at: Type.Integer({ description: 'Unix time in milliseconds' }),
  },
  { additionalProperties: false, description: 'The signing key itself is never returned.' },
);

/** Clerk's spec, down to `signing_key` never coming back. */
function toClerkJwtTemplate(t: JwtTemplate) {
  return {
    object: 'jwt_template' as const,
    id: t.id,
    name: t.name,
    claims: t.claims,
    lifetime: t.lifetime,
    allowed_clock_skew: t.allowedClockSkew,
    custom_signing_key: t.customSigningKey,
    signing_algorithm: t.signingAlgorithm,
    created_at: t.createdAt.getTime(),
    updated_at: t.updatedAt.getTime(),
  };
}

const fields = {
  name: Type.String({ minLength: 1, maxLength: 128, description: 'Unique. Letters, digits, `_`, `-`, `.`, `~`: it is a path segment of `POST /v1/sessions/{id}/tokens/{template_name}`.' }),
  claims: Type.Object({}, { additionalProperties: true, description: 'Claim values may hold shortcodes such as `{{user.id}}`, `{{user.public_metadata.role || \'member\'}}`. The reserved claims sid, sub, iss, iat, nbf, exp, azp and act cannot be set.' }),
  lifetime: Type.Optional(Nullable(Type.Number({ minimum: LIFETIME.min, maximum: LIFETIME.max, description: `Seconds; default ${LIFETIME.default}.` }))),
  allowed_clock_skew: Type.Optional(Nullable(Type.Number({ minimum: CLOCK_SKEW.min, maximum: CLOCK_SKEW.max, description: `Seconds \`nbf\` is set before \`iat\`; default ${CLOCK_SKEW.default}.` }))),
  custom_signing_key: Type.Optional(Type.Boolean()),
  signing_algorithm: Type.Optional(Nullable(Type.String({ enum: TEMPLATE_ALGORITHMS, description: 'With `custom_signing_key`.' }))),
  signing_key: Type.Optional(Nullable(Type.String({ maxLength: 16384, description: 'With `custom_signing_key`: a PEM private key (RS*, ES256) or a secret (HS*, at least as many bytes as the hash). Stored encrypted, never returned.' }))),
};

const CreateBody = Type.Object(fields, { additionalProperties: false });
const UpdateBody = Type.Object({ ...fields, name: Type.Optional(fields.name), claims: Type.Optional(fields.claims) }, { additionalProperties: false });
const TemplateId = Type.Object({ template_id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });

function input(b: Partial<Record<keyof typeof fields, unknown>>): JwtTemplateInput {
  return {
    name: b.name as string | undefined,
    claims: b.claims as Record<string, unknown> | undefined,
    lifetime: b.lifetime as number | null | undefined,
    allowedClockSkew: b.allowed_clock_skew as number | null | undefined,
    customSigningKey: b.custom_signing_key as boolean | undefined,
    signingAlgorithm: b.signing_algorithm as string | null | undefined,
    signingKey: b.signing_key as string | null | undefined,
  };
}

const one = { 200: ClerkJwtTemplate, ...ERROR_RESPONSES };

/** Clerk Backend API: JWT templates, named claim sets that session tokens can be minted from. */
export function jwtTemplateRoutes(templates: JwtTemplateService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/jwt_templates',
      {
        schema: {
          tags,
          operationId: 'ListJWTTemplates',
          querystring: Type.Object(
            { paginated: Paginated, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 10 })), offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Union([Type.Array(ClerkJwtTemplate), Type.Object({ data: Type.Array(ClerkJwtTemplate), total_count: Type.Integer() }, { additionalProperties: false })]), ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const { data, totalCount } = await templates.list({ limit: req.query.limit ?? 10, offset: req.query.offset ?? 0 });
        const mapped = data.map(toClerkJwtTemplate);
        return req.query.paginated ? { data: mapped, total_count: totalCount } : mapped;
      },
    );

    app.post('/jwt_templates', { schema: { tags, operationId: 'CreateJWTTemplate', body: CreateBody, response: one } }, async (req) => toClerkJwtTemplate(await templates.create(input(req.body))));

    app.get('/jwt_templates/:template_id', { schema: { tags, operationId: 'GetJWTTemplate', params: TemplateId, response: one } }, async (req) => toClerkJwtTemplate(await templates.get(req.params.template_id)));

    app.patch(
      '/jwt_templates/:template_id',
      { schema: { tags, operationId: 'UpdateJWTTemplate', params: TemplateId, body: UpdateBody, response: one } },
      async (req) => toClerkJwtTemplate(await templates.update(req.params.template_id, input(req.body))),
    );

    app.delete('/jwt_templates/:template_id', { schema: { tags, operationId: 'DeleteJWTTemplate', params: TemplateId, response: { 200: Deleted('jwt_template'), ...ERROR_RESPONSES } } }, async (req) => {
      await templates.delete(req.params.template_id);
      return { object: 'jwt_template' as const, id: req.params.template_id, deleted: true };
    });
  };
}
