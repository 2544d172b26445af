import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IMAGE_MAX_BYTES } from '../../../core/images/images.ts';
import type { OrganizationService } from '../../../core/organizations/organization-service.ts';
import { readUploadedFile } from '../../multipart.ts';
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
        return toClerkOrganization(await organizations.uploadLogo(req.params.organization_id, await readUploadedFile(req)), publicUrl());
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
