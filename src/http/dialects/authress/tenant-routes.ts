import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { TenantLinkService } from '../../../core/organizations/tenant-links.ts';
import { TenantIdSchema, UserIdSchema } from './users-routes.ts';

const TenantUser = Type.Object({ userId: UserIdSchema }, { additionalProperties: false });

/** Authress's tenant user link: a tenant is a Latchkey organization, `tenantId` its id. */
export function authressTenantRoutes(tenantLinks: TenantLinkService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.patch(
      '/tenants/:tenantId/users',
      { schema: { tags: ['Authress'], params: Type.Object({ tenantId: TenantIdSchema }, { additionalProperties: false }), body: TenantUser } },
      async (req, reply) => {
        await tenantLinks.link(req.params.tenantId, req.body.userId);
        return reply.code(204).send();
      },
    );
  };
}
