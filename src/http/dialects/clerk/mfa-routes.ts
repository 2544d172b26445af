import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MfaService } from '../../../core/credentials/mfa.ts';
import { ERROR_RESPONSES, UserId } from './schemas.ts';

const UserIdResponse = { 200: Type.Object({ user_id: Type.String() }, { additionalProperties: false }), ...ERROR_RESPONSES };

/** Clerk's second-factor operations on a user: verify a code, remove TOTP, backup codes, or both. */
export function mfaRoutes(mfa: MfaService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/users/:user_id/verify_totp',
      {
        schema: {
          tags: ['Users'],
          operationId: 'VerifyTOTP',
          params: UserId,
          body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
          response: { 200: Type.Object({ verified: Type.Boolean(), code_type: Type.String({ enum: ['totp', 'backup_code'] }) }, { additionalProperties: false }), ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const { codeType } = await mfa.verify(req.params.user_id, req.body.code);
        return { verified: true, code_type: codeType };
      },
    );

    app.delete('/users/:user_id/mfa', { schema: { tags: ['Users'], operationId: 'DisableMFA', params: UserId, response: UserIdResponse } }, async (req) => {
      await mfa.disableAll(req.params.user_id);
      return { user_id: req.params.user_id };
    });
    app.delete('/users/:user_id/totp', { schema: { tags: ['Users'], operationId: 'DeleteTOTP', params: UserId, response: UserIdResponse } }, async (req) => {
      await mfa.deleteTotp(req.params.user_id);
      return { user_id: req.params.user_id };
    });
    app.delete('/users/:user_id/backup_code', { schema: { tags: ['Users'], operationId: 'DeleteBackupCode', params: UserId, response: UserIdResponse } }, async (req) => {
      await mfa.deleteBackupCodes(req.params.user_id);
      return { user_id: req.params.user_id };
    });
  };
}
