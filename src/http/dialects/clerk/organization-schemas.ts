import { Type } from 'typebox';
import { ERROR_RESPONSES, Metadata, Nullable } from './schemas.ts';

const Timestamp = Type.Integer({ description: 'Unix time in milliseconds' });

/** Clerk's Organization, with the fields its current API and SDK read beyond the published spec. */
export const Organization = Type.Object(
  {
    object: Type.Literal('organization'),
    id: Type.String(),
    name: Type.String(),
    slug: Type.String(),
    image_url: Type.String(),
    has_image: Type.Boolean(),
    logo_url: Nullable(Type.String()),
    members_count: Type.Optional(Type.Integer()),
    max_allowed_memberships: Type.Integer(),
    admin_delete_enabled: Type.Boolean(),
    public_metadata: Metadata,
    private_metadata: Metadata,
    created_by: Type.Optional(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'ClerkOrganization', additionalProperties: false },
);

export const OrganizationMembership = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('organization_membership'),
    role: Type.String(),
    role_name: Type.String(),
    permissions: Type.Array(Type.String()),
    public_metadata: Metadata,
    private_metadata: Metadata,
    created_at: Timestamp,
    updated_at: Timestamp,
    organization: Type.Ref('ClerkOrganization'),
    public_user_data: Type.Object(
      {
        user_id: Type.String(),
        first_name: Nullable(Type.String()),
        last_name: Nullable(Type.String()),
        profile_image_url: Type.String(),
        image_url: Type.String(),
        identifier: Nullable(Type.String()),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'ClerkOrganizationMembership', additionalProperties: false },
);

/** Registered once on the dialect beside SHARED_SCHEMAS. */
export const ORGANIZATION_SCHEMAS = [Organization, OrganizationMembership];

export const OrganizationId = Type.Object({ organization_id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
export const MembershipParams = Type.Object(
  { organization_id: Type.String({ minLength: 1, maxLength: 128 }), user_id: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 10 }),
  offset: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 }),
};

export const StringList = Type.Array(Type.String({ maxLength: 320 }), { maxItems: 100 });
export const MetadataBody = Type.Object({ public_metadata: Type.Optional(Metadata), private_metadata: Type.Optional(Metadata) }, { additionalProperties: false });

export const organizationResponse = { 200: Type.Ref('ClerkOrganization'), ...ERROR_RESPONSES };
export const membershipResponse = { 200: Type.Ref('ClerkOrganizationMembership'), ...ERROR_RESPONSES };
export const membershipsResponse = {
  200: Type.Object({ data: Type.Array(Type.Ref('ClerkOrganizationMembership')), total_count: Type.Integer() }, { additionalProperties: false }),
  ...ERROR_RESPONSES,
};

/** `+field` / `-field` into a field and a direction; `-` (newest or last first) is Clerk's default. */
export function parseOrderBy<F extends string>(orderBy: string): { field: F; direction: 'asc' | 'desc' } {
  return { field: orderBy.replace(/^[+-]/, '') as F, direction: orderBy.startsWith('-') ? 'desc' : 'asc' };
}
