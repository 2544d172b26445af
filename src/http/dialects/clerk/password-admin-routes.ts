import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { PasswordReset } from '../../../core/verification/password-reset.ts';
import type { UserService } from '../../../core/users/user-service.ts';
import type { User } from '../../../core/users/types.ts';
import type { ClerkUserJson } from './mappers.ts';
import { ERROR_RESPONSES, UserId } from './schemas.ts';

/**
 * Latchkey's extension beside Clerk's password routes: an administrator sets a temporary
 * password, under the password policy, that the user must change at the next sign-in
 * (Keycloak's "temporary" reset).
 */
export function passwordAdminRoutes(reset: PasswordReset, users: UserService, present: (u: User) => ClerkUserJson): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/users/:user_id/password/temporary',
      {
        schema: {
          tags: ['Users'],
          operationId: 'SetTemporaryPassword',
          description: 'Latchkey extension: sets a temporary password the user must change at the next sign-in.',
          params: UserId,
          body: Type.Object({ password: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
          response: { 200: Type.Ref('ClerkUser'), ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        await reset.setTemporary(req.params.user_id, req.body.password);
        return present(await users.get(req.params.user_id));
      },
    );
  };
}
