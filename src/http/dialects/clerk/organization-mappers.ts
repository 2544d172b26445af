import type { Membership, Organization } from '../../../core/organizations/types.ts';

/**
 * Role keys as the published spec names them. Clerk's current API says `org:admin` and
 * `org:member`; the spec (and older SDKs) say `admin` and `basic_member`. Both are accepted;
 * answers use the spec's names, and any other (custom) role its own key.
 */
const SPEC_ROLE_NAMES: Record<string, string> = { 'org:admin': 'admin', 'org:member': 'basic_member' };
const ROLE_KEYS: Record<string, string> = { admin: 'org:admin', basic_member: 'org:member' };

export const roleKeyFromClerk = (role: string) => ROLE_KEYS[role] ?? role;
export const roleToClerk = (key: string) => SPEC_ROLE_NAMES[key] ?? key;

const imageUrl = (publicUrl: string, imageId: string | null) => (imageId ? `${publicUrl}/images/${imageId}` : null);

export type ClerkOrganizationJson = ReturnType<typeof toClerkOrganization>;

/** Maps an organization to Clerk's JSON; `members_count` only when asked for, as in Clerk. */
export function toClerkOrganization(o: Organization, publicUrl: string, withCount = false) {
  const logo = imageUrl(publicUrl, o.imageId);
  return {
    object: 'organization' as const,
    id: o.id,
    name: o.name,
    slug: o.slug,
    image_url: logo ?? '',
    has_image: logo !== null,
    // Deprecated in Clerk in favour of image_url; still sent, and null without a logo.
    logo_url: logo,
    ...(withCount ? { members_count: o.membersCount } : {}),
    max_allowed_memberships: o.maxAllowedMemberships,
    admin_delete_enabled: o.adminDeleteEnabled,
    public_metadata: o.publicMetadata,
    private_metadata: o.privateMetadata,
    // The spec's created_by is a string, never null: left out when no user created it.
    ...(o.createdBy ? { created_by: o.createdBy } : {}),
    created_at: o.createdAt.getTime(),
    updated_at: o.updatedAt.getTime(),
  };
}

export type ClerkMembershipJson = ReturnType<typeof toClerkMembership>;

export function toClerkMembership(m: Membership, publicUrl: string) {
  const image = imageUrl(publicUrl, m.user.imageId) ?? m.user.imageUrl ?? '';
  return {
    id: m.id,
    object: 'organization_membership' as const,
    role: roleToClerk(m.role.key),
    role_name: m.role.name,
    permissions: m.role.permissions,
    public_metadata: m.publicMetadata,
    private_metadata: m.privateMetadata,
    created_at: m.createdAt.getTime(),
    updated_at: m.updatedAt.getTime(),
    organization: toClerkOrganization(m.organization, publicUrl),
    public_user_data: {
      user_id: m.userId,
      first_name: m.user.firstName,
      last_name: m.user.lastName,
      profile_image_url: image,
      image_url: image,
      identifier: m.user.identifier,
    },
  };
}
