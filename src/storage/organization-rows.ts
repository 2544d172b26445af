import { sql } from 'kysely';
import type { Membership, Organization } from '../core/organizations/types.ts';
import { asJson } from './json-column.ts';

type Row = Record<string, any>;

/** Escapes LIKE's wildcards so a query matches literally. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The organization columns every read selects, from the table aliased `o`, prefixed `org_` so a
 * membership read can select them beside its own. The member count is counted on the unique
 * (organization_id, user_id) index, so it is always exact, whoever deleted what.
 */
export const ORGANIZATION_COLUMNS = [
  'o.id as org_id',
  'o.name as org_name',
  'o.slug as org_slug',
  'o.image_id as org_image_id',
  'o.public_metadata as org_public_metadata',
  'o.private_metadata as org_private_metadata',
  'o.max_allowed_memberships as org_max_allowed_memberships',
  'o.admin_delete_enabled as org_admin_delete_enabled',
  'o.created_by as org_created_by',
  'o.created_at as org_created_at',
  'o.updated_at as org_updated_at',
  sql<string | number>`(select count(*) from organization_memberships c where c.organization_id = o.id)`.as('org_members_count'),
] as const;

export function toOrganization(r: Row): Organization {
  return {
    id: r.org_id,
    name: r.org_name,
    slug: r.org_slug,
    imageId: r.org_image_id,
    publicMetadata: asJson(r.org_public_metadata),
    privateMetadata: asJson(r.org_private_metadata),
    maxAllowedMemberships: Number(r.org_max_allowed_memberships),
    adminDeleteEnabled: r.org_admin_delete_enabled,
    createdBy: r.org_created_by,
    membersCount: Number(r.org_members_count),
    createdAt: r.org_created_at,
    updatedAt: r.org_updated_at,
  };
}

/** A membership's own columns, its role (`r`) and what it shows of its user (`u`). */
export const MEMBERSHIP_COLUMNS = [
  'm.id',
  'm.organization_id',
  'm.user_id',
  'm.public_metadata',
  'm.private_metadata',
  'm.tenant_link',
  'm.created_at',
  'm.updated_at',
  'r.id as role_id',
  'r.key as role_key',
  'r.name as role_name',
  'r.permissions as role_permissions',
  'u.first_name as user_first_name',
  'u.last_name as user_last_name',
  'u.image_id as user_image_id',
  'u.image_url as user_image_url',
  sql<string | null>`coalesce(
    (select i.value from identifiers i where i.id = u.primary_email_address_id),
    (select i.value from identifiers i where i.id = u.primary_phone_number_id),
    (select i.value from identifiers i where i.id = u.primary_web3_wallet_id),
    u.username)`.as('user_identifier'),
] as const;

export function toMembership(r: Row): Membership {
  return {
    id: r.id,
    organizationId: r.organization_id,
    userId: r.user_id,
    role: { id: r.role_id, key: r.role_key, name: r.role_name, permissions: asJson(r.role_permissions) },
    publicMetadata: asJson(r.public_metadata),
    privateMetadata: asJson(r.private_metadata),
    organization: toOrganization(r),
    user: {
      id: r.user_id,
      firstName: r.user_first_name,
      lastName: r.user_last_name,
      imageId: r.user_image_id,
      imageUrl: r.user_image_url,
      identifier: r.user_identifier,
    },
    tenantLink: r.tenant_link,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
