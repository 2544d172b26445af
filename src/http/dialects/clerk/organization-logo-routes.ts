import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DomainError } from '../../../core/errors.ts';
import { IMAGE_MAX_BYTES } from '../../../core/images/images.ts';
import type { OrganizationService } from '../../../core/organizations/organization-service.ts';
import { toClerkOrganization } from './organization-mappers.ts';
import { OrganizationId, organizationResponse } from './organization-schemas.ts';

/** An organization's logo: multipart upload (field `file`), checked by content, and removal. */
export function organizationLogoRoutes(organizations: OrganizationService, publicUrl: () => string): FastifyPluginAsyncTypebox {
  return async (app) => {
    // uploader_user_id is the only other field the SDK sends.
    await app.register(multipart, { limits: { fileSize: IMAGE_MAX_BYTES, files: 1, fields: 4, parts: 5 }, throwFileSizeLimit: true });
    const response = { ...organizationResponse, 413: Type.Ref('ClerkErrors') };

    app.put(
      '/organizations/:organization_id/logo',
      { schema: { tags: ['Organizations'], operationId: 'UploadOrganizationLogo', params: OrganizationId, consumes: ['multipart/form-data'], response } },
      async (req) => {
        if (!req.isMultipart()) throw new DomainError('invalid_param', 'Send the logo as multipart/form-data in a field named file.', { param: 'file' });
        // Parts come in the order sent; the SDK sends the file first, others may not.
        for await (const part of req.parts()) {
          if (part.type === 'file' && part.fieldname === 'file') {
            return toClerkOrganization(await organizations.uploadLogo(req.params.organization_id, await part.toBuffer()), publicUrl());
          }
          if (part.type === 'file') await part.toBuffer();
        }
        throw new DomainError('param_missing', 'A file field is required.', { param: 'file' });
      },
    );

    // Called by the official SDK (deleteOrganizationLogo), absent from the published spec.
    app.delete(
      '/organizations/:organization_id/logo',
      { schema: { tags: ['Organizations'], operationId: 'DeleteOrganizationLogo', params: OrganizationId, response: organizationResponse } },
      async (req) => toClerkOrganization(await organizations.removeLogo(req.params.organization_id), publicUrl()),
    );
  };
}
