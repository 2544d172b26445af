import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IMAGE_MAX_BYTES } from '../../../core/images/images.ts';
import type { ProfileImageService } from '../../../core/users/profile-images.ts';
import type { User } from '../../../core/users/types.ts';
import { readUploadedFile } from '../../multipart.ts';
import type { ClerkUserJson } from './mappers.ts';
import { ERROR_RESPONSES, UserId } from './schemas.ts';

/** Clerk's profile image upload (multipart, field `file`) and removal. */
export function profileImageRoutes(images: ProfileImageService, present: (u: User) => ClerkUserJson): FastifyPluginAsyncTypebox {
  return async (app) => {
    await app.register(multipart, { limits: { fileSize: IMAGE_MAX_BYTES, files: 1, fields: 4, parts: 5 }, throwFileSizeLimit: true });
    const user = { 200: Type.Ref('ClerkUser'), 413: Type.Ref('ClerkErrors'), ...ERROR_RESPONSES };

    app.post('/users/:user_id/profile_image', { schema: { tags: ['Users'], operationId: 'SetUserProfileImage', params: UserId, consumes: ['multipart/form-data'], response: user } }, async (req) => {
      return present(await images.upload(req.params.user_id, await readUploadedFile(req)));
    });

    app.delete('/users/:user_id/profile_image', { schema: { tags: ['Users'], operationId: 'DeleteUserProfileImage', params: UserId, response: user } }, async (req) =>
      present(await images.remove(req.params.user_id)),
    );
  };
}
