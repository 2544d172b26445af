import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DomainError } from '../../../core/errors.ts';
import type { IdentifierService } from '../../../core/users/identifier-service.ts';
import type { UserService } from '../../../core/users/user-service.ts';
import { toClerkEmailAddress, toClerkPhoneNumber } from './mappers.ts';
import type { ClerkUserJson } from './mappers.ts';
import type { User } from '../../../core/users/types.ts';
import { DeletedObject, ERROR_RESPONSES, Metadata, UserId } from './schemas.ts';

/**
 * User operations the official SDK calls that the published spec does not list: full metadata
 * replacement, password removal and compromise flags, identifier replacement, and the
 * sub-resources Latchkey has none of yet.
 */
export function userExtrasRoutes(users: UserService, identifiers: IdentifierService, present: (u: User) => ClerkUserJson): FastifyPluginAsyncTypebox {
  return async (app) => {
    const user = { 200: Type.Ref('ClerkUser'), ...ERROR_RESPONSES };
    const SubParams = (name: string) =>
      Type.Object({ user_id: Type.String({ minLength: 1, maxLength: 128 }), [name]: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });

    app.put(
      '/users/:user_id/metadata',
      {
        schema: {
          tags: ['Users'],
          operationId: 'ReplaceUserMetadata',
          params: UserId,
          body: Type.Object(
            { public_metadata: Type.Optional(Metadata), private_metadata: Type.Optional(Metadata), unsafe_metadata: Type.Optional(Metadata) },
            { additionalProperties: false },
          ),
          response: user,
        },
      },
      async (req) => {
        const b = req.body;
        return present(await users.replaceMetadata(req.params.user_id, { publicMetadata: b.public_metadata, privateMetadata: b.private_metadata, unsafeMetadata: b.unsafe_metadata }));
      },
    );

    app.post(
      '/users/:user_id/remove_password',
      { schema: { tags: ['Users'], operationId: 'RemoveUserPassword', params: UserId, body: Type.Object({ sign_out_of_other_sessions: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), response: user } },
      async (req) => present(await users.removePassword(req.params.user_id)),
    );

    app.post(
      '/users/:user_id/password/set_compromised',
      { schema: { tags: ['Users'], operationId: 'SetUserPasswordCompromised', params: UserId, body: Type.Object({ revoke_all_sessions: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), response: user } },
      async (req) => present(await users.setPasswordCompromised(req.params.user_id, true)),
    );
    app.post(
      '/users/:user_id/password/unset_compromised',
      { schema: { tags: ['Users'], operationId: 'UnsetUserPasswordCompromised', params: UserId, response: user } },
      async (req) => present(await users.setPasswordCompromised(req.params.user_id, false)),
    );

    app.put(
      '/users/:user_id/email_address',
      { schema: { tags: ['Users'], operationId: 'ReplaceUserEmailAddress', params: UserId, body: Type.Object({ email_address: Type.String({ minLength: 1, maxLength: 320 }) }, { additionalProperties: false }), response: { 200: Type.Ref('ClerkEmailAddress'), ...ERROR_RESPONSES } } },
      async (req) => toClerkEmailAddress(await identifiers.replace(req.params.user_id, 'email_address', req.body.email_address), new Date()),
    );
    app.put(
      '/users/:user_id/phone_number',
      { schema: { tags: ['Users'], operationId: 'ReplaceUserPhoneNumber', params: UserId, body: Type.Object({ phone_number: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }), response: { 200: Type.Ref('ClerkPhoneNumber'), ...ERROR_RESPONSES } } },
      async (req) => toClerkPhoneNumber(await identifiers.replace(req.params.user_id, 'phone_number', req.body.phone_number), new Date()),
    );

    app.delete(
      '/users/:user_id/web3_wallets/:web3_wallet_identification_id',
      { schema: { tags: ['Users'], operationId: 'DeleteUserWeb3Wallet', params: SubParams('web3_wallet_identification_id'), response: { 200: DeletedObject, ...ERROR_RESPONSES } } },
      async (req) => {
        const { user_id, web3_wallet_identification_id: id } = req.params as Record<string, string>;
        await identifiers.delete(id, 'web3_wallet', user_id);
        return { object: 'web3_wallet', id, deleted: true };
      },
    );

    // Latchkey stores no passkeys or external accounts yet, so none can be found to delete.
    for (const [segment, param] of [['passkeys', 'passkey_identification_id'], ['external_accounts', 'external_account_id']] as const) {
      app.delete(`/users/:user_id/${segment}/:${param}`, { schema: { tags: ['Users'], params: SubParams(param), response: { 200: DeletedObject, ...ERROR_RESPONSES } } }, async (req) => {
        const params = req.params as Record<string, string>;
        await users.get(params.user_id);
        throw new DomainError('identifier_not_found', `No ${segment.replace(/s$/, '').replace('_', ' ')} ${params[param]} on this user.`, { param });
      });
    }
  };
}
