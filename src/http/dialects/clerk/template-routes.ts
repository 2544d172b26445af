import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { TemplateService } from '../../../core/delivery/template-service.ts';
import { toClerkTemplate, toClerkTemplatePreview } from './delivery-mappers.ts';
import { ERROR_RESPONSES, Nullable } from './schemas.ts';

const TemplateType = Type.String({ enum: ['email', 'sms'] });
const TypeParams = Type.Object({ template_type: TemplateType }, { additionalProperties: false });
const SlugParams = Type.Object({ template_type: TemplateType, slug: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const FromEmailName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$' });
const Source = { maxLength: 256 * 1024 };

export const ClerkTemplate = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('template'),
    instance_id: Nullable(Type.String()),
    resource_type: Type.String(),
    template_type: Type.String(),
    name: Type.String(),
    slug: Type.String(),
    position: Type.Integer(),
    can_revert: Type.Boolean(),
    can_delete: Type.Boolean(),
    subject: Nullable(Type.String()),
    markup: Type.String(),
    body: Type.String(),
    available_variables: Type.Array(Type.String()),
    required_variables: Type.Array(Type.String()),
    from_email_name: Type.Optional(Type.String()),
    delivered_by_clerk: Type.Boolean(),
    updated_at: Type.Integer(),
    created_at: Type.Integer(),
  },
  { additionalProperties: false },
);

const UpsertBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    subject: Type.Optional(Nullable(Type.String({ maxLength: 998 }))),
    markup: Type.Optional(Nullable(Type.String(Source))),
    body: Type.Optional(Type.String({ minLength: 1, ...Source })),
    delivered_by_clerk: Type.Optional(Nullable(Type.Boolean())),
    from_email_name: Type.Optional(FromEmailName),
  },
  { additionalProperties: false },
);

const PreviewBody = Type.Object(
  {
    subject: Type.Optional(Nullable(Type.String({ maxLength: 998 }))),
    body: Type.Optional(Type.String({ minLength: 1, ...Source })),
    from_email_name: Type.Optional(FromEmailName),
  },
  { additionalProperties: false },
);

const Preview = Type.Object(
  { subject: Nullable(Type.String()), body: Type.String(), body_plain: Nullable(Type.String()), from_email_name: Nullable(Type.String()) },
  { additionalProperties: false },
);

const tags = ['Email & SMS Templates'];
const one = { 200: ClerkTemplate, ...ERROR_RESPONSES };

/** Clerk Backend API: Email & SMS Templates, over Latchkey's system messages. */
export function templateRoutes(templates: TemplateService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/templates/:template_type',
      { schema: { tags, operationId: 'GetTemplateList', params: TypeParams, response: { 200: Type.Array(ClerkTemplate), ...ERROR_RESPONSES } } },
      async (req) => (await templates.list(req.params.template_type as 'email' | 'sms')).map(toClerkTemplate),
    );

    app.get('/templates/:template_type/:slug', { schema: { tags, operationId: 'GetTemplate', params: SlugParams, response: one } }, async (req) =>
      toClerkTemplate(await templates.get(req.params.template_type as 'email' | 'sms', req.params.slug)),
    );

    app.put('/templates/:template_type/:slug', { schema: { tags, operationId: 'UpsertTemplate', params: SlugParams, body: UpsertBody, response: one } }, async (req) => {
      const b = req.body;
      const t = await templates.update(req.params.template_type as 'email' | 'sms', req.params.slug, {
        name: b.name,
        subject: b.subject,
        markup: b.markup,
        body: b.body,
        deliveredByClerk: b.delivered_by_clerk,
        fromEmailName: b.from_email_name,
      });
      return toClerkTemplate(t);
    });

    app.post('/templates/:template_type/:slug/revert', { schema: { tags, operationId: 'RevertTemplate', params: SlugParams, response: one } }, async (req) =>
      toClerkTemplate(await templates.revert(req.params.template_type as 'email' | 'sms', req.params.slug)),
    );

    app.post(
      '/templates/:template_type/:slug/preview',
      { schema: { tags, operationId: 'PreviewTemplate', params: SlugParams, body: PreviewBody, response: { 200: Preview, ...ERROR_RESPONSES } } },
      async (req) => {
        const b = req.body;
        const p = await templates.preview(req.params.template_type as 'email' | 'sms', req.params.slug, { subject: b.subject, body: b.body, fromEmailName: b.from_email_name });
        return toClerkTemplatePreview(p);
      },
    );
  };
}
