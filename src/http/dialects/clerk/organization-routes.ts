import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { OrganizationService } from '../../../core/organizations/organization-service.ts';
import type { OrganizationOrder } from '../../../core/organizations/types.ts';
import { toClerkOrganization } from './organization-mappers.ts';
import { MetadataBody, OrganizationId, PageQuery, StringList, organizationResponse, parseOrderBy } from './organization-schemas.ts';
import { ERROR_RESPONSES, Metadata, Nullable } from './schemas.ts';

const tags = ['Organizations'];
const MaxMemberships = Type.Integer({ minimum: 0, maximum: 2_147_483_647 });

const ListQuery = Type.Object(
  {
    ...PageQuery,
    include_members_count: Type.Optional(Type.Boolean()),
    query: Type.Optional(Type.String({ maxLength: 256 })),
    // Beyond the published spec, as the official SDK sends them.
    order_by: Type.String({ pattern: '^[+-]?(created_at|name|members_count)$', default: '-created_at' }),
    organization_id: Type.Optional(StringList),
  },
  { additionalProperties: false },
);

const CreateBody = Type.Object(
  {
    name: Type.String({ maxLength: 1024 }),
    // Required by the spec, optional in Clerk's current API and SDK: without it there is no first member.
    created_by: Type.Optional(Nullable(Type.String({ maxLength: 128 }))),
    slug: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
    max_allowed_memberships: Type.Optional(Nullable(MaxMemberships)),
    public_metadata: Type.Optional(Metadata),
    private_metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    name: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
    slug: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
    max_allowed_memberships: Type.Optional(Nullable(MaxMemberships)),
    admin_delete_enabled: Type.Optional(Nullable(Type.Boolean())),
    public_metadata: Type.Optional(Metadata),
    private_metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

const DeletedOrganization = Type.Object(
  { object: Type.Literal('organization'), id: Type.String(), slug: Type.String(), deleted: Type.Boolean() },
  { additionalProperties: false },
);

/** Clerk Backend API: Organizations (the logo has its own file). */
export function organizationRoutes(organizations: OrganizationService, publicUrl: () => string): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/organizations',
      {
        schema: {
          tags,
          operationId: 'ListOrganizations',
          querystring: ListQuery,
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('ClerkOrganization')), total_count: Type.Integer() }, { additionalProperties: false }), ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const { limit, offset, order_by, include_members_count, query, organization_id } = req.query;
        const filter = { query, ids: organization_id };
        const [orgs, total] = await Promise.all([
          organizations.list(filter, parseOrderBy<OrganizationOrder['field']>(order_by), { limit, offset }),
          organizations.count(filter),
        ]);
        const url = publicUrl();
        return { data: orgs.map((o) => toClerkOrganization(o, url, include_members_count)), total_count: total };
      },
    );

    app.post('/organizations', { schema: { tags, operationId: 'CreateOrganization', body: CreateBody, response: organizationResponse } }, async (req) => {
      const b = req.body;
      const org = await organizations.create({
        name: b.name,
        slug: b.slug,
        createdBy: b.created_by,
        maxAllowedMemberships: b.max_allowed_memberships,
        publicMetadata: b.public_metadata,
        privateMetadata: b.private_metadata,
      });
      return toClerkOrganization(org, publicUrl());
    });

    app.get(
      '/organizations/:organization_id',
      {
        schema: {
          tags,
          operationId: 'GetOrganization',
          params: OrganizationId,
          querystring: Type.Object({ include_members_count: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
          response: organizationResponse,
        },
      },
      async (req) => toClerkOrganization(await organizations.get(req.params.organization_id), publicUrl(), req.query.include_members_count),
    );

    app.patch('/organizations/:organization_id', { schema: { tags, operationId: 'UpdateOrganization', params: OrganizationId, body: UpdateBody, response: organizationResponse } }, async (req) => {
      const b = req.body;
      const org = await organizations.update(req.params.organization_id, {
        name: b.name,
        slug: b.slug,
        maxAllowedMemberships: b.max_allowed_memberships,
        adminDeleteEnabled: b.admin_delete_enabled,
        publicMetadata: b.public_metadata,
        privateMetadata: b.private_metadata,
      });
      return toClerkOrganization(org, publicUrl());
    });

    app.delete(
      '/organizations/:organization_id',
      { schema: { tags, operationId: 'DeleteOrganization', params: OrganizationId, response: { 200: DeletedOrganization, ...ERROR_RESPONSES } } },
      async (req) => {
        const org = await organizations.delete(req.params.organization_id);
        return { object: 'organization' as const, id: org.id, slug: org.slug, deleted: true };
      },
    );

    app.patch(
      '/organizations/:organization_id/metadata',
      { schema: { tags, operationId: 'MergeOrganizationMetadata', params: OrganizationId, body: MetadataBody, response: organizationResponse } },
      async (req) => {
        const b = req.body;
        const org = await organizations.mergeMetadata(req.params.organization_id, { publicMetadata: b.public_metadata, privateMetadata: b.private_metadata });
        return toClerkOrganization(org, publicUrl());
      },
    );

    // Called by the official SDK (replaceOrganizationMetadata), absent from the published spec.
    app.put(
      '/organizations/:organization_id/metadata',
      { schema: { tags, operationId: 'ReplaceOrganizationMetadata', params: OrganizationId, body: MetadataBody, response: organizationResponse } },
      async (req) => {
        const b = req.body;
        const org = await organizations.replaceMetadata(req.params.organization_id, { publicMetadata: b.public_metadata, privateMetadata: b.private_metadata });
        return toClerkOrganization(org, publicUrl());
      },
    );
  };
}
