import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { OutboxService } from '../../../core/delivery/outbox-service.ts';
import { toClerkEmail, toClerkSmsMessage } from './delivery-mappers.ts';
import { ERROR_RESPONSES, Nullable } from './schemas.ts';

const Id = Type.String({ minLength: 1, maxLength: 128 });

export const ClerkEmail = Type.Object(
  {
    object: Type.Literal('email'),
    id: Type.String(),
    slug: Nullable(Type.String()),
    from_email_name: Type.String(),
    email_address_id: Nullable(Type.String()),
    to_email_address: Type.String(),
    user_id: Nullable(Type.String()),
    subject: Type.String(),
    body: Type.String(),
    body_plain: Nullable(Type.String()),
    status: Type.String({ enum: ['queued', 'sending', 'sent', 'failed', 'undelivered'] }),
    data: Nullable(Type.Object({}, { additionalProperties: true })),
    delivered_by_clerk: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const ClerkSmsMessage = Type.Object(
  {
    object: Type.Literal('sms_message'),
    id: Type.String(),
    slug: Nullable(Type.String()),
    from_phone_number: Type.String(),
    to_phone_number: Type.String(),
    phone_number_id: Nullable(Type.String()),
    user_id: Nullable(Type.String()),
    message: Type.String(),
    status: Type.String({ enum: ['queued', 'sending', 'sent', 'failed', 'undelivered'] }),
    data: Nullable(Type.Object({}, { additionalProperties: true })),
    delivered_by_clerk: Type.Boolean(),
  },
  { additionalProperties: false },
);

const CreateEmailBody = Type.Object(
  {
    from_email_name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$' })),
    subject: Type.Optional(Nullable(Type.String({ maxLength: 998 }))),
    body: Type.Optional(Nullable(Type.String({ maxLength: 512 * 1024 }))),
    email_address_id: Type.Optional(Nullable(Id)),
    template_slug: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
  },
  { additionalProperties: false },
);

const CreateSmsBody = Type.Object(
  {
    // Twilio's limit for one message, split into segments by the carrier.
    message: Type.Optional(Nullable(Type.String({ maxLength: 1600 }))),
    phone_number_id: Type.Optional(Id),
  },
  { additionalProperties: false },
);

/**
 * Clerk Backend API: Emails and SMS Messages. Both enqueue in the outbox and answer at once; the
 * `status` is the outbox row's (`queued` until the worker has sent it).
 */
export function messageRoutes(outbox: OutboxService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/emails',
      { schema: { tags: ['Emails'], operationId: 'CreateEmail', body: CreateEmailBody, response: { 200: ClerkEmail, ...ERROR_RESPONSES } } },
      async (req) =>
        toClerkEmail(
          await outbox.sendEmail({
            emailAddressId: req.body.email_address_id,
            subject: req.body.subject,
            body: req.body.body,
            templateSlug: req.body.template_slug,
            fromEmailName: req.body.from_email_name,
          }),
        ),
    );

    app.post(
      '/sms_messages',
      { schema: { tags: ['SMS Messages'], operationId: 'CreateSMSMessage', body: CreateSmsBody, response: { 200: ClerkSmsMessage, ...ERROR_RESPONSES } } },
      async (req) => toClerkSmsMessage(await outbox.sendSms({ phoneNumberId: req.body.phone_number_id, message: req.body.message })),
    );
  };
}
