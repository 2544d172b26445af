import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MembershipService } from '../../../core/organizations/membership-service.ts';
import type { OrganizationService } from '../../../core/organizations/organization-service.ts';
import type { Membership, MembershipFilter, MembershipOrder } from '../../../core/organizations/types.ts';
import type { UserService } from '../../../core/users/user-service.ts';
import { roleKeyFromClerk, toClerkMembership } from './organization-mappers.ts';
import { MembershipParams, MetadataBody, OrganizationId, PageQuery, StringList, membershipResponse, membershipsResponse, parseOrderBy } from './organization-schemas.ts';
import { UserId } from './schemas.ts';

const tags = ['Organization Memberships'];
/** `admin` / `basic_member` (the spec) or a role key such as `org:admin` (Clerk's current API). */
const Role = Type.String({ minLength: 1, maxLength: 64 });
const OrderBy = (fields: string) => Type.String({ pattern: `^[+-]?(${fields})$`, default: '-created_at' });

const OrgListQuery = Type.Object(
  {
    ...PageQuery,
    // Beyond the published spec, as the official SDK sends them.
    order_by: OrderBy('created_at|first_name|last_name|username'),
    user_id: Type.Optional(StringList),
    role: Type.Optional(Type.Array(Role, { maxItems: 100 })),
    query: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

export interface MembershipRoutesDeps {
  memberships: MembershipService;
  organizations: OrganizationService;
  users: UserService;
  publicUrl: () => string;
}

/** Clerk Backend API: Organization Memberships, and the user's own list of memberships. */
export function membershipRoutes(deps: MembershipRoutesDeps): FastifyPluginAsyncTypebox {
  const { memberships } = deps;
  const present = (m: Membership) => toClerkMembership(m, deps.publicUrl());

  async function page(filter: MembershipFilter, order: MembershipOrder, limit: number, offset: number) {
    const [data, total] = await Promise.all([memberships.list(filter, order, { limit, offset }), memberships.count(filter)]);
    return { data: data.map(present), total_count: total };
  }

  return async (app) => {
    app.post(
      '/organizations/:organization_id/memberships',
      {
        schema: {
          tags,
          operationId: 'CreateOrganizationMembership',
          params: OrganizationId,
          body: Type.Object({ user_id: Type.String({ minLength: 1, maxLength: 128 }), role: Role }, { additionalProperties: false }),
          response: membershipResponse,
        },
      },
      async (req) => present(await memberships.create(req.params.organization_id, req.body.user_id, roleKeyFromClerk(req.body.role))),
    );

    app.get(
      '/organizations/:organization_id/memberships',
      { schema: { tags, operationId: 'ListOrganizationMemberships', params: OrganizationId, querystring: OrgListQuery, response: membershipsResponse } },
      async (req) => {
        const q = req.query;
        // An unknown organization is a 404, not an empty list.
        const org = await deps.organizations.get(req.params.organization_id);
        const filter = { organizationId: org.id, userIds: q.user_id, roles: q.role?.map(roleKeyFromClerk), query: q.query };
        return page(filter, parseOrderBy<MembershipOrder['field']>(q.order_by), q.limit, q.offset);
      },
    );

    app.patch(
      '/organizations/:organization_id/memberships/:user_id',
      {
        schema: {
          tags,
          operationId: 'UpdateOrganizationMembership',
          params: MembershipParams,
          body: Type.Object({ role: Role }, { additionalProperties: false }),
          response: membershipResponse,
        },
      },
      async (req) => present(await memberships.updateRole(req.params.organization_id, req.params.user_id, roleKeyFromClerk(req.body.role))),
    );

    app.delete(
      '/organizations/:organization_id/memberships/:user_id',
      { schema: { tags, operationId: 'DeleteOrganizationMembership', params: MembershipParams, response: membershipResponse } },
      async (req) => present(await memberships.delete(req.params.organization_id, req.params.user_id)),
    );

    app.patch(
      '/organizations/:organization_id/memberships/:user_id/metadata',
      { schema: { tags, operationId: 'UpdateOrganizationMembershipMetadata', params: MembershipParams, body: MetadataBody, response: membershipResponse } },
      async (req) => {
        const b = req.body;
        return present(await memberships.mergeMetadata(req.params.organization_id, req.params.user_id, { publicMetadata: b.public_metadata, privateMetadata: b.private_metadata }));
      },
    );

    // Called by the official SDK (getInstanceOrganizationMembershipList), absent from the published spec.
    app.get(
      '/organization_memberships',
      {
        schema: {
          tags,
          operationId: 'InstanceGetOrganizationMemberships',
          querystring: Type.Object({ ...PageQuery, order_by: OrderBy('created_at|first_name|last_name|username') }, { additionalProperties: false }),
          response: membershipsResponse,
        },
      },
      async (req) => page({}, parseOrderBy<MembershipOrder['field']>(req.query.order_by), req.query.limit, req.query.offset),
    );

    app.get(
      '/users/:user_id/organization_memberships',
      {
        schema: {
          tags: ['Users'],
          operationId: 'UsersGetOrganizationMemberships',
          params: UserId,
          querystring: Type.Object(PageQuery, { additionalProperties: false }),
          response: membershipsResponse,
        },
      },
      async (req) => {
        await deps.users.get(req.params.user_id);
        return page({ userId: req.params.user_id }, { field: 'created_at', direction: 'desc' }, req.query.limit, req.query.offset);
      },
    );
  };
}
