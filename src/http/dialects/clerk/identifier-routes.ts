import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { IdentifierService } from '../../../core/users/identifier-service.ts';
import type { Identifier } from '../../../core/users/types.ts';
import { toClerkEmailAddress, toClerkPhoneNumber } from './mappers.ts';
import { DeletedObject, ERROR_RESPONSES, Nullable } from './schemas.ts';

interface Kind {
  /** URL segment and Clerk object name, e.g. email_addresses / email_address. */
  path: 'email_addresses' | 'phone_numbers';
  type: 'email_address' | 'phone_number';
  tag: string;
  ref: string;
  ops: { create: string; get: string; update: string; delete: string };
  map: (i: Identifier, now: Date) => unknown;
}

const KINDS: Kind[] = [
  {
    path: 'email_addresses',
    type: 'email_address',
    tag: 'Email Addresses',
    ref: 'ClerkEmailAddress',
    ops: { create: 'CreateEmailAddress', get: 'GetEmailAddress', update: 'UpdateEmailAddress', delete: 'DeleteEmailAddress' },
    map: toClerkEmailAddress,
  },
  {
    path: 'phone_numbers',
    type: 'phone_number',
    tag: 'Phone Numbers',
    ref: 'ClerkPhoneNumber',
    ops: { create: 'CreatePhoneNumber', get: 'GetPhoneNumber', update: 'UpdatePhoneNumber', delete: 'DeletePhoneNumber' },
    map: toClerkPhoneNumber,
  },
];

const Flags = { verified: Type.Optional(Nullable(Type.Boolean())), primary: Type.Optional(Nullable(Type.Boolean())) };

/** Clerk Backend API: Email Addresses and Phone Numbers, which share one shape of routes. */
export function identifierRoutes(identifiers: IdentifierService, now: () => Date): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const k of KINDS) {
      const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
      const one = { 200: Type.Ref(k.ref), ...ERROR_RESPONSES };
      const CreateBody = Type.Object(
        { user_id: Type.String({ minLength: 1, maxLength: 128 }), [k.type]: Type.String({ minLength: 1, maxLength: 320 }), ...Flags },
        { additionalProperties: false, required: ['user_id', k.type] },
      );

      app.post(`/${k.path}`, { schema: { tags: [k.tag], operationId: k.ops.create, body: CreateBody, response: one } }, async (req) => {
        const b = req.body as Record<string, any>;
        return k.map(await identifiers.add({ userId: b.user_id, type: k.type, value: b[k.type], verified: b.verified, primary: b.primary }), now());
      });

      app.get(`/${k.path}/:id`, { schema: { tags: [k.tag], operationId: k.ops.get, params: Params, response: one } }, async (req) =>
        k.map(await identifiers.get(req.params.id, k.type), now()),
      );

      app.patch(
        `/${k.path}/:id`,
        { schema: { tags: [k.tag], operationId: k.ops.update, params: Params, body: Type.Object(Flags, { additionalProperties: false }), response: one } },
        async (req) => k.map(await identifiers.update(req.params.id, k.type, req.body), now()),
      );

      app.delete(
        `/${k.path}/:id`,
        { schema: { tags: [k.tag], operationId: k.ops.delete, params: Params, response: { 200: DeletedObject, ...ERROR_RESPONSES } } },
        async (req) => {
          await identifiers.delete(req.params.id, k.type);
          return { object: k.type, id: req.params.id, deleted: true };
        },
      );
    }
  };
}
